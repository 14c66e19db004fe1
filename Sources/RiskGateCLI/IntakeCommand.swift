import ArgumentParser
import Foundation
import RuleEngine
import RuleFiles
import RuleLanguage
import Store

/// `riskgate intake [FILE]`: durable batch submission. One acknowledgement line per input line, in input
/// order, each printed only after the application's commit is synced.
struct IntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Submit applications (JSON Lines) to the store; print one acknowledgement per line once durable.",
        discussion: """
        Each line is stored exactly as received with its decision and the ruleset version, and a referred \
        application opens a case in the approval queue. An acknowledgement is a JSON object: \
        {"line":N,"application_id":…,"version":…,"disposition":"created|new-version|duplicate","outcome":…} \
        or {"line":N,"error":"conflict|storage","message":…}. Exits 1 if any line was refused.
        """
    )

    @OptionGroup var options: RulesOptions
    @OptionGroup var store: StoreOptions
    @Argument(help: ArgumentHelp("Applications, one JSON object per line ('-' for standard input).", valueName: "file"))
    var file: String = "-"
    @Option(name: .customLong("as"), help: "The submitting user (an intake system), recorded with each application.")
    var actor: String = "intake"
    @Option(help: "Submissions in flight at once (they share group commits).") var window: Int = 4096

    func validate() throws {
        if window < 1 { throw ValidationError("--window must be at least 1") }
    }

    func run() async throws {
        guard let (policy, ruleSet) = Console.compileRules(options.rules) else { throw ExitCode(2) }
        let opened = try store.open()
        try await opened.activateRuleset(ruleSet.version, by: actor, at: Date())
        let intake = Intake(store: opened, policy: policy, rulesetVersion: ruleSet.version)
        let fd: Int32 = file == "-" ? 0 : open(file, O_RDONLY)
        guard fd >= 0 else {
            Console.err("riskgate: cannot open '\(file)'")
            throw ExitCode(2)
        }
        var reader = LineReader(fd: fd)
        var refused = 0
        var next = 1
        try await withThrowingTaskGroup(of: (Int, String, Bool).self) { group in
            var done: [Int: (String, Bool)] = [:]
            var inFlight = 0
            var number = 0
            func drain(_ result: (Int, String, Bool)) {
                done[result.0] = (result.1, result.2)
                inFlight -= 1
                var out = ""
                while let (line, ok) = done.removeValue(forKey: next) {
                    out += line + "\n"
                    if !ok { refused += 1 }
                    next += 1
                }
                if !out.isEmpty { Console.write(Array(out.utf8)) }
            }
            while let body = try reader.next() {
                number += 1
                let lineNumber = number
                group.addTask { [actor] in await Self.acknowledge(lineNumber, body, actor: actor, intake: intake) }
                inFlight += 1
                if inFlight >= window, let result = try await group.next() { drain(result) }
            }
            while let result = try await group.next() { drain(result) }
        }
        if refused > 0 { throw ExitCode(1) }
    }

    static func acknowledge(_ line: Int, _ body: [UInt8], actor: String, intake: Intake) async -> (Int, String, Bool) {
        do {
            let r = try await intake.submit(body, by: actor)
            let text = "{\"line\":\(line),\"application_id\":\(JSONString.quote(r.applicationID)),\"version\":\(r.version),"
                + "\"assigned\":\(r.assigned),\"disposition\":\"\(r.disposition.rawValue)\",\"outcome\":\"\(r.outcome)\","
                + "\"case_status\":\(r.caseStatus.map { "\"\($0)\"" } ?? "null"),\"decision\":\(r.decision)}"
            return (line, text, true)
        } catch let error as StoreError {
            return (line, "{\"line\":\(line),\"error\":\"\(error.code.rawValue)\",\"message\":\(JSONString.quote(error.message))}", false)
        } catch {
            return (line, "{\"line\":\(line),\"error\":\"storage\",\"message\":\(JSONString.quote("\(error)"))}", false)
        }
    }
}
