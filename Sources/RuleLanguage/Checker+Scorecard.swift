extension CheckerState {
    mutating func checkScorecard() -> CheckedScorecard? {
        guard let declaration = ast.scorecard else { return nil }
        var characteristics: [CheckedCharacteristic] = []
        var seen: [String: SourceLocation] = [:]
        if declaration.characteristics.isEmpty { error("the scorecard has no characteristics", at: declaration.location) }
        for characteristic in declaration.characteristics {
            if let first = seen[characteristic.name] {
                error("characteristic '\(characteristic.name)' is declared twice", at: characteristic.location,
                      notes: [.note("first declared here", at: first)])
                continue
            }
            seen[characteristic.name] = characteristic.location
            if let checked = checkCharacteristic(characteristic) { characteristics.append(checked) }
        }
        return CheckedScorecard(base: declaration.base, maximumReasons: declaration.maximumReasons, characteristics: characteristics)
    }

    private mutating func checkCharacteristic(_ declaration: CharacteristicDeclaration) -> CheckedCharacteristic? {
        let context = ExpressionContext(what: "characteristic '\(declaration.name)'", allowsScore: false)
        var value: TypedExpression?
        if let source = declaration.value {
            guard let typed = typeCheck(source, context) else { return nil }
            guard typed.type == .number || typed.type == .boolean || { if case .enumeration = typed.type { return true }; return false }() else {
                error("a characteristic's value must be a number, boolean or enum; this is \(typed.type.phrase)", at: source.location)
                return nil
            }
            value = typed
        }
        if declaration.bins.isEmpty { error("characteristic '\(declaration.name)' has no bins", at: declaration.location) }
        var bins: [CheckedBin] = []
        var hasMissingBin = false, hasOtherwise = false
        for bin in declaration.bins {
            if hasOtherwise {
                error("this bin can never match: an 'otherwise' bin comes before it", at: bin.location)
            }
            let test: CheckedBin.Test
            switch bin.test {
            case .condition(let source):
                guard let typed = typeCheck(source, context), expect(typed, .boolean, "a bin's 'when'") else { continue }
                test = .condition(typed, source)
            case .otherwise:
                hasOtherwise = true
                test = .otherwise
            case .missing, .range, .equals:
                guard let value else {
                    error("this bin tests the characteristic's value, but '\(declaration.name)' has no 'value'", at: bin.location)
                    continue
                }
                guard let checked = valueTest(bin.test, of: value, at: bin.location) else { continue }
                if case .missing = checked {
                    hasMissingBin = true
                    if !value.mayBeMissing { warning("this 'missing' bin never matches: the value is never missing", at: bin.location) }
                }
                test = checked
            }
            bins.append(CheckedBin(test: test, points: bin.points, reason: bin.reason, location: bin.location))
        }
        if let value {
            if value.mayBeMissing, !hasMissingBin, !hasOtherwise {
                // Name the optional fields that make it missing: the analyst may have expected a default.
                let optional = fieldReads(of: value).filter { !fields[$0].required && fields[$0].defaultValue == nil }.map { "'\(fields[$0].path)'" }
                let why = optional.isEmpty ? "its value can be missing"
                    : "\(optional.joined(separator: " and ")) \(optional.count == 1 ? "is" : "are") optional with no default"
                error("characteristic '\(declaration.name)' has no bin for a missing value; \(why), so add a 'missing: true' bin", at: declaration.location)
            }
            if value.type == .number, !hasOtherwise { lintCoverage(of: value, bins: bins, name: declaration.name, at: declaration.location) }
        }
        let maximum = bins.map(\.points).max() ?? 0
        return CheckedCharacteristic(name: declaration.name, value: value, source: declaration.value, bins: bins,
                                     maximumPoints: maximum, location: declaration.location)
    }

    private mutating func valueTest(_ test: BinDeclaration.Test, of value: TypedExpression, at location: SourceLocation) -> CheckedBin.Test? {
        switch test {
        case .missing: return .missing
        case .range(let interval):
            guard value.type == .number else {
                error("range bins need a number value; this characteristic's value is \(value.type.phrase)", at: location)
                return nil
            }
            return .range(interval)
        case .equals(let literal):
            switch (literal, value.type) {
            case (.number(let number), .number): return .equals(number)
            case (.boolean(let flag), .boolean): return .equals(flag ? 1 : 0)
            case (.string(let text), .enumeration(let values)):
                guard let ordinal = ordinal(of: text, in: values, at: location, value) else { return nil }
                return .equals(Double(ordinal))
            default:
                error("this bin's 'equals' does not match the characteristic's value type (\(value.type.phrase))", at: location)
                return nil
            }
        default: return nil
        }
    }

    /// Range and equality bins must not overlap, must leave no gap between them, and must cover the value's
    /// possible range (an error for a field's declared range, a warning for a computed value's estimate).
    private mutating func lintCoverage(of value: TypedExpression, bins: [CheckedBin], name: String, at location: SourceLocation) {
        let integral = ValueBounds.isIntegral(value, fields: fields)
        var pieces: [(interval: Interval, label: String, location: SourceLocation)] = []
        for bin in bins {
            switch bin.test {
            case .range(let interval): pieces.append((interval, "bin \(interval)", bin.location))
            case .equals(let number):
                let point = Interval(lower: number, lowerInclusive: true, upper: number, upperInclusive: true)
                pieces.append((point, "the 'equals: \(Expression.format(number))' bin", bin.location))
            default: continue
            }
        }
        let hasConditionBins = bins.contains { if case .condition = $0.test { return true }; return false }
        guard !pieces.isEmpty else { return }
        for i in pieces.indices {
            for j in pieces.indices where j > i {
                // Say which values both bins take; an integer value overlaps only where a whole number lies.
                guard case .interval(let both)? = RouteAnalysis.intersect(["x": .interval([pieces[i].interval])], ["x": .interval([pieces[j].interval])])?["x"],
                      let overlap = both.first,
                      let shared = Self.span(from: overlap.lower, overlap.lowerInclusive, to: overlap.upper, overlap.upperInclusive, integral: integral) else { continue }
                error("\(pieces[j].label) of '\(name)' overlaps \(pieces[i].label): \(Self.describe(shared)) both", at: pieces[j].location,
                      notes: [.note("the other bin", at: pieces[i].location)])
            }
        }
        guard !hasConditionBins else { return }
        let sorted = pieces.sorted { a, b in
            a.interval.lower < b.interval.lower || (a.interval.lower == b.interval.lower && a.interval.lowerInclusive && !b.interval.lowerInclusive)
        }
        // Sweep in order of lower bounds, keeping how far the bins so far reach; a gap is reported at the bin
        // after it, where the fix goes.
        var reach = (upper: sorted[0].interval.upper, inclusive: sorted[0].interval.upperInclusive)
        for piece in sorted.dropFirst() {
            if let gap = Self.span(from: reach.upper, !reach.inclusive, to: piece.interval.lower, !piece.interval.lowerInclusive, integral: integral) {
                error("the bins of '\(name)' leave a gap: \(Self.describe(gap)) no bin", at: piece.location)
            }
            if piece.interval.upper > reach.upper || (piece.interval.upper == reach.upper && piece.interval.upperInclusive) {
                reach = (piece.interval.upper, piece.interval.upperInclusive)
            }
        }
        let domain = ValueBounds.bounds(of: value, fields: fields, values: values)
        let declared: Bool
        if case .field(let index) = value.kind, fields[index].range != nil { declared = true } else { declared = false }
        let first = sorted.first!, last = sorted.max { $0.interval.upper < $1.interval.upper || ($0.interval.upper == $1.interval.upper && !$0.interval.upperInclusive) }!
        var uncovered: [(gap: Interval, location: SourceLocation)] = []
        if let below = Self.span(from: domain.lower, domain.lowerInclusive, to: first.interval.lower, !first.interval.lowerInclusive, integral: integral) {
            uncovered.append((below, first.location))
        }
        if let above = Self.span(from: last.interval.upper, !last.interval.upperInclusive, to: domain.upper, domain.upperInclusive, integral: integral) {
            uncovered.append((above, last.location))
        }
        for (gap, at) in uncovered {
            if declared {
                error("the bins of '\(name)' do not cover its range \(domain): \(Self.describe(gap)) no bin", at: at)
            } else {
                warning("the bins of '\(name)' may not cover its value: \(Self.describe(gap)) no bin and would score 0 points; add a bin or an 'otherwise' bin", at: at)
            }
        }
    }

    /// The values from one bound to another (each end included or not), if any: none for integers when only
    /// fractions lie between, and none when only an infinity does, since no value is infinite.
    static func span(from lower: Double, _ lowerInclusive: Bool, to upper: Double, _ upperInclusive: Bool, integral: Bool) -> Interval? {
        let gap = Interval(lower: lower, lowerInclusive: lowerInclusive, upper: upper, upperInclusive: upperInclusive)
        if gap.isEmpty || (gap.lower == gap.upper && gap.lower.isInfinite) { return nil }
        if integral {
            let lowest = gap.lowerInclusive ? gap.lower.rounded(.up) : (gap.lower + 1).rounded(.down)
            let highest = gap.upperInclusive ? gap.upper.rounded(.down) : (gap.upper - 1).rounded(.up)
            if lowest > highest { return nil }
        }
        return gap
    }

    /// "the value 700 matches" or "values in [580, 600) match", to be followed by "no bin" or "both".
    static func describe(_ gap: Interval) -> String {
        gap.lower == gap.upper ? "the value \(Expression.format(gap.lower)) matches" : "values in \(gap) match"
    }
}
