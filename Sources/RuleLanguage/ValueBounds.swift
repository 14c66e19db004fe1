/// A safe over-estimate of the values an expression can take, from declared field ranges and arithmetic.
/// Used only to lint scorecard coverage, so an estimate may be wider than the truth but never narrower.
enum ValueBounds {
    static let everything = Interval(lower: -.infinity, lowerInclusive: true, upper: .infinity, upperInclusive: true)

    static func isIntegral(_ e: TypedExpression, fields: [CheckedField]) -> Bool {
        switch e.kind {
        case .field(let index): return fields[index].type == .integer
        case .constant(let value): return value == value.rounded()
        case .binary(let op, let a, let b) where op == .add || op == .subtract || op == .multiply:
            return isIntegral(a, fields: fields) && isIntegral(b, fields: fields)
        default: return false
        }
    }

    static func bounds(of e: TypedExpression, fields: [CheckedField], values: [CheckedValue]) -> Interval {
        switch e.kind {
        case .constant(let value):
            return Interval(lower: value, lowerInclusive: true, upper: value, upperInclusive: true)
        case .field(let index):
            return fields[index].range ?? everything
        case .value(let index):
            return bounds(of: values[index].expression, fields: fields, values: values)
        case .unary(.negate, let operand):
            let b = bounds(of: operand, fields: fields, values: values)
            return Interval(lower: -b.upper, lowerInclusive: b.upperInclusive, upper: -b.lower, upperInclusive: b.lowerInclusive)
        case .binary(let op, let lhs, let rhs):
            let a = bounds(of: lhs, fields: fields, values: values), b = bounds(of: rhs, fields: fields, values: values)
            switch op {
            case .add: return closed(a.lower + b.lower, a.upper + b.upper)
            case .subtract: return closed(a.lower - b.upper, a.upper - b.lower)
            case .multiply where a.lower >= 0 && b.lower >= 0:
                return closed(a.lower * b.lower, a.upper * b.upper)
            case .divide where a.lower >= 0 && (b.lower > 0 || (b.lower == 0 && !b.lowerInclusive)):
                let lower = b.upper.isInfinite ? 0 : a.lower / b.upper
                return closed(lower, b.lower == 0 ? .infinity : a.upper / b.lower)
            default: return everything
            }
        case .conditional(_, let a, let b):
            let x = bounds(of: a, fields: fields, values: values), y = bounds(of: b, fields: fields, values: values)
            return closed(min(x.lower, y.lower), max(x.upper, y.upper))
        case .call(.abs, let arguments):
            let b = bounds(of: arguments[0], fields: fields, values: values)
            return closed(b.lower >= 0 ? b.lower : b.upper <= 0 ? -b.upper : 0, max(abs(b.lower), abs(b.upper)))
        case .call(.min, let arguments), .call(.max, let arguments):
            let all = arguments.map { bounds(of: $0, fields: fields, values: values) }
            if case .call(.min, _) = e.kind { return closed(all.map(\.lower).min()!, all.map(\.upper).min()!) }
            return closed(all.map(\.lower).max()!, all.map(\.upper).max()!)
        default:
            return everything
        }
    }

    private static func closed(_ lower: Double, _ upper: Double) -> Interval {
        guard !lower.isNaN, !upper.isNaN, lower <= upper else { return everything }
        return Interval(lower: lower, lowerInclusive: true, upper: upper, upperInclusive: true)
    }
}
