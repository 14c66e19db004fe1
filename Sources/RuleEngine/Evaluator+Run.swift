import RuleLanguage

extension Evaluator {
    /// Validation, then values, scorecard, knock-outs and routing, on the decoded registers.
    func run() -> Outcome {
        errors.removeAll(keepingCapacity: true)
        knockouts.removeAll(keepingCapacity: true)
        reasons.removeAll(keepingCapacity: true)
        score = .nan
        grade = -1
        route = -1
        let fieldCount = policy.fieldCount
        return registers.withUnsafeMutableBufferPointer { registerBuffer in
            let r = registerBuffer.baseAddress!
            return policy.code.withUnsafeBufferPointer { codeBuffer in
                policy.pool.withUnsafeBufferPointer { poolBuffer in
                    let code = codeBuffer.baseAddress!, pool = poolBuffer.baseAddress!
                    validateFields(r, fieldCount: fieldCount)
                    runChecks(r, code: code, pool: pool)
                    if !errors.isEmpty {
                        outcome = .invalid
                        return outcome
                    }
                    interpret(policy.valuesRange, code: code, pool: pool, registers: r)
                    if policy.hasScorecard { scoreCard(r, code: code, pool: pool) }
                    for (index, range) in policy.knockoutRanges.enumerated() {
                        interpret(range, code: code, pool: pool, registers: r)
                        if r[Int(range.result)] == 1 { knockouts.append(Int32(index)) }
                    }
                    if !knockouts.isEmpty {
                        outcome = .declined
                        return outcome
                    }
                    outcome = .referred
                    for (index, range) in policy.routeRanges.enumerated() {
                        if let range {
                            interpret(range, code: code, pool: pool, registers: r)
                            guard r[Int(range.result)] == 1 else { continue }
                        }
                        route = Int32(index)
                        outcome = policy.routeOutcomes[index]
                        break
                    }
                    return outcome
                }
            }
        }
    }

    /// The schema's own checks, field by field in declaration order: required, type, format/enum, range.
    /// A field that fails is marked and its register made missing, so later checks skip or ignore it.
    private func validateFields(_ r: UnsafeMutablePointer<Double>, fieldCount: Int) {
        fieldStates.withUnsafeBufferPointer { states in
            failed.withUnsafeMutableBufferPointer { failed in
                for field in 0..<fieldCount {
                    var kind: SchemaError?
                    switch states[field] {
                    case .absent:
                        if policy.fieldRequired[field] {
                            kind = .required
                        } else {
                            r[field] = policy.fieldDefaults[field]
                            r[fieldCount + field] = policy.fieldDefaultMasks[field]
                        }
                    case .typeError: kind = .type
                    case .formatError: kind = .format
                    case .enumError: kind = .enumeration
                    case .present:
                        if let range = policy.fieldRanges[field], !range.contains(r[field]) { kind = .range }
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
        }
    }

    /// Cross-field checks, each only when every field it reads passed its own checks. The arrays are read
    /// through raw buffers: this loop runs for every application (benchmarks/README.md).
    private func runChecks(_ r: UnsafeMutablePointer<Double>, code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>) {
        failed.withUnsafeBufferPointer { failed in
            policy.checkRanges.withUnsafeBufferPointer { ranges in
                policy.checkReadStarts.withUnsafeBufferPointer { starts in
                    policy.checkReads.withUnsafeBufferPointer { reads in
                        for index in 0..<ranges.count {
                            var readable = true
                            var k = Int(starts[index])
                            let end = Int(starts[index + 1])
                            while k < end {
                                if failed[Int(reads[k])] { readable = false; break }
                                k += 1
                            }
                            guard readable else { continue }
                            let range = ranges[index]
                            interpret(range, code: code, pool: pool, registers: r)
                            if r[Int(range.result)] == 1 { errors.append(Int32(index)) }
                        }
                    }
                }
            }
        }
    }

    /// Points per characteristic (first matching bin), the score, the grade, and the reasons: codes of the
    /// characteristics that lost the most points, most first, ties in characteristic order, each code once.
    private func scoreCard(_ r: UnsafeMutablePointer<Double>, code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>) {
        var total = policy.base
        policy.bins.withUnsafeBufferPointer { bins in
            for characteristic in 0..<policy.characteristicValues.count {
                let valueRegister = Int(policy.characteristicValues[characteristic])
                let value = valueRegister >= 0 ? r[valueRegister] : .nan
                var matched: Int32 = -1
                for index in Int(policy.binStarts[characteristic])..<Int(policy.binStarts[characteristic + 1]) {
                    let bin = bins[index]
                    if bin.kind == .condition { interpret(bin.condition, code: code, pool: pool, registers: r) }
                    if bin.matches(value, registers: r) {
                        matched = Int32(index)
                        total += bin.points
                        break
                    }
                }
                matchedBins[characteristic] = matched
            }
            rankReasons(bins)
        }
        score = total
        r[Int(policy.scoreRegister)] = total
        var band = 0
        while band < policy.gradeMinimums.count - 1, total < policy.gradeMinimums[band] { band += 1 }
        grade = policy.gradeMinimums.isEmpty ? -1 : Int32(band)
        r[Int(policy.gradeRegister)] = grade >= 0 ? Double(grade) : .nan
    }

    private func rankReasons(_ bins: UnsafeBufferPointer<Bin>) {
        let count = policy.characteristicValues.count
        while reasons.count < policy.maximumReasons {
            var best = -1
            var bestLost = -Double.infinity
            for characteristic in 0..<count {
                let matched = Int(matchedBins[characteristic])
                guard matched >= 0 else { continue }
                let reason = bins[matched].reason
                guard reason >= 0, !reasons.contains(reason) else { continue }
                let lost = policy.characteristicMaximum[characteristic] - bins[matched].points
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
