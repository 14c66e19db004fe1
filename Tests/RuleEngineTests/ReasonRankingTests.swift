import RuleEngine
import Testing

/// Reasons are ranked from bit masks when a policy allows it (`Program.reasons(ranked:into:)`), with a
/// shortcut when no two characteristics share a code, and one candidate at a time otherwise. These tests
/// build random scorecards for each path — codes shared between characteristics, codes of one characteristic
/// only, more than 64 bins with a reason — and compare the reasons of both evaluators with a direct reading
/// of the rule: most points lost first, ties in characteristic order, each code once, at most `max`.
@Suite struct ReasonRankingTests {
    struct Scorecard {
        var characteristics: Int
        var binsPerCharacteristic: Int
        /// Per characteristic, per bin (bin 0 matches a missing value, bin b > 0 the range [b - 1, b)).
        var points: [[Int]] = []
        var reasons: [[String?]] = []
        var maximum: Int

        init(characteristics: Int, bins: Int, codes: Int, sharedCodes: Bool, maximum: Int, generator: inout SplitMix) {
            self.characteristics = characteristics
            binsPerCharacteristic = bins
            self.maximum = maximum
            for c in 0..<characteristics {
                points.append((0...bins).map { _ in Int(generator.next() % 5) * 10 })
                reasons.append((0...bins).map { _ in
                    guard generator.next() % 4 != 0 else { return nil }
                    let code = Int(generator.next() % UInt64(codes))
                    return sharedCodes ? "R\(code)" : "C\(c)_R\(code)"
                })
            }
        }

        var text: String {
            var lines = ["policy:", "  name: ranking test", "fields:"]
            for c in 0..<characteristics { lines += ["  x\(c):", "    type: number"] }
            lines += ["scorecard:", "  base: 0", "  reasons: {max: \(maximum)}", "  characteristics:"]
            for c in 0..<characteristics {
                lines += ["    - name: c\(c)", "      value: x\(c)", "      bins:"]
                for bin in 0...binsPerCharacteristic {
                    let test = bin == 0 ? "missing: true" : "range: \"[\(bin - 1), \(bin))\""
                    let reason = reasons[c][bin].map { ", reason: \($0)" } ?? ""
                    lines.append("        - {\(test), points: \(points[c][bin])\(reason)}")
                }
            }
            lines += ["routing:", "  - route: ALL", "    outcome: referred", "    levels: [1]", "    sla_hours: 8"]
            return lines.joined(separator: "\n") + "\n"
        }

        /// The rule read directly: `values[c]` nil is missing.
        func expectedReasons(_ values: [Double?]) -> [String] {
            var candidates: [(lost: Int, characteristic: Int, code: String)] = []
            for c in 0..<characteristics {
                var bin: Int?
                if let value = values[c] {
                    if value >= 0, value < Double(binsPerCharacteristic) { bin = Int(value.rounded(.down)) + 1 }
                } else {
                    bin = 0
                }
                guard let bin, let code = reasons[c][bin] else { continue }
                candidates.append((points[c].max()! - points[c][bin], c, code))
            }
            candidates.sort { $0.lost != $1.lost ? $0.lost > $1.lost : $0.characteristic < $1.characteristic }
            var taken: [String] = []
            for candidate in candidates where taken.count < maximum && !taken.contains(candidate.code) {
                taken.append(candidate.code)
            }
            return taken
        }
    }

    /// (characteristics, bins each, codes, shared codes): shared codes need the taken-code check; 12 × 8
    /// bins give more than 64 with a reason, ranked one candidate at a time.
    @Test(arguments: [(6, 4, 4, true), (6, 4, 3, false), (3, 2, 2, true), (12, 7, 6, true), (12, 7, 3, false)])
    func reasonsFollowTheRule(characteristics: Int, bins: Int, codes: Int, shared: Bool) throws {
        var generator = SplitMix(state: UInt64(characteristics * 1000 + bins * 10 + codes) + (shared ? 7 : 0))
        for round in 0..<8 {
            let card = Scorecard(characteristics: characteristics, bins: bins, codes: codes, sharedCodes: shared,
                                 maximum: 1 + round % 4, generator: &generator)
            let (policy, diagnostics) = compile(card.text)
            let compiled = try #require(policy, "\(diagnostics)\n\(card.text)")
            let evaluator = Evaluator(policy: compiled)
            let block = BlockEvaluator(policy: compiled, width: 8)
            var lines: [String] = [], expected: [[String]] = []
            for _ in 0..<64 {
                var values: [Double?] = []
                var members: [String] = []
                for c in 0..<characteristics {
                    let draw = generator.next() % UInt64(2 * bins + 4)
                    let value: Double? = draw == 0 ? nil : Double(draw) / 2 - 1.5
                    values.append(value)
                    if let value { members.append("\"x\(c)\":\(value)") }
                }
                lines.append("{" + members.joined(separator: ",") + "}")
                expected.append(card.expectedReasons(values))
            }
            var start = 0
            while start < lines.count {
                block.reset()
                for line in lines[start..<min(start + 8, lines.count)] {
                    var text = line
                    text.withUTF8 { block.append(json: UnsafeRawBufferPointer($0)) }
                }
                block.evaluate()
                for lane in 0..<block.count {
                    let index = start + lane
                    #expect(evaluator.evaluate(json: lines[index]) != .invalid)
                    #expect(evaluator.reasonCodes == expected[index], "\(card.text)\n\(lines[index])")
                    var fromBlock: [UInt8] = []
                    block.writeDecision(lane, to: &fromBlock)
                    #expect(String(decoding: fromBlock, as: UTF8.self) == evaluator.decisionJSON)
                }
                start += 8
            }
        }
    }
}
