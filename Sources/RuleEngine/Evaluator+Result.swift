import RuleLanguage

/// The last decision's parts as values, for the store and other consumers (these allocate; the fast path
/// writes JSON directly instead).
extension Evaluator {
    /// The application number: the id field's text, when present and it passed its own checks.
    public var applicationID: String? {
        hasValidIdentifier ? String(decoding: identifier, as: UTF8.self) : nil
    }

    /// Whether the decision carries an application id: the id field is present and passed its own checks.
    var hasValidIdentifier: Bool {
        !malformed && policy.identifierField >= 0 && identifierPresent && !failed[policy.identifierField]
    }

    /// For a referral: each level's tier and SLA in hours, in the order they are worked.
    public var referralLevels: [(tier: Int, slaHours: Int)] {
        guard outcome == .referred, route >= 0 else { return [] }
        let route = policy.explanations.policy.routes[Int(self.route)]
        return Array(zip(route.levels, route.slaHours)).map { (tier: $0.0, slaHours: $0.1) }
    }

    /// The adverse-action reason codes, in rank order.
    public var reasonCodes: [String] {
        outcome == .invalid ? [] : reasons.map { policy.explanations.reasonCodes[Int($0)] }
    }
}
