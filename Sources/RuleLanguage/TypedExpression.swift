/// An expression after checking: names resolved to indices, literals to slot values, each node typed.
/// A node may evaluate to *missing* (an absent optional field, or arithmetic on one); `mayBeMissing` says
/// whether that can happen.
public struct TypedExpression: Sendable, Hashable {
    public enum Function: String, Sendable, Hashable, CaseIterable {
        case min, max, abs, round, floor, ceil, exists, contains, len, coalesce
    }

    public indirect enum Kind: Sendable, Hashable {
        /// A number, 0/1 for a boolean, or an enum ordinal.
        case constant(Double)
        case field(Int)
        case value(Int)
        case score
        case grade
        case table(Int, TypedExpression)
        case unary(Expression.UnaryOperator, TypedExpression)
        case binary(Expression.BinaryOperator, TypedExpression, TypedExpression)
        case conditional(TypedExpression, TypedExpression, TypedExpression)
        /// Whether an enum ordinal is one of `ordinals`.
        case enumMembership(TypedExpression, ordinals: [Int], negated: Bool)
        /// Whether a number equals one of a list of constants.
        case numberMembership(TypedExpression, [Double], negated: Bool)
        /// Whether a list field holds the constant with the given bit.
        case contains(field: Int, bit: Int)
        case call(Function, [TypedExpression])
    }

    public var kind: Kind
    public var type: ValueType
    public var mayBeMissing: Bool
    public var location: SourceLocation

    /// The expressions this one is made of, in evaluation order (none for a leaf).
    public var operands: [TypedExpression] {
        switch kind {
        case .constant, .field, .value, .score, .grade, .contains: return []
        case .table(_, let key): return [key]
        case .unary(_, let operand): return [operand]
        case .binary(_, let lhs, let rhs): return [lhs, rhs]
        case .conditional(let condition, let then, let otherwise): return [condition, then, otherwise]
        case .enumMembership(let operand, _, _), .numberMembership(let operand, _, _): return [operand]
        case .call(_, let arguments): return arguments
        }
    }

    public init(_ kind: Kind, type: ValueType, mayBeMissing: Bool, at location: SourceLocation) {
        self.kind = kind
        self.type = type
        self.mayBeMissing = mayBeMissing
        self.location = location
    }
}
