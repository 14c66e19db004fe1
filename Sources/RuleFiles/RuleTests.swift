import Foundation
import RuleEngine
import RuleLanguage

/// One rule test: an application and the decision (or part of it) it must produce.
public struct RuleTestCase: Sendable {
    public var name: String
    /// `file:line` of the case.
    public var location: String
    public var application: String
    /// The expected decision's JSON text; only the keys it lists are compared.
    public var expected: String
}

/// A failed case and what differs, one line per key.
public struct RuleTestFailure: Sendable {
    public var testCase: RuleTestCase
    public var differences: [String]
}

/// Loads rule tests (JSONL fixtures or YAML test files) and runs them against a compiled policy.
public enum RuleTests {
    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String)
        case malformed(String)
        case yaml(Diagnostic)

        public var description: String {
            switch self {
            case .unreadable(let message), .malformed(let message): return message
            case .yaml(let diagnostic): return diagnostic.description
            }
        }
    }

    public static func load(path: String) -> Result<[RuleTestCase], LoadError> {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            return .failure(.unreadable("cannot read test file '\(path)'"))
        }
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml") { return loadYAML(Source(name: path, text: text)) }
        return loadJSONL(text, path: path)
    }

    /// One case per line: `{"name": …, "application": {…}, "decision": {…}}`.
    static func loadJSONL(_ text: String, path: String) -> Result<[RuleTestCase], LoadError> {
        var cases: [RuleTestCase] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let bytes = Array(line.utf8)
            guard let spans = JSONMembers.spans(in: bytes),
                  let application = spans.first(where: { $0.key == "application" }),
                  let decision = spans.first(where: { $0.key == "decision" }) else {
                return .failure(.malformed("\(path):\(number + 1): a test line must be a JSON object with \"application\" and \"decision\""))
            }
            var name = "line \(number + 1)"
            if let nameSpan = spans.first(where: { $0.key == "name" }),
               let value = try? JSONSerialization.jsonObject(with: Data(bytes[nameSpan.range]), options: [.fragmentsAllowed]) as? String {
                name = value
            }
            cases.append(RuleTestCase(name: name, location: "\(path):\(number + 1)",
                                      application: String(decoding: bytes[application.range], as: UTF8.self),
                                      expected: String(decoding: bytes[decision.range], as: UTF8.self)))
        }
        return .success(cases)
    }

    /// `tests:` — a list of `{name, application, expect}`, the application written in YAML.
    static func loadYAML(_ source: Source) -> Result<[RuleTestCase], LoadError> {
        let root: YAMLNode
        switch YAMLReader.read(source) {
        case .failure(let diagnostic): return .failure(.yaml(diagnostic))
        case .success(nil): return .success([])
        case .success(let node?): root = node
        }
        func fail(_ message: String, _ node: YAMLNode) -> Result<[RuleTestCase], LoadError> {
            .failure(.yaml(.error(message, at: node.location)))
        }
        guard case .mapping(let pairs) = root.kind, pairs.count == 1, pairs[0].key.scalar == "tests",
              case .sequence(let items) = pairs[0].value.kind else {
            return fail("a test file holds one key, 'tests', with a list of cases", root)
        }
        var cases: [RuleTestCase] = []
        for item in items {
            guard case .mapping(let fields) = item.kind else { return fail("a test case must be a mapping", item) }
            var name: String?, application: YAMLNode?, expect: YAMLNode?
            for field in fields {
                switch field.key.scalar {
                case "name": name = field.value.scalar
                case "application": application = field.value
                case "expect": expect = field.value
                default:
                    return fail("unknown key '\(field.key.scalar ?? "")' in a test case (name, application, expect)", field.key)
                }
            }
            guard let application, let expect, case .mapping = expect.kind else {
                return fail("a test case needs 'application' and an 'expect' mapping", item)
            }
            cases.append(RuleTestCase(name: name ?? "case at line \(item.location.line)",
                                      location: "\(source.name):\(item.location.line)",
                                      application: application.jsonText, expected: expect.jsonText))
        }
        return .success(cases)
    }

    /// Runs every case; returns the failures (empty when all pass).
    public static func run(_ cases: [RuleTestCase], policy: CompiledPolicy) -> [RuleTestFailure] {
        let evaluator = Evaluator(policy: policy)
        var failures: [RuleTestFailure] = []
        for testCase in cases {
            evaluator.evaluate(json: testCase.application)
            let actual = evaluator.decisionJSON
            let differences = compare(expected: testCase.expected, actual: actual)
            if !differences.isEmpty { failures.append(RuleTestFailure(testCase: testCase, differences: differences)) }
        }
        return failures
    }

    /// `key: expected X, got Y` for each expected key whose value differs.
    static func compare(expected: String, actual: String) -> [String] {
        guard let wanted = try? JSONSerialization.jsonObject(with: Data(expected.utf8)) as? [String: Any] else {
            return ["the expected decision is not a JSON object: \(expected)"]
        }
        guard let got = try? JSONSerialization.jsonObject(with: Data(actual.utf8)) as? [String: Any] else {
            return ["the decision is not JSON: \(actual)"]
        }
        var differences: [String] = []
        for key in wanted.keys.sorted(by: { order($0) < order($1) }) {
            let expectedValue = wanted[key]!
            guard let actualValue = got[key] else {
                differences.append("\(key): expected \(render(expectedValue)), but the decision has no '\(key)'")
                continue
            }
            if !(expectedValue as? NSObject == actualValue as? NSObject) {
                differences.append("\(key): expected \(render(expectedValue)), got \(render(actualValue))")
            }
        }
        return differences
    }

    static let keyOrder = ["application_id", "outcome", "errors", "knockouts", "score", "grade", "reasons", "route", "levels", "sla_hours"]

    static func order(_ key: String) -> Int { keyOrder.firstIndex(of: key) ?? keyOrder.count }

    static func render(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) else {
            return "\(value)"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
