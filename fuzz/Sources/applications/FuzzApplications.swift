// Fuzz target `applications`: input bytes → one JSON application → Evaluator.evaluate(json:) against the
// reference policy (rules/*.yaml, compiled once) and against fuzz/policies/wide (every field type: the
// reference schema has no boolean), then writeDecision and explanation(). Also JSONMembers.spans(in:).
// Checks, beyond "no crash, hang or ASan report":
//   - the decision is valid JSON with the §7 keys in order and a consistent outcome (Harness.checkDecision);
//   - the decoder is strict RFC 8259 as documented: the input gets the MALFORMED_JSON decision exactly when an
//     independent parser (StrictJSON; a leading UTF-8 BOM allowed, depth ≤ 128) rejects it;
//   - an application_id echoed in the decision is the input's (last) top-level application_id string;
//   - no state leaks between applications: a long-lived evaluator (that saw every earlier input) and a
//     fresh one write the same decision and explanation; decode(json:) + evaluate(decoded) and, for valid
//     UTF-8, evaluate(json: String) agree;
//   - a BlockEvaluator writes the same decision for the input, placed among sample applications in a block;
//   - JSONMembers.isObject agrees with spans; JSONMembers.spans returns nil exactly when the input is not a JSON object, else one in-bounds,
//     ordered span per member whose key and text match the independent parse.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RuleLanguage
import RuleEngine

/// One policy's long-lived evaluator and the decision it gives malformed lines.
final class PolicyUnderTest {
    let name: String
    let policy: CompiledPolicy
    let shared: Evaluator
    let block: BlockEvaluator
    let malformedDecision: [UInt8]
    var decision: [UInt8] = []
    var other: [UInt8] = []

    init(name: String, policy: CompiledPolicy) {
        self.name = name
        self.policy = policy
        shared = Evaluator(policy: policy)
        block = BlockEvaluator(policy: policy, width: 4)
        let evaluator = Evaluator(policy: policy)
        Array("{".utf8).withUnsafeBytes { _ = evaluator.evaluate(json: $0) }
        var out: [UInt8] = []
        evaluator.writeDecision(to: &out)
        malformedDecision = out
    }
}

enum ApplicationsTarget {
    nonisolated(unsafe) static let policies = [
        PolicyUnderTest(name: "reference policy", policy: Harness.referencePolicy),
        PolicyUnderTest(name: "wide policy", policy: Harness.widePolicy),
    ]

    static let depthLimit = 128

    static func checkSpans(_ input: UnsafeBufferPointer<UInt8>) {
        let bytes = Array(input)
        let spans = JSONMembers.spans(in: bytes)
        // isObject (the server's SUBMIT check) must agree with spans, which the independent parser checks below.
        if JSONMembers.isObject(bytes) != (spans != nil) {
            Harness.fail("JSONMembers.isObject says \(JSONMembers.isObject(bytes)) where spans says \(spans != nil)", input: input)
        }
        // spans() reads member values at depth 1 (the object itself is depth 0 there) and allows no BOM.
        let parsed = StrictJSON.parse(input, maximumDepth: depthLimit, firstDepth: 0)
        guard case .object(let members)? = parsed else {
            if let spans { Harness.fail("JSONMembers.spans accepted a non-object or invalid JSON: \(spans.count) spans", input: input) }
            return
        }
        guard let spans else { Harness.fail("JSONMembers.spans refused a valid JSON object", input: input) }
        guard spans.count == members.count else {
            Harness.fail("JSONMembers.spans gave \(spans.count) spans for \(members.count) members", input: input)
        }
        var previousEnd = 0
        for (span, member) in zip(spans, members) {
            guard span.range.lowerBound >= previousEnd, span.range.upperBound <= bytes.count, !span.range.isEmpty else {
                Harness.fail("JSONMembers.spans range \(span.range) out of order or bounds (\(bytes.count) bytes)", input: input)
            }
            previousEnd = span.range.upperBound
            guard Array(span.key.utf8) == member.key else {
                Harness.fail("JSONMembers.spans key \(span.key.debugDescription) != \(String(decoding: member.key, as: UTF8.self).debugDescription)", input: input)
            }
            guard let value = StrictJSON.parse(Array(bytes[span.range]), maximumDepth: depthLimit, firstDepth: 1), value == member.value else {
                Harness.fail("JSONMembers.spans range \(span.range) does not hold the member's value", input: input)
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func applicationsFuzzTest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    var body = input
    if size >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF { body = UnsafeBufferPointer(rebasing: input[3...]) }
    let parsed = StrictJSON.parse(body, maximumDepth: ApplicationsTarget.depthLimit)
    for target in ApplicationsTarget.policies {
        ApplicationsTarget.check(input, parsed: parsed, against: target)
    }
    if Harness.checking("spans") { ApplicationsTarget.checkSpans(input) }
    return 0
}

extension ApplicationsTarget {
    static func check(_ input: UnsafeBufferPointer<UInt8>, parsed: JSONValue?, against target: PolicyUnderTest) {
        let raw = UnsafeRawBufferPointer(input)
        let shared = target.shared
        let name = target.name
        // Leave the shared evaluator holding another application's state first (chosen by the input, so that a
        // saved input reproduces on its own), then evaluate the input.
        let samples = Harness.applications
        if !samples.isEmpty { samples[input.count % samples.count].withUnsafeBytes { _ = shared.evaluate(json: $0) } }
        shared.evaluate(json: raw)
        target.decision.removeAll(keepingCapacity: true)
        shared.writeDecision(to: &target.decision)
        let decision = target.decision
        let parsedDecision = Harness.checkDecision(decision, input: input, context: "\(name): decision")
        let explanation = shared.explanation()

        // Strictness, against the independent parser.
        let engineSaysMalformed = decision == target.malformedDecision
        if engineSaysMalformed != (parsed == nil), Harness.checking("strict") {
            Harness.fail(parsed == nil ? "\(name): the decoder accepted input that is not valid JSON (or nests deeper than 128)"
                                       : "\(name): the decoder rejected valid JSON as MALFORMED_JSON", input: input)
        }

        // The echoed application id is the input's.
        if let id = parsedDecision.member("application_id")?.stringValue, Harness.checking("id-echo") {
            guard let given = parsed?.member("application_id")?.stringValue, given == id else {
                Harness.fail("\(name): decision application_id \(id.debugDescription) is not the input's top-level application_id", input: input)
            }
        }

        // No state carried over from earlier applications.
        let fresh = Evaluator(policy: target.policy)
        fresh.evaluate(json: raw)
        target.other.removeAll(keepingCapacity: true)
        fresh.writeDecision(to: &target.other)
        if target.other != decision, Harness.checking("state") {
            Harness.fail("\(name): a fresh evaluator decides differently from a reused one:\n  reused: \(String(decoding: decision, as: UTF8.self))\n  fresh:  \(String(decoding: target.other, as: UTF8.self))", input: input)
        }
        if Harness.checking("state"), fresh.explanation() != explanation {
            Harness.fail("\(name): a fresh evaluator explains differently from a reused one", input: input)
        }
        if let decoded = fresh.decode(json: raw) {
            if engineSaysMalformed { Harness.fail("\(name): decode(json:) accepted what evaluate(json:) called malformed", input: input) }
            fresh.evaluate(decoded)
            target.other.removeAll(keepingCapacity: true)
            fresh.writeDecision(to: &target.other)
            if target.other != decision, Harness.checking("decode") {
                Harness.fail("\(name): evaluate(decoded) decides differently from evaluate(json:):\n  json:    \(String(decoding: decision, as: UTF8.self))\n  decoded: \(String(decoding: target.other, as: UTF8.self))", input: input)
            }
        } else if !engineSaysMalformed {
            Harness.fail("\(name): decode(json:) refused what evaluate(json:) accepted", input: input)
        }
        // The block engine, with the input in the lane the input's length picks and samples around it.
        if Harness.checking("block") {
            let block = target.block, lane = input.count % block.width
            block.reset()
            for k in 0..<block.width {
                if k == lane {
                    block.append(json: raw)
                } else if !samples.isEmpty {
                    samples[(input.count + k) % samples.count].withUnsafeBytes { block.append(json: $0) }
                } else {
                    block.append(json: UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }
            block.evaluate()
            target.other.removeAll(keepingCapacity: true)
            block.writeDecision(lane, to: &target.other)
            if target.other != decision {
                Harness.fail("\(name): BlockEvaluator decides differently from Evaluator:\n  evaluator: \(String(decoding: decision, as: UTF8.self))\n  block:     \(String(decoding: target.other, as: UTF8.self))", input: input)
            }
        }
        // The String entry point, for text that is valid UTF-8 (a String cannot hold anything else).
        if Harness.checking("decode"), let text = String(validating: input, as: UTF8.self) {
            fresh.evaluate(json: text)
            target.other.removeAll(keepingCapacity: true)
            fresh.writeDecision(to: &target.other)
            if target.other != decision {
                Harness.fail("\(name): evaluate(json: String) decides differently from evaluate(json: bytes)", input: input)
            }
        }
    }
}
