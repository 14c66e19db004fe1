import RuleLanguage

/// The side table of a compiled policy: the checked ruleset (names, sources, places) for explanations, and
/// every piece of decision JSON rendered once at compile time, so writing a decision only copies bytes.
public struct PolicyExplanations: Sendable {
    public let policy: CheckedPolicy
    /// Reason codes, interned: bins refer to them by index, so duplicates compare as integers.
    public let reasonCodes: [String]
    /// Registers of each value (in `policy.values` order) and each characteristic's value (or -1).
    public let valueRegisters: [Int32]
    public let characteristicRegisters: [Int32]

    /// `{"code":"REQUIRED","field":"amount"}` for schema error kind k (see `SchemaError`) of field f at
    /// `schemaErrorJSON[k * fieldCount + f]`; then `checkErrorJSON[c]` for check c.
    let schemaErrorJSON: [[UInt8]]
    let checkErrorJSON: [[UInt8]]
    let malformedJSON: [UInt8]
    let knockoutJSON: [[UInt8]]
    let reasonJSON: [[UInt8]]
    let gradeJSON: [[UInt8]]
    /// `"route":"R2","levels":[2,3],"sla_hours":72` per route.
    let routeJSON: [[UInt8]]
    /// `"route":"R1"` per route, for routes that do not refer.
    let routeIDJSON: [[UInt8]]

    init(policy: CheckedPolicy, reasonCodes: [String], valueRegisters: [Int32], characteristicRegisters: [Int32]) {
        self.policy = policy
        self.reasonCodes = reasonCodes
        self.valueRegisters = valueRegisters
        self.characteristicRegisters = characteristicRegisters
        let codes = policy.errorCodes
        var schema: [[UInt8]] = []
        for code in SchemaError.allCases.map({ $0.code(in: codes) }) {
            for field in policy.fields { schema.append(JSONText.errorObject(code: code, field: field.path)) }
        }
        schemaErrorJSON = schema
        checkErrorJSON = policy.checks.map { JSONText.errorObject(code: $0.code, field: policy.fields[$0.field].path) }
        var malformed = Array("{\"code\":".utf8)
        JSONText.appendString(codes.malformedJSON, to: &malformed)
        malformed += Array(",\"field\":null}".utf8)
        malformedJSON = malformed
        knockoutJSON = policy.knockouts.map { JSONText.string($0.code) }
        reasonJSON = reasonCodes.map { JSONText.string($0) }
        gradeJSON = policy.grades.map { JSONText.string($0.grade) }
        routeIDJSON = policy.routes.map { Array("\"route\":".utf8) + JSONText.string($0.id) }
        routeJSON = policy.routes.map { route in
            var text = Array("\"route\":".utf8) + JSONText.string(route.id)
            text += Array(",\"levels\":[".utf8) + Array(route.levels.map(String.init).joined(separator: ",").utf8) + Array("],".utf8)
            text += Array("\"sla_hours\":".utf8) + Array((route.slaHours.first.map(String.init) ?? "null").utf8)
            return text
        }
    }
}

/// The field checks that come from the schema alone, in the order a field's checks run.
enum SchemaError: Int, CaseIterable {
    case required, type, format, enumeration, range

    func code(in codes: ErrorCodes) -> String {
        switch self {
        case .required: return codes.required
        case .type: return codes.type
        case .format: return codes.format
        case .enumeration: return codes.enumeration
        case .range: return codes.range
        }
    }
}

/// Minimal JSON text helpers for the decision writer.
enum JSONText {
    static func string(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        appendString(text, to: &out)
        return out
    }

    static func errorObject(code: String, field: String) -> [UInt8] {
        var out = Array("{\"code\":".utf8)
        appendString(code, to: &out)
        out += Array(",\"field\":".utf8)
        appendString(field, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func appendString(_ text: String, to out: inout [UInt8]) {
        var copy = text
        copy.withUTF8 { appendString(utf8: $0, to: &out) }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends `"…"` with JSON escapes; control characters, `"` and `\` are escaped, the rest copied.
    static func appendString(utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
