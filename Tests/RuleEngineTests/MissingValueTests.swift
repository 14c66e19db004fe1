import RuleEngine
import Testing

/// Three-valued logic: a missing value makes comparisons missing, and a rule whose condition is missing
/// does not fire — not even under `not`.
@Suite struct MissingValueTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let condition: String
        let input: String
        let fires: Bool
        var testDescription: String { "\(condition) with \(input) → \(fires)" }
    }

    static let cases: [Case] = [
        Case(condition: "x > 5", input: "{}", fires: false),
        Case(condition: "not (x > 5)", input: "{}", fires: false),
        Case(condition: "x > 5", input: #"{"x":6}"#, fires: true),
        Case(condition: "not (x > 5)", input: #"{"x":4}"#, fires: true),
        Case(condition: "x > 5 or y == 1", input: #"{"y":1}"#, fires: true),
        Case(condition: "x > 5 and y == 1", input: #"{"y":1}"#, fires: false),
        Case(condition: "not (x > 5 and y == 2)", input: #"{"y":1}"#, fires: true),
        Case(condition: "not exists(x)", input: "{}", fires: true),
        Case(condition: "coalesce(x, 10) > 5", input: "{}", fires: true),
        Case(condition: "x + 1 > 0 or x + 1 <= 0", input: "{}", fires: false),
        Case(condition: "if exists(x) then x > 5 else y == 1", input: #"{"y":1}"#, fires: true),
        Case(condition: "if x > 5 then true else true", input: "{}", fires: false),
        Case(condition: "x in [1, 2, 3]", input: #"{"x":2}"#, fires: true),
        Case(condition: "x not in [1, 2, 3]", input: "{}", fires: false),
        Case(condition: "min(x, y) == 1", input: #"{"y":1}"#, fires: false),
        Case(condition: "max(x, y, 3) == 4", input: #"{"x":4,"y":1}"#, fires: true),
        Case(condition: "round(x / 3, 2) == 0.33", input: #"{"x":1}"#, fires: true),
        Case(condition: "round(x) == 3 and floor(x) == 2 and ceil(x) == 3 and abs(-x) == 2.5", input: #"{"x":2.5}"#, fires: true),
        Case(condition: "x % 4 == 1 and 2 ** 3 ** 2 == 512 and -2 ** 2 == -4", input: #"{"x":9}"#, fires: true),
        Case(condition: "x / 0 > 1000", input: #"{"x":1}"#, fires: true),
        Case(condition: "exists(x - x)", input: "{}", fires: false),
    ]

    @Test(arguments: cases)
    func knockout(_ testCase: Case) throws {
        let rules = """
        fields:
          x: {type: number}
          y: {type: number}
        knockouts:
          - code: HIT
            when: \(testCase.condition)
        routing:
          - {route: OK, outcome: approved}
        """
        let (policy, diagnostics) = compile(rules)
        let evaluator = Evaluator(policy: try #require(policy, "\(diagnostics)"))
        let outcome = evaluator.evaluate(json: testCase.input)
        #expect(outcome == (testCase.fires ? .declined : .approved))
    }
}
