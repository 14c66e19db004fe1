import RuleLanguage

/// An evaluator's own copy of the tables of a `CompiledPolicy` that every evaluation reads, as `Slots`, so
/// that the hot loops read plain memory: no bounds checks, no retains of array buffers (benchmarks/README.md).
/// Made by `Evaluator.init`, freed by its `deinit`.
struct Program {
    let fieldCount: Int
    let code: Slots<Instruction>
    let pool: Slots<Double>
    let fieldRequired: Slots<Bool>
    let fieldDefaults: Slots<Double>
    let fieldDefaultMasks: Slots<Double>
    /// Each field's range as closed bounds (open ends moved inward; no range: ±infinity), so that the range
    /// check is `lowest <= value <= highest` (a present field's value is never missing).
    let fieldLowest: Slots<Double>
    let fieldHighest: Slots<Double>
    let valuesRange: CodeRange
    let checkRanges: Slots<CodeRange>
    let checkReadStarts: Slots<Int32>
    let checkReads: Slots<Int32>
    let knockoutRanges: Slots<CodeRange>
    let hasScorecard: Bool
    let base: Double
    let maximumReasons: Int
    let characteristicValues: Slots<Int32>
    let characteristicMaximum: Slots<Double>
    let binStarts: Slots<Int32>
    let bins: Slots<Bin>
    /// Per bin, the points its characteristic loses when it matches (maximum − points), for ranking reasons.
    let binLost: Slots<Double>
    /// Reasons ranked with bit masks (see `reasons(ranked:into:)`): true when the policy has at most 64 bins
    /// with a reason and at most 64 reason codes, else `rankReasons` compares candidates one by one.
    let ranksByMask: Bool
    /// Indexed by a matched bin + 1 (0: no bin matched): the bin's points (-0.0 for none, since adding -0.0
    /// leaves every total as it is) and its rank bit (0 for a bin without a reason).
    let matchPoints: Slots<Double>
    let matchRankBits: Slots<UInt64>
    /// Per rank (0...64, 64 standing for no rank): the reason code and its bit (0 for rank 64).
    let rankCodes: Slots<Int32>
    let rankCodeBits: Slots<UInt64>
    /// How many rounds `reasons(ranked:into:)` takes: at most one rank per characteristic.
    let rankRounds: Int
    /// Whether no two characteristics have a reason code in common, so that the ranked bits never repeat a
    /// code (one bin matches per characteristic) and the first bits are the reasons.
    let rankCodesDistinct: Bool
    let gradeMinimums: Slots<Double>
    let routeRanges: Slots<CodeRange?>
    let routeOutcomes: Slots<Outcome>
    let scoreRegister: Int
    let gradeRegister: Int

    /// With `block`, the code and its units are that rewrite of the policy's (`BlockEvaluator`).
    init(_ policy: CompiledPolicy, block: BlockCode? = nil) {
        fieldCount = policy.fieldCount
        code = .allocate(copying: block?.code ?? policy.code)
        pool = .allocate(copying: policy.pool)
        fieldRequired = .allocate(copying: policy.fieldRequired)
        fieldDefaults = .allocate(copying: policy.fieldDefaults)
        fieldDefaultMasks = .allocate(copying: policy.fieldDefaultMasks)
        fieldLowest = .allocate(copying: policy.fieldRanges.map { $0.map(Program.lowest) ?? -.infinity })
        fieldHighest = .allocate(copying: policy.fieldRanges.map { $0.map(Program.highest) ?? .infinity })
        valuesRange = block?.valuesRange ?? policy.valuesRange
        checkRanges = .allocate(copying: block?.checkRanges ?? policy.checkRanges)
        checkReadStarts = .allocate(copying: policy.checkReadStarts)
        checkReads = .allocate(copying: policy.checkReads)
        knockoutRanges = .allocate(copying: block?.knockoutRanges ?? policy.knockoutRanges)
        hasScorecard = policy.hasScorecard
        base = policy.base
        maximumReasons = policy.maximumReasons
        characteristicValues = .allocate(copying: block?.characteristicValues ?? policy.characteristicValues)
        characteristicMaximum = .allocate(copying: policy.characteristicMaximum)
        binStarts = .allocate(copying: policy.binStarts)
        var bins = policy.bins
        if let block {
            for index in bins.indices { bins[index].condition = block.binConditions[index] }
        }
        self.bins = .allocate(copying: bins)
        var lost: [Double] = []
        for characteristic in policy.characteristicValues.indices {
            for bin in Int(policy.binStarts[characteristic])..<Int(policy.binStarts[characteristic + 1]) {
                lost.append(policy.characteristicMaximum[characteristic] - policy.bins[bin].points)
            }
        }
        binLost = .allocate(copying: lost)
        // Ranks: the bins with a reason by lost points, most first, ties in characteristic (= bin) order; a bin
        // whose lost points are NaN or -infinity is never a reason (`rankReasons` takes only `lost > best`).
        let ranked = policy.bins.indices.filter { policy.bins[$0].reason >= 0 && lost[$0] > -.infinity }
            .sorted { lost[$0] != lost[$1] ? lost[$0] > lost[$1] : $0 < $1 }
        let codeCount = Int((policy.bins.map(\.reason).max() ?? -1) + 1)
        ranksByMask = ranked.count <= 64 && codeCount <= 64
        var rankBits = [UInt64](repeating: 0, count: policy.bins.count + 1)
        if ranksByMask {
            for (rank, bin) in ranked.enumerated() { rankBits[bin + 1] = 1 << UInt64(rank) }
        }
        matchPoints = .allocate(copying: [-0.0] + policy.bins.map(\.points))
        matchRankBits = .allocate(copying: rankBits)
        var codes = [Int32](repeating: 0, count: 65), codeBits = [UInt64](repeating: 0, count: 65)
        if ranksByMask {
            for (rank, bin) in ranked.enumerated() {
                codes[rank] = policy.bins[bin].reason
                codeBits[rank] = 1 << UInt64(policy.bins[bin].reason)
            }
        }
        rankCodes = .allocate(copying: codes)
        rankCodeBits = .allocate(copying: codeBits)
        rankRounds = min(policy.characteristicValues.count, ranked.count)
        var owners: [Int32: Int] = [:]
        var distinct = true
        for characteristic in policy.characteristicValues.indices {
            for bin in Int(policy.binStarts[characteristic])..<Int(policy.binStarts[characteristic + 1]) {
                let code = policy.bins[bin].reason
                guard code >= 0 else { continue }
                if let owner = owners[code], owner != characteristic { distinct = false }
                owners[code] = characteristic
            }
        }
        rankCodesDistinct = distinct
        gradeMinimums = .allocate(copying: policy.gradeMinimums)
        routeRanges = .allocate(copying: block?.routeRanges ?? policy.routeRanges)
        routeOutcomes = .allocate(copying: policy.routeOutcomes)
        scoreRegister = Int(policy.scoreRegister)
        gradeRegister = Int(policy.gradeRegister)
    }

    /// The least number in an interval (NaN when it holds none at that end).
    static func lowest(_ interval: Interval) -> Double {
        interval.lowerInclusive ? interval.lower : interval.lower == .infinity ? .nan : interval.lower.nextUp
    }

    /// The greatest number in an interval (NaN when it holds none at that end).
    static func highest(_ interval: Interval) -> Double {
        interval.upperInclusive ? interval.upper : interval.upper == -.infinity ? .nan : interval.upper.nextDown
    }

    func deallocate() {
        code.deallocate()
        pool.deallocate()
        fieldRequired.deallocate()
        fieldDefaults.deallocate()
        fieldDefaultMasks.deallocate()
        fieldLowest.deallocate()
        fieldHighest.deallocate()
        checkRanges.deallocate()
        checkReadStarts.deallocate()
        checkReads.deallocate()
        knockoutRanges.deallocate()
        characteristicValues.deallocate()
        characteristicMaximum.deallocate()
        binStarts.deallocate()
        bins.deallocate()
        binLost.deallocate()
        matchPoints.deallocate()
        matchRankBits.deallocate()
        rankCodes.deallocate()
        rankCodeBits.deallocate()
        gradeMinimums.deallocate()
        routeRanges.deallocate()
        routeOutcomes.deallocate()
    }
}
