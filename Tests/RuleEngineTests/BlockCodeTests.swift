@testable import RuleEngine
import Testing

/// `BlockCode` computes each pure subexpression once per block, however many checks, values, bins,
/// knock-outs and routes name it. These tests pin the sharing on small policies, then compare the
/// `BlockEvaluator` with `Evaluator` (which runs the policy's own code) on random policies whose rules are
/// drawn from a few conditions, so that most of them share parts, and on random applications.
@Suite struct BlockCodeTests {
    static func instructions(_ op: Instruction.Opcode, in code: [Instruction]) -> Int {
        code.filter { $0.op == op }.count
    }

    @Test func rulesNamingTheSameConditionShareOneInstruction() throws {
        let (policy, diagnostics) = compile("""
        fields:
          product: {type: enum, values: [personal, auto]}
          amount: {type: number}
        checks:
          - {code: LIMIT, field: amount, when: product == "personal" and amount > 100, message: over the limit}
        knockouts:
          - {code: SMALL, when: product == "personal" and amount < 10}
          - {code: LARGE, when: amount > 100}
        routing:
          - {route: R1, when: product == "personal", outcome: approved}
          - {route: R2, outcome: referred, levels: [1], sla_hours: 8}
        """)
        let compiled = try #require(policy, "\(diagnostics)")
        #expect(Self.instructions(.equal, in: compiled.code) == 3)
        #expect(Self.instructions(.greater, in: compiled.code) == 2)
        let block = BlockCode(compiled)
        #expect(Self.instructions(.equal, in: block.code) == 1)
        #expect(Self.instructions(.greater, in: block.code) == 1)
        // The route is the shared comparison itself: no code of its own, its result the check's register.
        let route = try #require(block.routeRanges[0])
        #expect(route.start == route.end)
        let comparison = try #require(block.code.first { $0.op == .equal })
        #expect(route.result == comparison.dst)
        // The second knock-out is the check's right operand.
        #expect(block.knockoutRanges[1].start == block.knockoutRanges[1].end)
    }

    @Test func aValueInlinedInACheckIsComputedOnce() throws {
        let (policy, diagnostics) = compile("""
        fields:
          a: {type: number}
          b: {type: number}
        values:
          ratio: a / b
        checks:
          - {code: RATIO, field: a, when: ratio > 2, message: too high}
        knockouts:
          - {code: HIGH, when: ratio > 3}
        scorecard:
          base: 0
          characteristics:
            - name: ratio
              value: ratio
              bins:
                - {missing: true, points: 0}
                - {range: "[-inf, 1)", points: 10}
                - {range: "[1, inf)", points: 0}
        routing:
          - {route: R1, outcome: approved}
        """)
        let compiled = try #require(policy, "\(diagnostics)")
        #expect(Self.instructions(.divide, in: compiled.code) == 2)
        let block = BlockCode(compiled)
        #expect(Self.instructions(.divide, in: block.code) == 1)
        // The values block has nothing left to compute, and the characteristic reads the check's quotient.
        #expect(block.valuesRange.start == block.valuesRange.end)
        let quotient = try #require(block.code.first { $0.op == .divide })
        #expect(block.characteristicValues == [quotient.dst])
    }

    /// Rules made of a few shared parts over fields x, y (numbers, maybe missing), e (an enum), f (a boolean)
    /// and l (a list), with short-circuits that overwrite the registers of parts other rules share. The parts
    /// cover every way a truth value is made and read (block code codes a missing one as ½, not NaN): compared,
    /// combined, `contains`, `in`, a boolean field or value, `if` on a comparison, `coalesce` of truths.
    struct Generator {
        var random: SplitMix
        static let parts = ["x > 2", "y <= 5", "e == \"one\"", "e in [\"two\", \"three\"]", "f", "exists(y)",
                            "x + y > 6", "v > 3", "contains(l, \"a\")", "x in [2, 5]", "b", "w >= 3", "not f",
                            "b == (y > 3)", "score >= 40", "grade == \"HIGH\""]

        mutating func condition(depth: Int, scored: Bool) -> String {
            let count = scored ? Self.parts.count : Self.parts.count - 2
            guard depth > 0, random.next(3) != 0 else { return Self.parts[random.next(count)] }
            switch random.next(3) {
            case 0: return "(\(condition(depth: depth - 1, scored: scored))) and (\(condition(depth: depth - 1, scored: scored)))"
            case 1: return "(\(condition(depth: depth - 1, scored: scored))) or (\(condition(depth: depth - 1, scored: scored)))"
            default: return "not (\(condition(depth: depth - 1, scored: scored)))"
            }
        }

        mutating func policy() -> String {
            var lines = ["fields:", "  x: {type: number}", "  y: {type: number}",
                         "  e: {type: enum, values: [one, two, three]}", "  f: {type: boolean}", "  l: {type: list}",
                         "values:", "  v: x * 2 - y", "  b: 'coalesce(f, x > 3)'", "  w: if x > 2 then y else 1",
                         "checks:"]
            // Conditions in single quotes: they hold double quotes, brackets and commas.
            for k in 0..<2 {
                lines.append("  - {code: C\(k), field: x, when: '\(condition(depth: 2, scored: false))', message: check \(k)}")
            }
            lines += ["knockouts:"]
            for k in 0..<3 { lines.append("  - {code: K\(k), when: '\(condition(depth: 2, scored: true))'}") }
            lines += ["scorecard:", "  base: 0", "  characteristics:", "    - name: c", "      bins:"]
            for k in 0..<3 { lines.append("        - {when: '\(condition(depth: 1, scored: false))', points: \(10 * (k + 1))}") }
            lines += ["    - name: v", "      value: v", "      bins:", "        - {missing: true, points: 5}",
                      "        - {range: \"[-inf, 4)\", points: 20}", "        - {range: \"[4, inf)\", points: 0}",
                      "grades:", "  - {grade: HIGH, min_score: 30}", "  - {grade: LOW}", "routing:"]
            for k in 0..<3 { lines.append("  - {route: R\(k), when: '\(condition(depth: 2, scored: true))', outcome: approved}") }
            lines.append("  - {route: LAST, outcome: referred, levels: [1], sla_hours: 8}")
            return lines.joined(separator: "\n") + "\n"
        }

        mutating func application() -> String {
            var members: [String] = []
            let numbers = ["0", "2", "3", "5", "7"]
            if random.next(5) != 0 { members.append("\"x\":\(numbers[random.next(numbers.count)])") }
            if random.next(5) != 0 { members.append("\"y\":\(numbers[random.next(numbers.count)])") }
            if random.next(5) != 0 { members.append("\"e\":\"\(["one", "two", "three"][random.next(3)])\"") }
            if random.next(5) != 0 { members.append("\"f\":\(random.next(2) == 0)") }
            if random.next(5) != 0 { members.append("\"l\":" + ["[]", "[\"a\"]", "[\"b\", \"a\"]", "[\"b\"]"][random.next(4)]) }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    @Test(arguments: 0..<6)
    func decidesAsTheEvaluatorDoes(seed: Int) throws {
        var generator = Generator(random: SplitMix(state: UInt64(seed) &* 104_729 &+ 17))
        var tested = 0
        // Random routes are often refused (one covers the next): draw until ten policies compile.
        for _ in 0..<200 where tested < 10 {
            let rules = generator.policy()
            guard let compiled = compile(rules).0 else { continue }
            tested += 1
            let block = BlockCode(compiled)
            let computing = block.code.filter { $0.op != .truth && $0.op != .number }
            #expect(computing.count < compiled.code.count, "nothing shared in\n\(rules)")
            let applications = (0..<150).map { _ in Array(generator.application().utf8) }
            let expected = BlockEvaluatorTests.decisions(compiled, applications)
            let actual = BlockEvaluatorTests.blockDecisions(compiled, applications, width: 64)
            for (index, (a, e)) in zip(actual, expected).enumerated() where a != e {
                Issue.record("seed \(seed), \(String(decoding: applications[index], as: UTF8.self)): block \(a) != \(e)\n\(rules)")
                return
            }
        }
        #expect(tested == 10)
    }
}
