import ArgumentParser
import Foundation
import Logging

/// `riskgate`: the command line of RiskGate.
public struct RiskGate: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "riskgate",
        abstract: "Loan risk scoring and approval: compile credit policy rules, score applications, and serve the approval queue.",
        subcommands: [CheckCommand.self, ScoreCommand.self, ExplainCommand.self, TestCommand.self,
                      IntakeCommand.self, StatusCommand.self, CaseCommand.self, UsersCommand.self, AuditCommand.self,
                      ServeCommand.self, ClientCommand.self, TOTPCommand.self]
    )

    public init() {}
}

/// Where the rules come from; shared by every command that scores.
struct RulesOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The rules folder.", valueName: "dir"))
    var rules: String = "rules"
}

extension RiskGate {
    /// The memory allocator the executable links; nil in tests (the system's). Written once by `start`, before any
    /// command runs.
    nonisolated(unsafe) static var allocator: Allocator?

    /// What the executable tells the commands about its allocator.
    public struct Allocator: Sendable {
        /// "jemalloc 5.3.0-…", for the server's start-up log.
        public var name: String
        /// Settings for a long-running server, applied by `serve` before it starts; returns what it set.
        public var tuneForServer: @Sendable () -> String

        public init(name: String, tuneForServer: @escaping @Sendable () -> String) {
            self.name = name
            self.tuneForServer = tuneForServer
        }
    }

    /// Parses the process's arguments and runs the command (the executable's only call).
    public static func start(allocator: Allocator? = nil) async {
        RiskGate.allocator = allocator
        // Libraries log at info and below; a command line shows notices and worse unless asked
        // (RISKGATE_LOG_LEVEL=info|debug|trace).
        let level = ProcessInfo.processInfo.environment["RISKGATE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        await main()
    }
}
