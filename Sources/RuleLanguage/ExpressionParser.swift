/// Parses expression text into an `Expression` tree. Precedence, loosest first:
///
///     if … then … else …
///     or
///     and
///     not
///     ==  !=  <  <=  >  >=  in  not in      (no chains: `a < b < c` is an error)
///     +  -
///     *  /  %
///     unary -
///     **                                     (right-associative: 2 ** 3 ** 2 = 2 ** 9)
///     literals, names, calls f(x, y), ( … ), [ … ]
public struct ExpressionParser {
    public static let keywords: Set<String> = ["and", "or", "not", "in", "if", "then", "else", "true", "false", "inf"]

    /// Tokens in one expression. Operators chain without nesting (`a + a + a …`), so the nesting cap alone
    /// does not bound the tree's height; this does, and with it the recursion of every later pass over the
    /// tree (checking, compiling, printing, freeing). A 64 KiB scalar of `1+1+…` would otherwise be 32k deep
    /// and overflow an 8 MiB stack; 500 tokens make at most 250 levels. The longest reference rule has 35.
    public static let maximumTokens = 500

    private var lexemes: [ExpressionLexer.Lexeme]
    private var position = 0
    private let locate: (Int) -> SourceLocation
    private var depth = 0

    /// Parses `text`; `locate` turns an offset in `text` (Unicode scalars) into a place in the rule file.
    public static func parse(_ text: String, locate: @escaping (Int) -> SourceLocation) -> Result<Expression, Diagnostic> {
        switch ExpressionLexer.tokenize(text) {
        case .failure(let failure):
            return .failure(.error(failure.message, at: locate(failure.offset)))
        case .success(let lexemes):
            if lexemes.count > maximumTokens + 1 {
                return .failure(.error("expression is too long: more than \(maximumTokens) words, numbers and operators; split it into named values",
                                       at: locate(lexemes[maximumTokens].offset)))
            }
            var parser = ExpressionParser(lexemes: lexemes, locate: locate)
            do {
                let expression = try parser.parseExpression()
                if parser.current.token != .end {
                    throw parser.unexpected("after the end of the expression")
                }
                return .success(expression)
            } catch let diagnostic as Diagnostic {
                return .failure(diagnostic)
            } catch {
                return .failure(.error("\(error)", at: locate(0)))
            }
        }
    }

    private init(lexemes: [ExpressionLexer.Lexeme], locate: @escaping (Int) -> SourceLocation) {
        self.lexemes = lexemes
        self.locate = locate
    }

    private var current: ExpressionLexer.Lexeme { lexemes[position] }
    private var here: SourceLocation { locate(current.offset) }

    private mutating func advance() { if position < lexemes.count - 1 { position += 1 } }

    private func isKeyword(_ word: String) -> Bool { current.token == .identifier(word) }
    private func isSymbol(_ symbol: String) -> Bool { current.token == .symbol(symbol) }

    private func unexpected(_ context: String) -> Diagnostic {
        let what: String
        switch current.token {
        case .end: what = "end of expression"
        case .number(let value): what = "number \(Expression.format(value))"
        case .string(let text): what = "string \"\(text)\""
        case .identifier(let name): what = "'\(name)'"
        case .symbol(let symbol): what = "'\(symbol)'"
        }
        return .error("unexpected \(what)\(context.hasPrefix(";") ? "" : " ")\(context)", at: here)
    }

    private mutating func expectSymbol(_ symbol: String, _ context: String) throws {
        guard isSymbol(symbol) else { throw unexpected("; expected '\(symbol)' \(context)") }
        advance()
    }

    private mutating func expectKeyword(_ word: String, _ context: String) throws {
        guard isKeyword(word) else { throw unexpected("; expected '\(word)' \(context)") }
        advance()
    }

    private mutating func nested<T>(_ body: (inout ExpressionParser) throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        if depth > 64 { throw Diagnostic.error("expression nested more than 64 levels deep", at: here) }
        return try body(&self)
    }

    mutating func parseExpression() throws -> Expression {
        try nested { parser in
            if parser.isKeyword("if") {
                let start = parser.here
                parser.advance()
                let condition = try parser.parseExpression()
                try parser.expectKeyword("then", "after the condition of 'if'")
                let then = try parser.parseExpression()
                try parser.expectKeyword("else", "after 'if … then …'")
                let otherwise = try parser.parseExpression()
                return Expression(.conditional(condition, then, otherwise), at: start)
            }
            return try parser.parseOr()
        }
    }

    private mutating func parseOr() throws -> Expression {
        var lhs = try parseAnd()
        while isKeyword("or") {
            let at = here
            advance()
            lhs = Expression(.binary(.or, lhs, try parseAnd()), at: at)
        }
        return lhs
    }

    private mutating func parseAnd() throws -> Expression {
        var lhs = try parseNot()
        while isKeyword("and") {
            let at = here
            advance()
            lhs = Expression(.binary(.and, lhs, try parseNot()), at: at)
        }
        return lhs
    }

    private mutating func parseNot() throws -> Expression {
        if isKeyword("not") {
            let at = here
            advance()
            let operand = try nested { try $0.parseNot() }
            return Expression(.unary(.not, operand), at: at)
        }
        return try parseComparison()
    }

    private static let comparisons: [String: Expression.BinaryOperator] = [
        "==": .equal, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    private mutating func parseComparison() throws -> Expression {
        let lhs = try parseAdditive()
        var result = lhs
        if case .symbol(let symbol) = current.token, let op = Self.comparisons[symbol] {
            let at = here
            advance()
            result = Expression(.binary(op, lhs, try parseAdditive()), at: at)
        } else if isKeyword("in") || (isKeyword("not") && lexemes[position + 1].token == .identifier("in")) {
            let at = here
            let negated = isKeyword("not")
            advance()
            if negated { advance() }
            result = Expression(.membership(lhs, try parseList(), negated: negated), at: at)
        } else {
            return lhs
        }
        if case .symbol(let symbol) = current.token, let second = Self.comparisons[symbol] {
            let at = here
            advance()
            // Spell the fix with the analyst's own operands: `18 <= age <= 75` → `18 <= age and age <= 75`.
            if case .binary(let first, let a, let b) = result.kind, let c = try? parseAdditive() {
                throw Diagnostic.error("comparisons cannot be chained; write '\(a) \(first.rawValue) \(b) and \(b) \(second.rawValue) \(c)'", at: at)
            }
            throw Diagnostic.error("comparisons cannot be chained; write 'a < b and b < c'", at: at)
        }
        if isKeyword("in") || (isKeyword("not") && lexemes[position + 1].token == .identifier("in")) {
            throw Diagnostic.error("comparisons cannot be chained; join them with 'and'", at: here)
        }
        return result
    }

    private mutating func parseList() throws -> [Expression] {
        try expectSymbol("[", "to open the list after 'in'")
        var items: [Expression] = []
        if !isSymbol("]") {
            items.append(try parseAdditive())
            while isSymbol(",") {
                advance()
                items.append(try parseAdditive())
            }
        }
        try expectSymbol("]", "to close the list")
        return items
    }

    private mutating func parseAdditive() throws -> Expression {
        var lhs = try parseMultiplicative()
        while isSymbol("+") || isSymbol("-") {
            let op: Expression.BinaryOperator = isSymbol("+") ? .add : .subtract
            let at = here
            advance()
            lhs = Expression(.binary(op, lhs, try parseMultiplicative()), at: at)
        }
        return lhs
    }

    private mutating func parseMultiplicative() throws -> Expression {
        var lhs = try parseUnary()
        while isSymbol("*") || isSymbol("/") || isSymbol("%") {
            let op: Expression.BinaryOperator = isSymbol("*") ? .multiply : isSymbol("/") ? .divide : .remainder
            let at = here
            advance()
            lhs = Expression(.binary(op, lhs, try parseUnary()), at: at)
        }
        return lhs
    }

    private mutating func parseUnary() throws -> Expression {
        if isSymbol("-") {
            let at = here
            advance()
            let operand = try nested { try $0.parseUnary() }
            if case .number(let value) = operand.kind { return Expression(.number(-value), at: at) }
            return Expression(.unary(.negate, operand), at: at)
        }
        return try parsePower()
    }

    private mutating func parsePower() throws -> Expression {
        let base = try parsePrimary()
        if isSymbol("**") {
            let at = here
            advance()
            let exponent = try nested { try $0.parseUnary() }
            return Expression(.binary(.power, base, exponent), at: at)
        }
        return base
    }

    private mutating func parsePrimary() throws -> Expression {
        let at = here
        switch current.token {
        case .number(let value):
            advance()
            return Expression(.number(value), at: at)
        case .string(let text):
            advance()
            return Expression(.string(text), at: at)
        case .symbol("("):
            advance()
            let inner = try parseExpression()
            guard isSymbol(")") else {
                // In a long folded condition the '(' left open may be lines away from where parsing stopped.
                var diagnostic = unexpected("; expected ')' to close '('")
                diagnostic.notes = [.note("the '(' opened here", at: at)]
                throw diagnostic
            }
            advance()
            return inner
        case .identifier(let name):
            switch name {
            case "true", "false":
                advance()
                return Expression(.boolean(name == "true"), at: at)
            case "inf":
                advance()
                return Expression(.number(.infinity), at: at)
            case "and", "or", "not", "in", "then", "else", "if":
                throw unexpected("where a value was expected")
            default:
                advance()
                guard isSymbol("(") else { return Expression(.name(name), at: at) }
                advance()
                var arguments: [Expression] = []
                if !isSymbol(")") {
                    arguments.append(try parseExpression())
                    while isSymbol(",") {
                        advance()
                        arguments.append(try parseExpression())
                    }
                }
                try expectSymbol(")", "to close the arguments of \(name)(…)")
                return Expression(.call(name, arguments), at: at)
            }
        default:
            throw unexpected("where a value was expected")
        }
    }
}

extension Diagnostic: Error {}
