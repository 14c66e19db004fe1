import ArgumentParser

/// `riskgate`: the command line of RiskGate.
public struct RiskGate: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "riskgate",
        abstract: "Loan risk scoring and approval: compile credit policy rules and score applications.",
        subcommands: [CheckCommand.self, ScoreCommand.self, ExplainCommand.self, TestCommand.self]
    )

    public init() {}
}

/// Where the rules come from; shared by every command that scores.
struct RulesOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The rules folder.", valueName: "dir"))
    var rules: String = "rules"
}

extension RiskGate {
    /// Parses the process's arguments and runs the command (the executable's only call).
    public static func start() {
        main()
    }
}
