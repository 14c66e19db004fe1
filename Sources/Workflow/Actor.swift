/// What a user may do. A user holds any set of roles.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    /// Works cases of their tier or below (claim, approve, decline, escalate, return); comments on any open case.
    case approver
    /// Submits applications (a branch system, a web form backend).
    case intake
    /// Manages users and rules, reassigns cases.
    case riskAdmin = "risk_admin"
    /// Reads everything, changes nothing.
    case auditor
}

/// A user as the workflow sees them: a name, an approval tier (1 analyst, 2 senior underwriter,
/// 3 credit committee, …) and roles.
public struct Actor: Sendable, Hashable {
    public var name: String
    public var tier: Int
    public var roles: Set<Role>

    public init(name: String, tier: Int, roles: Set<Role>) {
        self.name = name
        self.tier = tier
        self.roles = roles
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }
}
