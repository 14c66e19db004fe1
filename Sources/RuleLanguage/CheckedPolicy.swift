/// A ruleset after name resolution and type checking: every name is an index, every enum literal an ordinal,
/// every expression typed. The rule engine compiles this into flat evaluator arrays.
public struct CheckedPolicy: Sendable {
    public var name: String?
    public var errorCodes: ErrorCodes
    public var fields: [CheckedField]
    public var tables: [CheckedTable]
    /// In evaluation order: every value comes after the values it reads.
    public var values: [CheckedValue]
    public var checks: [CheckedCheck]
    public var knockouts: [CheckedKnockout]
    public var scorecard: CheckedScorecard?
    public var grades: [CheckedGrade]
    public var routes: [CheckedRoute]
    /// The field whose value is the application number, if one is marked `id: true`.
    public var identifierField: Int?
}

/// Codes of the checks that come from the schema alone; a ruleset may rename them under `policy.error_codes`.
public struct ErrorCodes: Sendable, Hashable {
    public var required = "REQUIRED"
    public var type = "TYPE"
    public var format = "FORMAT"
    public var enumeration = "ENUM"
    public var range = "RANGE"
    public var malformedJSON = "MALFORMED_JSON"

    public init() {}
}

/// The type of a value in an expression.
public enum ValueType: Sendable, Hashable, CustomStringConvertible {
    case number
    case boolean
    /// An enum, with its values; ordinals index this list.
    case enumeration([String])
    case string
    case list

    public var description: String {
        switch self {
        case .number: return "number"
        case .boolean: return "boolean"
        case .enumeration(let values): return "enum (\(values.prefix(6).joined(separator: ", "))\(values.count > 6 ? ", …" : ""))"
        case .string: return "string"
        case .list: return "list"
        }
    }

    /// The type with an article, for messages an analyst reads: "but this is a number".
    var phrase: String {
        switch self {
        case .number: return "a number"
        case .boolean: return "a true/false value"
        case .enumeration: return "an \(self)"
        case .string: return "a text value"
        case .list: return "a list"
        }
    }
}

public struct CheckedField: Sendable {
    public var path: String
    public var segments: [String]
    public var type: FieldType
    public var required: Bool
    /// The default as a slot value (number, 0/1, enum ordinal, list length); nil means absent is missing.
    public var defaultValue: Double?
    /// For list fields, the default's membership mask over `listConstants`.
    public var defaultMask: UInt64
    public var pattern: Pattern?
    public var range: Interval?
    /// For list fields: the strings tested with `contains`, whose presence the decoder records as bits.
    public var listConstants: [String]
    public var location: SourceLocation
    public var description: String?

    public var valueType: ValueType {
        switch type {
        case .number, .integer: return .number
        case .boolean: return .boolean
        case .enumeration(let values): return .enumeration(values)
        case .string: return .string
        case .list: return .list
        }
    }
}

public struct CheckedTable: Sendable {
    public var name: String
    /// Indexed by the key enum's ordinal; NaN where the table has no entry and no default (missing).
    public var values: [Double]
    public var keyType: ValueType
    public var location: SourceLocation
}

public struct CheckedValue: Sendable {
    public var name: String
    public var expression: TypedExpression
    public var source: Expression
    public var location: SourceLocation
}

public struct CheckedCheck: Sendable {
    public var code: String
    public var field: Int
    public var condition: TypedExpression
    public var source: Expression
    /// Fields read, directly or through values: the check runs only when all of them passed their own checks.
    public var reads: [Int]
    public var message: String?
    public var location: SourceLocation
}

public struct CheckedKnockout: Sendable {
    public var code: String
    public var condition: TypedExpression
    public var source: Expression
    public var message: String?
    public var location: SourceLocation
}

public struct CheckedScorecard: Sendable {
    public var base: Double
    public var maximumReasons: Int
    public var characteristics: [CheckedCharacteristic]
}

public struct CheckedCharacteristic: Sendable {
    public var name: String
    public var value: TypedExpression?
    public var source: Expression?
    public var bins: [CheckedBin]
    public var maximumPoints: Double
    public var location: SourceLocation
}

public struct CheckedBin: Sendable {
    public enum Test: Sendable {
        case missing
        case range(Interval)
        /// Equality with a number, 0/1 for booleans, or an enum ordinal.
        case equals(Double)
        case condition(TypedExpression, Expression)
        case otherwise
    }

    public var test: Test
    public var points: Double
    public var reason: String?
    public var location: SourceLocation
}

public struct CheckedGrade: Sendable {
    public var grade: String
    public var minimumScore: Double?
    public var location: SourceLocation
}

public struct CheckedRoute: Sendable {
    public var id: String
    public var condition: TypedExpression?
    public var source: Expression?
    public var outcome: RouteOutcome
    public var levels: [Int]
    public var slaHours: [Int]
    public var location: SourceLocation
}
