import Foundation
import GRDB
import Store
import Testing
import Workflow

/// The approval workflow applied through the store: one transaction per action, on a real database.
@Suite struct CaseWorkflowTests {
    @Test(arguments: StoreKind.allCases)
    func aTwoLevelCaseIsApprovedBySeniorThenCommittee(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(Applications.twoLevel("M-1"))
        let claim = try await fixture.perform(.takeNext, by: "sam")
        #expect(claim.caseID == "M-1" && claim.status == "claimed" && claim.level == 1 && claim.levels == 2 && claim.tier == 2)
        let token = try #require(claim.token)
        #expect(token.count == 32)
        fixture.clock.advance(200)
        let first = try await fixture.perform(.approve(case: "M-1", token: token), by: "sam")
        #expect(first.status == "queued" && first.level == 2 && first.tier == 3 && first.token == nil)
        await #expect(throws: StoreError.self) { try await fixture.perform(.takeNext, by: "sue") }
        let second = try await fixture.perform(.takeNext, by: "cora")
        let done = try await fixture.perform(.approve(case: "M-1", token: try #require(second.token)), by: "cora")
        #expect(done.status == "approved" && done.level == 2)
        let status = try await fixture.store.status(of: "M-1")
        #expect(status.outcome == "approved")
        #expect(status.levels.map(\.decidedBy) == ["sam", "cora"])
        #expect(status.levels[1].dueAt == start.timeIntervalSince1970 + 200 + 72 * 3600)
        #expect(status.timeline.map(\.action) == ["submit", "decide", "open", "claim", "approve", "claim", "approve"])
        #expect(status.timeline.map(\.actor) == ["branch", "rules", "rules", "sam", "sam", "cora", "cora"])
        let decision = try await fixture.store.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT outcome, decided_by, ruleset, reasons, input_hash FROM case_decisions JOIN application_numbers ON key = application WHERE number = 'M-1'")
        }
        #expect(decision?["outcome"] == "approved")
        #expect(decision?["decided_by"] == "cora")
        #expect(decision?["ruleset"] == reference.version)
        #expect(decision?["reasons"] == "[]")
        #expect((decision?["input_hash"] as String?)?.count == 64)
        #expect(try await fixture.store.verifyAudit().isValid)
    }

    /// Every refused action gives its specific error and leaves every table exactly as it was.
    @Test(arguments: StoreKind.allCases)
    func forbiddenTransitionsChangeNothing(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(Applications.twoLevel("M-2"), by: "boss")
        _ = try await fixture.submit(Applications.tierOne("T-1"))
        let claim = try await fixture.perform(.claim(case: "M-2"), by: "sam")
        let token = try #require(claim.token)
        let refusals: [(CaseAction, String, String)] = [
            (.claim(case: "M-2"), "boss", "forbidden"),                                // own submission
            (.claim(case: "M-2"), "ana", "forbidden"),                                 // tier 1 on a tier-2 level
            (.claim(case: "M-2"), "audrey", "forbidden"),                              // not an approver
            (.claim(case: "M-2"), "sue", "claimed"),                                   // leased to sam
            (.approve(case: "M-2", token: token), "sue", "lease-expired"),             // someone else's token
            (.approve(case: "M-2", token: "0"), "sam", "lease-expired"),               // wrong token
            (.approve(case: "T-1", token: token), "ana", "not-claimed"),
            (.decline(case: "M-2", token: token, reason: ""), "sam", "invalid-argument"),
            (.escalate(case: "M-2", token: token, tier: 2, note: "x"), "sam", "invalid-argument"),
            (.reassign(case: "M-2", to: "sue"), "sam", "forbidden"),
            (.comment(case: "M-2", note: "hi"), "audrey", "forbidden"),
            (.claim(case: "NOPE"), "sam", "not-found"),
            (.claim(case: "M-2"), "ghost", "forbidden"),
        ]
        for (action, actor, code) in refusals {
            let before = try await fixture.dump()
            do {
                _ = try await fixture.perform(action, by: actor)
                Issue.record("\(action) by \(actor) was allowed")
            } catch let error as WorkflowError {
                #expect(error.code.rawValue == code, "\(action) by \(actor): \(error)")
            } catch let error as StoreError {
                #expect(error.code.rawValue == code, "\(action) by \(actor): \(error)")
            }
            #expect(try await fixture.dump() == before, "\(action) by \(actor) changed the database")
        }
        // The approver of level 1 may not take level 2; a decided case refuses everything.
        _ = try await fixture.perform(.approve(case: "M-2", token: token), by: "sam")
        let before = try await fixture.dump()
        await #expect(throws: WorkflowError(.forbidden, "case M-2 needs tier 3; sam is tier 2")) {
            try await fixture.perform(.claim(case: "M-2"), by: "sam")
        }
        let second = try await fixture.perform(.claim(case: "M-2"), by: "cora")
        _ = try await fixture.perform(.decline(case: "M-2", token: try #require(second.token), reason: "POLICY_EXCEPTION"), by: "cora")
        let closed = try await fixture.dump()
        await #expect(throws: WorkflowError(.closed, "case M-2 is already declined")) {
            try await fixture.perform(.claim(case: "M-2"), by: "carl")
        }
        #expect(try await fixture.dump() == closed)
        #expect(before != closed)
    }

    /// Q2: a lease of 2 s; after expiry another approver takes the case and the stale holder's approve fails.
    @Test(arguments: StoreKind.allCases)
    func anExpiredLeaseReturnsTheCaseToTheQueue(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(Applications.tierOne("T-2"))
        let first = try await fixture.store.perform(.takeNext, by: "ana", at: fixture.clock.now, leaseSeconds: 2)
        let firstToken = try #require(first.token)
        fixture.clock.advance(1)
        let touched = try await fixture.store.perform(.touch(case: "T-2", token: firstToken), by: "ana",
                                                      at: fixture.clock.now, leaseSeconds: 2)
        #expect(touched.leaseExpiresAt == start.timeIntervalSince1970 + 3)
        fixture.clock.advance(1.5)
        await #expect(throws: StoreError.self) { try await fixture.perform(.takeNext, by: "sam") }
        fixture.clock.advance(1)
        let second = try await fixture.perform(.takeNext, by: "sam")
        #expect(second.caseID == "T-2" && second.holder == "sam")
        await #expect(throws: WorkflowError(.leaseExpired, "the claim on case T-2 expired or was taken over; claim it again")) {
            try await fixture.perform(.approve(case: "T-2", token: firstToken), by: "ana")
        }
        let status = try await fixture.store.status(of: "T-2", at: fixture.clock.now)
        #expect(status.timeline.map(\.action).suffix(4) == ["claim", "touch", "expire", "claim"])
        #expect(status.holder == "sam")
    }

    /// Q4: a retried approve with the same request id gets the same answer, one decision, one audit row.
    @Test(arguments: StoreKind.allCases)
    func aRetriedActionIsAppliedOnce(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(Applications.tierOne("T-3"))
        let claim = try await fixture.perform(.takeNext, by: "ana", requestID: "r1")
        let again = try await fixture.perform(.takeNext, by: "ana", requestID: "r1")
        #expect(again == claim)
        let token = try #require(claim.token)
        let approve = try await fixture.perform(.approve(case: "T-3", token: token), by: "ana", requestID: "r2")
        let retried = try await fixture.perform(.approve(case: "T-3", token: token), by: "ana", requestID: "r2")
        #expect(retried == approve)
        let counts = try await fixture.store.writer.read { db in
            [try Int.fetchOne(db, sql: "SELECT count(*) FROM case_decisions JOIN application_numbers ON key = application WHERE number = 'T-3'")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM audit WHERE subject = 'T-3' AND action = 'case.approve'")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM audit WHERE subject = 'T-3' AND action = 'case.claim'")!]
        }
        #expect(counts == [1, 1, 1])
    }

    @Test(arguments: StoreKind.allCases)
    func aReturnedCaseResumesAtItsLevelWhenTheApplicantResubmits(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(Applications.twoLevel("M-3"))
        let claim = try await fixture.perform(.takeNext, by: "sam")
        _ = try await fixture.perform(.approve(case: "M-3", token: try #require(claim.token)), by: "sam")
        fixture.clock.advance(3600)
        let level2 = try await fixture.perform(.takeNext, by: "cora")
        let returned = try await fixture.perform(.returnForInformation(case: "M-3", token: try #require(level2.token), note: "need payslips"), by: "cora")
        #expect(returned.status == "returned")
        fixture.clock.advance(86_400)
        let resubmitted = try await fixture.submit(Applications.twoLevel("M-3").replacingOccurrences(of: "250000", with: "260000"))
        #expect(resubmitted.disposition == .newVersion && resubmitted.version == 2 && resubmitted.caseStatus == "queued")
        let status = try await fixture.store.status(of: "M-3")
        #expect(status.level == 2 && status.caseStatus == "queued")
        // 72 h SLA, 1 h used before the return; the paused day does not count.
        #expect(status.dueAt == start.timeIntervalSince1970 + 3600 + 86_400 + 71 * 3600)
    }

    @Test(arguments: StoreKind.allCases)
    func escalationMovesTheCaseToTheHigherTierQueue(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(Applications.tierOne("T-4"))
        let claim = try await fixture.perform(.takeNext, by: "ana")
        let escalated = try await fixture.perform(.escalate(case: "T-4", token: try #require(claim.token), tier: 3, note: "unusual income"), by: "ana")
        #expect(escalated.status == "queued" && escalated.tier == 3)
        await #expect(throws: StoreError.self) { try await fixture.perform(.takeNext, by: "sam") }
        let committee = try await fixture.perform(.takeNext, by: "carl")
        #expect(committee.caseID == "T-4")
    }

    @Test func theQueueServesTheEarliestDueFirst() async throws {
        let fixture = try await Fixture(.memory)
        _ = try await fixture.submit(Applications.tierOne("LATE"))          // R7: due in 8 h
        fixture.clock.advance(60)
        _ = try await fixture.submit(Applications.gradeD("SOON"))           // R6: tier 2, due in 24 h
        _ = try await fixture.submit(Applications.twoLevel("BIG"))          // R2: tier 2, due in 72 h
        let first = try await fixture.perform(.takeNext, by: "cora")
        let second = try await fixture.perform(.takeNext, by: "cora")
        #expect([first.caseID, second.caseID] == ["LATE", "SOON"])
    }

    /// Listings and counts merge queued and claimed cases (kept in separate indexes) in one queue order.
    @Test(arguments: StoreKind.allCases)
    func queueListingsAndCountsCoverQueuedAndClaimedCases(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(Applications.tierOne("LATE"))          // tier 1, due in 8 h
        fixture.clock.advance(60)
        _ = try await fixture.submit(Applications.gradeD("SOON"))           // tier 2, due in 24 h
        _ = try await fixture.submit(Applications.twoLevel("BIG"))          // tier 2, due in 72 h
        _ = try await fixture.submit(Applications.tierOne("MID"))           // tier 1, due in 8 h, a minute after LATE
        #expect(try await fixture.perform(.takeNext, by: "sam").caseID == "LATE")
        let store = fixture.store
        let all = try await store.queue(at: fixture.clock.now)
        #expect(all.map(\.caseID) == ["LATE", "MID", "SOON", "BIG"])
        #expect(all.map(\.status) == ["claimed", "queued", "queued", "queued"])
        #expect(all.first?.holder == "sam")
        #expect(try await store.queue(limit: 2, at: fixture.clock.now).map(\.caseID) == ["LATE", "MID"])
        #expect(try await store.queue(tier: 2, at: fixture.clock.now).map(\.caseID) == ["SOON", "BIG"])
        #expect(try await store.queue(upToTier: 1, at: fixture.clock.now).map(\.caseID) == ["LATE", "MID"])
        let stats = try await store.stats(at: fixture.clock.now)
        #expect(stats.openByTier == ["1": 2, "2": 2] && stats.overdue == 0)
        // Nine hours on: both tier-1 cases are overdue, the claimed one too (its lease ran out: no holder shown).
        fixture.clock.advance(9 * 3600)
        #expect(try await store.stats(at: fixture.clock.now).overdue == 2)
        #expect(try await store.queue(upToTier: 1, at: fixture.clock.now).map(\.holder) == [nil, nil])
    }

    /// Take-next reads queued cases and expired claims through separate indexes; the queue order holds across both.
    @Test(arguments: StoreKind.allCases)
    func expiredClaimsAndQueuedCasesShareOneQueueOrder(_ kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        _ = try await fixture.submit(Applications.tierOne("EARLY"))
        fixture.clock.advance(60)
        _ = try await fixture.submit(Applications.tierOne("MIDDLE"))
        let lapsed = try await fixture.store.perform(.takeNext, by: "ana", at: fixture.clock.now, leaseSeconds: 2)
        #expect(lapsed.caseID == "EARLY")
        fixture.clock.advance(3)
        // EARLY's claim expired and it is due before the queued MIDDLE.
        #expect(try await fixture.perform(.takeNext, by: "sam").caseID == "EARLY")
        let second = try await fixture.store.perform(.takeNext, by: "cora", at: fixture.clock.now, leaseSeconds: 2)
        #expect(second.caseID == "MIDDLE")
        fixture.clock.advance(3)
        _ = try await fixture.submit(Applications.tierOne("LATE"))
        // MIDDLE's claim expired and it is due before the queued LATE; EARLY is still sam's.
        #expect(try await fixture.perform(.takeNext, by: "ana").caseID == "MIDDLE")
        #expect(try await fixture.perform(.takeNext, by: "cora").caseID == "LATE")
        await #expect(throws: StoreError.self) { try await fixture.perform(.takeNext, by: "sue") }
    }
}
