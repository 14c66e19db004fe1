// Fuzz target `expressions`: the first input byte picks a place in the reference rules and a YAML scalar
// style; the rest of the input is an expression written there, so that the expression lexer, parser, type
// checker, bounds analysis, code generator and interpreter see arbitrary expressions inside an otherwise
// valid rule set (the `rules` target mostly exercises the YAML reader and the section readers).
//   slot 0  values: fuzz_value: <e>, used by a knock-out `fuzz_value > 1`     (numbers)
//   slot 1  knockouts: when: <e>                                            (booleans)
//   slot 2  checks: when: <e> on field amount                               (booleans)
//   slot 3  routing: a first route `when: <e>`                              (booleans)
//   slot 4  scorecard: the `when` of a bin of the employment characteristic  (booleans)
//   slot 5  values: monthly_income: <e>, which dti and the scorecard read    (numbers)
//   slot 6  scorecard: the `value` of the history characteristic            (numbers)
// Style: ((byte - '0') / 7) % 2 == 0 → a double-quoted scalar (every byte representable through escapes);
// else a literal block scalar `|2-` when the text is printable, otherwise double-quoted.
// Checks: as for `rules` (RuleChecks.compileAndCheck), on every sample application.
import RuleLanguage
import RuleEngine

enum ExpressionsTarget {
    static let slots = 7

    static func reference(_ file: String) -> Source? {
        Harness.referenceSources.first { $0.name == "rules/" + file }
    }

    static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C: out += "\\\\"
            case 0x22: out += "\\\""
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            default:
                let hex = String(scalar.value, radix: 16)
                out += "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
            }
        }
        return out + "\""
    }

    static func isPrintableForYAML(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x20...0x7E, 0xA0...0xD7FF, 0xE000...0xFEFE, 0xFF00...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// The expression as a YAML scalar whose content the reader hands over unchanged.
    static func scalar(_ text: String, literal: Bool, indent: String) -> String {
        guard literal, !text.isEmpty, text.unicodeScalars.allSatisfy(isPrintableForYAML) else { return doubleQuoted(text) }
        let body = text.split(separator: "\n", omittingEmptySubsequences: false).map { indent + "  " + $0 }.joined(separator: "\n")
        return "|2-\n" + body
    }

    /// The sources for one input: the reference rules with the expression in `slot`, or nil if the reference
    /// rules no longer have the text a slot replaces.
    static func sources(slot: Int, expression text: String, literal: Bool) -> [Source]? {
        var sources = Harness.referenceSources
        func replace(_ file: String, _ old: String, _ new: (String) -> String) -> Bool {
            guard let index = sources.firstIndex(where: { $0.name == "rules/" + file }),
                  let range = sources[index].text.firstRange(of: old) else { return false }
            var source = sources[index]
            source.text.replaceSubrange(range, with: new(old))
            sources[index] = source
            return true
        }
        func add(_ yaml: String) -> Bool {
            sources.append(Source(name: "rules/fuzz.yaml", text: yaml))
            return true
        }
        let ok: Bool
        switch slot {
        case 0:
            ok = add("values:\n  fuzz_value: \(scalar(text, literal: literal, indent: "  "))\nknockouts:\n  - code: FUZZ\n    when: fuzz_value > 1\n")
        case 1:
            ok = add("knockouts:\n  - code: FUZZ\n    when: \(scalar(text, literal: literal, indent: "    "))\n")
        case 2:
            ok = add("checks:\n  - code: FUZZ\n    field: amount\n    when: \(scalar(text, literal: literal, indent: "    "))\n")
        case 3:
            ok = replace("routing.yaml", "routing:\n") {
                $0 + "  - route: FUZZ\n    when: \(scalar(text, literal: literal, indent: "    "))\n    outcome: referred\n    levels: [1]\n    sla_hours: 8\n"
            }
        case 4:
            ok = replace("scoring.yaml", "{when: employment_status == \"retired\", points: 35}") { _ in
                "{when: \(doubleQuoted(text)), points: 35}"
            }
        case 5:
            ok = replace("scoring.yaml", "monthly_income: annual_income / 12") { _ in
                "monthly_income: \(scalar(text, literal: literal, indent: "  "))"
            }
        default:
            ok = replace("scoring.yaml", "value: delinquencies_24m") { _ in
                "value: \(scalar(text, literal: literal, indent: "      "))"
            }
        }
        return ok ? sources : nil
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func expressionsFuzzTest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size >= 1 else { return 0 }
    let selector = Int(input[0] &- UInt8(ascii: "0"))
    let slot = selector % ExpressionsTarget.slots
    let literal = (selector / ExpressionsTarget.slots) % 2 == 1
    let text = String(decoding: UnsafeBufferPointer(rebasing: input[1...]), as: UTF8.self)
    guard let sources = ExpressionsTarget.sources(slot: slot, expression: text, literal: literal) else {
        Harness.fail("expressions: the reference rules no longer have the text slot \(slot) replaces; update fuzz/Sources/expressions")
    }
    RuleChecks.compileAndCheck(sources, input: input, context: "expression in slot \(slot)\(literal ? " (literal block)" : "")")
    return 0
}
