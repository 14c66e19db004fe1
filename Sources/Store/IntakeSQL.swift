import Crypto
import GRDB
import GRDBSQLite

/// One value of a buffered row: a number, a NULL, or the place of a text or blob in its table's byte arena.
/// Plain data (no references), so buffering and binding a row costs no reference counting.
struct IntakeCell {
    enum Kind: UInt8 { case text, blob, integer, real, null }

    var kind: Kind
    var length: Int32
    /// The arena offset of a text or blob, the integer itself, or a real's bit pattern.
    var value: Int64
}

/// Rows of one table gathered over several applications and inserted by multi-row statements (up to
/// `IntakeTable.maximumRows` rows each): SQLite's cost per statement (cursors, the CHECK constraints' `IN`
/// lists, GRDB's bookkeeping) is then paid once per statement instead of once per row. Rows go in in the order
/// they were added.
///
/// Values are bound through the SQLite C API, not `StatementArguments` (which boxes every value in an
/// existential and builds arrays per row). Texts and blobs are copied once into the table's byte arena when
/// the row is added and bound with `SQLITE_STATIC` while the arena is pinned by `withUnsafeBytes` around the
/// statements' execution, so SQLite neither allocates nor copies at bind time (it copies each value once, into
/// the record it writes). The statement is still run by GRDB's `execute()`, so its transaction bookkeeping and
/// error reporting are unchanged.
///
///     cells:  [text 0,5][text 5,64][real …][null] [text 69,5]…   one row = `width` cells
///     bytes:  B-123 9f86d0…(64)…       B-124 …                  texts and blobs, back to back
struct IntakeTable {
    static let maximumRows = 32
    /// Statement sizes tried in order when splitting the buffered rows (`maximumRows` first).
    private static let sizes = [32, 16, 8, 4, 2, 1]

    private let head: String
    private let row: String
    let width: Int
    private var cells: [IntakeCell] = []
    private var bytes: [UInt8] = []
    /// Statements by row count, fetched from the connection's statement cache once per batch.
    private var statements: [Statement?] = Array(repeating: nil, count: IntakeTable.maximumRows + 1)

    /// `head` is the SQL up to `VALUES` and `row` one row's tuple with `width` parameters. The text must differ from
    /// every statement run through GRDB's own binding (they would share a cached statement).
    init(_ head: String, row: String, width: Int) {
        precondition(row.filter { $0 == "?" }.count == width)
        self.head = head
        self.row = row
        self.width = width
        cells.reserveCapacity(width * IntakeTable.maximumRows * 4)
        bytes.reserveCapacity(64 * 1024)
    }

    var isEmpty: Bool { cells.isEmpty }
    var rowCount: Int { cells.count / width }

    mutating func text(_ text: String) {
        let offset = bytes.count
        // Native strings are contiguous UTF-8 (no copy of the string itself); others are rare here.
        if text.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil { bytes.append(contentsOf: text.utf8) }
        cells.append(IntakeCell(kind: .text, length: Int32(bytes.count - offset), value: Int64(offset)))
    }

    mutating func blob(_ blob: [UInt8]) {
        let offset = bytes.count
        bytes.append(contentsOf: blob)
        cells.append(IntakeCell(kind: .blob, length: Int32(blob.count), value: Int64(offset)))
    }

    mutating func integer(_ value: Int64) {
        cells.append(IntakeCell(kind: .integer, length: 0, value: value))
    }

    mutating func integer(_ value: Int) { integer(Int64(value)) }

    mutating func real(_ value: Double) {
        cells.append(IntakeCell(kind: .real, length: 0, value: Int64(bitPattern: value.bitPattern)))
    }

    mutating func real(_ value: Double?) {
        if let value { real(value) } else { null() }
    }

    mutating func null() {
        cells.append(IntakeCell(kind: .null, length: 0, value: 0))
    }

    /// Inserts every buffered row and empties the table (also when the insert throws: the rows are dropped).
    mutating func flush(_ db: Database) throws {
        precondition(cells.count % width == 0, "a row must be complete")
        var rows = rowCount
        guard rows > 0 else { return }
        // Prepared before the arena is pinned (the statements array changes; the arena must not).
        var plan: [(Statement, Int)] = []
        for size in IntakeTable.sizes where rows >= size {
            let statement = try statement(db, rows: size)
            while rows >= size {
                plan.append((statement, size))
                rows -= size
            }
        }
        try execute(plan)
    }

    /// Inserts every buffered row (at most `maximumRows`) by one statement, so that they go in all or none.
    mutating func flushAsOneStatement(_ db: Database) throws {
        precondition(cells.count % width == 0 && rowCount <= IntakeTable.maximumRows)
        guard rowCount > 0 else { return }
        try execute([(try statement(db, rows: rowCount), rowCount)])
    }

    private mutating func execute(_ plan: [(Statement, Int)]) throws {
        defer {
            cells.removeAll(keepingCapacity: true)
            bytes.removeAll(keepingCapacity: true)
        }
        let width = width
        try cells.withUnsafeBufferPointer { cells in
            try bytes.withUnsafeBytes { arena in
                var start = 0
                for (statement, size) in plan {
                    let count = size * width
                    IntakeTable.bind(statement.sqliteStatement, UnsafeBufferPointer(rebasing: cells[start..<(start + count)]), arena.baseAddress)
                    start += count
                    do {
                        try statement.execute()
                    } catch {
                        sqlite3_clear_bindings(statement.sqliteStatement)
                        throw error
                    }
                    // No binding may point into the arena once it is unpinned (nothing steps these statements
                    // without binding them again, but a dangling pointer should not wait for a chance).
                    sqlite3_clear_bindings(statement.sqliteStatement)
                }
            }
        }
    }

    /// Drops the cached statements (after a statement failed: GRDB evicts a failed statement from its cache).
    mutating func forgetStatements() {
        for index in statements.indices { statements[index] = nil }
    }

    private mutating func statement(_ db: Database, rows: Int) throws -> Statement {
        if let statement = statements[rows] { return statement }
        let statement = try db.cachedStatement(sql: head + repeatElement(row, count: rows).joined(separator: ", "))
        precondition(Int(sqlite3_bind_parameter_count(statement.sqliteStatement)) == rows * width, "every parameter must be bound")
        // Resets, clears the bindings and marks them valid: `execute()` then only resets and steps.
        statement.setUncheckedArguments(StatementArguments())
        statements[rows] = statement
        return statement
    }

    private static func bind(_ statement: OpaquePointer, _ cells: UnsafeBufferPointer<IntakeCell>, _ arena: UnsafeRawPointer?) {
        // Binding needs a reset statement (GRDB resets it again before stepping; that is cheap).
        sqlite3_reset(statement)
        for (index, cell) in cells.enumerated() {
            let column = Int32(index + 1)
            let code: Int32
            switch cell.kind {
            case .text:
                // An empty text still needs an address, or SQLite would store NULL.
                let text = cell.length == 0 ? intakeEmpty : UnsafeRawPointer(arena! + Int(cell.value))
                code = sqlite3_bind_text(statement, column, text.assumingMemoryBound(to: CChar.self), cell.length, intakeStatic)
            case .blob:
                code = cell.length == 0 ? sqlite3_bind_zeroblob(statement, column, 0)
                    : sqlite3_bind_blob(statement, column, arena! + Int(cell.value), cell.length, intakeStatic)
            case .integer:
                code = sqlite3_bind_int64(statement, column, cell.value)
            case .real:
                code = sqlite3_bind_double(statement, column, Double(bitPattern: UInt64(bitPattern: cell.value)))
            case .null:
                code = sqlite3_bind_null(statement, column)
            }
            // Binding does no I/O: it fails only on a wrong index or a misuse, i.e. a bug here.
            precondition(code == SQLITE_OK, "sqlite3_bind failed (\(code))")
        }
    }
}

/// SQLite's `SQLITE_STATIC` (the value stays where it is until the statement is stepped and rebound); the C
/// macro is not imported into Swift.
let intakeStatic: sqlite3_destructor_type? = nil
/// A zero-length text with an address (static storage).
nonisolated(unsafe) let intakeEmpty = UnsafeRawPointer(("" as StaticString).utf8Start)

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
