import Foundation
import GRDB

/// One open case as a queue listing shows it.
public struct QueueEntry: Sendable, Hashable, Codable {
    public var caseID: String
    public var status: String
    public var level: Int
    public var levels: Int
    public var tier: Int
    public var dueAt: Double?
    public var createdAt: Double
    /// The holder of a live lease (nil when the lease ran out: the case is claimable again).
    public var holder: String?
    public var leaseExpiresAt: Double?

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id", status, level, levels, tier, holder
        case dueAt = "due_at", createdAt = "created_at", leaseExpiresAt = "lease_expires_at"
    }
}

/// Counts for `STATS`.
public struct QueueStats: Sendable, Hashable, Codable {
    public var casesByStatus: [String: Int]
    /// Open cases (queued or claimed) per tier, keyed by the tier as text.
    public var openByTier: [String: Int]
    public var overdue: Int
    public var decisionsByOutcome: [String: Int]
    public var applications: Int

    enum CodingKeys: String, CodingKey {
        case casesByStatus = "cases_by_status", openByTier = "open_by_tier", overdue
        case decisionsByOutcome = "decisions_by_outcome", applications
    }
}

/// A stored application with its decision, for `SHOW`.
public struct StoredApplication: Sendable {
    public var body: [UInt8]
    public var ruleset: String
    public var reasons: [String]
    public var submittedBy: String
}

extension Store {
    /// Open cases at `tier` (or at every tier up to `upToTier`), earliest SLA due first, then oldest.
    public func queue(tier: Int? = nil, upToTier: Int? = nil, limit: Int = 100, at now: Date) async throws -> [QueueEntry] {
        try await writer.read { db in
            // Queued cases in queue order from their index, merged with the claimed ones (at most one per approver).
            var filter = ""
            var arguments: StatementArguments = [:]
            if let tier { filter += " AND tier = :tier"; arguments += ["tier": tier] }
            if let upToTier { filter += " AND tier <= :upToTier"; arguments += ["upToTier": upToTier] }
            arguments += ["limit": limit]
            let sql = """
                SELECT open.*, n.number FROM (
                    SELECT * FROM (SELECT * FROM cases INDEXED BY cases_queued WHERE status = 'queued'\(filter)
                                   ORDER BY due_at, created_at LIMIT :limit)
                    UNION ALL
                    SELECT * FROM cases INDEXED BY cases_leases WHERE status = 'claimed'\(filter)
                ) AS open JOIN application_numbers n ON n.key = open.application ORDER BY open.due_at, open.created_at LIMIT :limit
                """
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { Store.entry($0, at: now) }
        }
    }

    /// One case as a queue listing shows it, open or not.
    public func caseEntry(_ id: String, at now: Date) async throws -> QueueEntry? {
        try await writer.read { db in
            guard let key = try ApplicationNumbers.key(db, id) else { return nil }
            return try Row.fetchOne(db, sql: "SELECT cases.*, ? AS number FROM cases WHERE application = ?", arguments: [id, key])
                .map { Store.entry($0, at: now) }
        }
    }

    /// Cases whose lease `user` holds now.
    public func held(by user: String, at now: Date) async throws -> [QueueEntry] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT cases.*, n.number FROM cases JOIN application_numbers n ON n.key = cases.application
                WHERE status = 'claimed' AND lease_holder = ? AND lease_expires_at > ? ORDER BY due_at
                """,
                             arguments: [user, now.timeIntervalSince1970]).map { Store.entry($0, at: now) }
        }
    }

    /// Cases submitted by `user` that were returned for information (waiting for a re-submission).
    public func returned(submittedBy user: String, at now: Date) async throws -> [QueueEntry] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT cases.*, n.number FROM cases JOIN application_numbers n ON n.key = cases.application
                WHERE status = 'returned' AND submitted_by = ? ORDER BY updated_at
                """,
                             arguments: [user]).map { Store.entry($0, at: now) }
        }
    }

    public func stats(at now: Date) async throws -> QueueStats {
        try await writer.read { db in
            var byStatus: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM cases GROUP BY status") { byStatus[row["status"]] = row["n"] }
            var byTier: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT tier, count(*) AS n FROM (
                    SELECT tier FROM cases INDEXED BY cases_queued WHERE status = 'queued'
                    UNION ALL SELECT tier FROM cases INDEXED BY cases_leases WHERE status = 'claimed'
                ) GROUP BY tier
                """) {
                byTier[String(row["tier"] as Int)] = row["n"]
            }
            let overdue = try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM cases INDEXED BY cases_queued WHERE status = 'queued' AND due_at < ?1)
                     + (SELECT count(*) FROM cases INDEXED BY cases_leases WHERE status = 'claimed' AND due_at < ?1)
                """, arguments: [now.timeIntervalSince1970]) ?? 0
            var byOutcome: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT d.outcome, count(*) AS n FROM decisions d
                WHERE d.version = (SELECT max(version) FROM decisions WHERE application = d.application) GROUP BY d.outcome
                """) { byOutcome[row["outcome"]] = row["n"] }
            let applications = try Int.fetchOne(db, sql: "SELECT count(*) FROM application_numbers") ?? 0
            return QueueStats(casesByStatus: byStatus, openByTier: byTier, overdue: overdue, decisionsByOutcome: byOutcome,
                              applications: applications)
        }
    }

    /// The latest version of an application as received, with the ruleset and reasons of its decision.
    public func application(_ id: String) async throws -> StoredApplication {
        try await writer.read { db in
            let key = try ApplicationNumbers.existingKey(db, id, notFound: "no application \(id)")
            guard let row = try Row.fetchOne(db, sql: """
                SELECT a.body, a.submitted_by, d.ruleset, d.reasons FROM applications a
                JOIN decisions d ON d.application = a.application AND d.version = a.version
                WHERE a.application = ? ORDER BY a.version DESC LIMIT 1
                """, arguments: [key]) else { throw StoreError(.notFound, "no application \(id)") }
            let reasons = (try? JSONDecoder().decode([String].self, from: Data((row["reasons"] as String).utf8))) ?? []
            return StoredApplication(body: [UInt8](row["body"] as Data), ruleset: row["ruleset"], reasons: reasons,
                                     submittedBy: row["submitted_by"])
        }
    }

    private static func entry(_ row: Row, at now: Date) -> QueueEntry {
        let expires: Double? = row["lease_expires_at"]
        let live = (expires ?? 0) > now.timeIntervalSince1970
        return QueueEntry(caseID: row["number"], status: live || (row["status"] as String) != "claimed" ? row["status"] : "queued",
                          level: (row["current_level"] as Int) + 1, levels: row["level_count"], tier: row["tier"],
                          dueAt: row["due_at"], createdAt: row["created_at"], holder: live ? row["lease_holder"] : nil,
                          leaseExpiresAt: live ? expires : nil)
    }
}
