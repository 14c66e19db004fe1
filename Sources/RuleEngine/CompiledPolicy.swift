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

/// A scorecard bin as one uniform test, so that matching does not branch on the kind of bin: a condition
/// bin runs `condition` and matches when it is true; any other bin matches a missing value when
/// `matchesMissing`, and a number when `lowest <= value <= highest` (a range's open ends are moved to the
/// next representable number inward; `equals` is a one-point range; `missing` an empty one).
struct Bin: Sendable {
    var isCondition: Bool
    var matchesMissing: Bool
    var lowest: Double
    var highest: Double
    var condition: CodeRange
    var points: Double
    /// Index into `explanations.reasonCodes`, or -1.
    var reason: Int32

    init(_ test: CheckedBin.Test, condition: CodeRange, points: Double, reason: Int32) {
        isCondition = false
        matchesMissing = false
        lowest = .nan
        highest = .nan
        self.condition = condition
        self.points = points
        self.reason = reason
        switch test {
        case .missing: matchesMissing = true
        case .otherwise:
            matchesMissing = true
            lowest = -.infinity
            highest = .infinity
        case .equals(let value):
            lowest = value
            highest = value
        case .range(let interval):
            lowest = Program.lowest(interval)
            highest = Program.highest(interval)
        case .condition: isCondition = true
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
