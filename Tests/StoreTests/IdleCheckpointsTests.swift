import Foundation
import GRDB
@testable import Store
import Testing

/// The WAL is copied back into the database file while the writer is idle, at most once per interval, so that
/// SQLite's own checkpoint (a long stop inside some commit) is rarely reached.
@Suite struct IdleCheckpointsTests {
    /// A pool whose writer never checkpoints by itself, with 200 rows in its WAL (the database file holds only the header page).
    private func pool() throws -> (DatabasePool, String) {
        let path = try temporaryDirectory() + "/wal.sqlite"
        let pool = try DatabasePool(path: path)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            for index in 0..<200 { try db.execute(sql: "INSERT INTO t (body) VALUES (?)", arguments: [String(repeating: "x", count: 500) + "\(index)"]) }
        }
        return (pool, path)
    }

    private func fileSize(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    }

    @Test func aDueCheckpointCopiesTheWALIntoTheDatabaseFile() throws {
        let (pool, path) = try pool()
        let before = try fileSize(path)
        IdleCheckpoints(interval: .zero).writerIdle(pool)
        // Runs after the queued checkpoint: the writer queue is serial.
        try pool.writeWithoutTransaction { _ in }
        // 200 rows of ~500 bytes: at least 25 pages of 4 KiB are now in the database file itself.
        #expect(try fileSize(path) >= before + 25 * 4096)
        try pool.close()
    }

    @Test func noCheckpointBeforeTheIntervalHasPassed() throws {
        let (pool, path) = try pool()
        let before = try fileSize(path)
        let checkpoints = IdleCheckpoints(interval: .seconds(3600))
        checkpoints.writerIdle(pool)
        checkpoints.writerIdle(pool)
        try pool.writeWithoutTransaction { _ in }
        #expect(try fileSize(path) == before)
        try pool.close()
    }

    /// Through the store: a submission that leaves the writer idle, more than the interval after the last
    /// checkpoint, is followed by one.
    @Test func theStoreCheckpointsWhenItsWriterFallsIdle() async throws {
        let fixture = try await Fixture(.file)
        let path = try #require(fixture.store.path)
        let before = try fileSize(path)
        try await Task.sleep(for: .milliseconds(150))
        _ = try await fixture.submit(Applications.tierOne("CK-1"))
        try await fixture.store.writer.writeWithoutTransaction { _ in }
        #expect(try fileSize(path) > before)
    }
}
