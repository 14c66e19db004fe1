import Foundation
import Testing
import Workflow

/// Q5: tiers and four-eyes. Denials are `forbidden` and change nothing.
@Suite("Four-eyes and separation of duties (Q5)")
struct SeparationOfDutiesTests {
    /// A two-level case whose level 1 `signer` approved at `at(20)`; queued at level 2 (tier 3).
    static func atLevel2(signedBy signer: Actor = cat) throws -> ApprovalCase {
        var c = twoLevelCase()
        try perform(&c) { $0.claim(by: signer, token: "s", at: at(10), leaseSeconds: 600) }
        try perform(&c) { $0.approve(by: signer, token: "s", at: at(20)) }
        #expect(c.current == 1 && c.status == .queued)
        return c
    }

    @Test("the submitter cannot claim their own case, nor be handed it, whatever their roles and tier")
    func submitterCannotClaim() throws {
        let sam = Actor(name: "sam", tier: 3, roles: [.approver, .intake, .riskAdmin])
        let c = twoLevelCase(submittedBy: "sam")
        expectRefusal(.forbidden, on: c) { $0.claim(by: sam, token: "t", at: at(1), leaseSeconds: 60) }
        expectRefusal(.forbidden, on: c) { $0.reassign(by: root, to: sam, token: "t", at: at(1), leaseSeconds: 60) }
        expectRefusal(.forbidden, on: c) { $0.reassign(by: sam, to: sam, token: "t", at: at(1), leaseSeconds: 60) }
        // At level 2 too.
        var c2 = c
        try perform(&c2) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 60) }
        try perform(&c2) { $0.approve(by: ann, token: "a", at: at(2)) }
        expectRefusal(.forbidden, on: c2) { $0.claim(by: sam, token: "t", at: at(3), leaseSeconds: 60) }
        // A lease held by the submitter (e.g. restored from an older version) still cannot decide.
        var held = c
        held.status = .claimed
        held.lease = .init(holder: "sam", token: "t", expiresAt: at(60))
        expectRefusal(.forbidden, on: held) { $0.approve(by: sam, token: "t", at: at(1)) }
        expectRefusal(.forbidden, on: held) { $0.decline(by: sam, token: "t", reason: "R", at: at(1)) }
    }

    @Test("the approver of level 1 can neither claim nor decide level 2, even when a risk admin hands it over")
    func fourEyes() throws {
        let c = try Self.atLevel2(signedBy: cat)
        expectRefusal(.forbidden, on: c) { $0.claim(by: cat, token: "c2", at: at(30), leaseSeconds: 600) }
        expectRefusal(.forbidden, on: c) { $0.reassign(by: root, to: cat, token: "c2", at: at(30), leaseSeconds: 600) }
        expectRefusal(.forbidden, on: c) { $0.reassign(by: rita, to: cat, token: "c2", at: at(30), leaseSeconds: 600) }

        // Reassigned while bob holds it: still refused, and bob's lease stays.
        var heldByBob = c
        try perform(&heldByBob) { $0.claim(by: bob, token: "b", at: at(30), leaseSeconds: 600) }
        expectRefusal(.forbidden, on: heldByBob) {
            $0.reassign(by: root, to: cat, token: "c2", at: at(40), leaseSeconds: 600)
        }

        // Even holding a lease on level 2 (restored state), cat cannot decide it.
        var held = c
        held.status = .claimed
        held.lease = .init(holder: "cat", token: "c2", expiresAt: at(1000))
        expectRefusal(.forbidden, on: held) { $0.approve(by: cat, token: "c2", at: at(40)) }
        expectRefusal(.forbidden, on: held) { $0.decline(by: cat, token: "c2", reason: "R", at: at(40)) }

        // A second tier-3 approver can.
        var ok = c
        try perform(&ok) { $0.claim(by: bob, token: "b", at: at(30), leaseSeconds: 600) }
        let result = try requireSuccess(ok) { $0.approve(by: bob, token: "b", at: at(40)) }
        #expect(result.1.status == .approved)
    }

    @Test("the approver of level 1 signs level 1 even at a higher tier; the same name is refused at level 2 whatever the tier")
    func sameNameHigherTierLater() throws {
        let c = try Self.atLevel2(signedBy: bob)
        let promotedBob = Actor(name: "bob", tier: 9, roles: [.approver, .riskAdmin])
        expectRefusal(.forbidden, on: c) { $0.claim(by: promotedBob, token: "b", at: at(30), leaseSeconds: 600) }
        expectRefusal(.forbidden, on: c) { $0.reassign(by: promotedBob, to: promotedBob, token: "b", at: at(30), leaseSeconds: 600) }
    }

    @Test("wrong tier is forbidden: claiming, being handed, or deciding a level above one's tier")
    func wrongTier() throws {
        let c = oneLevelCase(tier: 3)
        expectRefusal(.forbidden, on: c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 60) }
        expectRefusal(.forbidden, on: c) { $0.claim(by: dan, token: "d", at: at(1), leaseSeconds: 60) }
        expectRefusal(.forbidden, on: c) { $0.reassign(by: root, to: ann, token: "a", at: at(1), leaseSeconds: 60) }
        // An approver demoted after claiming cannot decide with the old lease.
        var held = c
        try perform(&held) { $0.claim(by: bob, token: "b", at: at(1), leaseSeconds: 60) }
        let demotedBob = Actor(name: "bob", tier: 2, roles: [.approver])
        expectRefusal(.forbidden, on: held) { $0.approve(by: demotedBob, token: "b", at: at(2)) }
        expectRefusal(.forbidden, on: held) { $0.decline(by: demotedBob, token: "b", reason: "R", at: at(2)) }
    }

    @Test("users without the approver role cannot claim", arguments: [audrey, ivan, rex, root, branch])
    func notAnApprover(_ actor: Actor) {
        let c = oneLevelCase(tier: 1)
        expectRefusal(.forbidden, on: c) { $0.claim(by: actor, token: "t", at: at(1), leaseSeconds: 60) }
        expectRefusal(.forbidden, on: c) { $0.reassign(by: root, to: actor, token: "t", at: at(1), leaseSeconds: 60) }
    }

    @Test("comments: approvers and risk admins may comment (the case does not change); auditors and intake may not")
    func comments() throws {
        let c = oneLevelCase(tier: 1)
        for actor in [dan, ann, bob, rita, root, rex] {
            let (t, after) = try (requireSuccess(c) { $0.comment(by: actor, note: "looks fine", at: at(5)) })
            #expect(t == Transition(action: .comment, actor: actor.name, from: .queued, to: .queued, level: 0,
                                    note: "looks fine"))
            #expect(after == c, "a comment is history only; the case value is unchanged")
        }
        expectRefusal(.forbidden, on: c) { $0.comment(by: audrey, note: "looks fine", at: at(5)) }
        expectRefusal(.forbidden, on: c) { $0.comment(by: ivan, note: "looks fine", at: at(5)) }
        expectRefusal(.forbidden, on: c) { $0.comment(by: branch, note: "looks fine", at: at(5)) }
        expectRefusal(.invalidArgument, on: c) { $0.comment(by: dan, note: "", at: at(5)) }
        expectRefusal(.invalidArgument, on: c) { $0.comment(by: dan, note: "  \t ", at: at(5)) }

        // On a claimed case the comment records the claimed status and level.
        var claimed = try SeparationOfDutiesTests.atLevel2()
        try perform(&claimed) { $0.claim(by: bob, token: "b", at: at(30), leaseSeconds: 600) }
        let t = try requireSuccess(claimed) { $0.comment(by: bob, note: "n", at: at(31)) }.0
        #expect(t == Transition(action: .comment, actor: "bob", from: .claimed, to: .claimed, level: 1, note: "n"))
    }
}

@Suite("Reassign")
struct ReassignTests {
    @Test("a risk admin hands a queued case to an eligible approver with a fresh lease and tells them")
    func reassignQueued() throws {
        var c = twoLevelCase()
        let t = try perform(&c) { $0.reassign(by: root, to: ann, token: "tok-new", at: at(60), leaseSeconds: 300) }
        #expect(t == Transition(action: .reassign, actor: "root", from: .queued, to: .claimed, level: 0, note: "ann",
                                notices: [.user("ann")]))
        #expect(c.status == .claimed)
        #expect(c.lease == .init(holder: "ann", token: "tok-new", expiresAt: at(360)))
        #expect(c.updatedAt == at(60))
        #expect(c.dueAt == at(8 * hour), "reassigning does not touch the SLA")
        let result = try requireSuccess(c) { $0.approve(by: ann, token: "tok-new", at: at(61)) }
        #expect(result.1.current == 1)
    }

    @Test("reassigning a claimed case takes it from the holder: the old token is lease-expired")
    func reassignClaimed() throws {
        var c = twoLevelCase()
        try perform(&c) { $0.claim(by: ann, token: "tok-ann", at: at(10), leaseSeconds: 600) }
        let t = try perform(&c) { $0.reassign(by: rita, to: bob, token: "tok-bob", at: at(20), leaseSeconds: 600) }
        #expect(t == Transition(action: .reassign, actor: "rita", from: .claimed, to: .claimed, level: 0, note: "bob",
                                notices: [.user("bob")]))
        #expect(c.lease == .init(holder: "bob", token: "tok-bob", expiresAt: at(620)))
        expectRefusal(.leaseExpired, on: c) { $0.approve(by: ann, token: "tok-ann", at: at(30)) }
        expectRefusal(.leaseExpired, on: c) { $0.touch(by: ann, token: "tok-ann", at: at(30), leaseSeconds: 600) }
        expectRefusal(.claimed, on: c) { $0.claim(by: ann, token: "tok-ann-2", at: at(30), leaseSeconds: 600) }
        let approved = try perform(&c) { $0.approve(by: bob, token: "tok-bob", at: at(30)) }
        #expect(approved.notices == [.tier(3)])
        #expect(c.levels[0].decidedBy == "bob")
    }

    @Test("an approver+risk admin may hand an eligible case to themselves")
    func reassignToSelf() throws {
        let c = oneLevelCase(tier: 3)
        let (t, after) = try (requireSuccess(c) { $0.reassign(by: rita, to: rita, token: "r", at: at(1), leaseSeconds: 60) })
        #expect(t.actor == "rita" && t.note == "rita" && t.notices == [.user("rita")])
        #expect(after.lease == .init(holder: "rita", token: "r", expiresAt: at(61)))
    }

    @Test("only a risk admin may reassign", arguments: [dan, ann, bob, cat, audrey, ivan, branch])
    func onlyRiskAdmin(_ actor: Actor) {
        let c = oneLevelCase(tier: 1)
        expectRefusal(.forbidden, on: c) { $0.reassign(by: actor, to: bob, token: "t", at: at(1), leaseSeconds: 60) }
    }

    @Test("the assignee must be eligible: approver, tier high enough, not the submitter, not an earlier level's signer")
    func assigneeMustBeEligible() throws {
        let c = oneLevelCase(tier: 2)
        for assignee in [audrey, ivan, rex, root, dan, Actor(name: "branch-7", tier: 3, roles: [.approver])] {
            expectRefusal(.forbidden, on: c) { $0.reassign(by: root, to: assignee, token: "t", at: at(1), leaseSeconds: 60) }
        }
        let level2 = try SeparationOfDutiesTests.atLevel2(signedBy: cat)
        expectRefusal(.forbidden, on: level2) { $0.reassign(by: root, to: cat, token: "t", at: at(30), leaseSeconds: 60) }
        expectRefusal(.forbidden, on: level2) { $0.reassign(by: root, to: ann, token: "t", at: at(30), leaseSeconds: 60) }
    }
}

@Suite("Closed cases")
struct ClosedCaseTests {
    static func approvedCase() throws -> ApprovalCase {
        var c = oneLevelCase(tier: 2)
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        try perform(&c) { $0.approve(by: ann, token: "a", at: at(2)) }
        #expect(c.status == .approved)
        return c
    }

    static func declinedCase() throws -> ApprovalCase {
        var c = twoLevelCase()
        try perform(&c) { $0.claim(by: ann, token: "a", at: at(1), leaseSeconds: 600) }
        try perform(&c) { $0.approve(by: ann, token: "a", at: at(2)) }
        try perform(&c) { $0.claim(by: bob, token: "b", at: at(3), leaseSeconds: 600) }
        try perform(&c) { $0.decline(by: bob, token: "b", reason: "LTV", at: at(4)) }
        #expect(c.status == .declined)
        return c
    }

    @Test("a closed case refuses every action with closed", arguments: ["approved", "declined"])
    func everyActionRefused(_ which: String) throws {
        let c = which == "approved" ? try Self.approvedCase() : try Self.declinedCase()
        let now = at(10)
        // Fresh eligible approvers, the last holder with their old token, and even non-approvers: all `closed`.
        for (actor, token) in [(cat, "c"), (ann, "a"), (bob, "b"), (audrey, "x")] {
            expectRefusal(.closed, on: c) { $0.claim(by: actor, token: token, at: now, leaseSeconds: 600) }
            expectRefusal(.closed, on: c) { $0.touch(by: actor, token: token, at: now, leaseSeconds: 600) }
            expectRefusal(.closed, on: c) { $0.release(by: actor, token: token, at: now) }
            expectRefusal(.closed, on: c) { $0.approve(by: actor, token: token, at: now) }
            expectRefusal(.closed, on: c) { $0.decline(by: actor, token: token, reason: "R1", at: now) }
            expectRefusal(.closed, on: c) { $0.escalate(by: actor, token: token, toTier: 4, note: "n", at: now) }
            expectRefusal(.closed, on: c) { $0.returnForInformation(by: actor, token: token, note: "n", at: now) }
            expectRefusal(.closed, on: c) { $0.reassign(by: root, to: actor, token: token, at: now, leaseSeconds: 600) }
        }
        var copy = c
        let copyExpiry = copy.expireLease(at: at(day))
        #expect(copyExpiry == nil)
        #expect(copy == c)
        #expect(!c.isClaimable(at: now))
    }

    /// The brief for these tests: closed cases refuse every action with `closed`. `comment` has no open check
    /// at all, and `resume` answers `invalid-state`.
    @Test("comment and resume on a closed case are refused with closed", arguments: ["approved", "declined"])
    func commentAndResumeRefused(_ which: String) throws {
        let c = which == "approved" ? try Self.approvedCase() : try Self.declinedCase()
        expectRefusal(.closed, on: c) { $0.comment(by: cat, note: "after the fact", at: at(10)) }
        let resumeCode = refusalCode(on: c) { $0.resume(by: "branch-7", at: at(10)) }
        #expect(resumeCode == .closed)
    }
}
