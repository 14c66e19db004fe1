import GRDB

/// Application numbers and their integer keys. A number is stored once, in `application_numbers`, under a key
/// given in arrival order; every other table refers to the key (see migration v5 for why).
enum ApplicationNumbers {
    /// The key of a stored number, or nil.
    static func key(_ db: Database, _ number: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT key FROM application_numbers WHERE number = ?"), arguments: [number])
    }

    /// The key of a stored number; `notFound` names what was looked for.
    static func existingKey(_ db: Database, _ number: String, notFound: @autoclosure () -> String) throws -> Int64 {
        guard let key = try key(db, number) else { throw StoreError(.notFound, notFound()) }
        return key
    }

    /// Stores a new number and returns its key (the next in arrival order).
    static func insert(_ db: Database, _ number: String) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO application_numbers (number) VALUES (?)").execute(arguments: [number])
        return db.lastInsertedRowID
    }

    /// The key the next stored number gets (keys are given in order; numbers are never deleted).
    static func nextKey(_ db: Database) throws -> Int64 {
        (try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(key) FROM application_numbers")) ?? 0) + 1
    }
}
