import Crypto
import GRDB
import GRDBSQLite

/// Intake's statements bound through the SQLite C API: `StatementArguments` boxes every value in an
/// existential and builds arrays for each row, which was the largest cost of the write transaction. The values
/// are bound with `sqlite3_bind_*` (copied, so no pointer outlives its call) and the statement is still run by
/// GRDB's `execute()`, so its transaction bookkeeping and error reporting are unchanged.
struct IntakeStatement {
    let statement: Statement
    private var column: Int32 = 0

    /// A cached statement of this connection, marked as bound so that `execute()` runs the bindings set here.
    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        // Resets, clears the bindings and marks them valid: `execute()` then only resets and steps.
        statement.setUncheckedArguments(StatementArguments())
    }

    private var raw: OpaquePointer { statement.sqliteStatement }

    /// Starts a row: the statement is reset (binding needs that) and the next bind goes to parameter 1.
    mutating func begin() {
        sqlite3_reset(raw)
        column = 0
    }

    mutating func bind(_ text: String) {
        column += 1
        var text = text
        let code = text.withUTF8 { utf8 in
            // An empty buffer may have no address, which SQLite would store as NULL; bind a static empty text.
            guard let base = utf8.baseAddress, utf8.count > 0 else { return sqlite3_bind_text(raw, column, "", 0, nil) }
            return sqlite3_bind_text(raw, column, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(utf8.count), intakeTransient)
        }
        check(code)
    }

    mutating func bind(_ text: String?) {
        if let text { bind(text) } else { bindNull() }
    }

    mutating func bind(blob bytes: [UInt8]) {
        column += 1
        let code = bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return sqlite3_bind_zeroblob(raw, column, 0) }
            return sqlite3_bind_blob(raw, column, base, Int32(buffer.count), intakeTransient)
        }
        check(code)
    }

    mutating func bind(_ value: Int) {
        column += 1
        check(sqlite3_bind_int64(raw, column, Int64(value)))
    }

    mutating func bind(_ value: Int64) {
        column += 1
        check(sqlite3_bind_int64(raw, column, value))
    }

    mutating func bind(_ value: Double) {
        column += 1
        check(sqlite3_bind_double(raw, column, value))
    }

    mutating func bind(_ value: Double?) {
        if let value { bind(value) } else { bindNull() }
    }

    mutating func bind(_ value: IntakeValue) {
        switch value {
        case .text(let text): bind(text)
        case .integer(let number): bind(number)
        case .real(let number): bind(number)
        case .null: bindNull()
        }
    }

    mutating func bindNull() {
        column += 1
        check(sqlite3_bind_null(raw, column))
    }

    /// Runs the row (GRDB resets and steps it; a constraint or I/O error throws `DatabaseError`).
    func execute() throws {
        precondition(column == sqlite3_bind_parameter_count(raw), "every parameter must be bound")
        try statement.execute()
    }

    private func check(_ code: Int32) {
        // Binding does no I/O: it fails only on a wrong index or a misuse, i.e. a bug here.
        precondition(code == SQLITE_OK, "sqlite3_bind failed (\(code)) in \(statement.sql)")
    }
}

/// One value of a buffered row.
enum IntakeValue {
    case text(String)
    case integer(Int64)
    case real(Double)
    case null

    init(_ value: Double?) { self = value.map(IntakeValue.real) ?? .null }
}

/// Rows of one table gathered over several applications and inserted by multi-row statements (up to 32 rows
/// each): SQLite's cost per statement (cursors, the CHECK constraints' `IN` lists, GRDB's bookkeeping) is then
/// paid once per statement instead of once per row. Rows go in in the order they were added.
struct IntakeTable {
    private let head: String
    private let row: String
    private let width: Int
    private var values: [IntakeValue] = []
    /// Statements by row count, prepared (or fetched from the connection's cache) once per batch.
    private var statements: [Int: IntakeStatement] = [:]

    /// `head` is the SQL up to `VALUES` and `row` one row's tuple with `width` parameters. The text must differ from
    /// every statement run through GRDB's own binding in the same batch (they would share a cached statement).
    init(_ head: String, row: String, width: Int) {
        precondition(row.filter { $0 == "?" }.count == width)
        self.head = head
        self.row = row
        self.width = width
        values.reserveCapacity(width * 128)
    }

    var isEmpty: Bool { values.isEmpty }

    mutating func add(_ row: IntakeValue...) {
        assert(row.count == width)
        values.append(contentsOf: row)
    }

    mutating func flush(_ db: Database) throws {
        var start = 0
        var remaining = values.count / width
        for size in [32, 16, 8, 4, 2, 1] {
            while remaining >= size {
                try insert(db, rows: size, from: start)
                start += size * width
                remaining -= size
            }
        }
        values.removeAll(keepingCapacity: true)
    }

    private mutating func insert(_ db: Database, rows count: Int, from start: Int) throws {
        if statements[count] == nil {
            statements[count] = try IntakeStatement(db, sql: head + repeatElement(row, count: count).joined(separator: ", "))
        }
        statements[count]!.begin()
        for index in start..<(start + count * width) { statements[count]!.bind(values[index]) }
        try statements[count]!.execute()
    }
}

/// SQLite's `SQLITE_TRANSIENT` (the value is copied at bind time); the C macro is not imported into Swift.
nonisolated(unsafe) let intakeTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

enum IntakeHex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lowercase hex of a SHA-256 digest, written into one string allocation.
    static func string(_ digest: SHA256.Digest) -> String {
        digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                digits.withUnsafeBufferPointer { digits in
                    for (index, byte) in bytes.enumerated() {
                        out[2 * index] = digits[Int(byte >> 4)]
                        out[2 * index + 1] = digits[Int(byte & 15)]
                    }
                }
                return bytes.count * 2
            }
        }
    }
}
