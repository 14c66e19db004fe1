/// Per-thread working memory for evaluating applications against one `CompiledPolicy`: the register file,
/// each field's decoded state, and the parts of the decision. Made once and reused, so that evaluating
/// allocates nothing. Not thread-safe: give each thread its own. Its stored properties skip Swift's dynamic
/// exclusivity checks (`@exclusivity(unchecked)`): an evaluator is used by one thread and never re-entered,
/// and the checks were 42% of the instructions of an evaluation (benchmarks/README.md).
public final class Evaluator {
    public let policy: CompiledPolicy
    @exclusivity(unchecked) var registers: [Double]
    @exclusivity(unchecked) var fieldStates: [FieldState]
    @exclusivity(unchecked) var failed: [Bool]
    /// Error references: `>= 0` a check index; `< 0` a schema error `-(kind * fieldCount + field) - 1`.
    @exclusivity(unchecked) var errors: [Int32]
    @exclusivity(unchecked) var knockouts: [Int32]
    /// Per characteristic, the index of the bin that matched (-1 for none).
    @exclusivity(unchecked) var matchedBins: [Int32]
    @exclusivity(unchecked) var reasons: [Int32]
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
        registers = policy.template
        fieldStates = Array(repeating: .absent, count: policy.fieldCount)
        failed = Array(repeating: false, count: policy.fieldCount)
        errors = []
        errors.reserveCapacity(policy.fieldCount + policy.checkRanges.count + 1)
        knockouts = []
        knockouts.reserveCapacity(policy.knockoutRanges.count)
        matchedBins = Array(repeating: -1, count: policy.characteristicValues.count)
        reasons = []
        reasons.reserveCapacity(policy.characteristicValues.count)
        identifier = []
        identifier.reserveCapacity(256)
        decoder = ApplicationDecoder(policy: policy)
    }

    /// Decodes one JSON application (a line of JSONL, without its newline) and evaluates it.
    @discardableResult
    public func evaluate(json: UnsafeRawBufferPointer) -> Outcome {
        malformed = !decoder.decode(json, into: self)
        if malformed {
            errors.removeAll(keepingCapacity: true)
            knockouts.removeAll(keepingCapacity: true)
            reasons.removeAll(keepingCapacity: true)
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
enum FieldState: UInt8 {
    case absent, present, typeError, formatError, enumError
}

/// An application already decoded into slot values, for evaluating many times without parsing.
public struct DecodedApplication: Sendable {
    let values: [Double]
    let states: [UInt8]
    let identifier: [UInt8]
    let identifierPresent: Bool

    init(capturing evaluator: Evaluator) {
        let count = evaluator.policy.fieldCount
        values = Array(evaluator.registers[0..<(2 * count)])
        states = evaluator.fieldStates.map(\.rawValue)
        identifier = evaluator.identifier
        identifierPresent = evaluator.identifierPresent
    }

    func restore(into evaluator: Evaluator) {
        values.withUnsafeBufferPointer { source in
            evaluator.registers.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: source.baseAddress!, count: source.count)
            }
        }
        states.withUnsafeBufferPointer { source in
            evaluator.fieldStates.withUnsafeMutableBufferPointer { target in
                for k in 0..<source.count { target[k] = FieldState(rawValue: source[k])! }
            }
        }
        evaluator.identifierPresent = identifierPresent
        if identifierPresent {
            evaluator.identifier.removeAll(keepingCapacity: true)
            evaluator.identifier.append(contentsOf: identifier)
        }
    }
}
