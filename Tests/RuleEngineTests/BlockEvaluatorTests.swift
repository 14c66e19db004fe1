import Foundation
import RuleEngine
import RuleLanguage
import Testing

/// `BlockEvaluator` must write exactly the decision `Evaluator` writes for every application, whatever the
/// block's width and wherever the application sits in it.
@Suite struct BlockEvaluatorTests {
    /// Every application line we have: the shared fixtures, malformed and edge lines, and the fuzz seeds.
    static let lines: [[UInt8]] = {
        var lines: [[UInt8]] = []
        let fixtures = (try? String(contentsOfFile: repositoryRoot.appendingPathComponent("fixtures/applications.jsonl").path, encoding: .utf8)) ?? ""
        lines += fixtures.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        lines += ["", "{", "[]", "42", "null", #"{"application_id":"X-1"} trailing"#, #"{"amount":1e400}"#].map { Array($0.utf8) }
        let seeds = repositoryRoot.appendingPathComponent("fuzz/corpus/applications")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: seeds.path)) ?? []).sorted()
        for name in names {
            if let data = FileManager.default.contents(atPath: seeds.appendingPathComponent(name).path) { lines.append(Array(data)) }
        }
        return lines
    }()

    static func decisions(_ policy: CompiledPolicy, _ lines: [[UInt8]]) -> [String] {
        let evaluator = Evaluator(policy: policy)
        return lines.map { line in
            line.withUnsafeBytes { evaluator.evaluate(json: $0) }
            var out: [UInt8] = []
            evaluator.writeDecision(to: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    static func blockDecisions(_ policy: CompiledPolicy, _ lines: [[UInt8]], width: Int) -> [String] {
        let block = BlockEvaluator(policy: policy, width: width)
        var decisions: [String] = []
        var next = 0
        while next < lines.count {
            block.reset()
            while !block.isFull, next < lines.count {
                lines[next].withUnsafeBytes { block.append(json: $0) }
                next += 1
            }
            block.evaluate()
            for lane in 0..<block.count {
                var out: [UInt8] = []
                block.writeDecision(lane, to: &out)
                decisions.append(String(decoding: out, as: UTF8.self))
            }
        }
        return decisions
    }

    @Test func linesAreLoaded() {
        #expect(Self.lines.count >= 67 + 7 + 80)
    }

    @Test(arguments: [1, 7, 64])
    func referencePolicyDecidesAlike(width: Int) {
        let expected = Self.decisions(referencePolicy, Self.lines)
        let actual = Self.blockDecisions(referencePolicy, Self.lines, width: width)
        #expect(actual.count == expected.count)
        for (index, (a, e)) in zip(actual, expected).enumerated() where a != e {
            Issue.record("line \(index + 1): block \(a) != \(e)")
        }
        // Every outcome is represented, so the comparison covers every path.
        for outcome in ["invalid", "declined", "approved", "referred"] {
            #expect(expected.contains { $0.contains("\"outcome\":\"\(outcome)\"") })
        }
    }

    @Test func decodedApplicationsDecideAlike() throws {
        let evaluator = Evaluator(policy: referencePolicy)
        let block = BlockEvaluator(policy: referencePolicy, width: 16)
        var decoded: [DecodedApplication] = []
        for line in Self.lines {
            if let application = line.withUnsafeBytes({ evaluator.decode(json: $0) }) { decoded.append(application) }
        }
        #expect(decoded.count > 100)
        var start = 0
        while start < decoded.count {
            block.reset()
            for application in decoded[start..<min(start + 16, decoded.count)] { block.append(application) }
            block.evaluate()
            for lane in 0..<block.count {
                evaluator.evaluate(decoded[start + lane])
                var expected: [UInt8] = [], actual: [UInt8] = []
                evaluator.writeDecision(to: &expected)
                block.writeDecision(lane, to: &actual)
                #expect(String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
                #expect(block.outcome(lane) == evaluator.outcome)
            }
            start += 16
        }
    }

    @Test func secondPolicyDecidesAlike() throws {
        let directory = repositoryRoot.appendingPathComponent("fixtures/policies/sme-lite")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") && !$0.contains(".test.") }
        let text = try names.sorted().map { try String(contentsOfFile: directory.appendingPathComponent($0).path, encoding: .utf8) }
        var sources: [(String, String)] = []
        for (name, body) in zip(names.sorted(), text) { sources.append((name, body)) }
        let (policy, diagnostics) = RuleCompiler.compile(sources: sources.map { .init(name: $0.0, text: $0.1) })
        let compiled = try #require(policy, "\(diagnostics)")
        let expected = Self.decisions(compiled, Self.lines)
        #expect(Self.blockDecisions(compiled, Self.lines, width: 5) == expected)
    }
}
