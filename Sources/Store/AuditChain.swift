import Crypto
import Foundation
import GRDB

/// The head of the audit chain inside one transaction, so a batch appends many records with one lookup.
struct AuditChain {
    private(set) var seq: Int64
    private(set) var hash: String
    /// The last time formatted, reused while it does not change (a whole intake batch shares one time).
    private var formatted: (Date, String)?
    /// The bytes of the record being hashed, reused from record to record.
    private var scratch: [UInt8] = []

    init(_ db: Database) throws {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"))
        seq = last?[0] ?? 0
        hash = last?[1] ?? AuditTrail.genesis
    }

    mutating func append(_ db: Database, at now: Date, actor: String, action: String, subject: String, detail: [String: String]) throws {
        try append(db, at: now, actor: actor, action: action, subject: subject, detailJSON: CanonicalJSON.object(detail))
    }

    /// The same, with the detail already rendered as canonical JSON (`CanonicalJSON.object`).
    mutating func append(_ db: Database, at now: Date, actor: String, action: String, subject: String, detailJSON text: String) throws {
        let at = time(now)
        let previous = hash
        let (next, digest) = advance(at: at, actor: actor, action: action, subject: subject, detail: text)
        try db.cachedStatement(sql: "INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [next, at, actor, action, subject, text, previous, digest])
    }

    /// The record's time as stored and hashed (formatted once per distinct time).
    mutating func time(_ now: Date) -> String {
        if let (date, text) = formatted, date == now { return text }
        let text = UTCTime.format(now)
        formatted = (now, text)
        return text
    }

    /// Moves the head past one record and returns its seq and hash; the caller inserts the record (with the
    /// previous head as its `prev_hash`) in the same transaction. Used by intake to insert several records at once.
    mutating func advance(at: String, actor: String, action: String, subject: String, detail: String) -> (seq: Int64, hash: String) {
        let next = seq + 1
        let digest = AuditChain.digest(previous: hash, seq: next, at: at, actor: actor, action: action, subject: subject, detail: detail,
                                       into: &scratch)
        seq = next
        hash = digest
        return (next, digest)
    }

    /// `AuditTrail.digest` (the same bytes: each field followed by a newline), into one reused buffer.
    static func digest(previous: String, seq: Int64, at: String, actor: String, action: String, subject: String, detail: String,
                       into bytes: inout [UInt8]) -> String {
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(previous.utf8.count + at.utf8.count + actor.utf8.count + action.utf8.count
                              + subject.utf8.count + detail.utf8.count + 28)
        func put(_ text: String) {
            var text = text
            text.withUTF8 { bytes.append(contentsOf: $0) }
            bytes.append(0x0A)
        }
        put(previous)
        put(String(seq))
        put(at)
        put(actor)
        put(action)
        put(subject)
        put(detail)
        return IntakeHex.string(SHA256.hash(data: bytes))
    }
}
