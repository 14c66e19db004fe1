import RuleEngine

/// A ruleset checked for serving: compiled, and its tests and regression fixtures all passed (Y4).
public struct ServerRules: Sendable {
    public var policy: CompiledPolicy
    public var version: String
    public var tests: Int

    public static func load(directory: String, regression: [String]) -> Result<ServerRules, RulesCheckFailure> {
        RulesCheck.compile(directory: directory, regression: regression).map { ServerRules(policy: $0.0, version: $0.1, tests: $0.2) }
    }
}

public typealias RulesCheckFailure = RulesCheck.Failure
