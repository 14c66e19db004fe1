import Foundation
import Testing
import Workflow

@Suite("Decline")
struct DeclineTests {
    @Test("decline at level 1 closes the case with the reason code and tells the applicant")
    func declineAtFirstLevel() throws {
        var c = twoLevelCase()
        let original = c
        try perform(&c) { $0.claim(by: ann, token: "tok", at: at(minute), leaseSeconds: 600) }
        let t = try perform(&c) { $0.decline(by: ann, token: "tok", reason: "DTI_TOO_HIGH", at: at(5 * minute)) }
        #expect(t == Transition(action: .decline, actor: "ann", from: .claimed, to: .declined, level: 0,
                                note: "DTI_TOO_HIGH", notices: [.applicant]))
        #expect(c == ApprovalCase(
            restoring: "APP-2L", submittedBy: "branch-7", createdAt: t0,
            levels: [decided(original.levels[0], .declined, by: "ann", at: at(5 * minute), reason: "DTI_TOO_HIGH"),
                     original.levels[1]],
            current: 0, status: .declined, lease: nil, pausedRemaining: nil, updatedAt: at(5 * minute)))
        #expect(c.isClosed)
        #expect(c.levels[1].dueAt == nil, "the second level never became current")
        #expect(c.levels[1].outcome == nil)
    }

    @Test("decline at level 2 keeps level 1's approval")
    func declineAtSecondLevel() throws {
        var c = twoLevelCase()
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        try perform(&c) { $0.approve(by: ann, token: "a", at: at(2)) }
        try perform(&c) { $0.claim(by: bob, token: "b", at: at(3), leaseSeconds: 600) }
        let t = try perform(&c) { $0.decline(by: bob, token: "b", reason: "collateral-2", at: at(4)) }
        #expect(t == Transition(action: .decline, actor: "bob", from: .claimed, to: .declined, level: 1,
                                note: "collateral-2", notices: [.applicant]))
        #expect(c.status == .declined)
        #expect(c.current == 1)
        #expect(c.levels[0].outcome == .approved)
        #expect(c.levels[0].decidedBy == "ann")
        #expect(c.levels[1].outcome == .declined)
        #expect(c.levels[1].decidedBy == "bob")
        #expect(c.levels[1].decidedAt == at(4))
        #expect(c.levels[1].reason == "collateral-2")
        #expect(c.lease == nil)
        #expect(c.updatedAt == at(4))
    }

    static let invalidReasons: [String] = [
        "", " ", "DTI TOO HIGH", "dti.high", "DTI,LTV", "délai", "ＤＴＩ", "R1\n", "\tR1", "R/1",
        String(repeating: "a", count: 65),
    ]

    @Test("a decline without a valid reason code is refused with invalid-argument", arguments: invalidReasons)
    func invalidReason(_ reason: String) throws {
        var c = oneLevelCase(tier: 2)
        try perform(&c) { $0.claim(by: ann, token: "tok", at: at(1), leaseSeconds: 600) }
        expectRefusal(.invalidArgument, on: c) { $0.decline(by: ann, token: "tok", reason: reason, at: at(2)) }
    }

    static let validReasons: [String] = ["DTI_TOO_HIGH", "r-1", "42", "a", "A_b-9", String(repeating: "Z", count: 64)]

    @Test("reason codes are ASCII letters, digits, '_' and '-', 1 to 64 characters", arguments: validReasons)
    func validReason(_ reason: String) throws {
        var c = oneLevelCase(tier: 2)
        try perform(&c) { $0.claim(by: ann, token: "tok", at: at(1), leaseSeconds: 600) }
        let t = try perform(&c) { $0.decline(by: ann, token: "tok", reason: reason, at: at(2)) }
        #expect(t.note == reason)
        #expect(c.levels[0].reason == reason)
        #expect(c.status == .declined)
    }
}

@Suite("Escalate")
struct EscalateTests {
    @Test("escalate raises the level's tier, requeues the case and tells the higher tier; the SLA keeps running")
    func escalateToHigherTier() throws {
        var c = oneLevelCase(tier: 1, slaSeconds: 4 * 3600)
        try perform(&c) { $0.claim(by: dan, token: "d", at: at(10 * minute), leaseSeconds: 600) }
        let t = try perform(&c) {
            $0.escalate(by: dan, token: "d", toTier: 2, note: "exposure above my limit", at: at(15 * minute))
        }
        #expect(t == Transition(action: .escalate, actor: "dan", from: .claimed, to: .queued, level: 0,
                                note: "exposure above my limit", notices: [.tier(2)]))
        var level = ApprovalCase.Level(tier: 2, slaSeconds: 4 * 3600)
        level.dueAt = at(4 * hour)
        #expect(c == ApprovalCase(
            restoring: "APP-1L", submittedBy: "branch-7", createdAt: t0, levels: [level], current: 0,
            status: .queued, lease: nil, pausedRemaining: nil, updatedAt: at(15 * minute)))
        #expect(c.currentLevel.outcome == nil && c.currentLevel.decidedBy == nil, "an escalation is not a decision")

        // The escalating analyst can no longer take it; a tier-2 approver can, and may approve.
        expectRefusal(.forbidden, on: c) { $0.claim(by: dan, token: "d2", at: at(16 * minute), leaseSeconds: 600) }
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(16 * minute), leaseSeconds: 600) }
        let approved = try perform(&c) { $0.approve(by: ann, token: "a", at: at(17 * minute)) }
        #expect(approved == Transition(action: .approve, actor: "ann", from: .claimed, to: .approved, level: 0,
                                       notices: [.applicant]))
    }

    @Test("escalating level 1 of a two-level case keeps the case at level 1")
    func escalateFirstOfTwoLevels() throws {
        var c = twoLevelCase()
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        let t = try perform(&c) { $0.escalate(by: ann, token: "a", toTier: 3, note: "related party", at: at(2)) }
        #expect(t == Transition(action: .escalate, actor: "ann", from: .claimed, to: .queued, level: 0,
                                note: "related party", notices: [.tier(3)]))
        #expect(c.current == 0)
        #expect(c.levels.map(\.tier) == [3, 3])
        #expect(c.dueAt == at(8 * hour))
        #expect(c.levels[1].dueAt == nil)
        // Two different tier-3 approvers now sign the two levels.
        try perform(&c) { $0.claim(by: bob, token: "b", at: at(3), leaseSeconds: 600) }
        try perform(&c) { $0.approve(by: bob, token: "b", at: at(4)) }
        #expect(c.current == 1)
        expectRefusal(.forbidden, on: c) { $0.claim(by: bob, token: "b2", at: at(5), leaseSeconds: 600) }
        try perform(&c) { $0.claim(by: cat, token: "c", at: at(5), leaseSeconds: 600) }
        try perform(&c) { $0.approve(by: cat, token: "c", at: at(6)) }
        #expect(c.status == .approved)
    }

    @Test("escalation to the same or a lower tier is refused", arguments: [2, 1, 0, -1])
    func notHigher(_ tier: Int) throws {
        var c = oneLevelCase(tier: 2)
        try perform(&c) { $0.claim(by: bob, token: "b", at: at(1), leaseSeconds: 600) }
        expectRefusal(.invalidArgument, on: c) { $0.escalate(by: bob, token: "b", toTier: tier, note: "why", at: at(2)) }
    }

    @Test("escalation needs a note", arguments: ["", " ", "   ", "\t"])
    func emptyNote(_ note: String) throws {
        var c = oneLevelCase(tier: 2)
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        expectRefusal(.invalidArgument, on: c) { $0.escalate(by: ann, token: "a", toTier: 3, note: note, at: at(2)) }
    }

    @Test("a note of only line breaks is empty too (escalate, return, comment)", arguments: ["\n", " \r\n ", "\t\n"])
    func newlineOnlyNote(_ note: String) throws {
        var c = oneLevelCase(tier: 2)
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        expectRefusal(.invalidArgument, on: c) { $0.escalate(by: ann, token: "a", toTier: 3, note: note, at: at(2)) }
        expectRefusal(.invalidArgument, on: c) { $0.returnForInformation(by: ann, token: "a", note: note, at: at(2)) }
        expectRefusal(.invalidArgument, on: c) { $0.comment(by: ann, note: note, at: at(2)) }
    }
}

@Suite("Return for information and resume")
struct ReturnResumeTests {
    @Test("return pauses the SLA keeping the exact time left; resume restarts it from the resume time")
    func pauseAndResume() throws {
        var c = oneLevelCase(tier: 2, slaSeconds: 8 * 3600)          // due t0 + 8 h
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(hour), leaseSeconds: 3 * hour) }
        let ret = try perform(&c) {
            $0.returnForInformation(by: ann, token: "a", note: "need last 3 payslips", at: at(3 * hour + 17))
        }
        #expect(ret == Transition(action: .returnForInfo, actor: "ann", from: .claimed, to: .returned, level: 0,
                                  note: "need last 3 payslips", notices: [.applicant]))
        #expect(c.status == .returned)
        #expect(c.lease == nil)
        #expect(c.pausedRemaining == 5 * hour - 17)
        #expect(c.updatedAt == at(3 * hour + 17))
        #expect(c.current == 0)
        #expect(!c.isClaimable(at: at(4 * hour)))
        #expect(c.liveHolder(at: at(3 * hour + 18)) == nil)

        // Three days later the applicant re-submits.
        let res = try perform(&c) { $0.resume(by: "branch-7", at: at(3 * day)) }
        #expect(res == Transition(action: .resume, actor: "branch-7", from: .returned, to: .queued, level: 0,
                                  notices: [.tier(2)]))
        var level = ApprovalCase.Level(tier: 2, slaSeconds: 8 * 3600)
        level.dueAt = at(3 * day + 5 * hour - 17)
        #expect(c == ApprovalCase(
            restoring: "APP-1L", submittedBy: "branch-7", createdAt: t0, levels: [level], current: 0,
            status: .queued, lease: nil, pausedRemaining: nil, updatedAt: at(3 * day)))

        // Work continues as usual — the approver who returned it may take it again.
        try perform(&c) { $0.claim(by: ann, token: "a2", at: at(3 * day + 1), leaseSeconds: 600) }
        let t = try perform(&c) { $0.approve(by: ann, token: "a2", at: at(3 * day + 2)) }
        #expect(t.to == .approved)
    }

    @Test("a case returned after its due time keeps no time: it is due the moment it resumes")
    func returnedWhenOverdue() throws {
        var c = oneLevelCase(tier: 1, slaSeconds: 3600)
        try perform(&c) { $0.claim(by: dan, token: "d", at: at(2 * hour), leaseSeconds: 600) }
        try perform(&c) { $0.returnForInformation(by: dan, token: "d", note: "ID scan unreadable", at: at(2 * hour + 1)) }
        #expect(c.pausedRemaining == 0)
        try perform(&c) { $0.resume(by: "branch-7", at: at(day)) }
        #expect(c.dueAt == at(day))
        #expect(c.pausedRemaining == nil)
    }

    @Test("return and resume at level 2 keep level 1's decision and level 2's remaining time")
    func atSecondLevel() throws {
        var c = twoLevelCase()
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        try perform(&c) { $0.approve(by: ann, token: "a", at: at(100)) }        // level 2 due at(100 + 2 d)
        try perform(&c) { $0.claim(by: bob, token: "b", at: at(200), leaseSeconds: day) }
        try perform(&c) { $0.returnForInformation(by: bob, token: "b", note: "valuation report", at: at(day)) }
        #expect(c.pausedRemaining == 100 + 2 * day - day)
        let t = try perform(&c) { $0.resume(by: "branch-7", at: at(10 * day)) }
        #expect(t == Transition(action: .resume, actor: "branch-7", from: .returned, to: .queued, level: 1,
                                notices: [.tier(3)]))
        #expect(c.current == 1)
        #expect(c.dueAt == at(10 * day + day + 100))
        #expect(c.levels[0].outcome == .approved && c.levels[0].decidedBy == "ann")
        // Four-eyes still holds after the round trip.
        expectRefusal(.forbidden, on: c) { $0.claim(by: ann, token: "a2", at: at(10 * day + 1), leaseSeconds: 600) }
    }

    @Test("return needs a note", arguments: ["", " ", "\t  "])
    func returnNeedsNote(_ note: String) throws {
        var c = oneLevelCase(tier: 2)
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        expectRefusal(.invalidArgument, on: c) { $0.returnForInformation(by: ann, token: "a", note: note, at: at(2)) }
    }

    /// A case returned at `at(hour)` by ann, whose lease token was "a".
    static func returnedCase() throws -> ApprovalCase {
        var c = oneLevelCase(tier: 2)
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        try perform(&c) { $0.returnForInformation(by: ann, token: "a", note: "need info", at: at(60)) }
        return c
    }

    @Test("a returned case cannot be claimed or reassigned until it is resumed")
    func returnedCannotBeClaimed() throws {
        let c = try Self.returnedCase()
        expectRefusal(.invalidState, on: c) { $0.claim(by: bob, token: "b", at: at(120), leaseSeconds: 600) }
        expectRefusal(.invalidState, on: c) { $0.claim(by: ann, token: "a2", at: at(120), leaseSeconds: 600) }
        expectRefusal(.invalidState, on: c) {
            $0.reassign(by: root, to: bob, token: "b", at: at(120), leaseSeconds: 600)
        }
        var copy = c
        let copyExpiry = copy.expireLease(at: at(day))
        #expect(copyExpiry == nil)
        #expect(copy == c)
        #expect(!c.isClaimable(at: at(day)))
    }

    @Test("a returned case can be commented on, and resume is refused unless the case is returned")
    func returnedCommentAndResume() throws {
        let c = try Self.returnedCase()
        let (t, after) = try (requireSuccess(c) { $0.comment(by: bob, note: "waiting for payslips", at: at(120)) })
        #expect(t == Transition(action: .comment, actor: "bob", from: .returned, to: .returned, level: 0,
                                note: "waiting for payslips"))
        #expect(after == c)

        let queued = oneLevelCase(tier: 2)
        expectRefusal(.invalidState, on: queued) { $0.resume(by: "branch-7", at: at(1)) }
        var claimed = queued
        try perform(&claimed) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        expectRefusal(.invalidState, on: claimed) { $0.resume(by: "branch-7", at: at(2)) }
    }

    /// The error doc's own example: "approving a returned case" is `invalid-state`. The code answers
    /// `not-claimed` because the lease check runs first.
    @Test("claim-bound actions on a returned case are invalid-state (WorkflowError.invalidState's example)")
    func decisionsOnReturnedCase() throws {
        let c = try Self.returnedCase()
        let now = at(120)
        let codes: [WorkflowError.Code?] = [
            refusalCode(on: c) { $0.approve(by: ann, token: "a", at: now) },
            refusalCode(on: c) { $0.decline(by: ann, token: "a", reason: "R1", at: now) },
            refusalCode(on: c) { $0.escalate(by: ann, token: "a", toTier: 3, note: "n", at: now) },
            refusalCode(on: c) { $0.returnForInformation(by: ann, token: "a", note: "n", at: now) },
            refusalCode(on: c) { $0.touch(by: ann, token: "a", at: now, leaseSeconds: 600) },
            refusalCode(on: c) { $0.release(by: ann, token: "a", at: now) },
        ]
        #expect(codes == Array(repeating: .invalidState, count: codes.count))
    }
}
