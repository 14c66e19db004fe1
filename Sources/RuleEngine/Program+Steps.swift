import RuleLanguage

/// The steps of a decision that the one-application `Evaluator` and the `BlockEvaluator` share, each for one
/// application, so that both decide alike by construction.
extension Program {
    /// The schema's own checks of one field: the error, or nil after putting the default in place of an
    /// absent optional field. A failed field's value and mask are made missing.
    @inline(__always)
    func validate(field: Int, state: FieldState, value: inout Double, mask: inout Double) -> SchemaError? {
        var kind: SchemaError?
        switch state {
        case .absent:
            if fieldRequired[field] {
                kind = .required
            } else {
                value = fieldDefaults[field]
                mask = fieldDefaultMasks[field]
            }
        case .typeError: kind = .type
        case .formatError: kind = .format
        case .enumError: kind = .enumeration
        case .present:
            if !(value >= fieldLowest[field] && value <= fieldHighest[field]) { kind = .range }
        }
        if kind != nil {
            value = .nan
            mask = .nan
        }
        return kind
    }

    /// The error reference of a schema error (see `Evaluator.errors`).
    @inline(__always)
    func errorReference(_ kind: SchemaError, field: Int) -> Int32 {
        -Int32(kind.rawValue * fieldCount + field) - 1
    }

    /// Whether every field check `index` reads passed its own checks; field f's flag is `failed[f * stride]`.
    @inline(__always)
    func readable(check index: Int, failed: UnsafePointer<Bool>, stride: Int) -> Bool {
        var k = Int(checkReadStarts[index])
        let end = Int(checkReadStarts[index + 1])
        while k < end {
            if failed[Int(checkReads[k]) * stride] { return false }
            k += 1
        }
        return true
    }

    /// The grade band of a score: the first whose minimum it reaches (the last band has none); -1 without grades.
    /// Every band is tested, last to first, so that the loop does not branch on the score.
    @inline(__always)
    func grade(for total: Double) -> Int32 {
        guard gradeMinimums.count > 0 else { return -1 }
        var band = gradeMinimums.count - 1
        var index = band
        while index > 0 {
            index -= 1
            band = total < gradeMinimums[index] ? band : index
        }
        return Int32(band)
    }

    /// The reasons: codes of the characteristics that lost the most points (`matched[c]`: the bin that matched
    /// characteristic c, or -1), most first, ties in characteristic order, each code once. Writes them to
    /// `reasons` and returns how many.
    @inline(__always)
    func rankReasons(matched: UnsafePointer<Int32>, into reasons: UnsafeMutablePointer<Int32>) -> Int {
        if ranksByMask {
            var mask: UInt64 = 0
            for characteristic in 0..<characteristicValues.count { mask |= matchRankBits[Int(matched[characteristic]) + 1] }
            return self.reasons(ranked: mask, into: reasons)
        }
        let bins = self.bins.base, lost = binLost.base
        var count = 0
        while count < maximumReasons {
            var best = -1
            var bestLost = -Double.infinity
            for characteristic in 0..<characteristicValues.count {
                let bin = Int(matched[characteristic])
                guard bin >= 0, bins[bin].reason >= 0, lost[bin] > bestLost else { continue }
                var taken = false
                for k in 0..<count where reasons[k] == bins[bin].reason { taken = true }
                guard !taken else { continue }
                best = bin
                bestLost = lost[bin]
            }
            guard best >= 0 else { break }
            reasons[count] = bins[best].reason
            count += 1
        }
        return count
    }

    /// `rankReasons` when `ranksByMask`: `mask` has the rank bit of every matched bin (`matchRankBits`), and
    /// taking the set bits from the lowest is taking the candidates in ranking order, skipping codes taken.
    /// The mask has at most one bit per characteristic, so as many rounds as characteristics take them all; a
    /// fixed number of rounds without branches, since how many reasons an application has is data.
    @inline(__always)
    func reasons(ranked mask: UInt64, into reasons: UnsafeMutablePointer<Int32>) -> Int {
        if rankCodesDistinct {
            var mask = mask, count = 0
            for round in 0..<min(rankRounds, maximumReasons) {
                reasons[round] = rankCodes[mask.trailingZeroBitCount]
                count &+= mask != 0 ? 1 : 0
                mask &= mask &- 1
            }
            return count
        }
        var mask = mask, taken: UInt64 = 0, count = 0
        for _ in 0..<rankRounds {
            // No bit left: rank 64, whose code bit is 0 (never fresh).
            let rank = mask.trailingZeroBitCount
            mask &= mask &- 1
            let bit = rankCodeBits[rank]
            let fresh = (bit & ~taken != 0 ? 1 : 0) & (count < maximumReasons ? 1 : 0)
            reasons[count] = rankCodes[rank]
            taken |= bit
            count &+= fresh
        }
        return count
    }
}

extension Bin {
    /// Whether a value (or, for a condition bin, the condition's result) falls in this bin.
    @inline(__always)
    func matches(_ value: Double, condition result: Double) -> Bool {
        if isCondition { return result == 1 }
        return value.isNaN ? matchesMissing : value >= lowest && value <= highest
    }
}
