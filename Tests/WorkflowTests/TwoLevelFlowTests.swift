import Foundation
import Testing
import Workflow

/// Q5, the happy path: a case referred to a senior underwriter (tier 2) and then the credit committee (tier 3).
@Suite("Two-level case")
struct TwoLevelFlowTests {
    @Test("a new case is queued at its first level, due after that level's SLA")
    func newCase() {
        let c = twoLevelCase()
        #expect(c.id == "APP-2L")
        #expect(c.submittedBy == "branch-7")
        #expect(c.status == .queued)
        #expect(c.current == 0)
        #expect(c.currentLevel.tier == 2)
        #expect(c.dueAt == at(8 * hour))
        #expect(c.levels[0].dueAt == at(8 * hour))
        #expect(c.levels[1].dueAt == nil)
        #expect(c.lease == nil)
        #expect(c.pausedRemaining == nil)
        #expect(c.createdAt == t0)
        #expect(c.updatedAt == t0)
        #expect(!c.isClosed)
        #expect(c.isClaimable(at: t0))
        #expect(c.liveHolder(at: t0) == nil)
    }

    @Test("claim → approve → queued at level 2 (tier-3 notice) → claim by tier 3 → approve → approved (applicant notice)")
    func fullFlow() throws {
        var c = twoLevelCase()
        let level1 = c.levels[0]
        let level2 = c.levels[1]

        // Level 1: ann (tier 2) claims for 15 minutes.
        let claim1 = try perform(&c) { $0.claim(by: ann, token: "tok-ann", at: at(10 * minute), leaseSeconds: 15 * minute) }
        #expect(claim1 == Transition(action: .claim, actor: "ann", from: .queued, to: .claimed, level: 0))
        #expect(claim1.note == nil && claim1.notices.isEmpty)
        #expect(c == ApprovalCase(
            restoring: "APP-2L", submittedBy: "branch-7", createdAt: t0, levels: [level1, level2], current: 0,
            status: .claimed, lease: .init(holder: "ann", token: "tok-ann", expiresAt: at(25 * minute)),
            pausedRemaining: nil, updatedAt: at(10 * minute)))
        #expect(c.liveHolder(at: at(24 * minute)) == "ann")
        #expect(!c.isClaimable(at: at(24 * minute)))

        // ann approves level 1: the case moves to level 2, due 2 days after the approval, and tier 3 is told.
        let approve1 = try perform(&c) { $0.approve(by: ann, token: "tok-ann", at: at(20 * minute)) }
        #expect(approve1 == Transition(action: .approve, actor: "ann", from: .claimed, to: .queued, level: 0,
                                       notices: [.tier(3)]))
        var level2Due = level2
        level2Due.dueAt = at(20 * minute + 2 * day)
        let afterLevel1 = ApprovalCase(
            restoring: "APP-2L", submittedBy: "branch-7", createdAt: t0,
            levels: [decided(level1, .approved, by: "ann", at: at(20 * minute)), level2Due], current: 1,
            status: .queued, lease: nil, pausedRemaining: nil, updatedAt: at(20 * minute))
        #expect(c == afterLevel1)
        #expect(c.current == 1)
        #expect(c.currentLevel.tier == 3)
        #expect(c.dueAt == at(20 * minute + 2 * day))
        #expect(c.levels[0].dueAt == at(8 * hour), "level 1 keeps its own due date")
        #expect(c.levels[0].outcome == .approved)
        #expect(c.levels[0].decidedBy == "ann")
        #expect(c.levels[0].decidedAt == at(20 * minute))
        #expect(c.levels[0].reason == nil)
        #expect(!c.isClosed)

        // Level 2 needs tier 3: ann is refused (tier 2, and she signed level 1).
        expectRefusal(.forbidden, on: c) { $0.claim(by: ann, token: "tok-ann-2", at: at(hour), leaseSeconds: 900) }

        // bob (tier 3) claims and approves: the case is approved and the applicant is told.
        let claim2 = try perform(&c) { $0.claim(by: bob, token: "tok-bob", at: at(hour), leaseSeconds: 900) }
        #expect(claim2 == Transition(action: .claim, actor: "bob", from: .queued, to: .claimed, level: 1))
        #expect(c.lease == .init(holder: "bob", token: "tok-bob", expiresAt: at(hour + 900)))
        #expect(c.status == .claimed)
        #expect(c.updatedAt == at(hour))

        let approve2 = try perform(&c) { $0.approve(by: bob, token: "tok-bob", at: at(hour + 10 * minute)) }
        #expect(approve2 == Transition(action: .approve, actor: "bob", from: .claimed, to: .approved, level: 1,
                                       notices: [.applicant]))
        #expect(c == ApprovalCase(
            restoring: "APP-2L", submittedBy: "branch-7", createdAt: t0,
            levels: [decided(level1, .approved, by: "ann", at: at(20 * minute)),
                     decided(level2Due, .approved, by: "bob", at: at(hour + 10 * minute))],
            current: 1, status: .approved, lease: nil, pausedRemaining: nil, updatedAt: at(hour + 10 * minute)))
        #expect(c.isClosed)
        #expect(!c.isClaimable(at: at(2 * hour)))
        #expect(c.liveHolder(at: at(hour + 11 * minute)) == nil)
    }

    @Test("levels are enforced in sequence: level 2's approvers cannot act while level 1 is open")
    func levelsInSequence() {
        // bob is tier 3, so he may work level 1 (tier 2) — but that makes him level 1's signer.
        let c = twoLevelCase()
        #expect(c.current == 0)
        // A tier-1 analyst cannot take a case whose first level needs tier 2.
        expectRefusal(.forbidden, on: c) { $0.claim(by: dan, token: "t", at: at(1), leaseSeconds: 60) }
        // Nobody can approve a level without claiming it.
        expectRefusal(.notClaimed, on: c) { $0.approve(by: bob, token: "t", at: at(1)) }
    }

    @Test("a higher-tier approver may decide a lower level, and a different approver the next one")
    func higherTierAtLowerLevel() throws {
        var c = twoLevelCase()
        try perform(&c) { $0.claim(by: cat, token: "c1", at: at(1), leaseSeconds: 60) }
        try perform(&c) { $0.approve(by: cat, token: "c1", at: at(2)) }
        #expect(c.levels[0].decidedBy == "cat")
        #expect(c.current == 1)
        #expect(c.dueAt == at(2 + Double(level2SLA)))
        expectRefusal(.forbidden, on: c) { $0.claim(by: cat, token: "c2", at: at(3), leaseSeconds: 60) }
        try perform(&c) { $0.claim(by: bob, token: "b1", at: at(3), leaseSeconds: 60) }
        let t = try perform(&c) { $0.approve(by: bob, token: "b1", at: at(4)) }
        #expect(t.to == .approved)
        #expect(c.status == .approved)
    }
}
