import ArgumentParser
import RuleFiles
import RuleLanguage

/// `riskgate check [RULES_DIR]`: compile and print diagnostics; exit status 1 on errors.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compile a rules folder and print its errors and warnings.",
        discussion: "Prints each problem as file:line:col: error: message, with the source line. Exits 1 if there are errors."
    )

    @Argument(help: ArgumentHelp("The rules folder.", valueName: "rules-dir"))
    var rules: String = "rules"

    @Flag(name: .long, help: "Treat warnings as errors.")
    var strict = false

    func run() throws {
        let (policy, diagnostics, ruleSet) = RuleFiles.compile(directory: rules)
        let sources = ruleSet?.sources ?? []
        for diagnostic in diagnostics {
            Console.err(diagnostic.render(sources: sources))
        }
        let errors = diagnostics.filter(\.isError).count
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        guard policy != nil, let ruleSet else {
            Console.err("\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
            throw ExitCode(1)
        }
        Console.out("ok: \(ruleSet.directory) (\(ruleSet.sources.count) file\(ruleSet.sources.count == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")) version \(ruleSet.version)")
        if strict && warnings > 0 { throw ExitCode(1) }
    }
}
