/// One decision's parts as the JSON writer reads them: the `Evaluator`'s, or one application's in a
/// `BlockEvaluator`.
struct DecisionParts {
    /// The application number's UTF-8, or nil when the decision carries none.
    var identifier: UnsafeBufferPointer<UInt8>?
    var outcome: Outcome
    var malformed: Bool
    var errors: UnsafeBufferPointer<Int32>
    var knockouts: UnsafeBufferPointer<Int32>
    var score: Double
    var grade: Int32
    var reasons: UnsafeBufferPointer<Int32>
    var route: Int32
}

extension Evaluator {
    /// Appends the decision in the §7 format (keys in contract order) and no newline.
    public func writeDecision(to out: inout [UInt8]) {
        identifier.withUnsafeBufferPointer { id in
            let parts = DecisionParts(identifier: hasValidIdentifier ? id : nil, outcome: outcome, malformed: malformed,
                                      errors: UnsafeBufferPointer(start: errors.base, count: errors.count),
                                      knockouts: UnsafeBufferPointer(start: knockouts.base, count: knockouts.count),
                                      score: score, grade: grade,
                                      reasons: UnsafeBufferPointer(start: reasons.base, count: reasons.count), route: route)
            Self.write(parts, explanations: policy.explanations, to: &out)
        }
    }

    static func write(_ d: DecisionParts, explanations e: PolicyExplanations, to out: inout [UInt8]) {
        out.append(contentsOf: Self.idKey)
        if let identifier = d.identifier {
            JSONText.appendString(utf8: identifier, to: &out)
        } else {
            out.append(contentsOf: Self.null)
        }
        out.append(contentsOf: Self.outcomeKeys[Int(d.outcome.rawValue)])
        if d.malformed {
            out.append(contentsOf: e.malformedJSON)
        } else {
            for (position, reference) in d.errors.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: reference >= 0 ? e.checkErrorJSON[Int(reference)] : e.schemaErrorJSON[Int(-reference - 1)])
            }
        }
        out.append(contentsOf: Self.knockoutsKey)
        for (position, knockout) in d.knockouts.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: e.knockoutJSON[Int(knockout)])
        }
        out.append(contentsOf: Self.scoreKey)
        if d.outcome == .invalid || d.score.isNaN {
            out.append(contentsOf: Self.null)
        } else {
            Self.appendNumber(d.score, to: &out)
        }
        out.append(contentsOf: Self.gradeKey)
        if d.outcome != .invalid, d.grade >= 0 { out.append(contentsOf: e.gradeJSON[Int(d.grade)]) } else { out.append(contentsOf: Self.null) }
        out.append(contentsOf: Self.reasonsKey)
        if d.outcome != .invalid {
            for (position, reason) in d.reasons.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: e.reasonJSON[Int(reason)])
            }
        }
        out.append(contentsOf: Self.routeKey)
        if d.outcome == .referred, d.route >= 0 {
            out.append(contentsOf: e.routeJSON[Int(d.route)])
        } else if d.route >= 0 {
            out.append(contentsOf: e.routeIDJSON[Int(d.route)])
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
