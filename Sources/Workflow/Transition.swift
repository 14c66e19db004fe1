/// What one successful action did: for the case history, the audit trail and notifications.
public struct Transition: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable, CaseIterable {
        case open, claim, release, touch, approve, decline, escalate, returnForInfo = "return", resume, comment, reassign, expire
    }

    /// Who is told: approvers of a tier (a case is waiting for them), one user, or whoever watches the
    /// application (the applicant side).
    public enum Notice: Sendable, Hashable {
        case tier(Int)
        case user(String)
        case applicant
    }

    public var action: Action
    public var actor: String
    public var from: ApprovalCase.Status
    public var to: ApprovalCase.Status
    /// The level acted on (0-based).
    public var level: Int
    public var note: String?
    public var notices: [Notice]

    public init(action: Action, actor: String, from: ApprovalCase.Status, to: ApprovalCase.Status, level: Int,
                note: String? = nil, notices: [Notice] = []) {
        self.action = action
        self.actor = actor
        self.from = from
        self.to = to
        self.level = level
        self.note = note
        self.notices = notices
    }
}
