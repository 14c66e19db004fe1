import Crypto
import Foundation
import GRDB
import Store
import Testing

/// L1 and L2: the audit trail detects tampering; decision records are complete and kept.
@Suite struct AuditTrailTests {
    /// A file store with some history: submissions, a decided case, a user change.
    static func populated() async throws -> Fixture {
        let fixture = try await Fixture(.file)
        _ = try await fixture.submit(Applications.personal("A-1"))
        _ = try await fixture.submit(Applications.tierOne("T-1"))
        let claim = try await fixture.perform(.takeNext, by: "ana")
        _ = try await fixture.perform(.approve(case: "T-1", token: claim.token!), by: "ana")
        try await fixture.store.disableUser("sue", by: "root", at: fixture.clock.now)
        return fixture
    }

    @Test func sqlCannotUpdateOrDeleteTheTrail() async throws {
        let fixture = try await Self.populated()
        for sql in ["UPDATE audit SET actor = 'mallory' WHERE seq = 3", "DELETE FROM audit WHERE seq = 3", "DELETE FROM audit"] {
            await #expect(throws: DatabaseError.self) {
                try await fixture.store.writer.write { db in try db.execute(sql: sql) }
            }
        }
        let verification = try await fixture.store.verifyAudit()
        #expect(verification.isValid)
        #expect(verification.records == 18)
    }

    /// Someone with the file drops the triggers and edits one byte of one field of one record.
    @Test(arguments: ["at", "actor", "action", "subject", "detail", "prev_hash", "hash"])
    func aOneByteEditIsFoundAtItsRecord(_ column: String) async throws {
        let fixture = try await Self.populated()
        try await fixture.store.writer.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: """
                UPDATE audit SET \(column) = substr(\(column), 1, 2) || char(unicode(substr(\(column), 3, 1)) + 1) || substr(\(column), 4)
                WHERE seq = 7
                """)
        }
        let verification = try await fixture.store.verifyAudit()
        #expect(verification.firstBad == 7)
    }

    @Test func aDeletedRecordIsFound() async throws {
        let fixture = try await Self.populated()
        try await fixture.store.writer.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_delete")
            try db.execute(sql: "DELETE FROM audit WHERE seq = 10")
        }
        let verification = try await fixture.store.verifyAudit()
        #expect(verification.firstBad == 10)
        #expect(verification.problem == "record 10 is missing (next is 11)")
    }

    @Test func swappedRecordsAreFound() async throws {
        let fixture = try await Self.populated()
        try await fixture.store.writer.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit SET seq = 100000 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = 100000")
        }
        let verification = try await fixture.store.verifyAudit()
        #expect(verification.firstBad == 5)
    }

    /// Truncating the tail leaves a valid chain; only a signed checkpoint exported earlier reveals it.
    @Test func tailTruncationIsFoundWithACheckpoint() async throws {
        let fixture = try await Self.populated()
        let key = Curve25519.Signing.PrivateKey()
        let checkpoint = try #require(try await fixture.store.checkpoint(key: key, at: fixture.clock.now))
        #expect(checkpoint.seq == 18 && checkpoint.isSigned)
        #expect(try await fixture.store.verifyAudit(checkpoints: [checkpoint]).isValid)
        try await fixture.store.writer.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_delete")
            try db.execute(sql: "DELETE FROM audit WHERE seq > 14")
        }
        #expect(try await fixture.store.verifyAudit().isValid)
        let verification = try await fixture.store.verifyAudit(checkpoints: [checkpoint])
        #expect(verification.firstBad == 15)
        #expect(verification.problem == "the trail ends at record 14, before checkpoint 18: records were removed")
        var forged = checkpoint
        forged.hash = String(repeating: "a", count: 64)
        #expect(!forged.isSigned)
    }

    /// L2: every decision has the input hash, the ruleset, ordered reasons, the actor and a UTC time.
    @Test func decisionRecordsAreCompleteAndKept() async throws {
        let fixture = try await Fixture(.file)
        _ = try await fixture.submit(Applications.tierOne("T-9"))
        let rows = try await fixture.store.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT input_hash, ruleset, reasons, decided_by, decided_at, outcome FROM decisions")
        }
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row["input_hash"] == SHA256.hash(data: Data(Applications.tierOne("T-9").utf8)).map { String(format: "%02x", $0) }.joined())
        #expect(row["ruleset"] == reference.version)
        #expect(row["reasons"] == #"["LOW_BUREAU_SCORE","DELINQUENCY"]"#)
        #expect(row["decided_by"] == "rules")
        #expect(row["decided_at"] == start.timeIntervalSince1970)
        await #expect(throws: StoreError.self) { try await fixture.store.purgeDecisions(before: Date()) }
        await #expect(throws: DatabaseError.self) {
            try await fixture.store.writer.write { db in try db.execute(sql: "DELETE FROM decisions") }
        }
        #expect(try await fixture.store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM decisions") } == 1)
    }
}
