import RuleLanguage
import Testing

/// The expression grammar as data: each row is the text and the tree it must parse to, fully parenthesised
/// in prefix form so that precedence and associativity are explicit; or the text and its exact error.
@Suite struct ExpressionParserTests {
    static func parse(_ text: String) -> Result<Expression, Diagnostic> {
        ExpressionParser.parse(text) { SourceLocation(file: "e", line: 1, column: $0 + 1) }
    }

    /// `(op lhs rhs)`, with `neg`, `not`, `in`, `not-in`, `if` and calls as `(name args…)`.
    static func tree(_ e: Expression) -> String {
        switch e.kind {
        case .number(let value): return Expression.format(value)
        case .string(let text): return "\"\(text)\""
        case .boolean(let value): return value ? "true" : "false"
        case .name(let name): return name
        case .call(let name, let arguments): return "(\(([name] + arguments.map(tree)).joined(separator: " ")))"
        case .unary(.negate, let operand): return "(neg \(tree(operand)))"
        case .unary(.not, let operand): return "(not \(tree(operand)))"
        case .binary(let op, let lhs, let rhs): return "(\(op.rawValue) \(tree(lhs)) \(tree(rhs)))"
        case .conditional(let a, let b, let c): return "(if \(tree(a)) \(tree(b)) \(tree(c)))"
        case .membership(let value, let list, let negated):
            return "(\(negated ? "not-in" : "in") \(tree(value)) [\(list.map(tree).joined(separator: " "))])"
        }
    }

    static let trees: [(String, String)] = [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("8 / 4 / 2", "(/ (/ 8 4) 2)"),
        ("7 % 4 * 2", "(* (% 7 4) 2)"),
        ("2 ** 3 ** 2", "(** 2 (** 3 2))"),
        ("2 * 3 ** 2", "(* 2 (** 3 2))"),
        ("-2 ** 2", "(neg (** 2 2))"),
        ("-x ** 2", "(neg (** x 2))"),
        ("2 ** -1", "(** 2 -1)"),
        ("(-2) ** 2", "(** -2 2)"),
        ("2 ** -x", "(** 2 (neg x))"),
        ("-3", "-3"),
        ("- 3 + 1", "(+ -3 1)"),
        ("--x", "(neg (neg x))"),
        ("a - -b", "(- a (neg b))"),
        ("(1 + rate) ** (-term_months)", "(** (+ 1 rate) (neg term_months))"),
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c and d", "(or (and a b) (and c d))"),
        ("a or b or c", "(or (or a b) c)"),
        ("not a and b", "(and (not a) b)"),
        ("not not a", "(not (not a))"),
        ("not a == b", "(not (== a b))"),
        ("a + b < c * d", "(< (+ a b) (* c d))"),
        ("a != b", "(!= a b)"),
        ("amount <= 50000 and grade == \"A\"", "(and (<= amount 50000) (== grade \"A\"))"),
        ("x in [1, 2]", "(in x [1 2])"),
        ("x in []", "(in x [])"),
        ("x + 1 in [2]", "(in (+ x 1) [2])"),
        ("product not in [\"auto\", 'sme']", "(not-in product [\"auto\" \"sme\"])"),
        ("not x in [1]", "(not (in x [1]))"),
        ("a in [1] and b not in [2]", "(and (in a [1]) (not-in b [2]))"),
        ("if a then b else c + 1", "(if a b (+ c 1))"),
        ("if a then if b then 1 else 2 else 3", "(if a (if b 1 2) 3)"),
        ("1 + (if a then 1 else 2)", "(+ 1 (if a 1 2))"),
        ("min(a, b + 1)", "(min a (+ b 1))"),
        ("round(x)", "(round x)"),
        ("f()", "(f)"),
        ("apr(product) / 12", "(/ (apr product) 12)"),
        ("applicant.age >= 18", "(>= applicant.age 18)"),
        ("1_000 * 2.5e3 + .5 + 1E-2", "(+ (+ (* 1000 2500) 0.5) 0.01)"),
        ("x == inf", "(== x inf)"),
        ("true and false", "(and true false)"),
        ("  a\n  and\tb  ", "(and a b)"),
    ]

    @Test(arguments: trees)
    func parses(_ text: String, _ expected: String) throws {
        let expression = try Self.parse(text).get()
        #expect(Self.tree(expression) == expected)
    }

    /// Printing a parsed expression and parsing the print gives the same tree: `description` keeps exactly
    /// the parentheses precedence needs (explanations show it to analysts).
    @Test(arguments: trees)
    func printsBackToTheSameTree(_ text: String, _ expected: String) throws {
        let printed = try Self.parse(text).get().description
        #expect(Self.tree(try Self.parse(printed).get()) == expected, "printed as \(printed)")
    }

    /// Node positions: a binary node sits at its operator, a call at its name, `in` at the keyword.
    @Test func locationsPointIntoTheText() throws {
        let expression = try Self.parse("a + min(b, c) in [1]").get()
        guard case .membership(let sum, _, _) = expression.kind, case .binary(_, let a, let call) = sum.kind else {
            Issue.record("unexpected tree \(Self.tree(expression))")
            return
        }
        #expect([expression.location.column, sum.location.column, a.location.column, call.location.column] == [15, 3, 1, 5])
    }

    static let errors: [(String, String)] = [
        ("a < b < c", "e:1:7: error: comparisons cannot be chained; write 'a < b and b < c'"),
        ("300 <= score < 600", "e:1:14: error: comparisons cannot be chained; write '300 <= score and score < 600'"),
        ("a == b in [1]", "e:1:8: error: comparisons cannot be chained; join them with 'and'"),
        ("a in [1] not in [2]", "e:1:10: error: comparisons cannot be chained; join them with 'and'"),
        ("a = b", "e:1:3: error: '=' is not an operator; compare with '=='"),
        ("a => b", "e:1:3: error: '=>' is not an operator; write '>='"),
        ("a =< b", "e:1:3: error: '=<' is not an operator; write '<='"),
        ("a && b", "e:1:3: error: unexpected '&'; write 'and'"),
        ("a || b", "e:1:3: error: unexpected '|'; write 'or'"),
        ("!a", "e:1:1: error: unexpected '!'; write 'not'"),
        ("(a + b", "e:1:7: error: unexpected end of expression; expected ')' to close '('"),
        ("a +", "e:1:4: error: unexpected end of expression where a value was expected"),
        ("", "e:1:1: error: unexpected end of expression where a value was expected"),
        ("a b", "e:1:3: error: unexpected 'b' after the end of the expression"),
        ("a)", "e:1:2: error: unexpected ')' after the end of the expression"),
        ("and", "e:1:1: error: unexpected 'and' where a value was expected"),
        ("a and or b", "e:1:7: error: unexpected 'or' where a value was expected"),
        ("1.2.3", "e:1:1: error: malformed number '1.2.3'"),
        ("2x", "e:1:2: error: unexpected 'x' after number 2"),
        ("1e999", "e:1:1: error: malformed number '1e999'"),
        ("\"abc", "e:1:1: error: unterminated string"),
        ("a $ b", "e:1:3: error: unexpected character '$'"),
        ("a.", "e:1:2: error: unexpected character '.'"),
        ("min(a, b", "e:1:9: error: unexpected end of expression; expected ')' to close the arguments of min(…)"),
        ("x in [1, ]", "e:1:10: error: unexpected ']' where a value was expected"),
        ("x in [, 1]", "e:1:7: error: unexpected ',' where a value was expected"),
        ("x in [1 2]", "e:1:9: error: unexpected number 2; expected ']' to close the list"),
        ("x in 1", "e:1:6: error: unexpected number 1; expected '[' to open the list after 'in'"),
        ("if a then b", "e:1:12: error: unexpected end of expression; expected 'else' after 'if … then …'"),
        ("if a else b", "e:1:6: error: unexpected 'else'; expected 'then' after the condition of 'if'"),
        ("not", "e:1:4: error: unexpected end of expression where a value was expected"),
        ("f(a,)", "e:1:5: error: unexpected ')' where a value was expected"),
    ]

    @Test(arguments: errors)
    func refuses(_ text: String, _ expected: String) {
        switch Self.parse(text) {
        case .success(let expression): Issue.record("parsed as \(Self.tree(expression))")
        case .failure(let diagnostic): #expect(diagnostic.description == expected)
        }
    }

    @Test func anUnclosedParenthesisNotesWhereItOpened() {
        guard case .failure(let diagnostic) = Self.parse("(a and (b or c)") else {
            Issue.record("parsed")
            return
        }
        #expect(diagnostic.description == "e:1:16: error: unexpected end of expression; expected ')' to close '('")
        #expect(diagnostic.notes.map(\.description) == ["e:1:1: note: the '(' opened here"])
    }

    /// Sixty-three parentheses inside the whole expression make 64 levels, the most allowed.
    @Test(arguments: [(63, nil), (64, "e:1:65: error: expression nested more than 64 levels deep"),
                      // 10,000 of them are over the token cap, which is checked first, before any tree is built.
                      (10_000, "e:1:501: error: expression is too long: more than 500 words, numbers and operators; split it into named values")]
          as [(Int, String?)])
    func nestingIsCapped(_ depth: Int, _ expected: String?) {
        let text = String(repeating: "(", count: depth) + "x" + String(repeating: ")", count: depth)
        switch Self.parse(text) {
        case .success: #expect(expected == nil)
        case .failure(let diagnostic): #expect(diagnostic.description == expected)
        }
    }

    @Test(arguments: [(60, nil), (70, "e:1:65: error: expression nested more than 64 levels deep")] as [(Int, String?)])
    func unaryChainsAreCappedToo(_ count: Int, _ expected: String?) {
        let text = String(repeating: "-", count: count) + "x"
        switch Self.parse(text) {
        case .success: #expect(expected == nil)
        case .failure(let diagnostic): #expect(diagnostic.description == expected)
        }
    }
}
