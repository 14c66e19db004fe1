import Foundation
import GRDB

/// The head of the audit chain inside one transaction, so a batch appends many records with one lookup.
struct AuditChain {
    private(set) var seq: Int64
    private(set) var hash: String
    /// The last time formatted, reused while it does not change (a whole intake batch shares one time).
    private var formatted: (Date, String)?

    init(_ db: Database) throws {
        let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        seq = last?["seq"] ?? 0
        hash = last?["hash"] ?? AuditTrail.genesis
    }

    mutating func append(_ db: Database, at now: Date, actor: String, action: String, subject: String, detail: [String: String]) throws {
        let next = seq + 1
        let at: String
        if let (date, text) = formatted, date == now {
            at = text
        } else {
            at = UTCTime.format(now)
            formatted = (now, at)
        }
        let text = CanonicalJSON.object(detail)
        let digest = AuditTrail.digest(previous: hash, seq: next, at: at, actor: actor, action: action, subject: subject, detail: text)
        try db.cachedStatement(sql: "INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [next, at, actor, action, subject, text, hash, digest])
        seq = next
        hash = digest
    }
}
