import Foundation

/// A referred application in the human approval queue: the levels it passes through in order, where it
/// stands, and who holds it. A pure value; the store persists it and applies its transitions.
public struct ApprovalCase: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Waiting at its current level for an approver of that tier.
        case queued
        /// Leased to an approver (the lease may have expired; see `isClaimable(at:)`).
        case claimed
        /// Returned to the applicant for information; the SLA clock is paused.
        case returned
        case approved
        case declined
    }

    public struct Level: Sendable, Hashable {
        public enum Outcome: String, Sendable, Hashable {
            case approved, declined
        }

        public var tier: Int
        public var slaSeconds: Int
        /// When this level must be decided; set when the level becomes current.
        public var dueAt: Date?
        public var outcome: Outcome?
        public var decidedBy: String?
        public var decidedAt: Date?
        public var reason: String?

        public init(tier: Int, slaSeconds: Int) {
            self.tier = tier
            self.slaSeconds = slaSeconds
        }
    }

    public struct Lease: Sendable, Hashable {
        public var holder: String
        /// A fresh random token per claim; every action on the claim must present it.
        public var token: String
        public var expiresAt: Date

        public init(holder: String, token: String, expiresAt: Date) {
            self.holder = holder
            self.token = token
            self.expiresAt = expiresAt
        }
    }

    public let id: String
    public var submittedBy: String
    public var createdAt: Date
    public var levels: [Level]
    /// Index of the level being worked (the last one once closed).
    public var current: Int
    public var status: Status
    public var lease: Lease?
    /// Time left on the current level's SLA while returned to the applicant.
    public var pausedRemaining: TimeInterval?
    public var updatedAt: Date

    /// A new case at its first level, due after that level's SLA.
    public init(id: String, submittedBy: String, levels: [Level], at now: Date) {
        precondition(!levels.isEmpty, "a case has at least one level")
        self.id = id
        self.submittedBy = submittedBy
        self.createdAt = now
        self.levels = levels
        self.current = 0
        self.status = .queued
        self.updatedAt = now
        self.levels[0].dueAt = now.addingTimeInterval(TimeInterval(levels[0].slaSeconds))
    }

    public var isClosed: Bool { status == .approved || status == .declined }
    public var currentLevel: Level { levels[current] }
    public var dueAt: Date? { currentLevel.dueAt }

    /// Queued, or claimed under a lease that has run out.
    public func isClaimable(at now: Date) -> Bool {
        switch status {
        case .queued: return true
        case .claimed: return (lease?.expiresAt ?? .distantPast) <= now
        default: return false
        }
    }

    /// The holder of a live lease, if any.
    public func liveHolder(at now: Date) -> String? {
        guard status == .claimed, let lease, lease.expiresAt > now else { return nil }
        return lease.holder
    }
}

extension ApprovalCase {
    /// A case as stored (the store's loader; no checks beyond the types).
    public init(restoring id: String, submittedBy: String, createdAt: Date, levels: [Level], current: Int, status: Status,
                lease: Lease?, pausedRemaining: TimeInterval?, updatedAt: Date) {
        self.id = id
        self.submittedBy = submittedBy
        self.createdAt = createdAt
        self.levels = levels
        self.current = current
        self.status = status
        self.lease = lease
        self.pausedRemaining = pausedRemaining
        self.updatedAt = updatedAt
    }
}
