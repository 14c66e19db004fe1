import RuleLanguage

/// A compiled ruleset: immutable, `Sendable`, flat arrays addressed by integer slots. Evaluating an
/// application reads these arrays only; names, sources and spans live in `explanations`, a side table used
/// for explanations and messages, never on the fast path.
public struct CompiledPolicy: Sendable {
    // MARK: Register file layout
    /// Total registers; `template` holds their initial contents (constants in place, everything else missing).
    public let registerCount: Int
    let template: [Double]

    // MARK: Fields (index = declaration order = error order)
    public let fieldCount: Int
    /// Register of field i's value is i; register of its list mask is `fieldCount + i`.
    let fieldKinds: [FieldKind]
    let fieldRequired: [Bool]
    let fieldDefaults: [Double]
    let fieldDefaultMasks: [Double]
    let fieldRanges: [Interval?]
    let fieldPatterns: [Pattern?]
    /// UTF-8 of each enum field's values (ordinal order) or each list field's tested texts (bit order).
    let fieldTexts: [[[UInt8]]]
    let identifierField: Int

    // MARK: Program
    let code: [Instruction]
    let pool: [Double]
    /// Every value (in dependency order) and characteristic value, as one straight run.
    let valuesRange: CodeRange
    let checkRanges: [CodeRange]
    let checkFields: [Int32]
    /// The fields each check reads: `checkReads[checkReadStarts[i] ..< checkReadStarts[i + 1]]`.
    let checkReadStarts: [Int32]
    let checkReads: [Int32]
    let knockoutRanges: [CodeRange]

    // MARK: Scorecard
    public let hasScorecard: Bool
    let base: Double
    let maximumReasons: Int
    /// Per characteristic: its value register (or -1) and its bins `bins[binStarts[i] ..< binStarts[i + 1]]`.
    let characteristicValues: [Int32]
    let characteristicMaximum: [Double]
    let binStarts: [Int32]
    let bins: [Bin]
    let gradeMinimums: [Double]

    // MARK: Routing
    let routeRanges: [CodeRange?]
    let routeOutcomes: [Outcome]

    /// Registers that knock-outs and routes read for `score` and `grade`.
    let scoreRegister: Int32
    let gradeRegister: Int32

    /// Names, codes, sources and the pre-rendered JSON pieces of the decision.
    public let explanations: PolicyExplanations
}

enum FieldKind: UInt8, Sendable {
    case string, number, integer, boolean, enumeration, list
}

struct Bin: Sendable {
    enum Kind: UInt8, Sendable {
        case missing, range, equals, condition, otherwise
    }

    var kind: Kind
    var lower: Double
    var upper: Double
    var lowerInclusive: Bool
    var upperInclusive: Bool
    var condition: CodeRange
    var points: Double
    /// Index into `explanations.reasonCodes`, or -1.
    var reason: Int32

    @inline(__always)
    func matches(_ value: Double, registers: UnsafeMutablePointer<Double>) -> Bool {
        switch kind {
        case .missing: return value.isNaN
        case .range:
            return (lowerInclusive ? value >= lower : value > lower) && (upperInclusive ? value <= upper : value < upper)
        case .equals: return value == lower
        case .condition: return registers[Int(condition.result)] == 1
        case .otherwise: return true
        }
    }
}

/// What the application's decision says.
public enum Outcome: UInt8, Sendable, Hashable, CustomStringConvertible {
    case invalid, declined, approved, referred

    public var description: String {
        switch self {
        case .invalid: return "invalid"
        case .declined: return "declined"
        case .approved: return "approved"
        case .referred: return "referred"
        }
    }
}
