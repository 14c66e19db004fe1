/// Finds first-match rows that can never match: rows after a catch-all, rows whose condition is never true,
/// and rows every case of which an earlier row already takes. Conditions become a disjunction of boxes
/// (a constraint per subject: an interval for numbers, a set of ordinals for enums, true/false for any other
/// boolean); a row is unreachable when each of its boxes lies inside an earlier box. The analysis is sound —
/// it never calls a reachable row unreachable — but it may miss a row covered only by several rows together.
enum RouteAnalysis {
    enum Constraint: Equatable {
        case interval([Interval])
        case ordinals(Set<Int>)
        case truth(Bool)
    }

    typealias Box = [String: Constraint]

    static let maximumBoxes = 256

    static func unreachable(_ routes: [CheckedRoute]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var earlier: [(route: String, box: Box)] = []
        var catchAll: String?
        for route in routes {
            if let catchAll {
                diagnostics.append(.error("route \(route.id) can never match (\(catchAll) before it matches everything)", at: route.location))
                continue
            }
            guard let condition = route.condition else {
                catchAll = route.id
                continue
            }
            guard let boxes = disjunction(condition, negated: false) else { continue }
            if boxes.isEmpty {
                diagnostics.append(.error("route \(route.id) can never match: its condition is never true", at: route.location))
                continue
            }
            var coveringRoutes: [String] = []
            let covered = boxes.allSatisfy { box in
                guard let cover = earlier.first(where: { contains($0.box, box) }) else { return false }
                if !coveringRoutes.contains(cover.route) { coveringRoutes.append(cover.route) }
                return true
            }
            if covered {
                diagnostics.append(.error("route \(route.id) can never match (\(coveringRoutes.joined(separator: ", ")) cover\(coveringRoutes.count == 1 ? "s" : "") it)", at: route.location))
                continue
            }
            if boxes.contains(where: \.isEmpty) { catchAll = route.id }
            earlier += boxes.map { (route.id, $0) }
        }
        return diagnostics
    }

    /// Whether every case of `inner` is a case of `outer`.
    static func contains(_ outer: Box, _ inner: Box) -> Bool {
        outer.allSatisfy { subject, constraint in
            guard let other = inner[subject] else { return false }
            return isSubset(other, of: constraint)
        }
    }

    static func isSubset(_ a: Constraint, of b: Constraint) -> Bool {
        switch (a, b) {
        case (.truth(let x), .truth(let y)): return x == y
        case (.ordinals(let x), .ordinals(let y)): return x.isSubset(of: y)
        case (.interval(let x), .interval(let y)):
            return x.allSatisfy { piece in y.contains { covers($0, piece) } }
        default: return false
        }
    }

    static func covers(_ outer: Interval, _ inner: Interval) -> Bool {
        let lowerOK = outer.lower < inner.lower || (outer.lower == inner.lower && (outer.lowerInclusive || !inner.lowerInclusive))
        let upperOK = outer.upper > inner.upper || (outer.upper == inner.upper && (outer.upperInclusive || !inner.upperInclusive))
        return lowerOK && upperOK
    }

    /// The condition (or its negation) as boxes; nil when too large to analyse.
    static func disjunction(_ e: TypedExpression, negated: Bool) -> [Box]? {
        switch e.kind {
        case .binary(.and, let a, let b), .binary(.or, let a, let b):
            let isAnd: Bool
            if case .binary(.and, _, _) = e.kind { isAnd = !negated } else { isAnd = negated }
            guard let left = disjunction(a, negated: negated), let right = disjunction(b, negated: negated) else { return nil }
            if !isAnd { return left.count + right.count > maximumBoxes ? nil : left + right }
            guard left.count * right.count <= maximumBoxes else { return nil }
            var result: [Box] = []
            for x in left { for y in right { if let merged = intersect(x, y) { result.append(merged) } } }
            return result
        case .unary(.not, let operand):
            return disjunction(operand, negated: !negated)
        case .constant(let value):
            return (value != 0) != negated ? [[:]] : []
        case .binary(let op, let lhs, let rhs) where op.isComparison:
            if case .enumeration(let values) = lhs.type, case .constant(let ordinal) = rhs.kind, op == .equal || op == .notEqual {
                let isEqual = (op == .equal) != negated
                let set: Set<Int> = isEqual ? [Int(ordinal)] : Set(values.indices).subtracting([Int(ordinal)])
                return [[key(lhs): .ordinals(set)]]
            }
            if lhs.type == .number, let interval = comparison(op, lhs: lhs, rhs: rhs, negated: negated) {
                return [interval]
            }
        case .enumMembership(let operand, let ordinals, let isNegated):
            guard case .enumeration(let values) = operand.type else { break }
            let set = Set(ordinals)
            return [[key(operand): .ordinals(isNegated != negated ? Set(values.indices).subtracting(set) : set)]]
        default:
            break
        }
        return [[key(e): .truth(!negated)]]
    }

    private static func comparison(_ op: Expression.BinaryOperator, lhs: TypedExpression, rhs: TypedExpression, negated: Bool) -> Box? {
        var op = op
        var subject = lhs
        let bound: Double
        if case .constant(let value) = rhs.kind {
            bound = value
        } else if case .constant(let value) = lhs.kind {
            bound = value
            subject = rhs
            switch op {
            case .less: op = .greater
            case .lessOrEqual: op = .greaterOrEqual
            case .greater: op = .less
            case .greaterOrEqual: op = .lessOrEqual
            default: break
            }
        } else {
            return nil
        }
        if negated {
            switch op {
            case .less: op = .greaterOrEqual
            case .lessOrEqual: op = .greater
            case .greater: op = .lessOrEqual
            case .greaterOrEqual: op = .less
            case .equal: op = .notEqual
            case .notEqual: op = .equal
            default: return nil
            }
        }
        let pieces: [Interval]
        switch op {
        case .less: pieces = [Interval(lower: -.infinity, lowerInclusive: true, upper: bound, upperInclusive: false)]
        case .lessOrEqual: pieces = [Interval(lower: -.infinity, lowerInclusive: true, upper: bound, upperInclusive: true)]
        case .greater: pieces = [Interval(lower: bound, lowerInclusive: false, upper: .infinity, upperInclusive: true)]
        case .greaterOrEqual: pieces = [Interval(lower: bound, lowerInclusive: true, upper: .infinity, upperInclusive: true)]
        case .equal: pieces = [Interval(lower: bound, lowerInclusive: true, upper: bound, upperInclusive: true)]
        case .notEqual:
            pieces = [Interval(lower: -.infinity, lowerInclusive: true, upper: bound, upperInclusive: false),
                      Interval(lower: bound, lowerInclusive: false, upper: .infinity, upperInclusive: true)]
        default: return nil
        }
        return [key(subject): .interval(pieces.filter { !$0.isEmpty })]
    }

    /// Both boxes at once; nil when they contradict.
    static func intersect(_ a: Box, _ b: Box) -> Box? {
        var result = a
        for (subject, constraint) in b {
            guard let existing = result[subject] else {
                result[subject] = constraint
                continue
            }
            switch (existing, constraint) {
            case (.truth(let x), .truth(let y)):
                if x != y { return nil }
            case (.ordinals(let x), .ordinals(let y)):
                let both = x.intersection(y)
                if both.isEmpty { return nil }
                result[subject] = .ordinals(both)
            case (.interval(let x), .interval(let y)):
                var pieces: [Interval] = []
                for p in x { for q in y {
                    let lower = p.lower > q.lower ? (p.lower, p.lowerInclusive) : q.lower > p.lower ? (q.lower, q.lowerInclusive) : (p.lower, p.lowerInclusive && q.lowerInclusive)
                    let upper = p.upper < q.upper ? (p.upper, p.upperInclusive) : q.upper < p.upper ? (q.upper, q.upperInclusive) : (p.upper, p.upperInclusive && q.upperInclusive)
                    let piece = Interval(lower: lower.0, lowerInclusive: lower.1, upper: upper.0, upperInclusive: upper.1)
                    if !piece.isEmpty { pieces.append(piece) }
                } }
                if pieces.isEmpty { return nil }
                result[subject] = .interval(pieces)
            default:
                return nil
            }
        }
        return result
    }

    /// A location-free name for a subexpression, so that the same subject written twice is one subject.
    static func key(_ e: TypedExpression) -> String {
        switch e.kind {
        case .constant(let value): return "c\(value)"
        case .field(let index): return "f\(index)"
        case .value(let index): return "v\(index)"
        case .score: return "score"
        case .grade: return "grade"
        case .table(let index, let argument): return "t\(index)(\(key(argument)))"
        case .unary(let op, let operand): return "\(op.rawValue)(\(key(operand)))"
        case .binary(let op, let a, let b): return "(\(key(a)) \(op.rawValue) \(key(b)))"
        case .conditional(let a, let b, let c): return "if(\(key(a)),\(key(b)),\(key(c)))"
        case .enumMembership(let operand, let ordinals, let negated): return "in(\(key(operand)),\(ordinals),\(negated))"
        case .numberMembership(let operand, let numbers, let negated): return "in(\(key(operand)),\(numbers),\(negated))"
        case .contains(let field, let bit): return "contains(f\(field),\(bit))"
        case .call(let function, let arguments): return "\(function.rawValue)(\(arguments.map(key).joined(separator: ",")))"
        }
    }
}
