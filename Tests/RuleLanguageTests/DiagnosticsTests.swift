import Foundation
import RuleEngine
import RuleLanguage
import Testing

/// The repository root, found from this file's path.
let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("no Package.swift above \(#filePath)")
}()

/// One folder of `fixtures/diagnostics/`: broken rule files and `expected.txt`, the exact output of
/// `riskgate check` for them (every diagnostic rendered with its source line and caret, in compile order).
struct DiagnosticCase: CustomTestStringConvertible, Sendable {
    static let root = repositoryRoot.appendingPathComponent("fixtures/diagnostics")

    let name: String
    var testDescription: String { name }
    var folder: URL { Self.root.appendingPathComponent(name) }
    var expectedFile: URL { folder.appendingPathComponent("expected.txt") }

    static let all: [DiagnosticCase] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map(DiagnosticCase.init(name:))
    }()

    /// The case's rule files, named as they appear in diagnostics (`routing.yaml`), in name order as
    /// `RuleFiles.load` reads a folder.
    func sources() throws -> [Source] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        return try names.map { Source(name: $0, text: try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// What the compiler prints for the case.
    func render() throws -> String {
        let sources = try sources()
        let (_, diagnostics) = RuleCompiler.compile(sources: sources)
        return diagnostics.map { $0.render(sources: sources) + "\n" }.joined()
    }
}

/// Golden diagnostics, as cel-go's `policy/testdata/<case>/`. After changing a message, regenerate with
/// `RISKGATE_UPDATE_GOLDEN=1 swift test --filter DiagnosticsTests`, then read every changed line and caret in
/// `git diff fixtures/diagnostics` before committing: the files are the specification, not a snapshot.
@Suite struct DiagnosticsTests {
    static let updating = ProcessInfo.processInfo.environment["RISKGATE_UPDATE_GOLDEN"] == "1"

    @Test func thereAreEnoughCases() {
        #expect(DiagnosticCase.all.count >= 25)
    }

    @Test(arguments: DiagnosticCase.all)
    func golden(_ testCase: DiagnosticCase) throws {
        let sources = try testCase.sources()
        #expect(!sources.isEmpty, "no *.yaml in \(testCase.name)")
        let actual = try testCase.render()
        #expect(!actual.isEmpty, "a diagnostics case must produce at least one diagnostic")
        if Self.updating {
            try actual.write(to: testCase.expectedFile, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: testCase.expectedFile, encoding: .utf8)
        #expect(actual == expected, "\(testCase.name): got\n\(actual)")
    }
}
