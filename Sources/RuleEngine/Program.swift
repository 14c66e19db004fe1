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
    let gradeMinimums: Slots<Double>
    let routeRanges: Slots<CodeRange?>
    let routeOutcomes: Slots<Outcome>
    let scoreRegister: Int
    let gradeRegister: Int

    init(_ policy: CompiledPolicy) {
        fieldCount = policy.fieldCount
        code = .allocate(copying: policy.code)
        pool = .allocate(copying: policy.pool)
        fieldRequired = .allocate(copying: policy.fieldRequired)
        fieldDefaults = .allocate(copying: policy.fieldDefaults)
        fieldDefaultMasks = .allocate(copying: policy.fieldDefaultMasks)
        fieldLowest = .allocate(copying: policy.fieldRanges.map { $0.map(Program.lowest) ?? -.infinity })
        fieldHighest = .allocate(copying: policy.fieldRanges.map { $0.map(Program.highest) ?? .infinity })
        valuesRange = policy.valuesRange
        checkRanges = .allocate(copying: policy.checkRanges)
        checkReadStarts = .allocate(copying: policy.checkReadStarts)
        checkReads = .allocate(copying: policy.checkReads)
        knockoutRanges = .allocate(copying: policy.knockoutRanges)
        hasScorecard = policy.hasScorecard
        base = policy.base
        maximumReasons = policy.maximumReasons
        characteristicValues = .allocate(copying: policy.characteristicValues)
        characteristicMaximum = .allocate(copying: policy.characteristicMaximum)
        binStarts = .allocate(copying: policy.binStarts)
        bins = .allocate(copying: policy.bins)
        var lost: [Double] = []
        for characteristic in policy.characteristicValues.indices {
            for bin in Int(policy.binStarts[characteristic])..<Int(policy.binStarts[characteristic + 1]) {
                lost.append(policy.characteristicMaximum[characteristic] - policy.bins[bin].points)
            }
        }
        binLost = .allocate(copying: lost)
        gradeMinimums = .allocate(copying: policy.gradeMinimums)
        routeRanges = .allocate(copying: policy.routeRanges)
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
        gradeMinimums.deallocate()
        routeRanges.deallocate()
        routeOutcomes.deallocate()
    }
}
