import Foundation
import RiskGateCLI
import RuleEngine
import RuleFiles
import RuleLanguage
import Testing

/// One folder of rule files under `docs/examples/`, the examples `docs/RULES.md` shows.
///
/// - A working example (most folders, and every `mistakes/<name>/fixed/`) must compile with no error and no
///   warning, and its `*.test.yaml` and `*.fixtures.jsonl` rule tests must pass.
/// - A mistake (`mistakes/<name>/`, with an `expected.txt`) must make `riskgate check` print exactly
///   `expected.txt` on standard error.
/// - `application.json` beside `explain.txt` pins `riskgate explain`; `applications.jsonl` beside
///   `applications.decisions.jsonl` pins `riskgate score`. Both outputs are quoted in the doc.
struct DocsExample: CustomTestStringConvertible, Sendable {
    static let root = repositoryRoot.appendingPathComponent("docs/examples")

    /// The folder relative to the repository root, as the doc and riskgate's messages spell it.
    let path: String
    var testDescription: String { path }
    var url: URL { repositoryRoot.appendingPathComponent(path) }
    var isMistake: Bool { exists("expected.txt") }

    func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
    }

    func files(endingWith suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// Every folder under `docs/examples` that holds rule files, found recursively, in name order.
    static let all: [DocsExample] = {
        var result: [DocsExample] = []
        func visit(_ relative: String) {
            let folder = repositoryRoot.appendingPathComponent(relative)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            if names.contains(where: { $0.hasSuffix(".yaml") && !$0.hasSuffix(".test.yaml") }) {
                result.append(DocsExample(path: relative))
            }
            for name in names where !name.hasPrefix(".") {
                var isDirectory: ObjCBool = false
                let child = folder.appendingPathComponent(name).path
                if FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory), isDirectory.boolValue {
                    visit(relative + "/" + name)
                }
            }
        }
        visit("docs/examples")
        return result
    }()

    static var working: [DocsExample] { all.filter { !$0.isMistake } }
    static var mistakes: [DocsExample] { all.filter(\.isMistake) }
}

/// After a message or an output changes on purpose, regenerate the pinned outputs with
/// `RISKGATE_UPDATE_GOLDEN=1 swift test --filter DocsExamples`, read `git diff docs/examples`, and update the
/// quotes in docs/RULES.md to match (`theDocQuotesTheExamplesVerbatim` says which are stale).
@Suite struct DocsExamplesTests {
    static let doc = repositoryRoot.appendingPathComponent("docs/RULES.md")
    static let updating = ProcessInfo.processInfo.environment["RISKGATE_UPDATE_GOLDEN"] == "1"

    /// Compares `actual` with the example's pinned file, or rewrites the file when updating.
    static func expectPinned(_ actual: String, _ example: DocsExample, _ name: String) throws {
        if updating {
            try actual.write(to: example.url.appendingPathComponent(name), atomically: true, encoding: .utf8)
            return
        }
        let expected = try example.read(name)
        #expect(actual == expected, "\(example.path)/\(name): got\n\(actual)")
    }

    @Test func theExamplesAreThere() {
        #expect(DocsExample.working.count >= 12)
        #expect(DocsExample.mistakes.count >= 20)
        #expect(DocsExample.mistakes.allSatisfy { $0.exists("fixed") }, "every ❌ needs its ✅ in fixed/")
    }

    @Test(arguments: DocsExample.working)
    func compilesCleanlyAndPassesItsTests(_ example: DocsExample) throws {
        let (policy, diagnostics, ruleSet) = RuleFiles.compile(directory: example.url.path)
        #expect(diagnostics.isEmpty, "\(example.path): \(diagnostics.map { String(describing: $0) })")
        let compiled = try #require(policy, "\(example.path) does not compile")
        let tests = (ruleSet?.testFiles ?? []) + example.files(endingWith: ".fixtures.jsonl").map { example.url.appendingPathComponent($0).path }
        for path in tests {
            let cases = try RuleTests.load(path: path).get()
            #expect(!cases.isEmpty, "\(path) holds no cases")
            let failures = RuleTests.run(cases, policy: compiled)
            for failure in failures {
                Issue.record("\(failure.testCase.location) \(failure.testCase.name): \(failure.differences.joined(separator: "; "))")
            }
        }
    }

    @Test(arguments: DocsExample.working.filter { $0.exists("explain.txt") })
    func explainOutputIsAsShown(_ example: DocsExample) throws {
        let result = try riskgate(["explain", "--rules", example.path, example.path + "/application.json"])
        #expect(result.status == 0)
        #expect(result.stderr == "")
        try Self.expectPinned(result.stdout, example, "explain.txt")
    }

    @Test(arguments: DocsExample.working.filter { $0.exists("applications.decisions.jsonl") })
    func scoreOutputIsAsShown(_ example: DocsExample) throws {
        let result = try riskgate(["score", "--quiet", "--rules", example.path, example.path + "/applications.jsonl"])
        #expect(result.status == 0)
        #expect(result.stderr == "")
        try Self.expectPinned(result.stdout, example, "applications.decisions.jsonl")
    }

    /// The ❌ examples: `riskgate check` prints exactly the documented diagnostics.
    @Test(arguments: DocsExample.mistakes)
    func mistakeGetsItsDiagnostic(_ example: DocsExample) throws {
        let result = try riskgate(["check", example.path])
        try Self.expectPinned(result.stderr, example, "expected.txt")
        #expect(!result.stderr.isEmpty, "a mistake must get a diagnostic")
        #expect(result.status == (result.stderr.contains(": error: ") ? 1 : 0))
    }

    /// Every YAML and JSON block in the doc is a verbatim piece of an example file, so what a reader copies is
    /// what these tests compile and run; and every pinned output is quoted in the doc as it is.
    @Test func theDocQuotesTheExamplesVerbatim() throws {
        let text = try String(contentsOf: Self.doc, encoding: .utf8)
        var exampleTexts: [String] = []
        for example in DocsExample.all {
            for name in example.files(endingWith: ".yaml") + example.files(endingWith: ".jsonl") + example.files(endingWith: ".json") {
                exampleTexts.append(try example.read(name))
            }
        }
        let blocks = Self.fencedBlocks(in: text, language: "yaml") + Self.fencedBlocks(in: text, language: "json")
        #expect(blocks.count >= 30)
        for block in blocks where !exampleTexts.contains(where: { $0.contains(block) }) {
            Issue.record("this block of docs/RULES.md is not in any file under docs/examples:\n\(block)")
        }
        for example in DocsExample.mistakes {
            let expected = try example.read("expected.txt")
            #expect(text.contains(expected), "docs/RULES.md does not quote \(example.path)/expected.txt")
        }
        for example in DocsExample.working where example.exists("explain.txt") {
            let explanation = try example.read("explain.txt")
            #expect(text.contains(explanation), "docs/RULES.md does not quote \(example.path)/explain.txt")
        }
    }

    /// The contents of every fenced block opened with "```language", each ending with a newline.
    static func fencedBlocks(in text: String, language: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil {
                if line == "```" + language { current = [] }
            } else if line == "```" {
                blocks.append(current!.joined(separator: "\n") + "\n")
                current = nil
            } else {
                current!.append(line)
            }
        }
        return blocks
    }
}
