import Crypto
import GRDB

/// Application numbers and their integer keys. A number is stored once, in `application_numbers`, under a key
/// given in arrival order; every other table refers to the key (see migration v5 for why). A number is found by
/// its digest, whose index is dense (eight-byte entries), then compared in full, so two numbers with the same
/// digest are still two applications.
enum ApplicationNumbers {
    /// The first eight bytes of the number's SHA-256, big-endian, as a signed integer (SQLite's integer type).
    /// Stable across releases and platforms (it is stored); `Hasher` is seeded per process and would not be.
    static func digest(_ number: String) -> Int64 {
        SHA256.hash(data: Array(number.utf8)).withUnsafeBytes { bytes in
            Int64(bitPattern: bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        }
    }

    /// `application_number_digest(text)` for SQL (the migration that introduced the keys computes them with it).
    static let digestFunction = DatabaseFunction("application_number_digest", argumentCount: 1, pure: true) { values in
        String.fromDatabaseValue(values[0]).map(digest)
    }

    /// The key of a stored number, or nil.
    static func key(_ db: Database, _ number: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT key FROM application_numbers WHERE digest = ? AND number = ?"),
                           arguments: [digest(number), number])
    }

    /// The key of a stored number; `notFound` names what was looked for.
    static func existingKey(_ db: Database, _ number: String, notFound: @autoclosure () -> String) throws -> Int64 {
        guard let key = try key(db, number) else { throw StoreError(.notFound, notFound()) }
        return key
    }

    /// Stores a new number and returns its key (the next in arrival order).
    static func insert(_ db: Database, _ number: String) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO application_numbers (number, digest) VALUES (?, ?)")
            .execute(arguments: [number, digest(number)])
        return db.lastInsertedRowID
    }

    /// The key the next stored number gets (keys are given in order, none is reused).
    static func nextKey(_ db: Database) throws -> Int64 {
        (try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(key) FROM application_numbers")) ?? 0) + 1
    }
}
