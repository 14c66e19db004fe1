import Foundation
import RuleEngine
import RuleFiles
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

/// The reference policy in rules/, compiled once.
let referencePolicy: CompiledPolicy = {
    let (policy, diagnostics, _) = RuleFiles.compile(directory: repositoryRoot.appendingPathComponent("rules").path)
    guard let policy else { fatalError(diagnostics.map(\.description).joined(separator: "\n")) }
    return policy
}()

/// Compiles rule text given inline as one file (`rules/test.yaml`).
func compile(_ text: String, name: String = "rules/test.yaml") -> (CompiledPolicy?, [Diagnostic]) {
    RuleCompiler.compile(sources: [Source(name: name, text: text)])
}

/// Parses JSON text into a Foundation value for comparisons that ignore key order.
func jsonObject(_ text: String) -> NSDictionary? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? NSDictionary
}

struct Fixture: CustomTestStringConvertible, Sendable {
    let name: String
    let application: String
    let decision: String
    var testDescription: String { name }

    static func load(_ path: String) -> [Fixture] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            // The application's raw text, so its numbers keep their exact digits.
            let bytes = Array(line.utf8)
            guard let object = jsonObject(String(line)), let spans = JSONMembers.spans(in: bytes),
                  let application = spans.first(where: { $0.key == "application" }),
                  let decision = spans.first(where: { $0.key == "decision" }) else { return nil }
            return Fixture(name: object["name"] as? String ?? "?",
                           application: String(decoding: bytes[application.range], as: UTF8.self),
                           decision: String(decoding: bytes[decision.range], as: UTF8.self))
        }
    }
}
