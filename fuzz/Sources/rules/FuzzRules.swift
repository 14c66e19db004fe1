// Fuzz target `rules`: input bytes → a rule file → RuleCompiler.compile, twice:
//   1. the input alone, as the only rule file;
//   2. the input alongside the reference rules (rules/*.yaml). For inputs of even length, each reference file
//      that declares a top-level section the input declares too is left out — so a mutated scoring.yaml
//      stands in for the real one and the checker and code generator get deep instead of stopping at "no
//      fields"; for odd lengths all reference files stay, so sections add up across files (fields declared
//      twice, a second routing section, …).
// Checks (RuleChecks.compileAndCheck): no crash, hang or ASan report; errors ⇔ no policy; diagnostics
// render; a policy that compiles evaluates sample applications to valid §7 decisions and explains them.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RuleLanguage
import RuleEngine

enum RulesTarget {
    /// Top-level sections declared by each reference file.
    static let referenceSections: [Set<String>] = Harness.referenceSources.map { topLevelKeys(Array($0.text.utf8)) }

    static let sectionKeys: [[UInt8]] = PolicyReader.sections.map { Array($0.utf8) }

    /// Section names written `name:` at the start of a line (block style). Cheap and approximate.
    static func topLevelKeys(_ bytes: [UInt8]) -> Set<String> {
        var keys = Set<String>()
        var index = 0
        while index < bytes.count {
            for (number, key) in sectionKeys.enumerated() where index + key.count < bytes.count
                && bytes[index + key.count] == UInt8(ascii: ":") && bytes[index..<(index + key.count)].elementsEqual(key) {
                keys.insert(PolicyReader.sections[number])
            }
            guard let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            index = newline + 1
        }
        return keys
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func rulesFuzzTest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    // The CLI refuses files that are not UTF-8; any Swift String is valid input to the compiler, so repair.
    let text = String(decoding: input, as: UTF8.self)
    let source = Source(name: "rules/fuzz.yaml", text: text)

    RuleChecks.compileAndCheck([source], input: input, context: "alone")

    let declared = RulesTarget.topLevelKeys(Array(input))
    var sources: [Source] = []
    let replace = size % 2 == 0
    for (index, reference) in Harness.referenceSources.enumerated()
    where !replace || RulesTarget.referenceSections[index].isDisjoint(with: declared) {
        sources.append(reference)
    }
    sources.append(source)
    RuleChecks.compileAndCheck(sources, input: input, context: "with the reference rules")
    return 0
}
