extension Evaluator {
    /// Appends the decision in the §7 format (keys in contract order) and no newline.
    public func writeDecision(to out: inout [UInt8]) {
        let e = policy.explanations
        out.append(contentsOf: Self.idKey)
        if hasValidIdentifier {
            identifier.withUnsafeBufferPointer { JSONText.appendString(utf8: $0, to: &out) }
        } else {
            out.append(contentsOf: Self.null)
        }
        out.append(contentsOf: Self.outcomeKeys[Int(outcome.rawValue)])
        if malformed {
            out.append(contentsOf: e.malformedJSON)
        } else {
            for (position, reference) in errors.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: reference >= 0 ? e.checkErrorJSON[Int(reference)] : e.schemaErrorJSON[Int(-reference - 1)])
            }
        }
        out.append(contentsOf: Self.knockoutsKey)
        for (position, knockout) in knockouts.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: e.knockoutJSON[Int(knockout)])
        }
        out.append(contentsOf: Self.scoreKey)
        if outcome == .invalid || score.isNaN {
            out.append(contentsOf: Self.null)
        } else {
            Self.appendNumber(score, to: &out)
        }
        out.append(contentsOf: Self.gradeKey)
        if outcome != .invalid, grade >= 0 { out.append(contentsOf: e.gradeJSON[Int(grade)]) } else { out.append(contentsOf: Self.null) }
        out.append(contentsOf: Self.reasonsKey)
        if outcome != .invalid {
            for (position, reason) in reasons.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: e.reasonJSON[Int(reason)])
            }
        }
        out.append(contentsOf: Self.routeKey)
        if outcome == .referred, route >= 0 {
            out.append(contentsOf: e.routeJSON[Int(route)])
        } else if route >= 0 {
            out.append(contentsOf: e.routeIDJSON[Int(route)])
            out.append(contentsOf: Self.noLevels)
        } else {
            out.append(contentsOf: Self.noRoute)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The decision as a JSON string (convenience; allocates).
    public var decisionJSON: String {
        var out: [UInt8] = []
        writeDecision(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static let idKey = Array("{\"application_id\":".utf8)
    static let null = Array("null".utf8)
    static let outcomeKeys = ["invalid", "declined", "approved", "referred"].map { Array(",\"outcome\":\"\($0)\",\"errors\":[".utf8) }
    static let knockoutsKey = Array("],\"knockouts\":[".utf8)
    static let scoreKey = Array("],\"score\":".utf8)
    static let gradeKey = Array(",\"grade\":".utf8)
    static let reasonsKey = Array(",\"reasons\":[".utf8)
    static let routeKey = Array("],".utf8)
    static let noLevels = Array(",\"levels\":[],\"sla_hours\":null".utf8)
    static let noRoute = Array("\"route\":null,\"levels\":[],\"sla_hours\":null".utf8)

    /// Integers without a fraction; other numbers in Swift's shortest round-trip form.
    static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        if value == value.rounded(), abs(value) < 1e15 {
            var integer = Int64(value)
            if integer < 0 { out.append(UInt8(ascii: "-")); integer = -integer }
            if integer == 0 { out.append(UInt8(ascii: "0")); return }
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                while integer > 0 {
                    buffer[count] = UInt8(integer % 10) + 0x30
                    integer /= 10
                    count += 1
                }
                for k in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[k]) }
            }
        } else {
            out.append(contentsOf: Array(value.description.utf8))
        }
    }
}
