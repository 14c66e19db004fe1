import Foundation
import GRDB
import Workflow

/// Reading and writing `ApprovalCase` values: one row in `cases`, one per level in `case_levels`, both under the
/// application's key (`ApplicationNumbers`); the case's id is its application number.
enum CaseRecords {
    static func load(_ db: Database, key: Int64, id: String) throws -> ApprovalCase? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT status, submitted_by, created_at, updated_at, current_level, paused_remaining, lease_holder, lease_token,
                   lease_expires_at
            FROM cases WHERE application = ?
            """), arguments: [key]) else { return nil }
        let levels = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT tier, sla_seconds, due_at, outcome, decided_by, decided_at, reason
            FROM case_levels WHERE application = ? ORDER BY level
            """), arguments: [key]).map { level in
            // Columns by position, as selected (here and below): every action loads its case, and a lookup by name
            // compares lowercased names.
            var value = ApprovalCase.Level(tier: level[0], slaSeconds: level[1])
            value.dueAt = (level[2] as Double?).map(Date.init(timeIntervalSince1970:))
            value.outcome = (level[3] as String?).flatMap(ApprovalCase.Level.Outcome.init(rawValue:))
            value.decidedBy = level[4]
            value.decidedAt = (level[5] as Double?).map(Date.init(timeIntervalSince1970:))
            value.reason = level[6]
            return value
        }
        var lease: ApprovalCase.Lease?
        if let token: String = row[7] {
            lease = ApprovalCase.Lease(holder: row[6], token: token, expiresAt: Date(timeIntervalSince1970: row[8]))
        }
        guard let status = ApprovalCase.Status(rawValue: row[0]) else {
            throw StoreError(.storage, "case \(id) has an unknown status")
        }
        return ApprovalCase(restoring: id, submittedBy: row[1], createdAt: Date(timeIntervalSince1970: row[2]),
                            levels: levels, current: row[4], status: status, lease: lease,
                            pausedRemaining: row[5], updatedAt: Date(timeIntervalSince1970: row[3]))
    }

    static func insert(_ db: Database, key: Int64, _ value: ApprovalCase) throws {
        try db.cachedStatement(sql: """
            INSERT INTO cases (application, submitted_by, created_at, updated_at, status, current_level, level_count, tier, due_at,
                               lease_holder, lease_token, lease_expires_at, paused_remaining)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: StatementArguments([key, value.submittedBy, value.createdAt.timeIntervalSince1970] + arguments(value)))
        for (index, level) in value.levels.enumerated() {
            try db.cachedStatement(sql: """
                INSERT INTO case_levels (application, level, tier, sla_seconds, due_at, outcome, decided_by, decided_at, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: StatementArguments([key, index, level.tier, level.slaSeconds] + arguments(level)))
        }
    }

    /// Writes the case row and every level that differs from `before`.
    static func update(_ db: Database, key: Int64, _ value: ApprovalCase, from before: ApprovalCase) throws {
        try db.cachedStatement(sql: """
            UPDATE cases SET updated_at = ?, status = ?, current_level = ?, level_count = ?, tier = ?, due_at = ?,
                             lease_holder = ?, lease_token = ?, lease_expires_at = ?, paused_remaining = ?
            WHERE application = ?
            """).execute(arguments: StatementArguments(arguments(value) + [key]))
        for (index, level) in value.levels.enumerated() where index >= before.levels.count || before.levels[index] != level {
            try db.cachedStatement(sql: """
                UPDATE case_levels SET tier = ?, due_at = ?, outcome = ?, decided_by = ?, decided_at = ?, reason = ?
                WHERE application = ? AND level = ?
                """).execute(arguments: StatementArguments([level.tier] + arguments(level) + [key, index]))
        }
    }

    private static func arguments(_ value: ApprovalCase) -> [(any DatabaseValueConvertible)?] {
        let open = value.status == .queued || value.status == .claimed
        return [value.updatedAt.timeIntervalSince1970, value.status.rawValue, value.current, value.levels.count,
                value.currentLevel.tier, open ? value.dueAt?.timeIntervalSince1970 : nil,
                value.lease?.holder, value.lease?.token, value.lease?.expiresAt.timeIntervalSince1970, value.pausedRemaining]
    }

    private static func arguments(_ level: ApprovalCase.Level) -> [(any DatabaseValueConvertible)?] {
        [level.dueAt?.timeIntervalSince1970, level.outcome?.rawValue, level.decidedBy, level.decidedAt?.timeIntervalSince1970, level.reason]
    }
}
