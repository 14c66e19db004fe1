import ArgumentParser
import Foundation
import RuleEngine
import RuleFiles

/// `riskgate explain [--rules DIR] FILE.json`: one application's decision as a readable report.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain the decision for one application: every check, bin, knock-out and route."
    )

    @OptionGroup var options: RulesOptions

    @Argument(help: ArgumentHelp("A JSON file holding one application ('-' for standard input).", valueName: "file"))
    var file: String

    func run() throws {
        guard let (policy, ruleSet) = Console.compileRules(options.rules) else { throw ExitCode(2) }
        let data: Data?
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: file)
        }
        guard let data else {
            Console.err("riskgate: cannot read '\(file)'")
            throw ExitCode(2)
        }
        let evaluator = Evaluator(policy: policy)
        data.withUnsafeBytes { _ = evaluator.evaluate(json: $0) }
        Console.out(evaluator.explanation())
        Console.out("")
        Console.out("Ruleset \(ruleSet.directory) \(ruleSet.version)")
        Console.out("Decision \(evaluator.decisionJSON)")
    }
}
