/// Per-thread working memory for evaluating applications against one `CompiledPolicy`: the register file,
/// each field's decoded state, and the parts of the decision. Made once and reused, so that evaluating
/// allocates nothing. Not thread-safe: give each thread its own. The working memory and the policy's tables
/// (`program`) are `Slots` allocated in `init`, and the stored properties skip Swift's dynamic exclusivity
/// checks (`@exclusivity(unchecked)`): an evaluator is used by one thread and never re-entered, and the
/// checks were 42% of the instructions of an evaluation (benchmarks/README.md).
public final class Evaluator {
    public let policy: CompiledPolicy
    let program: Program
    let registers: Slots<Double>
    let fieldStates: Slots<FieldState>
    let failed: Slots<Bool>
    /// Error references: `>= 0` a check index; `< 0` a schema error `-(kind * fieldCount + field) - 1`.
    @exclusivity(unchecked) var errors: SlotList<Int32>
    @exclusivity(unchecked) var knockouts: SlotList<Int32>
    /// Per characteristic, the index of the bin that matched (-1 for none).
    let matchedBins: Slots<Int32>
    @exclusivity(unchecked) var reasons: SlotList<Int32>
    @exclusivity(unchecked) var identifier: [UInt8]
    @exclusivity(unchecked) var identifierPresent = false
    @exclusivity(unchecked) public internal(set) var outcome: Outcome = .invalid
    @exclusivity(unchecked) public internal(set) var score: Double = .nan
    @exclusivity(unchecked) var grade: Int32 = -1
    @exclusivity(unchecked) var route: Int32 = -1
    @exclusivity(unchecked) var malformed = false
    let decoder: ApplicationDecoder

    public init(policy: CompiledPolicy) {
        self.policy = policy
        program = Program(policy)
        registers = .allocate(copying: policy.template)
        fieldStates = .allocate(repeating: .absent, count: policy.fieldCount)
        failed = .allocate(repeating: false, count: policy.fieldCount)
        errors = SlotList(capacity: policy.fieldCount + policy.checkRanges.count + 1)
        knockouts = SlotList(capacity: policy.knockoutRanges.count)
        matchedBins = .allocate(repeating: -1, count: policy.characteristicValues.count)
        reasons = SlotList(capacity: policy.characteristicValues.count)
        identifier = []
        identifier.reserveCapacity(256)
        decoder = ApplicationDecoder(policy: policy)
    }

    deinit {
        program.deallocate()
        registers.deallocate()
        fieldStates.deallocate()
        failed.deallocate()
        errors.deallocate()
        knockouts.deallocate()
        matchedBins.deallocate()
        reasons.deallocate()
    }

    /// Decodes one JSON application (a line of JSONL, without its newline) and evaluates it.
    @discardableResult
    public func evaluate(json: UnsafeRawBufferPointer) -> Outcome {
        malformed = !decoder.decode(json, into: self)
        if malformed {
            errors.removeAll()
            knockouts.removeAll()
            reasons.removeAll()
            identifierPresent = false
            score = .nan
            grade = -1
            route = -1
            outcome = .invalid
            return outcome
        }
        return run()
    }

    @discardableResult
    public func evaluate(json: String) -> Outcome {
        var text = json
        return text.withUTF8 { evaluate(json: UnsafeRawBufferPointer($0)) }
    }

    /// Evaluates an application decoded earlier (the benchmark's in-process path).
    @discardableResult
    public func evaluate(_ application: DecodedApplication) -> Outcome {
        malformed = false
        application.restore(into: self)
        return run()
    }

    /// Decodes without evaluating, to keep the result (benchmarks and batch tools).
    public func decode(json: UnsafeRawBufferPointer) -> DecodedApplication? {
        guard decoder.decode(json, into: self) else { return nil }
        return DecodedApplication(capturing: self)
    }
}

/// What the decoder found for a field.
enum FieldState: UInt8, Sendable {
    case absent, present, typeError, formatError, enumError
}

/// An application already decoded into slot values, for evaluating many times without parsing. A class, so
/// that handing one to `evaluate` retains one object rather than each of its arrays.
public final class DecodedApplication: Sendable {
    let values: [Double]
    let states: [FieldState]
    /// The states' raw values as `Double`s, as `BlockEvaluator` keeps them (copied without converting).
    let stateValues: [Double]
    let identifier: [UInt8]
    let identifierPresent: Bool

    init(capturing evaluator: Evaluator) {
        let count = evaluator.policy.fieldCount
        values = Array(evaluator.registers[0..<(2 * count)])
        states = Array(evaluator.fieldStates)
        stateValues = states.map { Double($0.rawValue) }
        identifier = evaluator.identifier
        identifierPresent = evaluator.identifierPresent
    }

    func restore(into evaluator: Evaluator) {
        values.withUnsafeBufferPointer { source in
            evaluator.registers.base.update(from: source.baseAddress!, count: source.count)
        }
        states.withUnsafeBufferPointer { source in
            evaluator.fieldStates.base.update(from: source.baseAddress!, count: source.count)
        }
        evaluator.identifierPresent = identifierPresent
        if identifierPresent {
            evaluator.identifier.removeAll(keepingCapacity: true)
            evaluator.identifier.append(contentsOf: identifier)
        }
    }
}
