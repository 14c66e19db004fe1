/// A ruleset as declared across its YAML files, before names are resolved. Every declaration keeps the place
/// it was written, for diagnostics and explanations.
public struct PolicyAST: Sendable {
    public var settings: Settings?
    public var fields: [FieldDeclaration] = []
    public var tables: [TableDeclaration] = []
    public var values: [ValueDeclaration] = []
    public var checks: [CheckDeclaration] = []
    public var knockouts: [KnockoutDeclaration] = []
    public var scorecard: ScorecardDeclaration?
    public var grades: GradesDeclaration?
    public var routing: RoutingDeclaration?

    public init() {}
}

/// `policy:` — name and the codes used for the schema's own field checks.
public struct Settings: Sendable {
    public var name: String?
    public var errorCodes: [String: String]
    public var location: SourceLocation
}

/// An interval such as `[300, 580)` or `(0, inf)`.
public struct Interval: Sendable, Hashable, CustomStringConvertible {
    public var lower: Double
    public var lowerInclusive: Bool
    public var upper: Double
    public var upperInclusive: Bool

    public init(lower: Double, lowerInclusive: Bool, upper: Double, upperInclusive: Bool) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    public func contains(_ value: Double) -> Bool {
        (lowerInclusive ? value >= lower : value > lower) && (upperInclusive ? value <= upper : value < upper)
    }

    public var isEmpty: Bool {
        lower > upper || (lower == upper && !(lowerInclusive && upperInclusive))
    }

    public var description: String {
        "\(lowerInclusive ? "[" : "(")\(Expression.format(lower)), \(Expression.format(upper))\(upperInclusive ? "]" : ")")"
    }
}

public enum FieldType: Sendable, Hashable, CustomStringConvertible {
    case string, number, integer, boolean
    case enumeration([String])
    case list

    public var description: String {
        switch self {
        case .string: return "string"
        case .number: return "number"
        case .integer: return "integer"
        case .boolean: return "boolean"
        case .enumeration: return "enum"
        case .list: return "list"
        }
    }
}

/// A default value, typed by the field that declares it.
public enum Literal: Sendable, Hashable {
    case number(Double)
    case string(String)
    case boolean(Bool)
    case list([String])
}

public struct FieldDeclaration: Sendable {
    public var path: String
    public var type: FieldType
    public var required: Bool
    public var defaultValue: Literal?
    public var pattern: String?
    public var patternLocation: SourceLocation?
    public var range: Interval?
    public var isIdentifier: Bool
    public var description: String?
    public var location: SourceLocation
}

public struct TableDeclaration: Sendable {
    public var name: String
    public var key: String
    public var keyLocation: SourceLocation
    public var entries: [(key: String, value: Double, location: SourceLocation)]
    public var defaultValue: Double?
    public var location: SourceLocation
}

public struct ValueDeclaration: Sendable {
    public var name: String
    public var expression: Expression
    public var location: SourceLocation
}

public struct CheckDeclaration: Sendable {
    public var code: String
    public var field: String
    public var fieldLocation: SourceLocation
    public var condition: Expression
    public var message: String?
    public var location: SourceLocation
}

public struct KnockoutDeclaration: Sendable {
    public var code: String
    public var condition: Expression
    public var message: String?
    public var location: SourceLocation
}

public struct ScorecardDeclaration: Sendable {
    public var base: Double
    public var maximumReasons: Int
    public var characteristics: [CharacteristicDeclaration]
    public var location: SourceLocation
}

public struct CharacteristicDeclaration: Sendable {
    public var name: String
    public var value: Expression?
    public var bins: [BinDeclaration]
    public var location: SourceLocation
}

public struct BinDeclaration: Sendable {
    public enum Test: Sendable {
        case missing
        case range(Interval)
        case equals(Literal)
        case condition(Expression)
        case otherwise
    }

    public var test: Test
    public var points: Double
    public var reason: String?
    public var location: SourceLocation
}

public struct GradesDeclaration: Sendable {
    public var bands: [(grade: String, minimumScore: Double?, location: SourceLocation)]
    public var location: SourceLocation
}

public enum RouteOutcome: String, Sendable, Hashable, CaseIterable {
    case approved, declined, referred
}

public struct RouteDeclaration: Sendable {
    public var id: String
    public var condition: Expression?
    public var outcome: RouteOutcome
    public var levels: [Int]
    public var slaHours: [Int]
    public var description: String?
    public var location: SourceLocation
}

public struct RoutingDeclaration: Sendable {
    public var routes: [RouteDeclaration]
    public var location: SourceLocation
}
