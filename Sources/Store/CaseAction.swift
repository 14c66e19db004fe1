import Foundation

/// An approver's (or admin's) request on the approval queue.
public enum CaseAction: Sendable, Hashable {
    /// Claim the next case the actor may work: earliest SLA due first, then oldest.
    case takeNext
    case claim(case: String)
    case touch(case: String, token: String)
    case release(case: String, token: String)
    case approve(case: String, token: String)
    case decline(case: String, token: String, reason: String)
    case escalate(case: String, token: String, tier: Int, note: String)
    case returnForInformation(case: String, token: String, note: String)
    case comment(case: String, note: String)
    /// A risk admin hands the case to another approver.
    case reassign(case: String, to: String)

    var caseID: String? {
        switch self {
        case .takeNext: return nil
        case .claim(let id), .touch(let id, _), .release(let id, _), .approve(let id, _), .decline(let id, _, _),
             .escalate(let id, _, _, _), .returnForInformation(let id, _, _), .comment(let id, _), .reassign(let id, _):
            return id
        }
    }
}

/// The answer to a successful action: where the case now stands, and the claim token after a claim.
public struct ActionOutcome: Sendable, Hashable, Codable {
    public var caseID: String
    public var action: String
    public var status: String
    /// 1-based level now current, and how many levels the case has.
    public var level: Int
    public var levels: Int
    public var tier: Int
    public var token: String?
    public var leaseExpiresAt: Double?
    public var holder: String?

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id", action, status, level, levels, tier, token
        case leaseExpiresAt = "lease_expires_at", holder
    }
}

/// 128 bits from the system CSPRNG, as hex.
enum Token {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return [generator.next(), generator.next()].map { (value: UInt64) in
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}
