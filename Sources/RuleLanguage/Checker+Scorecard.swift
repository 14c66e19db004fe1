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
                error("a characteristic's value must be a number, boolean or enum; this is \(typed.type)", at: source.location)
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
                error("characteristic '\(declaration.name)' has no bin for a missing value; add a 'missing: true' bin", at: declaration.location)
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
                error("range bins need a number value; this characteristic's value is \(value.type)", at: location)
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
                error("this bin's 'equals' does not match the characteristic's value type (\(value.type))", at: location)
                return nil
            }
        default: return nil
        }
    }

    /// Range and equality bins must not overlap, must leave no gap between them, and must cover the value's
    /// possible range (an error for a field's declared range, a warning for a computed value's estimate).
    private mutating func lintCoverage(of value: TypedExpression, bins: [CheckedBin], name: String, at location: SourceLocation) {
        let integral = ValueBounds.isIntegral(value, fields: fields)
        var pieces: [(interval: Interval, location: SourceLocation)] = []
        for bin in bins {
            switch bin.test {
            case .range(let interval): pieces.append((interval, bin.location))
            case .equals(let number): pieces.append((Interval(lower: number, lowerInclusive: true, upper: number, upperInclusive: true), bin.location))
            default: continue
            }
        }
        let hasConditionBins = bins.contains { if case .condition = $0.test { return true }; return false }
        guard !pieces.isEmpty else { return }
        for i in pieces.indices {
            for j in pieces.indices where j > i {
                if let overlap = RouteAnalysis.intersect(["x": .interval([pieces[i].interval])], ["x": .interval([pieces[j].interval])]) {
                    _ = overlap
                    error("bin \(pieces[j].interval) of '\(name)' overlaps bin \(pieces[i].interval)", at: pieces[j].location,
                          notes: [.note("the other bin", at: pieces[i].location)])
                }
            }
        }
        guard !hasConditionBins else { return }
        let sorted = pieces.map(\.interval).sorted { $0.lower < $1.lower || ($0.lower == $1.lower && $0.lowerInclusive && !$1.lowerInclusive) }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            if let gap = Self.gap(after: a, before: b, integral: integral) {
                error("the bins of '\(name)' leave a gap: values in \(gap) match no bin", at: location)
            }
        }
        let domain = ValueBounds.bounds(of: value, fields: fields, values: values)
        let declared: Bool
        if case .field(let index) = value.kind, fields[index].range != nil { declared = true } else { declared = false }
        let first = sorted.first!, last = sorted.last!
        var uncovered: [Interval] = []
        if let below = Self.gap(after: Interval(lower: domain.lower, lowerInclusive: domain.lowerInclusive, upper: domain.lower, upperInclusive: domain.lowerInclusive),
                                before: first, integral: integral, allowOutside: true) {
            uncovered.append(below)
        }
        if let above = Self.gap(after: last, before: Interval(lower: domain.upper, lowerInclusive: domain.upperInclusive, upper: domain.upper, upperInclusive: domain.upperInclusive),
                                integral: integral, allowOutside: true) {
            uncovered.append(above)
        }
        for gap in uncovered {
            if declared {
                error("the bins of '\(name)' do not cover its range \(domain): values in \(gap) match no bin", at: location)
            } else {
                warning("values of '\(name)' in \(gap) would match no bin and score 0 points; add a bin or an 'otherwise' bin", at: location)
            }
        }
    }

    /// The values strictly between two intervals, if any (none for integers when only fractions lie between).
    static func gap(after a: Interval, before b: Interval, integral: Bool, allowOutside: Bool = false) -> Interval? {
        if a.upper.isInfinite && a.upper > 0 { return nil }
        if b.lower.isInfinite && b.lower < 0 { return nil }
        let gap = Interval(lower: a.upper, lowerInclusive: !a.upperInclusive, upper: b.lower, upperInclusive: !b.lowerInclusive)
        if gap.isEmpty { return nil }
        if allowOutside, a.upper.isInfinite || b.lower.isInfinite {
            if gap.lower == gap.upper { return nil }
        }
        if integral {
            let lowest = gap.lowerInclusive ? gap.lower.rounded(.up) : (gap.lower + 1).rounded(.down)
            let highest = gap.upperInclusive ? gap.upper.rounded(.down) : (gap.upper - 1).rounded(.up)
            if lowest > highest { return nil }
        }
        return gap
    }
}
