import Foundation
import GRDB
import Workflow

/// Everything known about one application, for the applicant side and for approvers.
public struct ApplicationStatus: Sendable, Hashable, Codable {
    public struct LevelStatus: Sendable, Hashable, Codable {
        public var level: Int
        public var tier: Int
        public var slaHours: Double
        public var dueAt: Double?
        public var outcome: String?
        public var decidedBy: String?
        public var decidedAt: Double?
        public var reason: String?

        enum CodingKeys: String, CodingKey {
            case level, tier
            case slaHours = "sla_hours", dueAt = "due_at", outcome
            case decidedBy = "decided_by", decidedAt = "decided_at", reason
        }
    }

    public struct Event: Sendable, Hashable, Codable {
        public var at: Double
        public var actor: String
        public var action: String
        public var from: String?
        public var to: String?
        public var level: Int?
        public var note: String?

        public init(at: Double, actor: String, action: String, from: String?, to: String?, level: Int?, note: String?) {
            self.at = at
            self.actor = actor
            self.action = action
            self.from = from
            self.to = to
            self.level = level
            self.note = note
        }
    }

    public var applicationID: String
    public var version: Int
    /// The outcome so far: the automatic decision, or the case's status while in human review / once decided.
    public var outcome: String
    /// The latest automatic decision (§7 format).
    public var decision: String
    public var ruleset: String
    public var caseStatus: String?
    /// 1-based current level and the number of levels ("level k of n").
    public var level: Int?
    public var levels: [LevelStatus]
    public var tier: Int?
    public var holder: String?
    public var dueAt: Double?
    public var timeline: [Event]

    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id", version, outcome, decision, ruleset
        case caseStatus = "case_status", level, levels, tier, holder
        case dueAt = "due_at", timeline
    }
}

extension Store {
    public func status(of id: String, at now: Date = Date()) async throws -> ApplicationStatus {
        try await writer.read { db in
            let key = try ApplicationNumbers.existingKey(db, id, notFound: "no application \(id)")
            guard let decision = try Row.fetchOne(db, sql: """
                SELECT version, outcome, decision, ruleset FROM decisions WHERE application = ? ORDER BY version DESC LIMIT 1
                """, arguments: [key]) else { throw StoreError(.notFound, "no application \(id)") }
            let caseValue = try CaseRecords.load(db, key: key, id: id)
            let levels = (caseValue?.levels ?? []).enumerated().map { index, level in
                ApplicationStatus.LevelStatus(level: index + 1, tier: level.tier, slaHours: Double(level.slaSeconds) / 3600,
                                              dueAt: level.dueAt?.timeIntervalSince1970, outcome: level.outcome?.rawValue,
                                              decidedBy: level.decidedBy, decidedAt: level.decidedAt?.timeIntervalSince1970, reason: level.reason)
            }
            let timeline = try FirstVersionHistory.events(db, key: key, case: caseValue) + Row.fetchAll(db, sql: """
                SELECT at, actor, action, from_state, to_state, level, note FROM history WHERE application = ? ORDER BY id
                """, arguments: [key]).map { row in
                ApplicationStatus.Event(at: row["at"], actor: row["actor"], action: row["action"], from: row["from_state"],
                                        to: row["to_state"], level: (row["level"] as Int?).map { $0 + 1 }, note: row["note"])
            }
            var outcome: String = decision["outcome"]
            if let caseValue {
                outcome = caseValue.isClosed ? caseValue.status.rawValue : "in review (\(caseValue.status.rawValue))"
            }
            return ApplicationStatus(applicationID: id, version: decision["version"], outcome: outcome, decision: decision["decision"],
                                     ruleset: decision["ruleset"], caseStatus: caseValue?.status.rawValue,
                                     level: caseValue.map { $0.current + 1 }, levels: levels, tier: caseValue?.currentLevel.tier,
                                     holder: caseValue?.liveHolder(at: now),
                                     dueAt: caseValue?.isClosed == false ? caseValue?.dueAt?.timeIntervalSince1970 : nil,
                                     timeline: timeline)
        }
    }
}
