import Foundation
import GRDB
import Logging

/// The embedded SQLite store: one file, created and migrated on first start, opened by one process with one
/// read-write connection (WAL). Every state change is one transaction holding its history and audit rows;
/// nothing is acknowledged before its commit is synced (`PRAGMA synchronous=FULL`, checked at start-up).
public final class Store: Sendable {
    public let writer: any DatabaseWriter
    public let path: String?
    let logger: Logger
    let lock: FileLock?
    /// WAL checkpoints between commits (file stores only).
    let checkpoints: IdleCheckpoints?

    /// Opens (creating and migrating if needed) the database file at `path`.
    public init(path: String, logger: Logger = Logger(label: "riskgate.store")) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        lock = try FileLock(path: path + ".lock")
        var configuration = Configuration()
        configuration.label = "riskgate"
        configuration.busyMode = .timeout(5)
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets synchronous=NORMAL on its writer after `prepareDatabase` runs; set FULL afterwards and check
        // it, since durable acknowledgements depend on the WAL being synced at every commit.
        let level = try pool.writeWithoutTransaction { db -> Int in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Neither weakens durability: a 64 MiB page cache for the writer (the default 2 MiB made it read back
            // its own hot index pages with a system call each), and a WAL checkpoint every 10,000 pages instead of
            // 1,000 (hot pages are copied to the database file once per checkpoint, not once per 4 MiB of WAL).
            // That threshold is only reached by a writer that is never idle: otherwise `IdleCheckpoints` copies the
            // WAL back in small pieces between commits.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
            return try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        }
        guard level == 2 else { throw StoreError(.storage, "PRAGMA synchronous reads \(level), not 2 (FULL)") }
        writer = pool
        checkpoints = IdleCheckpoints(interval: .milliseconds(100))
        self.path = path
        self.logger = logger
        try Store.migrator.migrate(pool)
        logger.info("store opened", metadata: ["store.path": "\(path)", "store.synchronous": "\(level)", "store.journal": "wal"])
    }

    /// An in-memory database (tests): the same schema and code paths, no durability.
    public static func inMemory(logger: Logger = Logger(label: "riskgate.store")) throws -> Store {
        let queue = try DatabaseQueue()
        try Store.migrator.migrate(queue)
        return Store(writer: queue, logger: logger)
    }

    private init(writer: any DatabaseWriter, logger: Logger) {
        self.writer = writer
        path = nil
        lock = nil
        checkpoints = nil
        self.logger = logger
    }

    /// `PRAGMA integrity_check` ("ok" when the file is sound).
    public func integrityCheck() throws -> String {
        try writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }

    /// The synchronous level of the writing connection (2 = FULL).
    public func synchronousLevel() throws -> Int {
        try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }
}

/// Keeps a second process from opening the same database read-write (SQLite 3.40's WAL-reset bug needs two
/// writers; one process with one writer never meets it).
final class FileLock: Sendable {
    let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError(.storage, "cannot open lock file \(path)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StoreError(.storage, "the database is in use by another process (\(path) is locked)")
        }
    }

    /// Lets another process open the file (after the pool is closed).
    func release() {
        flock(descriptor, LOCK_UN)
    }

    deinit { close(descriptor) }
}

/// A store failure with a stable code, as the protocol and CLI show it.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The database could not do its job (I/O, disk full, locked, corrupt).
        case storage
        case notFound = "not-found"
        /// The same application number was submitted with different content.
        case conflict
        case forbidden
        case invalidArgument = "invalid-argument"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension Store {
    /// A group commit has finished and its queue has no next group (see `IdleCheckpoints`).
    func writerIdle() {
        checkpoints?.writerIdle(writer)
    }

    /// Runs `updates` in one transaction on the writer (called on the writer's queue) with statement journals
    /// kept in memory, as intake's batches need.
    ///
    /// Each multi-row INSERT of a batch keeps a statement journal (a constraint can undo that statement alone),
    /// holding the pages it changes that the transaction had already changed. Past 64 KiB SQLite moves it into a
    /// file in /var/tmp and writes every journaled page there with a system call, for the rest of the
    /// transaction (about once per batch of the benchmark's mix, whose numbers are partly random).
    /// `temp_store = MEMORY` keeps the journal in memory, but in 1 KiB chunks, which made the small transactions
    /// of workflow actions slower (take-next/approve p50 +0.1 ms): so it holds for intake's transactions only.
    /// SQLite reads the setting when a transaction begins; changing it outside a transaction only drops temporary
    /// tables, and RiskGate has none. No durability depends on it: a statement journal is never read after a
    /// crash.
    static func inBatchTransaction<T>(_ db: Database, _ updates: (Database) throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA temp_store = MEMORY")
        defer { try? db.execute(sql: "PRAGMA temp_store = DEFAULT") }
        var result: T?
        try db.inTransaction {
            result = try updates(db)
            return .commit
        }
        return result!
    }

    /// Closes the database (checkpointing the WAL); the store must not be used afterwards.
    public func close() throws {
        if let pool = writer as? DatabasePool { try pool.close() }
        lock?.release()
    }
}
