@testable import RuleEngine
import RuleLanguage
import Testing

/// The JSON decoder against a small policy: each case is an input line and the decision it must give.
@Suite struct ApplicationDecoderTests {
    static let rules = """
    fields:
      id: {type: string, required: true, id: true, pattern: "[A-Z]{2}-[0-9]+"}
      kind: {type: enum, values: [a, "b c", "é"], required: true}
      n: {type: number, required: true}
      inner.k: {type: integer, default: 0}
      tags: {type: list, default: []}
      flag: {type: boolean}
    knockouts:
      - {code: TAGGED, when: 'contains(tags, "x")'}
      - {code: FLAGGED, when: flag}
      - {code: BIG_K, when: k > 5}
    routing:
      - {route: OK, outcome: approved}
    """

    static let policy: CompiledPolicy = {
        let (policy, diagnostics) = compile(rules)
        guard let policy else { fatalError("\(diagnostics)") }
        return policy
    }()

    struct Case: CustomTestStringConvertible, Sendable {
        let input: String
        let expected: String
        let testDescription: String
        init(_ description: String, _ input: String, _ expected: String) {
            self.testDescription = description
            self.input = input
            self.expected = expected
        }
    }

    static let ok = #","outcome":"approved","errors":[],"knockouts":[],"score":null,"grade":null,"reasons":[],"route":"OK","levels":[],"sla_hours":null}"#
    static let malformed = #"{"application_id":null,"outcome":"invalid","errors":[{"code":"MALFORMED_JSON","field":null}],"knockouts":[],"score":null,"grade":null,"reasons":[],"route":null,"levels":[],"sla_hours":null}"#
    static func invalid(_ id: String?, _ errors: String) -> String {
        #"{"application_id":"# + (id.map { "\"\($0)\"" } ?? "null") + #","outcome":"invalid","errors":["# + errors + #"],"knockouts":[],"score":null,"grade":null,"reasons":[],"route":null,"levels":[],"sla_hours":null}"#
    }
    static func declined(_ id: String, _ knockouts: String) -> String {
        #"{"application_id":""# + id + #"","outcome":"declined","errors":[],"knockouts":["# + knockouts + #"],"score":null,"grade":null,"reasons":[],"route":null,"levels":[],"sla_hours":null}"#
    }

    static let cases: [Case] = [
        Case("plain", #"{"id":"AB-1","kind":"a","n":1}"#, #"{"application_id":"AB-1""# + ok),
        Case("whitespace everywhere", " \t{ \"id\" : \"AB-1\" ,\r\n\"kind\":\"a\" , \"n\" : 1 } \r", #"{"application_id":"AB-1""# + ok),
        Case("UTF-8 byte order mark", "\u{FEFF}" + #"{"id":"AB-1","kind":"a","n":1}"#, #"{"application_id":"AB-1""# + ok),
        Case("escaped key and enum value", #"{"\u0069d":"AB-1","kind":"b\u0020c","n":1}"#, #"{"application_id":"AB-1""# + ok),
        Case("non-ASCII enum value", #"{"id":"AB-1","kind":"é","n":1}"#, #"{"application_id":"AB-1""# + ok),
        Case("escaped non-ASCII enum value", #"{"id":"AB-1","kind":"\u00e9","n":1}"#, #"{"application_id":"AB-1""# + ok),
        Case("a repeated key: the last wins", #"{"id":"AB-1","kind":"zzz","n":1,"kind":"a"}"#, #"{"application_id":"AB-1""# + ok),
        Case("unknown keys of every kind are skipped", #"{"x":{"y":[1,{"z":null}],"w":"\"q\""},"id":"AB-1","kind":"a","n":1,"t":true}"#, #"{"application_id":"AB-1""# + ok),
        Case("nested field through its object", #"{"id":"AB-1","kind":"a","n":1,"inner":{"k":6}}"#, declined("AB-1", #""BIG_K""#)),
        Case("nested object given as a scalar leaves its fields absent", #"{"id":"AB-1","kind":"a","n":1,"inner":7}"#, #"{"application_id":"AB-1""# + ok),
        Case("list membership by exact text", #"{"id":"AB-1","kind":"a","n":1,"tags":["y","x"]}"#, declined("AB-1", #""TAGGED""#)),
        Case("list text is case-sensitive", #"{"id":"AB-1","kind":"a","n":1,"tags":["X"]}"#, #"{"application_id":"AB-1""# + ok),
        Case("a null inside a list is TYPE", #"{"id":"AB-1","kind":"a","n":1,"tags":[null]}"#, invalid("AB-1", #"{"code":"TYPE","field":"tags"}"#)),
        Case("boolean true", #"{"id":"AB-1","kind":"a","n":1,"flag":true}"#, declined("AB-1", #""FLAGGED""#)),
        Case("boolean given as 1 is TYPE", #"{"id":"AB-1","kind":"a","n":1,"flag":1}"#, invalid("AB-1", #"{"code":"TYPE","field":"flag"}"#)),
        Case("number overflowing a double is TYPE", #"{"id":"AB-1","kind":"a","n":1e400}"#, invalid("AB-1", #"{"code":"TYPE","field":"n"}"#)),
        Case("integer field with 6.0 is fine", #"{"id":"AB-1","kind":"a","n":-0,"inner":{"k":6.0}}"#, declined("AB-1", #""BIG_K""#)),
        Case("integer field with 6.5 is TYPE", #"{"id":"AB-1","kind":"a","n":1,"inner":{"k":6.5}}"#, invalid("AB-1", #"{"code":"TYPE","field":"inner.k"}"#)),
        Case("pattern failure hides the id", #"{"id":"ab-1","kind":"a","n":1}"#, invalid(nil, #"{"code":"FORMAT","field":"id"}"#)),
        Case("an escaped id is decoded, then re-escaped on output", #"{"id":"AB-\u0031","kind":"a","n":1}"#, #"{"application_id":"AB-1""# + ok),
        Case("a JSON array is an object with every field absent", "[1,2]", invalid(nil, #"{"code":"REQUIRED","field":"id"},{"code":"REQUIRED","field":"kind"},{"code":"REQUIRED","field":"n"}"#)),
        Case("empty line", "", malformed),
        Case("truncated", #"{"id":"AB-1""#, malformed),
        Case("trailing garbage", #"{"id":"AB-1","kind":"a","n":1}x"#, malformed),
        Case("two objects", #"{}{}"#, malformed),
        Case("trailing comma", #"{"id":"AB-1",}"#, malformed),
        Case("single quotes", #"{'id':'AB-1'}"#, malformed),
        Case("leading zero", #"{"id":"AB-1","kind":"a","n":01}"#, malformed),
        Case("bare dot", #"{"id":"AB-1","kind":"a","n":1.}"#, malformed),
        Case("leading dot", #"{"id":"AB-1","kind":"a","n":.5}"#, malformed),
        Case("plus sign", #"{"id":"AB-1","kind":"a","n":+1}"#, malformed),
        Case("NaN literal", #"{"id":"AB-1","kind":"a","n":NaN}"#, malformed),
        Case("raw control character in a string", "{\"id\":\"AB\u{1}-1\"}", malformed),
        Case("bad escape", #"{"id":"AB\q-1"}"#, malformed),
        Case("short unicode escape", #"{"id":"AB\u12-1"}"#, malformed),
        Case("deep nesting is refused", String(repeating: "[", count: 200) + String(repeating: "]", count: 200), malformed),
        Case("nesting within the cap is fine", #"{"x":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + #","id":"AB-1","kind":"a","n":1}"#, #"{"application_id":"AB-1""# + ok),
    ]

    @Test(arguments: cases)
    func decision(_ testCase: Case) {
        let evaluator = Evaluator(policy: Self.policy)
        evaluator.evaluate(json: testCase.input)
        #expect(evaluator.decisionJSON == testCase.expected)
    }

    @Test(arguments: [
        [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80],
    ] as [[UInt8]])
    func invalidUTF8InAStringIsMalformed(_ bytes: [UInt8]) {
        let evaluator = Evaluator(policy: Self.policy)
        let input = Array(#"{"id":""#.utf8) + bytes + Array(#"","kind":"a","n":1}"#.utf8)
        input.withUnsafeBytes { _ = evaluator.evaluate(json: $0) }
        #expect(evaluator.decisionJSON == Self.malformed)
    }

    @Test func aControlCharacterInAnIdIsEscapedInTheDecision() throws {
        let (policy, _) = compile("""
        fields:
          id: {type: string, required: true, id: true}
        routing:
          - {route: OK, outcome: approved}
        """)
        let evaluator = Evaluator(policy: try #require(policy))
        evaluator.evaluate(json: #"{"id":"a\nb\"c\\"}"#)
        #expect(evaluator.decisionJSON.hasPrefix(#"{"application_id":"a\nb\"c\\","outcome":"approved""#))
    }

    /// Every number the decoder reads must be the nearest double to its text, as strtod gives it.
    @Test func numbersAreTheNearestDouble() {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "1e22", "1e23", "9007199254740993", "0.1", "0.30000000000000004", "2417.8569018714884",
                     "2417.8569018714893", "1.7976931348623157e308", "4.9e-324", "123456789012345678901234567890",
                     "0.000000000000000000000000000001", "1E+2", "1e-2", "667.8569018714884", "100000.01"]
        for _ in 0..<5000 {
            let mantissa = UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0...63, using: &generator)
            let exponent = Int.random(in: -30...30, using: &generator)
            texts.append("\(mantissa)e\(exponent)")
            let digits = String(mantissa)
            let point = Int.random(in: 0...digits.count, using: &generator)
            texts.append(point == 0 ? "0." + digits : String(digits.prefix(point)) + "." + (point == digits.count ? "0" : String(digits.dropFirst(point))))
        }
        for text in texts {
            var copy = text
            let parsed = copy.withUTF8 { buffer -> Double? in
                var scanner = JSONScanner(base: buffer.baseAddress!, count: buffer.count)
                return scanner.number()
            }
            #expect(parsed?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }
}

@Suite struct JSONMembersTests {
    @Test(arguments: [
        ("{}", "[]"), (" { } ", "[]"), ("{}x", "nil"), ("{\"a\":1}x", "nil"), ("[1]", "nil"),
        ("{\"a\":[1,{\"b\":2}],\"c\":\"x\"}", "[a=[1,{\"b\":2}], c=\"x\"]"),
    ])
    func spans(_ text: String, _ expected: String) {
        let bytes = Array(text.utf8)
        let rendered = JSONMembers.spans(in: bytes).map { spans in
            "[" + spans.map { "\($0.key)=\(String(decoding: bytes[$0.range], as: UTF8.self))" }.joined(separator: ", ") + "]"
        } ?? "nil"
        #expect(rendered == expected)
    }
}
