/// An expression as written in a rule file (`amount * rate / (1 - (1 + rate) ** (-term_months))`),
/// each node with the place it was written.
public struct Expression: Sendable, Hashable, CustomStringConvertible {
    public enum UnaryOperator: String, Sendable, Hashable {
        case negate = "-"
        case not = "not"
    }

    public enum BinaryOperator: String, Sendable, Hashable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", power = "**"
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case and = "and", or = "or"

        var isComparison: Bool {
            switch self {
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: return true
            default: return false
            }
        }

        var isArithmetic: Bool {
            switch self {
            case .add, .subtract, .multiply, .divide, .remainder, .power: return true
            default: return false
            }
        }
    }

    public indirect enum Kind: Sendable, Hashable {
        case number(Double)
        case string(String)
        case boolean(Bool)
        case name(String)
        case call(String, [Expression])
        case unary(UnaryOperator, Expression)
        case binary(BinaryOperator, Expression, Expression)
        case conditional(Expression, Expression, Expression)
        /// `x in [a, b]`, or `x not in [a, b]` when negated.
        case membership(Expression, [Expression], negated: Bool)
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The expression printed back with only the parentheses its precedence needs, for explanations.
    public var description: String {
        switch kind {
        case .number(let value): return Expression.format(value)
        case .string(let text): return "\"\(text)\""
        case .boolean(let value): return value ? "true" : "false"
        case .name(let name): return name
        case .call(let name, let arguments): return "\(name)(\(arguments.map(\.description).joined(separator: ", ")))"
        case .unary(.negate, let operand): return "-" + operand.wrapped(above: precedence)
        case .unary(.not, let operand): return "not " + operand.wrapped(above: precedence - 1)
        case .binary(let op, let lhs, let rhs):
            // Left-associative operators keep an equal-precedence left operand bare; `**` the right one.
            let leftLimit = op == .power ? precedence : precedence - 1
            let rightLimit = op == .power ? precedence - 1 : precedence
            return "\(lhs.wrapped(above: leftLimit)) \(op.rawValue) \(rhs.wrapped(above: rightLimit))"
        case .conditional(let condition, let then, let otherwise):
            return "if \(condition) then \(then) else \(otherwise)"
        case .membership(let value, let list, let negated):
            return "\(value.wrapped(above: precedence)) \(negated ? "not in" : "in") [\(list.map(\.description).joined(separator: ", "))]"
        }
    }

    /// Binding strength, loosest first (see `ExpressionParser`).
    var precedence: Int {
        switch kind {
        case .conditional: return 0
        case .binary(.or, _, _): return 1
        case .binary(.and, _, _): return 2
        case .unary(.not, _): return 3
        case .membership: return 4
        case .binary(let op, _, _) where op.isComparison: return 4
        case .binary(.add, _, _), .binary(.subtract, _, _): return 5
        case .binary(.multiply, _, _), .binary(.divide, _, _), .binary(.remainder, _, _): return 6
        // A negative literal prints with its minus sign, so it binds like unary minus: `(-2) ** 2`.
        case .unary(.negate, _): return 7
        case .number(let value) where value < 0: return 7
        case .binary(.power, _, _): return 8
        default: return 9
        }
    }

    /// The text, in parentheses unless it binds more tightly than `limit`.
    private func wrapped(above limit: Int) -> String {
        precedence > limit ? description : "(\(description))"
    }

    /// Numbers as a person writes them: `400`, `0.12`, `inf`.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "missing" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Every name the expression reads, in order of first appearance (function names excluded).
    public var names: [String] {
        var result: [String] = []
        collectNames(into: &result)
        return result
    }

    private func collectNames(into result: inout [String]) {
        switch kind {
        case .number, .string, .boolean: break
        case .name(let name): if !result.contains(name) { result.append(name) }
        case .call(_, let arguments): arguments.forEach { $0.collectNames(into: &result) }
        case .unary(_, let operand): operand.collectNames(into: &result)
        case .binary(_, let lhs, let rhs): lhs.collectNames(into: &result); rhs.collectNames(into: &result)
        case .conditional(let a, let b, let c): [a, b, c].forEach { $0.collectNames(into: &result) }
        case .membership(let value, let list, _): value.collectNames(into: &result); list.forEach { $0.collectNames(into: &result) }
        }
    }
}
