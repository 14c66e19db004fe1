import Crypto
import Foundation
import GRDB

extension Store {
    /// Walks the whole audit chain (and the given checkpoints).
    public func verifyAudit(checkpoints: [Checkpoint] = []) async throws -> AuditTrail.Verification {
        try await writer.read { db in try AuditTrail.verify(db, checkpoints: checkpoints) }
    }

    /// Every audit record in order, for export as JSON Lines.
    public func auditRecords(after seq: Int64 = 0, limit: Int = 10_000) async throws -> [AuditTrail.Record] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit]).map { row in
                AuditTrail.Record(seq: row["seq"], at: row["at"], actor: row["actor"], action: row["action"], subject: row["subject"],
                                  detail: row["detail"], prevHash: row["prev_hash"], hash: row["hash"])
            }
        }
    }

    /// Signs the current head of the chain and records the checkpoint; export it somewhere the database's
    /// owner cannot rewrite, so that rewriting the trail cannot go unnoticed.
    /// With `after`, nothing is signed (nil) unless the chain has grown past that record.
    public func checkpoint(key: Curve25519.Signing.PrivateKey, at now: Date, after: Int64? = nil) async throws -> Checkpoint? {
        try await writer.write { db in
            guard let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"),
                  (head["seq"] as Int64) > after ?? 0 else { return nil }
            let checkpoint = try Checkpoint(seq: head["seq"], hash: head["hash"], at: UTCTime.format(now), key: key)
            try db.execute(sql: "INSERT OR REPLACE INTO checkpoints (seq, hash, at, public_key, signature) VALUES (?, ?, ?, ?, ?)",
                           arguments: [checkpoint.seq, checkpoint.hash, checkpoint.at, checkpoint.publicKey, checkpoint.signature])
            return checkpoint
        }
    }

    /// The key that signs checkpoints: 32 random bytes in `<database>.audit-key` (mode 0600), made on first use.
    public static func auditKey(forDatabase path: String) throws -> Curve25519.Signing.PrivateKey {
        let keyPath = path + ".audit-key"
        if let data = FileManager.default.contents(atPath: keyPath), let bytes = Data(hex: String(decoding: data, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)) {
            return try Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
        }
        let key = Curve25519.Signing.PrivateKey()
        guard FileManager.default.createFile(atPath: keyPath, contents: Data((key.rawRepresentation.hex + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw StoreError(.storage, "cannot write the audit key \(keyPath)")
        }
        return key
    }

    /// Deletes decision records older than `cutoff`; refused (by the schema) for anything younger than 25 months.
    public func purgeDecisions(before cutoff: Date) async throws -> Int {
        let limit = Date().addingTimeInterval(-25 * 2_629_746)
        guard cutoff <= limit else {
            throw StoreError(.forbidden, "decision records are kept 25 months; the cutoff must be on or before \(UTCTime.format(limit))")
        }
        return try await writer.write { db in
            try db.execute(sql: "DELETE FROM decisions WHERE decided_at < ?", arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }
}
