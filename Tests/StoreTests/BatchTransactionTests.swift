import Foundation
import GRDB
@testable import Store
import Testing

/// Intake's batch transactions keep statement journals in memory (`PRAGMA temp_store = MEMORY`); every other
/// transaction on the writer keeps SQLite's default (which is cheaper for small ones).
@Suite struct BatchTransactionTests {
    private struct Refused: Error {}

    private func tempStore(_ db: Database) throws -> Int? {
        try Int.fetchOne(db, sql: "PRAGMA temp_store")
    }

    @Test func aBatchRunsInOneTransactionWithStatementJournalsInMemoryAndRestoresTheDefault() throws {
        let store = try StoreKind.file.make()
        let (inside, transaction) = try store.writer.writeWithoutTransaction { db in
            try db.execute(sql: "CREATE TABLE scratch (value INTEGER NOT NULL)")
            return try Store.inBatchTransaction(db) { db in
                try db.execute(sql: "INSERT INTO scratch (value) VALUES (1), (2)")
                return (try tempStore(db), db.isInsideTransaction)
            }
        }
        #expect(inside == 2)
        #expect(transaction)
        #expect(try store.writer.writeWithoutTransaction { try tempStore($0) } == 0)
        #expect(try store.writer.read { try Int.fetchAll($0, sql: "SELECT value FROM scratch ORDER BY value") } == [1, 2])
    }

    @Test func aFailedBatchWritesNothingAndRestoresTheDefault() throws {
        let store = try StoreKind.file.make()
        try store.writer.writeWithoutTransaction { db in try db.execute(sql: "CREATE TABLE scratch (value INTEGER NOT NULL)") }
        #expect(throws: Refused.self) {
            try store.writer.writeWithoutTransaction { db in
                try Store.inBatchTransaction(db) { db in
                    try db.execute(sql: "INSERT INTO scratch (value) VALUES (1)")
                    throw Refused()
                }
            }
        }
        #expect(try store.writer.writeWithoutTransaction { try tempStore($0) } == 0)
        #expect(try store.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM scratch") } == 0)
    }
}
