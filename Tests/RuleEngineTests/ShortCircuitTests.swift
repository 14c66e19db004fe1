import RuleEngine
import Testing

/// `and` and `or` skip their right operand once the left one decides (Instruction.swift). These tests build
/// random conditions, compile them as a cross-field check (values inlined) and a knock-out (values read from
/// the values block), and compare every outcome with a direct three-valued evaluation of the same condition,
/// both application by application (`Evaluator`, which short-circuits) and as one block (`BlockEvaluator`).
@Suite struct ShortCircuitTests {
    /// A condition and its meaning: nil is missing.
    indirect enum Condition {
        case compare(operand: Int, op: String, constant: Double)
        case value
        case not(Condition)
        case and(Condition, Condition)
        case or(Condition, Condition)

        /// Operand 0–2: fields a, b, c; 3: a + b.
        static let operands = ["a", "b", "c", "a + b"]

        var text: String {
            switch self {
            case let .compare(operand, op, constant): return "\(Self.operands[operand]) \(op) \(Int(constant))"
            case .value: return "v"
            case let .not(inner): return "not (\(inner.text))"
            case let .and(lhs, rhs): return "(\(lhs.text)) and (\(rhs.text))"
            case let .or(lhs, rhs): return "(\(lhs.text)) or (\(rhs.text))"
            }
        }

        func truth(_ fields: [Double?], v: Bool?) -> Bool? {
            switch self {
            case let .compare(operand, op, constant):
                let x: Double?
                if operand == 3 {
                    if let a = fields[0], let b = fields[1] { x = a + b } else { x = nil }
                } else {
                    x = fields[operand]
                }
                guard let x else { return nil }
                switch op {
                case "<": return x < constant
                case "<=": return x <= constant
                case ">": return x > constant
                case ">=": return x >= constant
                case "==": return x == constant
                default: return x != constant
                }
            case .value: return v
            case let .not(inner): return inner.truth(fields, v: v).map { !$0 }
            case let .and(lhs, rhs):
                let l = lhs.truth(fields, v: v), r = rhs.truth(fields, v: v)
                if l == false || r == false { return false }
                return l == nil || r == nil ? nil : true
            case let .or(lhs, rhs):
                let l = lhs.truth(fields, v: v), r = rhs.truth(fields, v: v)
                if l == true || r == true { return true }
                return l == nil || r == nil ? nil : false
            }
        }
    }

    /// Random conditions from a seeded `SplitMix`, so a failure names a reproducible seed.
    struct Generator {
        var random: SplitMix
        init(state: UInt64) { random = SplitMix(state: state) }
        mutating func next(_ bound: Int) -> Int { random.next(bound) }

        mutating func condition(depth: Int, allowValue: Bool) -> Condition {
            let pick = depth == 0 ? next(allowValue ? 2 : 1) : next(allowValue ? 6 : 5)
            switch pick {
            case 0: return .compare(operand: next(4), op: ["<", "<=", ">", ">=", "==", "!="][next(6)], constant: Double(next(3) * 5))
            case 1 where allowValue: return .value
            case 1, 2: return .and(condition(depth: depth - 1, allowValue: allowValue), condition(depth: depth - 1, allowValue: allowValue))
            case 3: return .or(condition(depth: depth - 1, allowValue: allowValue), condition(depth: depth - 1, allowValue: allowValue))
            case 4: return .not(condition(depth: depth - 1, allowValue: allowValue))
            default: return .or(.and(condition(depth: depth - 1, allowValue: allowValue), condition(depth: 0, allowValue: allowValue)),
                                condition(depth: depth - 1, allowValue: allowValue))
            }
        }
    }

    @Test(arguments: 0..<8)
    func agreesWithThreeValuedLogic(seed: Int) throws {
        var generator = Generator(state: UInt64(seed) &* 7919)
        let samples: [Double?] = [nil, 0, 5, 10]
        for _ in 0..<25 {
            let value = generator.condition(depth: 3, allowValue: false)
            let check = generator.condition(depth: 4, allowValue: true)
            let knockout = generator.condition(depth: 4, allowValue: true)
            let rules = """
            fields:
              a: {type: number}
              b: {type: number}
              c: {type: number}
            values:
              v: \(value.text)
            checks:
              - code: CHECK
                field: a
                when: \(check.text)
                message: the check fired
            knockouts:
              - code: HIT
                when: \(knockout.text)
            routing:
              - {route: OK, outcome: approved}
            """
            let (policy, diagnostics) = compile(rules)
            let compiled = try #require(policy, "\(diagnostics.map(\.description))\n\(rules)")
            let evaluator = Evaluator(policy: compiled)
            // The same 64 inputs as one block, which takes no jumps: every operand is computed.
            let block = BlockEvaluator(policy: compiled, width: 64)
            var expectations: [Outcome] = []
            for a in samples {
                for b in samples {
                    for c in samples {
                        let fields = [a, b, c]
                        let v = value.truth(fields, v: nil)
                        let expected: Outcome = check.truth(fields, v: v) == true ? .invalid
                            : knockout.truth(fields, v: v) == true ? .declined : .approved
                        let members = zip(["a", "b", "c"], fields).compactMap { name, x in x.map { "\"\(name)\":\(Int($0))" } }
                        let input = "{" + members.joined(separator: ",") + "}"
                        input.utf8CString.withUnsafeBytes { block.append(json: UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
                        expectations.append(expected)
                        let outcome = evaluator.evaluate(json: input)
                        #expect(outcome == expected, "seed \(seed): \(input)\nv: \(value.text)\ncheck: \(check.text)\nknockout: \(knockout.text)")
                        if outcome != expected { return }
                    }
                }
            }
            block.evaluate()
            #expect((0..<block.count).map(block.outcome) == expectations, "seed \(seed) block\nv: \(value.text)\ncheck: \(check.text)\nknockout: \(knockout.text)")
        }
    }
}
