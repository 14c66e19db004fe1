/// Decides a block of up to `width` applications at once: each instruction of the program runs for every
/// application of the block before the next instruction (register k of application l is at
/// `registers[k * width + l]`), so the interpreter dispatches once per instruction per block instead of once
/// per instruction per application, and the per-application loops are short, branch-predictable and
/// vectorizable. Hand-written because it is the product's speed (benchmarks/README.md); it shares the meaning
/// of every step with `Evaluator` (`Program.validate`, `readable`, `Bin.matches`, `rankReasons`, `grade`), runs
/// the policy's code as `BlockCode` rewrites it for blocks (each subexpression once, truths that `min` and
/// `max` combine), and BlockEvaluatorTests and BlockCodeTests check that both decide alike.
///
/// Use: `reset()`, `append` up to `width` applications (decoded, or JSON), `evaluate()`, then read each
/// application's decision with `outcome(_:)` or `writeDecision(_:to:)`. Allocates nothing after `init` except
/// when an application number is longer than any before. Not thread-safe: give each thread its own.
public final class BlockEvaluator {
    public let policy: CompiledPolicy
    /// The most applications a block holds.
    public let width: Int
    /// The applications appended since `reset()`.
    @exclusivity(unchecked) public private(set) var count = 0
    let program: Program
    let registers: Slots<Double>
    /// Field-major, like the registers: field f of application l at `f * width + l`.
    /// Each field's `FieldState` as a `Double` (its raw value), so that validation compares it in the same
    /// vector lanes as the value.
    let states: Slots<Double>
    let failed: Slots<Bool>
    /// Application-major: application l's list at `l * capacity`, its length in the counts.
    let errors: Slots<Int32>, errorCounts: Slots<Int32>, errorCapacity: Int
    let knockouts: Slots<Int32>, knockoutCounts: Slots<Int32>, knockoutCapacity: Int
    /// Characteristic-major: the bin characteristic c of application l matched, + 1 (0: none), at `c * width + l`.
    let matchedColumns: Slots<Int64>
    /// Application-major matched bins (-1: none), only for policies whose reasons are not ranked by mask.
    let matchedBins: Slots<Int32>
    let reasons: Slots<Int32>, reasonCounts: Slots<Int32>, reasonCapacity: Int
    let outcomes: Slots<Outcome>
    let scores: Slots<Double>
    let grades: Slots<Int32>
    let routes: Slots<Int32>
    let malformed: Slots<Bool>
    /// Scratch: the route each application takes; a column of missing values for characteristics without a value.
    let column: Slots<Int64>
    let missingColumn: Slots<Double>
    /// Each application's number: `identifiers[identifierStarts[l] ..< identifierStarts[l + 1]]`, or absent;
    /// raw storage that grows by doubling (an `Array`'s append cost more than copying the application).
    @exclusivity(unchecked) var identifiers: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) var identifierCapacity: Int
    @exclusivity(unchecked) var identifierCount = 0
    let identifierStarts: Slots<Int>
    let identifierPresent: Slots<Bool>
    /// Decodes JSON applications before they are copied into the block.
    let decoder: Evaluator
    /// `pow`'s results by operands, for the power instructions of every block.
    let powers = PowerMemo.allocate()

    public init(policy: CompiledPolicy, width: Int = 64) {
        precondition(width > 0, "a block holds at least one application")
        self.policy = policy
        self.width = width
        let code = BlockCode(policy)
        program = Program(policy, block: code)
        let template = policy.template
        registers = .allocate(repeating: .nan, count: code.registerCount * width)
        for (register, value) in template.enumerated() {
            (registers.base + register * width).update(repeating: value, count: width)
        }
        states = .allocate(repeating: Double(FieldState.absent.rawValue), count: policy.fieldCount * width)
        failed = .allocate(repeating: false, count: policy.fieldCount * width)
        errorCapacity = policy.fieldCount + policy.checkRanges.count + 1
        errors = .allocate(repeating: 0, count: errorCapacity * width)
        errorCounts = .allocate(repeating: 0, count: width)
        knockoutCapacity = max(policy.knockoutRanges.count, 1)
        knockouts = .allocate(repeating: 0, count: knockoutCapacity * width)
        knockoutCounts = .allocate(repeating: 0, count: width)
        matchedColumns = .allocate(repeating: 0, count: max(policy.characteristicValues.count, 1) * width)
        matchedBins = .allocate(repeating: -1, count: max(policy.characteristicValues.count, 1) * width)
        reasonCapacity = max(policy.characteristicValues.count, 1)
        reasons = .allocate(repeating: 0, count: reasonCapacity * width)
        reasonCounts = .allocate(repeating: 0, count: width)
        outcomes = .allocate(repeating: .invalid, count: width)
        scores = .allocate(repeating: .nan, count: width)
        grades = .allocate(repeating: -1, count: width)
        routes = .allocate(repeating: -1, count: width)
        malformed = .allocate(repeating: false, count: width)
        column = .allocate(repeating: 0, count: width)
        missingColumn = .allocate(repeating: .nan, count: width)
        identifierStarts = .allocate(repeating: 0, count: width + 1)
        identifierPresent = .allocate(repeating: false, count: width)
        identifierCapacity = 64 * width
        identifiers = .allocate(capacity: identifierCapacity)
        decoder = Evaluator(policy: policy)
    }

    deinit {
        program.deallocate()
        powers.deallocate()
        registers.deallocate()
        states.deallocate()
        failed.deallocate()
        errors.deallocate()
        errorCounts.deallocate()
        knockouts.deallocate()
        knockoutCounts.deallocate()
        matchedColumns.deallocate()
        matchedBins.deallocate()
        reasons.deallocate()
        reasonCounts.deallocate()
        outcomes.deallocate()
        scores.deallocate()
        grades.deallocate()
        routes.deallocate()
        malformed.deallocate()
        column.deallocate()
        missingColumn.deallocate()
        identifierStarts.deallocate()
        identifiers.deallocate()
        identifierPresent.deallocate()
    }

    /// Empties the block.
    public func reset() {
        count = 0
        identifierCount = 0
    }

    public var isFull: Bool { count == width }

    /// Adds an application decoded earlier.
    public func append(_ application: DecodedApplication) {
        let lane = beginAppend()
        application.values.withUnsafeBufferPointer { values in
            application.stateValues.withUnsafeBufferPointer { states in
                let stateValues = states.baseAddress!
                place(lane, values: values.baseAddress!) { stateValues[$0] }
            }
        }
        malformed[lane] = false
        identifierPresent[lane] = application.identifierPresent
        // A closure rather than the method itself: passing `appendIdentifier` made a thunk that retained self.
        if application.identifierPresent { application.identifier.withUnsafeBufferPointer { appendIdentifier($0) } }
        identifierStarts[lane + 1] = identifierCount
    }

    /// Adds one JSON application (a line of JSONL without its newline); text that is not JSON is decided
    /// `invalid` with a MALFORMED_JSON error, as `Evaluator.evaluate(json:)` does.
    public func append(json: UnsafeRawBufferPointer) {
        let lane = beginAppend()
        let d = decoder
        let ok = d.decoder.decode(json, into: d)
        malformed[lane] = !ok
        identifierPresent[lane] = ok && d.identifierPresent
        if ok {
            let states = d.fieldStates.base
            place(lane, values: d.registers.base) { Double(states[$0].rawValue) }
            if d.identifierPresent { d.identifier.withUnsafeBufferPointer { appendIdentifier($0) } }
        }
        identifierStarts[lane + 1] = identifierCount
    }

    @inline(__always)
    private func appendIdentifier(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        let needed = identifierCount &+ bytes.count
        if _slowPath(needed > identifierCapacity) { growIdentifiers(to: needed) }
        (identifiers + identifierCount).initialize(from: source, count: bytes.count)
        identifierCount = needed
    }

    @inline(never)
    private func growIdentifiers(to needed: Int) {
        let capacity = max(needed, 2 * identifierCapacity)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.initialize(from: identifiers, count: identifierCount)
        identifiers.deallocate()
        identifiers = grown
        identifierCapacity = capacity
    }

    private func beginAppend() -> Int {
        precondition(count < width, "BlockEvaluator is full")
        let lane = count
        count += 1
        identifierStarts[lane] = identifierCount
        return lane
    }

    /// Copies an application's field values, list masks and states into its column. Two fields at a time with
    /// SIMD2 loads: as a plain loop LLVM added a vectorized copy for a stride of 1 (never the case here) whose
    /// overlap checks cost more than the copy. `state(field)` reads a field's state as a `Double` (a decoded
    /// application keeps them converted; the JSON decoder's are `FieldState`s); inlined into each caller.
    @inline(__always)
    private func place(_ lane: Int, values: UnsafePointer<Double>, state: (Int) -> Double) {
        let fields = program.fieldCount, w = width, r = registers.base + lane, s = self.states.base + lane
        let masks = r + fields &* w
        var field = 0, offset = 0
        while field &+ 2 <= fields {
            let value = UnsafeRawPointer(values + field).loadUnaligned(as: SIMD2<Double>.self)
            let mask = UnsafeRawPointer(values + (fields &+ field)).loadUnaligned(as: SIMD2<Double>.self)
            r[offset] = value[0]
            r[offset &+ w] = value[1]
            masks[offset] = mask[0]
            masks[offset &+ w] = mask[1]
            s[offset] = state(field)
            s[offset &+ w] = state(field &+ 1)
            field &+= 2
            offset &+= w &+ w
        }
        if field < fields {
            r[offset] = values[field]
            masks[offset] = values[fields &+ field]
            s[offset] = state(field)
        }
    }

    // MARK: - Evaluation

    /// Decides every application in the block.
    public func evaluate() {
        let p = program, w = width, n = count
        guard n > 0 else { return }
        let r = registers.base
        let code = UnsafePointer(p.code.base), pool = UnsafePointer(p.pool.base)
        for lane in 0..<n {
            errorCounts[lane] = 0
            knockoutCounts[lane] = 0
            reasonCounts[lane] = 0
            scores[lane] = .nan
            grades[lane] = -1
            routes[lane] = -1
        }
        validateFields(p, r, w, n)
        runChecks(p, r, w, n, code: code, pool: pool)
        // Without branches: which applications are valid is data.
        var valid = 0
        for lane in 0..<n {
            let fine = (malformed[lane] ? 0 : 1) & (errorCounts[lane] == 0 ? 1 : 0)
            outcomes[lane] = fine != 0 ? .referred : .invalid
            valid &+= fine
        }
        guard valid > 0 else { return }
        interpretBlock(p.valuesRange, code: code, pool: pool, registers: r, width: w, count: n, powers: powers)
        if p.hasScorecard { scoreCard(p, r, w, n, code: code, pool: pool) }
        for index in 0..<p.knockoutRanges.count {
            let range = p.knockoutRanges[index]
            interpretBlock(range, code: code, pool: pool, registers: r, width: w, count: n, powers: powers)
            forEachLane(true: r + Int(range.result) * w, n) { lane in
                guard outcomes[lane] != .invalid else { return }
                knockouts[lane * knockoutCapacity + Int(knockoutCounts[lane])] = Int32(index)
                knockoutCounts[lane] += 1
                outcomes[lane] = .declined
            }
        }
        route(p, r, w, n, code: code, pool: pool)
    }

    /// `Program.validate` for the block: the common cases (present and in range; absent and optional, which
    /// takes the default) without branches, field by field over all lanes; the lanes left failed (a schema
    /// error) then one by one.
    private func validateFields(_ p: Program, _ r: UnsafeMutablePointer<Double>, _ w: Int, _ n: Int) {
        let fields = p.fieldCount
        let absent = Double(FieldState.absent.rawValue), present = Double(FieldState.present.rawValue)
        for field in 0..<fields {
            let values = r + field &* w, masks = r + (fields &+ field) &* w
            let states = self.states.base + field &* w, failed = self.failed.base + field &* w
            var failures = 0
            let lowest = p.fieldLowest[field], highest = p.fieldHighest[field]
            if p.fieldRequired[field] {
                for lane in 0..<n {
                    let value = values[lane]
                    let fine = (states[lane] == present ? 1 : 0) & (value >= lowest ? 1 : 0) & (value <= highest ? 1 : 0)
                    failed[lane] = fine == 0
                    failures &+= 1 &- fine
                }
            } else {
                // Four lanes at a time with SIMD types: written as a plain loop, LLVM keeps it scalar and
                // branches on every select of a Double. The flags go to `failed` as four bytes at once.
                let defaultValue = p.fieldDefaults[field], defaultMask = p.fieldDefaultMasks[field]
                var bad = SIMD4<Int64>(repeating: 0)
                var lane = 0
                while lane &+ 4 <= n {
                    let value = UnsafeRawPointer(values + lane).loadUnaligned(as: SIMD4<Double>.self)
                    let mask = UnsafeRawPointer(masks + lane).loadUnaligned(as: SIMD4<Double>.self)
                    let state = UnsafeRawPointer(states + lane).loadUnaligned(as: SIMD4<Double>.self)
                    let missing = state .== absent
                    let fine = (state .== present) .& (value .>= lowest) .& (value .<= highest) .| missing
                    UnsafeMutableRawPointer(values + lane).storeBytes(of: value.replacing(with: defaultValue, where: missing), as: SIMD4<Double>.self)
                    UnsafeMutableRawPointer(masks + lane).storeBytes(of: mask.replacing(with: defaultMask, where: missing), as: SIMD4<Double>.self)
                    let flags = SIMD4<Int64>(repeating: 1).replacing(with: 0, where: fine)
                    UnsafeMutableRawPointer(failed + lane).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: flags), as: SIMD4<UInt8>.self)
                    bad &+= flags
                    lane &+= 4
                }
                failures = Int(bad[0] &+ bad[1] &+ bad[2] &+ bad[3])
                while lane < n {
                    let value = values[lane], state = states[lane]
                    let missing = state == absent
                    if missing {
                        values[lane] = defaultValue
                        masks[lane] = defaultMask
                    }
                    let fine = missing || (state == present && value >= lowest && value <= highest)
                    failed[lane] = !fine
                    failures &+= fine ? 0 : 1
                    lane &+= 1
                }
            }
            guard failures > 0 else { continue }
            // Few lanes fail: eight flags are tested at once and skipped together.
            var lane = 0
            while lane < n {
                let group = min(8, n &- lane)
                if group == 8 && UnsafeRawPointer(failed + lane).loadUnaligned(as: UInt64.self) == 0 {
                    lane &+= 8
                    continue
                }
                for k in lane..<(lane &+ group) where failed[k] {
                    let state = FieldState(rawValue: UInt8(states[k])) ?? .absent
                    if let kind = p.validate(field: field, state: state, value: &values[k], mask: &masks[k]) {
                        appendError(p.errorReference(kind, field: field), k)
                    } else {
                        failed[k] = false
                    }
                }
                lane &+= group
            }
        }
    }

    private func runChecks(_ p: Program, _ r: UnsafeMutablePointer<Double>, _ w: Int, _ n: Int,
                           code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>) {
        let failed = UnsafePointer(self.failed.base)
        for index in 0..<p.checkRanges.count {
            let range = p.checkRanges[index]
            interpretBlock(range, code: code, pool: pool, registers: r, width: w, count: n, powers: powers)
            forEachLane(true: r + Int(range.result) * w, n) { lane in
                if p.readable(check: index, failed: failed + lane, stride: w) { appendError(Int32(index), lane) }
            }
        }
    }

    /// Calls `body` for each lane whose condition is true (1), in lane order. Rules rarely fire, so eight lanes
    /// are tested at once and skipped together.
    @inline(__always)
    private func forEachLane(true conditions: UnsafeMutablePointer<Double>, _ n: Int, _ body: (Int) -> Void) {
        var lane = 0
        while lane &+ 8 <= n {
            if any(UnsafeRawPointer(conditions + lane).loadUnaligned(as: SIMD8<Double>.self) .== 1) {
                for k in lane..<(lane &+ 8) where conditions[k] == 1 { body(k) }
            }
            lane &+= 8
        }
        while lane < n {
            if conditions[lane] == 1 { body(lane) }
            lane &+= 1
        }
    }

    @inline(__always)
    private func appendError(_ reference: Int32, _ lane: Int) {
        errors[lane * errorCapacity + Int(errorCounts[lane])] = reference
        errorCounts[lane] += 1
    }

    /// Which bin each characteristic matched (first match: the bins are tried last to first, each overwriting
    /// the lanes it matches), then each application's score, reasons and grade from tables indexed by the
    /// matched bin. The per-bin loops are branch-free selects (which bin matches is data, not a pattern).
    private func scoreCard(_ p: Program, _ r: UnsafeMutablePointer<Double>, _ w: Int, _ n: Int,
                           code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>) {
        let characteristics = p.characteristicValues.count
        let matched = matchedColumns.base
        for characteristic in 0..<characteristics {
            let valueRegister = Int(p.characteristicValues[characteristic])
            let values = UnsafePointer(valueRegister >= 0 ? r + valueRegister * w : missingColumn.base)
            let start = Int(p.binStarts[characteristic]), end = Int(p.binStarts[characteristic + 1])
            for index in start..<end where p.bins[index].isCondition {
                interpretBlock(p.bins[index].condition, code: code, pool: pool, registers: r, width: w, count: n, powers: powers)
            }
            // The matched bin's number + 1, or 0 when none matches. Each select reads the old number first and
            // tests without branches, so that the loops vectorize.
            let column = matched + characteristic * w
            for lane in 0..<n { column[lane] = 0 }
            var index = end
            while index > start {
                index -= 1
                let bin = p.bins[index]
                let number = Int64(index + 1)
                if bin.isCondition {
                    let conditions = UnsafePointer(r + Int(bin.condition.result) * w)
                    for lane in 0..<n {
                        let old = column[lane]
                        column[lane] = conditions[lane] == 1 ? number : old
                    }
                } else if bin.matchesMissing {
                    // One test that vectorizes, where `(in the interval) || value.isNaN` left a branchy loop.
                    // A bound that is NaN makes the interval empty: only a missing value matches. With bounds
                    // that are numbers, "in the interval or missing" is "not outside it" (every comparison with
                    // NaN is false).
                    let lowest = bin.lowest, highest = bin.highest
                    if lowest.isNaN || highest.isNaN {
                        for lane in 0..<n {
                            let value = values[lane], old = column[lane]
                            column[lane] = value != value ? number : old
                        }
                    } else {
                        for lane in 0..<n {
                            let value = values[lane], old = column[lane]
                            column[lane] = !(value < lowest) && !(value > highest) ? number : old
                        }
                    }
                } else {
                    let lowest = bin.lowest, highest = bin.highest
                    for lane in 0..<n {
                        let value = values[lane], old = column[lane]
                        column[lane] = value >= lowest && value <= highest ? number : old
                    }
                }
            }
        }
        let scoreRegister = r + p.scoreRegister * w, gradeRegister = r + p.gradeRegister * w
        let points = UnsafePointer(p.matchPoints.base), rankBits = UnsafePointer(p.matchRankBits.base)
        // Every lane, invalid ones too (no branch on validity); an invalid application's score stays missing
        // and its reasons and grade are never written out.
        // In passes with few values live each (one loop did it all and spilled its pointers): totals and
        // reason masks, then the reasons, then the scores.
        let masks = self.column.base
        for lane in 0..<n {
            var total = p.base
            var mask: UInt64 = 0
            for characteristic in 0..<characteristics {
                let k = Int(matched[characteristic &* w &+ lane])
                total += points[k]
                mask |= rankBits[k]
            }
            scoreRegister[lane] = total
            masks[lane] = Int64(bitPattern: mask)
        }
        if p.ranksByMask {
            let reasons = self.reasons.base, counts = reasonCounts.base, capacity = reasonCapacity
            for lane in 0..<n {
                counts[lane] = Int32(truncatingIfNeeded: p.reasons(ranked: UInt64(bitPattern: masks[lane]), into: reasons + lane &* capacity))
            }
        } else {
            for lane in 0..<n {
                let bins = matchedBins.base + lane * characteristics
                for characteristic in 0..<characteristics { bins[characteristic] = Int32(matched[characteristic &* w &+ lane]) - 1 }
                reasonCounts[lane] = Int32(p.rankReasons(matched: bins, into: reasons.base + lane * reasonCapacity))
            }
        }
        for lane in 0..<n { scores[lane] = outcomes[lane] == .invalid ? .nan : scoreRegister[lane] }
        // The grades for the whole block, as `Program.grade(for:)` decides them (every band tested last to
        // first), each band a select over the lanes, which vectorizes.
        let bands = p.gradeMinimums.count
        guard bands > 0 else {
            for lane in 0..<n {
                grades[lane] = -1
                gradeRegister[lane] = .nan
            }
            return
        }
        let grades = self.grades.base
        let last = Int32(truncatingIfNeeded: bands - 1)
        for lane in 0..<n { grades[lane] = last }
        var band = bands - 1
        while band > 0 {
            band -= 1
            let minimum = p.gradeMinimums[band], number = Int32(truncatingIfNeeded: band)
            for lane in 0..<n {
                let old = grades[lane]
                grades[lane] = scoreRegister[lane] < minimum ? old : number
            }
        }
        for lane in 0..<n { gradeRegister[lane] = Double(grades[lane]) }
    }

    /// First-match routing of the applications still `referred` (valid and not knocked out): every route's
    /// condition for the whole block, then the routes last to first, each overwriting the lanes it takes.
    private func route(_ p: Program, _ r: UnsafeMutablePointer<Double>, _ w: Int, _ n: Int,
                       code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>) {
        var any = false
        for lane in 0..<n where outcomes[lane] == .referred {
            any = true
            break
        }
        guard any else { return }
        let routes = p.routeRanges.count
        for index in 0..<routes {
            if let range = p.routeRanges[index] {
                interpretBlock(range, code: code, pool: pool, registers: r, width: w, count: n, powers: powers)
            }
        }
        // The route taken + 1, or 0 when none is.
        let column = self.column.base
        for lane in 0..<n { column[lane] = 0 }
        var index = routes
        while index > 0 {
            index -= 1
            let number = Int64(index + 1)
            if let range = p.routeRanges[index] {
                let conditions = UnsafePointer(r + Int(range.result) * w)
                for lane in 0..<n {
                    let old = column[lane]
                    column[lane] = conditions[lane] == 1 ? number : old
                }
            } else {
                for lane in 0..<n { column[lane] = number }
            }
        }
        // Without branches: whether an application is routed is data (`routes` is -1 from `evaluate`).
        let taken = self.routes.base
        for lane in 0..<n {
            let number = column[lane]
            let take = (outcomes[lane] == .referred ? 1 : 0) & (number > 0 ? 1 : 0)
            let route = Int(max(number, 1)) &- 1
            let outcome = p.routeOutcomes[route]
            taken[lane] = take != 0 ? Int32(truncatingIfNeeded: route) : -1
            outcomes[lane] = take != 0 ? outcome : outcomes[lane]
        }
    }

    // MARK: - Decisions

    public func outcome(_ lane: Int) -> Outcome { outcomes[lane] }

    public func score(_ lane: Int) -> Double { scores[lane] }

    /// Appends application `lane`'s decision in the §7 format, like `Evaluator.writeDecision(to:)`.
    public func writeDecision(_ lane: Int, to out: inout [UInt8]) {
        precondition(lane < count, "no such application in the block")
        let idField = policy.identifierField
        let hasIdentifier = !malformed[lane] && idField >= 0 && identifierPresent[lane] && !failed[idField * width + lane]
        let id = UnsafeBufferPointer(start: identifiers + identifierStarts[lane], count: identifierStarts[lane + 1] - identifierStarts[lane])
        let parts = DecisionParts(
            identifier: hasIdentifier ? id : nil, outcome: outcomes[lane], malformed: malformed[lane],
            errors: UnsafeBufferPointer(start: errors.base + lane * errorCapacity, count: malformed[lane] ? 0 : Int(errorCounts[lane])),
            knockouts: UnsafeBufferPointer(start: knockouts.base + lane * knockoutCapacity, count: Int(knockoutCounts[lane])),
            score: scores[lane], grade: grades[lane],
            reasons: UnsafeBufferPointer(start: reasons.base + lane * reasonCapacity, count: Int(reasonCounts[lane])),
            route: routes[lane])
        Evaluator.write(parts, explanations: policy.explanations, to: &out)
    }
}
