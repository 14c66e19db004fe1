import Foundation
import GRDB
import Store
import Testing

@Suite struct IntakeTests {
    @Test(arguments: StoreKind.allCases)
    func anApprovedApplicationIsStoredWithItsDecision(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let result = try await fixture.submit(Applications.personal("A-1"))
        #expect(result == SubmissionResult(applicationID: "A-1", version: 1, assigned: false, disposition: .created, outcome: "approved",
                                           caseStatus: nil,
                                           decision: #"{"application_id":"A-1","outcome":"approved","errors":[],"knockouts":[],"score":735,"grade":"A","reasons":[],"route":"R4","levels":[],"sla_hours":null}"#))
        let status = try await fixture.store.status(of: "A-1")
        #expect(status.outcome == "approved")
        #expect(status.ruleset == reference.version)
        #expect(status.timeline.map(\.action) == ["submit", "decide"])
        let body = try await fixture.store.writer.read { db in try Data.fetchOne(db, sql: "SELECT body FROM applications JOIN application_numbers ON key = application WHERE number = 'A-1'") }
        #expect(body == Data(Applications.personal("A-1").utf8))
    }

    @Test(arguments: StoreKind.allCases)
    func resubmittingTheSameContentIsHarmlessAndDifferentContentIsRefused(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let first = try await fixture.submit(Applications.personal("A-2"))
        let again = try await fixture.submit(Applications.personal("A-2"))
        #expect(again.disposition == .duplicate)
        #expect(again.decision == first.decision && again.version == 1)
        let before = try await fixture.dump()
        await #expect(throws: StoreError.self) { try await fixture.submit(Applications.personal("A-2", amount: 12000)) }
        do {
            _ = try await fixture.submit(Applications.personal("A-2", amount: 12000))
        } catch let error as StoreError {
            #expect(error.code == .conflict)
            #expect(error.message == "application A-2 was already submitted with different content")
        }
        #expect(try await fixture.dump() == before)
    }

    @Test(arguments: StoreKind.allCases)
    func anInvalidApplicationMayBeResubmittedAsItsNextVersion(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let invalid = try await fixture.submit(Applications.personal("A-3", amount: 500))
        #expect(invalid.outcome == "invalid")
        let fixed = try await fixture.submit(Applications.personal("A-3"))
        #expect(fixed.disposition == .newVersion)
        #expect(fixed.version == 2)
        #expect(fixed.outcome == "approved")
        let status = try await fixture.store.status(of: "A-3")
        #expect(status.version == 2)
        #expect(status.timeline.map(\.note) == ["version 1", reference.version, "version 2", reference.version])
    }

    @Test(arguments: StoreKind.allCases)
    func anApplicationWithoutAUsableNumberGetsOne(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let first = try await fixture.submit(#"{"product":"personal"}"#)
        let second = try await fixture.submit("not json at all")
        #expect(first.applicationID == "RG-000001" && first.assigned && first.outcome == "invalid")
        #expect(second.applicationID == "RG-000002" && second.assigned)
        let status = try await fixture.store.status(of: "RG-000002")
        #expect(status.decision.contains("MALFORMED_JSON"))
    }

    /// A submitter may choose a number that intake would assign later: the assignment steps over it.
    @Test(arguments: StoreKind.allCases)
    func anAssignedNumberStepsOverOneAlreadyChosen(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let chosen = try await fixture.submit(Applications.personal("RG-000001"))
        let assigned = try await fixture.submit(#"{"product":"personal"}"#)
        #expect(chosen.applicationID == "RG-000001" && !chosen.assigned && chosen.outcome == "approved")
        #expect(assigned.applicationID == "RG-000002" && assigned.assigned && assigned.outcome == "invalid")
        #expect(try await fixture.store.status(of: "RG-000001").outcome == "approved")
    }

    /// Assigned numbers have at least six digits and keep counting past 999999.
    @Test(arguments: StoreKind.allCases)
    func assignedNumbersGrowPastSixDigits(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.store.writer.write { db in
            try db.execute(sql: "INSERT INTO counters (name, value) VALUES ('application', 999998)")
        }
        let first = try await fixture.submit(#"{"product":"personal"}"#)
        let second = try await fixture.submit(#"{"product":"auto"}"#)
        #expect(first.applicationID == "RG-999999" && first.assigned)
        #expect(second.applicationID == "RG-1000000" && second.assigned)
        let counter = try await fixture.store.writer.read { db in try Int.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'application'") }
        #expect(counter == 1_000_000)
    }

    @Test(arguments: StoreKind.allCases)
    func aReferredApplicationOpensACaseAtItsFirstLevel(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let result = try await fixture.submit(Applications.twoLevel("M-1"))
        #expect(result.outcome == "referred" && result.caseStatus == "queued")
        let status = try await fixture.store.status(of: "M-1")
        #expect(status.level == 1 && status.tier == 2 && status.levels.count == 2)
        #expect(status.dueAt == start.timeIntervalSince1970 + 72 * 3600)
        #expect(status.levels.map(\.tier) == [2, 3])
        #expect(status.outcome == "in review (queued)")
        // The first version's history is read from the application, decision and case rows; none is stored.
        let at = start.timeIntervalSince1970
        #expect(status.timeline == [
            .init(at: at, actor: "branch", action: "submit", from: nil, to: nil, level: nil, note: "version 1"),
            .init(at: at, actor: "rules", action: "decide", from: nil, to: "referred", level: nil, note: reference.version),
            .init(at: at, actor: "rules", action: "open", from: nil, to: "queued", level: 1, note: "tiers 2 then 3"),
        ])
        #expect(try await fixture.store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM history") } == 0)
    }

    /// A case opened by a later version (the first was invalid) keeps its stored entries after the first version's.
    @Test(arguments: StoreKind.allCases)
    func aCaseOpenedByASecondVersionShowsBothVersions(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(#"{"application_id":"M-2","product":"mortgage"}"#)
        fixture.clock.advance(60)
        let second = try await fixture.submit(Applications.twoLevel("M-2"))
        #expect(second.version == 2 && second.outcome == "referred" && second.caseStatus == "queued")
        let status = try await fixture.store.status(of: "M-2")
        let at = start.timeIntervalSince1970
        #expect(status.timeline == [
            .init(at: at, actor: "branch", action: "submit", from: nil, to: nil, level: nil, note: "version 1"),
            .init(at: at, actor: "rules", action: "decide", from: nil, to: "invalid", level: nil, note: reference.version),
            .init(at: at + 60, actor: "branch", action: "submit", from: nil, to: nil, level: nil, note: "version 2"),
            .init(at: at + 60, actor: "rules", action: "decide", from: nil, to: "referred", level: nil, note: reference.version),
            .init(at: at + 60, actor: "rules", action: "open", from: nil, to: "queued", level: 1, note: "tiers 2 then 3"),
        ])
    }

    @Test func manyConcurrentSubmissionsShareCommitsAndAllLand() async throws {
        let fixture = try await Fixture(.file)
        let results = try await withThrowingTaskGroup(of: SubmissionResult.self) { group in
            for index in 0..<2000 {
                group.addTask { try await fixture.submit(Applications.personal("C-\(index)")) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.applicationID)).count == 2000)
        let counts = try await fixture.store.writer.read { db in
            [try Int.fetchOne(db, sql: "SELECT count(*) FROM applications")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM decisions")!]
        }
        #expect(counts == [2000, 2000])
        #expect(try await fixture.store.verifyAudit().isValid)
        #expect(try fixture.store.integrityCheck() == "ok")
    }

    @Test(arguments: StoreKind.allCases)
    func onlyEnabledIntakeUsersMaySubmit(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let before = try await fixture.dump()
        for (actor, message) in [("sam", "sam does not have the intake role"), ("nobody", "unknown user nobody")] {
            await #expect(throws: StoreError(.forbidden, message)) { try await fixture.submit(Applications.personal("X-1"), by: actor) }
        }
        #expect(try await fixture.dump() == before)
        try await fixture.store.disableUser("branch", by: "root", at: start)
        await #expect(throws: StoreError(.forbidden, "user branch is disabled")) { try await fixture.submit(Applications.personal("X-2")) }
    }

    @Test func theFileIsSyncedFully() throws {
        let store = try StoreKind.file.make()
        #expect(try store.synchronousLevel() == 2)
    }

    @Test func aSecondWriterOnTheSameFileIsRefused() throws {
        let path = try temporaryDirectory() + "/one.sqlite"
        let first = try Store(path: path)
        #expect(throws: StoreError.self) { try Store(path: path) }
        _ = first
    }
}
