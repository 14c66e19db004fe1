import ArgumentParser
import RuleEngine
import RuleFiles

/// `riskgate test [--rules DIR] [FIXTURES...]`: run rule tests and print a diff for each failure.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run rule tests: JSONL fixtures or YAML test files, with a diff for every failure.",
        discussion: """
        With no files, runs the *.test.yaml files in the rules folder. A JSONL fixture line is \
        {"name": …, "application": {…}, "decision": {…}}; only the keys given in "decision" (or a YAML case's \
        "expect") are compared. Exits 1 if any case fails.
        """
    )

    @OptionGroup var options: RulesOptions

    @Argument(help: ArgumentHelp("Test files (.jsonl or .yaml).", valueName: "fixtures"))
    var files: [String] = []

    @Flag(name: .shortAndLong, help: "Print every case, not just failures.")
    var verbose = false

    func run() throws {
        guard let (policy, ruleSet) = Console.compileRules(options.rules) else { throw ExitCode(2) }
        let paths = files.isEmpty ? ruleSet.testFiles : files
        guard !paths.isEmpty else {
            Console.err("riskgate: no tests given and no *.test.yaml files in '\(ruleSet.directory)'")
            throw ExitCode(2)
        }
        var passed = 0, failed = 0
        for path in paths {
            let cases: [RuleTestCase]
            switch RuleTests.load(path: path) {
            case .failure(let error):
                Console.err("riskgate: \(error)")
                throw ExitCode(2)
            case .success(let loaded): cases = loaded
            }
            let failures = RuleTests.run(cases, policy: policy)
            let failedNames = Set(failures.map(\.testCase.location))
            for failure in failures {
                Console.out("FAIL \(failure.testCase.location)  \(failure.testCase.name)")
                for difference in failure.differences { Console.out("  \(difference)") }
            }
            if verbose {
                for testCase in cases where !failedNames.contains(testCase.location) {
                    Console.out("ok   \(testCase.location)  \(testCase.name)")
                }
            }
            failed += failures.count
            passed += cases.count - failures.count
        }
        Console.out("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
