import Foundation
import RuleEngine
import Testing

/// Parallel scoring keeps input order and answers every line, whatever the lane count.
@Suite struct BatchScorerTests {
    static let lines: [String] = {
        let fixtures = Fixture.load(repositoryRoot.appendingPathComponent("fixtures/fixtures.jsonl").path)
        var lines: [String] = []
        for round in 0..<30 {
            for (index, fixture) in fixtures.enumerated() {
                switch (round + index) % 23 {
                case 0: lines.append("")
                case 1: lines.append("{not json")
                default: lines.append(fixture.application)
                }
            }
        }
        return lines
    }()

    /// The decisions one evaluator gives, line by line: what every lane count must reproduce.
    static let expected: [String] = {
        let evaluator = Evaluator(policy: referencePolicy)
        return lines.map { line in
            evaluator.evaluate(json: line)
            return evaluator.decisionJSON
        }
    }()

    @Test(arguments: [1, 2, 3, 8])
    func orderAndCountArePreserved(lanes: Int) {
        let scorer = BatchScorer(policy: referencePolicy, lanes: lanes)
        let input = Array((Self.lines.joined(separator: "\n") + "\n").utf8)
        var output: [UInt8] = []
        let count = input.withUnsafeBytes { scorer.score(chunk: $0, into: &output) }
        #expect(count == Self.lines.count)
        let decisions = String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(Array(decisions.map(String.init)) == Self.expected)
    }

    @Test func crlfAndAMissingFinalNewlineAreHandled() {
        let scorer = BatchScorer(policy: referencePolicy, lanes: 2)
        let input = Array((Self.lines[2] + "\r\n" + Self.lines[3]).utf8)
        var output: [UInt8] = []
        let count = input.withUnsafeBytes { scorer.score(chunk: $0, into: &output) }
        #expect(count == 2)
        #expect(String(decoding: output, as: UTF8.self) == Self.expected[2] + "\n" + Self.expected[3] + "\n")
    }
}
