import RuleLanguage

extension Evaluator {
    /// Validation, then values, scorecard, knock-outs and routing, on the decoded registers. Everything it
    /// reads and writes is `Slots` memory (see `Program`): this runs for every application.
    func run() -> Outcome {
        errors.removeAll()
        knockouts.removeAll()
        reasons.removeAll()
        score = .nan
        grade = -1
        route = -1
        let p = program
        let r = registers.base
        let code = UnsafePointer(p.code.base), pool = UnsafePointer(p.pool.base)
        validateFields(p, r)
        runChecks(p, r, code: code, pool: pool)
        if !errors.isEmpty {
            outcome = .invalid
            return .invalid
        }
        interpret(p.valuesRange, code: code, pool: pool, registers: r)
        if p.hasScorecard { scoreCard(p, r, code: code, pool: pool) }
        for index in 0..<p.knockoutRanges.count {
            let range = p.knockoutRanges[index]
            interpret(range, code: code, pool: pool, registers: r)
            if r[Int(range.result)] == 1 { knockouts.append(Int32(index)) }
        }
        if !knockouts.isEmpty {
            outcome = .declined
            return .declined
        }
        var decided = Outcome.referred
        for index in 0..<p.routeRanges.count {
            if let range = p.routeRanges[index] {
                interpret(range, code: code, pool: pool, registers: r)
                guard r[Int(range.result)] == 1 else { continue }
            }
            route = Int32(index)
            decided = p.routeOutcomes[index]
            break
        }
        outcome = decided
        return decided
    }

    /// The schema's own checks, field by field in declaration order: required, type, format/enum, range.
    /// A field that fails is marked and its register made missing, so later checks skip or ignore it.
    private func validateFields(_ p: Program, _ r: UnsafeMutablePointer<Double>) {
        let fieldCount = p.fieldCount
        let states = fieldStates.base, failed = self.failed.base
        for field in 0..<fieldCount {
            if let kind = p.validate(field: field, state: states[field], value: &r[field], mask: &r[fieldCount + field]) {
                failed[field] = true
                errors.append(p.errorReference(kind, field: field))
            } else {
                failed[field] = false
            }
        }
    }

    /// Cross-field checks, each only when every field it reads passed its own checks.
    private func runChecks(_ p: Program, _ r: UnsafeMutablePointer<Double>, code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>) {
        let failed = UnsafePointer(self.failed.base)
        for index in 0..<p.checkRanges.count where p.readable(check: index, failed: failed, stride: 1) {
            let range = p.checkRanges[index]
            interpret(range, code: code, pool: pool, registers: r)
            if r[Int(range.result)] == 1 { errors.append(Int32(index)) }
        }
    }

    /// Points per characteristic (first matching bin), the score, the grade and the reasons.
    private func scoreCard(_ p: Program, _ r: UnsafeMutablePointer<Double>, code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>) {
        var total = p.base
        let bins = p.bins.base, starts = p.binStarts.base, matchedBins = self.matchedBins.base
        for characteristic in 0..<p.characteristicValues.count {
            let valueRegister = Int(p.characteristicValues[characteristic])
            let value = valueRegister >= 0 ? r[valueRegister] : .nan
            var matched: Int32 = -1
            var index = Int(starts[characteristic])
            let end = Int(starts[characteristic + 1])
            while index < end {
                let bin = bins[index]
                if bin.isCondition { interpret(bin.condition, code: code, pool: pool, registers: r) }
                if bin.matches(value, condition: r[Int(bin.condition.result)]) {
                    matched = Int32(index)
                    total += bin.points
                    break
                }
                index += 1
            }
            matchedBins[characteristic] = matched
        }
        reasons.count = p.rankReasons(matched: matchedBins, into: reasons.base)
        score = total
        r[p.scoreRegister] = total
        grade = p.grade(for: total)
        r[p.gradeRegister] = grade >= 0 ? Double(grade) : .nan
    }
}
