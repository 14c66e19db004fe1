// Shared by both fuzz targets: where the repository is, the reference rules and fixture applications, and
// the checks every decision the engine writes must pass.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RuleLanguage
import RuleEngine

enum Harness {
    /// The repository root: `$RISKGATE_ROOT` (fuzz/run.sh sets it), else two folders above fuzz/Sources.
    static let root: String = {
        if let value = getenv("RISKGATE_ROOT") { return String(cString: value) }
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4) // Common/Harness.swift, Sources, fuzz
        return parts.joined(separator: "/")
    }()

    /// Checks named in `$FUZZ_IGNORE` (comma-separated) are skipped: for exploring past a known finding
    /// while it is being fixed. CI never sets it.
    static let ignored: Set<String> = {
        guard let value = getenv("FUZZ_IGNORE") else { return [] }
        return Set(String(cString: value).split(separator: ",").map(String.init))
    }()

    static func checking(_ name: String) -> Bool { !ignored.contains(name) }

    /// Prints what broke and aborts, so that libFuzzer records the input as a crash.
    static func fail(_ message: String, input: UnsafeBufferPointer<UInt8>? = nil) -> Never {
        var text = "\n==FUZZ INVARIANT== \(message)\n"
        if let input, input.count <= 512 {
            text += "input (\(input.count) bytes): \(String(decoding: input, as: UTF8.self).debugDescription)\n"
        }
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return bytes
    }

    static func listDirectory(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The rule files of a folder (`*.yaml`, not the `*.test.yaml` rule tests), named `prefix/name`.
    static func ruleSources(in directory: String, prefix: String) -> [Source] {
        let names = listDirectory(directory).filter {
            ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasSuffix(".test.yaml") && !$0.hasSuffix(".test.yml")
        }
        let sources = names.compactMap { name -> Source? in
            guard let bytes = readFile(directory + "/" + name) else { return nil }
            return Source(name: prefix + "/" + name, text: String(decoding: bytes, as: UTF8.self))
        }
        if sources.isEmpty { fail("no rule files in \(directory) (set RISKGATE_ROOT)") }
        return sources
    }

    static func compileOrFail(_ sources: [Source], _ what: String) -> CompiledPolicy {
        let (policy, diagnostics) = RuleCompiler.compile(sources: sources)
        guard let policy else {
            fail("\(what) do not compile:\n" + diagnostics.map { $0.render(sources: sources) }.joined(separator: "\n"))
        }
        return policy
    }

    /// rules/*.yaml, named as the CLI names them.
    static let referenceSources: [Source] = ruleSources(in: root + "/rules", prefix: "rules")
    static let referencePolicy: CompiledPolicy = compileOrFail(referenceSources, "the reference rules (rules/)")

    /// fuzz/policies/wide: every field type, nested and non-ASCII keys, patterns, a 52-text list.
    static let widePolicy: CompiledPolicy = compileOrFail(
        ruleSources(in: root + "/fuzz/policies/wide", prefix: "fuzz/policies/wide"), "the wide fuzz policy (fuzz/policies/wide/)")

    static func lines(_ path: String) -> [[UInt8]] {
        guard let bytes = readFile(path) else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).map(Array.init).filter { !$0.isEmpty }
    }

    /// The sample applications: fixtures/applications.jsonl, then the `application` of each fixtures.jsonl line.
    static let applications: [[UInt8]] = {
        var result = lines(root + "/fixtures/applications.jsonl")
        for line in lines(root + "/fixtures/fixtures.jsonl") {
            guard let spans = JSONMembers.spans(in: line),
                  let range = spans.last(where: { $0.key == "application" })?.range else { continue }
            result.append(Array(line[range]))
        }
        var seen = Set<[UInt8]>()
        return result.filter { seen.insert($0).inserted }
    }()

    static let outcomes: Set<String> = ["invalid", "declined", "approved", "referred"]
    static let decisionKeys = ["application_id", "outcome", "errors", "knockouts", "score", "grade", "reasons", "route", "levels", "sla_hours"]

    /// The §7 decision shape: valid JSON, keys in contract order, consistent outcome. Returns the parsed value.
    @discardableResult
    static func checkDecision(_ decision: [UInt8], input: UnsafeBufferPointer<UInt8>?, context: String) -> JSONValue {
        guard let value = StrictJSON.parse(decision, maximumDepth: 8) else {
            fail("\(context): the decision is not valid JSON: \(String(decoding: decision, as: UTF8.self).debugDescription)", input: input)
        }
        let text = String(decoding: decision, as: UTF8.self)
        guard case .object(let members) = value else { fail("\(context): the decision is not an object: \(text)", input: input) }
        let keys = members.map { String(decoding: $0.key, as: UTF8.self) }
        guard keys == decisionKeys else { fail("\(context): decision keys \(keys), expected \(decisionKeys): \(text)", input: input) }
        guard let outcome = value.member("outcome")?.stringValue, outcomes.contains(outcome) else {
            fail("\(context): bad outcome in \(text)", input: input)
        }
        guard let errors = value.member("errors")?.arrayValue, let knockouts = value.member("knockouts")?.arrayValue,
              value.member("reasons")?.arrayValue != nil, value.member("levels")?.arrayValue != nil else {
            fail("\(context): errors, knockouts, reasons and levels must be arrays: \(text)", input: input)
        }
        if (outcome == "invalid") != !errors.isEmpty {
            fail("\(context): outcome is \(outcome) with \(errors.count) errors: \(text)", input: input)
        }
        if !knockouts.isEmpty && outcome != "declined" {
            fail("\(context): knock-outs without a declined outcome: \(text)", input: input)
        }
        if outcome == "invalid", value.member("score") != .null {
            fail("\(context): an invalid application has a score: \(text)", input: input)
        }
        switch value.member("application_id") {
        case .null?, .string?: break
        default: fail("\(context): application_id must be a string or null: \(text)", input: input)
        }
        return value
    }
}
