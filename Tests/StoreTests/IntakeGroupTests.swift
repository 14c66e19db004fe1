import Foundation
import GRDB
@testable import Store
import Testing

/// Intake's fast path inserts application rows 32 at a time and falls back to one by one when a group holds a
/// number already stored or repeated: whatever the grouping, each submission gets the answer it would get alone.
@Suite struct IntakeGroupTests {
    @Test(arguments: StoreKind.allCases)
    func groupsWithRepeatedAndKnownNumbersAnswerAsIfAlone(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(Applications.tierOne("G-5"))
        // 100 submissions at once (one or a few batches): new numbers, one repeated with the same content, one with
        // a different content, a number stored before, a refused user and an unnumbered application.
        let submissions: [(String, String)] = (0..<100).map { index in
            switch index {
            case 10: return (Applications.tierOne("G-9"), "branch")
            case 40: return (Applications.personal("G-9", amount: 12000), "branch")
            case 50: return (Applications.tierOne("G-5"), "branch")
            case 60: return (Applications.tierOne("G-60"), "sam")
            case 70: return (#"{"product":"personal","amount":5000,"term_months":24}"#, "branch")
            default: return (Applications.tierOne("G-\(index)"), "branch")
            }
        }
        let results = await withTaskGroup(of: (Int, Result<SubmissionResult, StoreError>).self) { group in
            for (index, (json, actor)) in submissions.enumerated() {
                group.addTask {
                    do { return (index, .success(try await fixture.submit(json, by: actor))) } catch { return (index, .failure(error as! StoreError)) }
                }
            }
            var results: [Int: Result<SubmissionResult, StoreError>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }
        // G-9 arrives twice with the same content (9 and 10) and once with another (40): one is created, one is a
        // duplicate, and the other content is refused unless it came first.
        let nine = [9, 10, 40].compactMap { try? results[$0]!.get() }
        #expect(nine.filter { $0.disposition == .created }.count == 1)
        #expect(try results[50]!.get().disposition == .duplicate)
        #expect(throws: StoreError.self) { try results[60]!.get() }
        #expect(try results[70]!.get().assigned)
        for index in [0, 1, 31, 32, 33, 99] { #expect(isCreated(try results[index]!.get(), "G-\(index)")) }
        let counts = try await fixture.store.writer.read { db in
            try ["applications", "decisions", "cases", "case_levels"].map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)")! }
        }
        // G-5 before; G-0…G-99 but G-5 (stored), G-10, G-40, G-50, G-60 (refused) and G-70: 94 new; 1 assigned.
        #expect(counts[0] == 96 && counts[1] == 96, "\(counts)")
        #expect(try await fixture.store.verifyAudit().isValid)
        if kind == .file { #expect(try fixture.store.integrityCheck() == "ok") }
    }

    private func isCreated(_ result: SubmissionResult, _ id: String) -> Bool {
        result.applicationID == id && result.version == 1 && !result.assigned && result.disposition == .created
            && result.outcome == "referred" && result.caseStatus == "queued" && result.decision.hasPrefix(#"{"application_id":"\#(id)","#)
    }

    /// The same text as `JSONString.quote` (which the audit details used before): `\"`, `\\`, `\n`, `\r`, `\t`,
    /// other control bytes as `\u00xx`, everything else as it is.
    @Test(arguments: [("", #""""#), ("plain", #""plain""#), ("quote\"d", #""quote\"d""#), ("back\\slash", #""back\\slash""#),
                      ("line\nfeed\r\t", #""line\nfeed\r\t""#), ("\u{0}\u{1}\u{1f}\u{7f}", #""\u0000\u0001\u001f\#u{7f}""#),
                      ("é ü 日本 😀", #""é ü 日本 😀""#), (#"["R1","R2"]"#, #""[\"R1\",\"R2\"]""#)])
    func canonicalQuoting(_ text: String, _ quoted: String) {
        var bytes: [UInt8] = []
        CanonicalJSON.quote(text, into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == quoted)
        #expect(CanonicalJSON.string(text) == quoted)
        #expect(CanonicalJSON.object(sorted: [("a", text), ("b", "x")]) == "{\"a\":\(quoted),\"b\":\"x\"}")
    }
}
