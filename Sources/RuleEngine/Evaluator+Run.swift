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
            var kind: SchemaError?
            switch states[field] {
            case .absent:
                if p.fieldRequired[field] {
                    kind = .required
                } else {
                    r[field] = p.fieldDefaults[field]
                    r[fieldCount + field] = p.fieldDefaultMasks[field]
                }
            case .typeError: kind = .type
            case .formatError: kind = .format
            case .enumError: kind = .enumeration
            case .present:
                if let range = p.fieldRanges[field], !range.contains(r[field]) { kind = .range }
            }
            if let kind {
                failed[field] = true
                r[field] = .nan
                r[fieldCount + field] = .nan
                errors.append(-Int32(kind.rawValue * fieldCount + field) - 1)
            } else {
                failed[field] = false
            }
        }
    }

    /// Cross-field checks, each only when every field it reads passed its own checks.
    private func runChecks(_ p: Program, _ r: UnsafeMutablePointer<Double>, code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>) {
        let failed = self.failed.base, reads = p.checkReads.base, starts = p.checkReadStarts.base
        for index in 0..<p.checkRanges.count {
            var readable = true
            var k = Int(starts[index])
            let end = Int(starts[index + 1])
            while k < end {
                if failed[Int(reads[k])] { readable = false; break }
                k += 1
            }
            guard readable else { continue }
            let range = p.checkRanges[index]
            interpret(range, code: code, pool: pool, registers: r)
            if r[Int(range.result)] == 1 { errors.append(Int32(index)) }
        }
    }

    /// Points per characteristic (first matching bin), the score, the grade, and the reasons: codes of the
    /// characteristics that lost the most points, most first, ties in characteristic order, each code once.
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
                if bins[index].isCondition { interpret(bins[index].condition, code: code, pool: pool, registers: r) }
                if bins[index].matches(value, registers: r) {
                    matched = Int32(index)
                    total += bins[index].points
                    break
                }
                index += 1
            }
            matchedBins[characteristic] = matched
        }
        rankReasons(p)
        score = total
        r[p.scoreRegister] = total
        let minimums = p.gradeMinimums
        var band = 0
        while band < minimums.count - 1, total < minimums[band] { band += 1 }
        grade = minimums.isEmpty ? -1 : Int32(band)
        r[p.gradeRegister] = grade >= 0 ? Double(grade) : .nan
    }

    private func rankReasons(_ p: Program) {
        let count = p.characteristicValues.count, bins = p.bins.base, matchedBins = self.matchedBins.base
        while reasons.count < p.maximumReasons {
            var best = -1
            var bestLost = -Double.infinity
            for characteristic in 0..<count {
                let matched = Int(matchedBins[characteristic])
                guard matched >= 0 else { continue }
                let reason = bins[matched].reason
                guard reason >= 0, !reasons.contains(reason) else { continue }
                let lost = p.characteristicMaximum[characteristic] - bins[matched].points
                if lost > bestLost {
                    best = characteristic
                    bestLost = lost
                }
            }
            guard best >= 0 else { break }
            reasons.append(bins[Int(matchedBins[best])].reason)
        }
    }
}
