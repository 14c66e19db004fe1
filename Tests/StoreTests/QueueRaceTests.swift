import Foundation
import GRDB
import Store
import Testing
import Workflow

/// Q1: many approvers race `take next` over a full queue. The single writer serializes claims, so no case is
/// ever claimed twice; every case is decided exactly once. (CI size; benchmarks/ runs the 10k version.)
@Suite struct QueueRaceTests {
    @Test func racingApproversNeverShareACase() async throws {
        let fixture = try await Fixture(.file)
        let cases = 1000, approvers = 32
        for index in 0..<approvers {
            try await fixture.store.addUser("racer\(index)", tier: 1, roles: [.approver], by: "admin", at: start)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<cases { group.addTask { _ = try await fixture.submit(Applications.tierOne("Q-\(index)")) } }
            try await group.waitForAll()
        }
        let decided = try await withThrowingTaskGroup(of: [String].self) { group in
            for index in 0..<approvers {
                group.addTask {
                    var mine: [String] = []
                    while true {
                        let claim: ActionOutcome
                        do {
                            claim = try await fixture.perform(.takeNext, by: "racer\(index)")
                        } catch let error as StoreError where error.code == .notFound {
                            return mine
                        }
                        _ = try await fixture.perform(.approve(case: claim.caseID, token: claim.token!), by: "racer\(index)")
                        mine.append(claim.caseID)
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(decided.count == cases)
        #expect(Set(decided).count == cases)
        let counts = try await fixture.store.writer.read { db in
            [try Int.fetchOne(db, sql: "SELECT count(*) FROM case_decisions")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM history WHERE action = 'claim'")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT application FROM history WHERE action = 'claim' GROUP BY application HAVING count(DISTINCT actor) > 1)")!]
        }
        #expect(counts == [cases, cases, 0])
        #expect(try await fixture.store.verifyAudit().isValid)
    }

    /// The same race through `ActionQueue` (group commit): actions share transactions, each in its own savepoint.
    /// Still no case is claimed twice; refusals inside a group (a lost race) leave the others applied; and a
    /// forbidden action in the middle of a group changes nothing.
    @Test func groupedActionsKeepEveryRuleAndShareCommits() async throws {
        let fixture = try await Fixture(.file)
        let queue = ActionQueue(store: fixture.store)
        let cases = 300, approvers = 24
        for index in 0..<approvers {
            try await fixture.store.addUser("racer\(index)", tier: 1, roles: [.approver], by: "admin", at: start)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<cases { group.addTask { _ = try await fixture.submit(Applications.tierOne("G-\(index)")) } }
            try await group.waitForAll()
        }
        // Everyone claims G-0 at once: exactly one wins, the others are told it is claimed.
        let contest = await withTaskGroup(of: String.self) { group in
            for index in 0..<approvers {
                group.addTask {
                    do {
                        _ = try await queue.perform(.claim(case: "G-0"), by: "racer\(index)", at: fixture.clock.now)
                        return "ok"
                    } catch let error as WorkflowError {
                        return error.code.rawValue
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(contest == ["ok": 1, "claimed": approvers - 1])
        let decided = try await withThrowingTaskGroup(of: [String].self) { group in
            for index in 0..<approvers {
                group.addTask {
                    var mine: [String] = []
                    while true {
                        let claim: ActionOutcome
                        do {
                            claim = try await queue.perform(.takeNext, by: "racer\(index)", at: fixture.clock.now)
                        } catch let error as StoreError where error.code == .notFound {
                            return mine
                        }
                        // A forbidden action between the claim and the approval: refused, and nothing else undone.
                        await #expect(throws: WorkflowError.self) {
                            try await queue.perform(.approve(case: claim.caseID, token: claim.token!), by: "branch", at: fixture.clock.now)
                        }
                        _ = try await queue.perform(.approve(case: claim.caseID, token: claim.token!), by: "racer\(index)", at: fixture.clock.now)
                        mine.append(claim.caseID)
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(decided.count == cases - 1)
        #expect(Set(decided).count == cases - 1)
        let counts = try await fixture.store.writer.read { db in
            [try Int.fetchOne(db, sql: "SELECT count(*) FROM case_decisions")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT application FROM history WHERE action = 'claim' GROUP BY application HAVING count(DISTINCT actor) > 1)")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM audit WHERE action = 'case.approve'")!]
        }
        #expect(counts == [cases - 1, 0, cases - 1])
        #expect(try await fixture.store.verifyAudit().isValid)
    }

    /// Actions one at a time (each a group of one, as most are when approvers act at human pace): a refusal changes
    /// nothing and is reported with its own code, and the next action is applied as usual.
    @Test func aLoneActionIsAppliedOrRefusedOnItsOwn() async throws {
        let fixture = try await Fixture(.file)
        let queue = ActionQueue(store: fixture.store)
        try await fixture.store.addUser("solo", tier: 1, roles: [.approver], by: "admin", at: start)
        _ = try await fixture.submit(Applications.tierOne("L-1"))
        func rows() async throws -> [Int] {
            try await fixture.store.writer.read { db in
                [try Int.fetchOne(db, sql: "SELECT count(*) FROM audit")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM history")!,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE status = 'queued'")!]
            }
        }
        let before = try await rows()
        await #expect(throws: WorkflowError(.notClaimed, "case L-1 is queued, not claimed")) {
            try await queue.perform(.approve(case: "L-1", token: "0123"), by: "solo", at: fixture.clock.now)
        }
        await #expect(throws: StoreError(.notFound, "no case L-2")) {
            try await queue.perform(.claim(case: "L-2"), by: "solo", at: fixture.clock.now)
        }
        await #expect(throws: WorkflowError(.forbidden, "unknown user nobody")) {
            try await queue.perform(.claim(case: "L-1"), by: "nobody", at: fixture.clock.now)
        }
        #expect(try await rows() == before)
        let claim = try await queue.perform(.claim(case: "L-1"), by: "solo", at: fixture.clock.now)
        #expect(claim.status == "claimed" && claim.holder == "solo" && claim.token?.count == 32)
        let approval = try await queue.perform(.approve(case: "L-1", token: claim.token!), by: "solo", at: fixture.clock.now)
        #expect(approval.status == "approved")
        // Two actions: two audit records, two history entries, and the case left the queue.
        #expect(try await rows() == [before[0] + 2, before[1] + 2, before[2] - 1])
        #expect(try await fixture.store.verifyAudit().isValid)
    }
}
