import Foundation
import Testing
import Workflow

/// Q2 at the pure level: a TTR of 2 s, time injected as `at:`.
@Suite("Leases (Q2)")
struct LeaseTests {
    static let ttr: TimeInterval = 2
    /// When ann claims.
    static let claimedAt = at(100)
    /// When her lease runs out: claimedAt + TTR.
    static let expiresAt = at(102)

    /// A tier-2 case claimed by ann at `claimedAt` with token "tok-ann" and a TTR of 2 s.
    static func claimedByAnn() throws -> ApprovalCase {
        var c = oneLevelCase(tier: 2)
        try perform(&c) { $0.claim(by: ann, token: "tok-ann", at: claimedAt, leaseSeconds: ttr) }
        #expect(c.lease == .init(holder: "ann", token: "tok-ann", expiresAt: expiresAt))
        return c
    }

    @Test("the lease is live strictly before expiresAt and expired at exactly expiresAt")
    func expiryBoundary() throws {
        let c = try Self.claimedByAnn()
        let justBefore = Self.expiresAt.addingTimeInterval(-0.001)
        #expect(c.liveHolder(at: justBefore) == "ann")
        #expect(!c.isClaimable(at: justBefore))
        #expect(c.liveHolder(at: Self.expiresAt) == nil)
        #expect(c.isClaimable(at: Self.expiresAt))
        #expect(c.status == .claimed, "expiry alone does not change the stored status")

        // Another approver: refused with `claimed` while live, admitted at exactly expiresAt.
        expectRefusal(.claimed, on: c) { $0.claim(by: bob, token: "tok-bob", at: justBefore, leaseSeconds: Self.ttr) }
        let (t, after) = try (requireSuccess(c) {
            $0.claim(by: bob, token: "tok-bob", at: Self.expiresAt, leaseSeconds: Self.ttr)
        })
        #expect(t == Transition(action: .claim, actor: "bob", from: .claimed, to: .claimed, level: 0))
        #expect(after.lease == .init(holder: "bob", token: "tok-bob", expiresAt: at(104)))
        #expect(after.updatedAt == Self.expiresAt)

        // The holder's own actions stop at exactly expiresAt.
        expectRefusal(.leaseExpired, on: c) { $0.approve(by: ann, token: "tok-ann", at: Self.expiresAt) }
        expectRefusal(.leaseExpired, on: c) { $0.touch(by: ann, token: "tok-ann", at: Self.expiresAt, leaseSeconds: 2) }
        let result = try requireSuccess(c) { $0.approve(by: ann, token: "tok-ann", at: justBefore) }
        #expect(result.1.status == .approved)
    }

    @Test("claimable again by TTR + 1 s; the stale holder's old token gets lease-expired for every claim-bound action")
    func staleHolderAfterTakeover() throws {
        var c = try Self.claimedByAnn()
        try perform(&c) { $0.claim(by: bob, token: "tok-bob", at: at(103), leaseSeconds: Self.ttr) }
        #expect(c.liveHolder(at: at(103)) == "bob")
        let now = at(103.5)
        expectRefusal(.leaseExpired, on: c) { $0.approve(by: ann, token: "tok-ann", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.decline(by: ann, token: "tok-ann", reason: "LATE", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.escalate(by: ann, token: "tok-ann", toTier: 3, note: "n", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.returnForInformation(by: ann, token: "tok-ann", note: "n", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.release(by: ann, token: "tok-ann", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.touch(by: ann, token: "tok-ann", at: now, leaseSeconds: Self.ttr) }
        // Presenting the new holder's token does not help the wrong person either.
        expectRefusal(.leaseExpired, on: c) { $0.approve(by: ann, token: "tok-bob", at: now) }
        // ann cannot take it back while bob's lease is live.
        expectRefusal(.claimed, on: c) { $0.claim(by: ann, token: "tok-ann-2", at: now, leaseSeconds: Self.ttr) }
        // bob decides.
        let t = try perform(&c) { $0.approve(by: bob, token: "tok-bob", at: now) }
        #expect(t == Transition(action: .approve, actor: "bob", from: .claimed, to: .approved, level: 0,
                                notices: [.applicant]))
        #expect(c.levels[0].decidedBy == "bob")
    }

    @Test("the stale holder's old token gets lease-expired while the expired lease is still recorded")
    func staleHolderBeforeTakeover() throws {
        let c = try Self.claimedByAnn()
        let now = at(103)
        expectRefusal(.leaseExpired, on: c) { $0.approve(by: ann, token: "tok-ann", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.decline(by: ann, token: "tok-ann", reason: "LATE", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.escalate(by: ann, token: "tok-ann", toTier: 3, note: "n", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.returnForInformation(by: ann, token: "tok-ann", note: "n", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.release(by: ann, token: "tok-ann", at: now) }
        expectRefusal(.leaseExpired, on: c) { $0.touch(by: ann, token: "tok-ann", at: now, leaseSeconds: Self.ttr) }
        // The stale holder may claim again afterwards, with a fresh token; the old one stays dead.
        var again = c
        try perform(&again) { $0.claim(by: ann, token: "tok-ann-2", at: now, leaseSeconds: Self.ttr) }
        #expect(again.lease == .init(holder: "ann", token: "tok-ann-2", expiresAt: at(105)))
        expectRefusal(.leaseExpired, on: again) { $0.approve(by: ann, token: "tok-ann", at: at(104)) }
        let result = try requireSuccess(again) { $0.approve(by: ann, token: "tok-ann-2", at: at(104)) }
        #expect(result.1.status == .approved)
    }

    /// Once `expireLease` has put the case back in the queue, there is no claim left, so a late action is
    /// `not-claimed`. The store expires leases lazily (only when someone claims the case), so its stale holders
    /// see `lease-expired` as Q2 asks — see StoreTests' `anExpiredLeaseReturnsTheCaseToTheQueue`.
    @Test("after expireLease, the stale holder's late actions are not-claimed")
    func staleHolderAfterSweep() throws {
        var c = try Self.claimedByAnn()
        let cExpiry = c.expireLease(at: at(103))
        #expect(cExpiry != nil)
        let codes = [
            refusalCode(on: c) { $0.approve(by: ann, token: "tok-ann", at: at(104)) },
            refusalCode(on: c) { $0.decline(by: ann, token: "tok-ann", reason: "LATE", at: at(104)) },
            refusalCode(on: c) { $0.escalate(by: ann, token: "tok-ann", toTier: 3, note: "n", at: at(104)) },
            refusalCode(on: c) { $0.touch(by: ann, token: "tok-ann", at: at(104), leaseSeconds: 2) },
        ]
        #expect(codes == [.notClaimed, .notClaimed, .notClaimed, .notClaimed])
    }

    @Test("expireLease requeues only a claimed case whose lease has run out, and tells the tier")
    func expireLease() throws {
        let c = try Self.claimedByAnn()
        var early = c
        let earlyExpiry = early.expireLease(at: at(101.999))
        #expect(earlyExpiry == nil)
        #expect(early == c)

        var expired = c
        let expiry = expired.expireLease(at: Self.expiresAt)
        let t = try #require(expiry)
        #expect(t == Transition(action: .expire, actor: "system", from: .claimed, to: .queued, level: 0, note: "ann",
                                notices: [.tier(2)]))
        var expected = c
        expected.status = .queued
        expected.lease = nil
        expected.updatedAt = Self.expiresAt
        #expect(expired == expected)

        // Nothing to expire on a queued case, or twice.
        var again = expired
        let againExpiry = again.expireLease(at: at(200))
        #expect(againExpiry == nil)
        #expect(again == expired)
        // The case is claimable by anyone eligible.
        let claimedAgain = try requireSuccess(expired) { $0.claim(by: bob, token: "b", at: at(103), leaseSeconds: 2) }
        #expect(claimedAgain.0.from == .queued)
    }

    @Test("touch extends the lease from the touch time")
    func touchExtends() throws {
        var c = try Self.claimedByAnn()
        let t = try perform(&c) { $0.touch(by: ann, token: "tok-ann", at: at(101.5), leaseSeconds: Self.ttr) }
        #expect(t == Transition(action: .touch, actor: "ann", from: .claimed, to: .claimed, level: 0))
        #expect(c.lease == .init(holder: "ann", token: "tok-ann", expiresAt: at(103.5)))
        #expect(c.status == .claimed)
        #expect(c.updatedAt == at(101.5))
        // Past the original expiry the lease is still ann's.
        #expect(c.liveHolder(at: at(103)) == "ann")
        #expect(!c.isClaimable(at: at(103)))
        expectRefusal(.claimed, on: c) { $0.claim(by: bob, token: "b", at: at(103), leaseSeconds: 2) }
        var swept = c
        let sweptExpiry = swept.expireLease(at: at(103))
        #expect(sweptExpiry == nil)
        let approved = try perform(&c) { $0.approve(by: ann, token: "tok-ann", at: at(103)) }
        #expect(approved.to == .approved)
    }

    @Test("a wrong token on a live lease is lease-expired; a live lease held by another is claimed")
    func wrongToken() throws {
        let c = try Self.claimedByAnn()
        let now = at(101)
        for token in ["tok-bob", "", "TOK-ANN", "tok-ann "] {
            expectRefusal(.leaseExpired, on: c) { $0.approve(by: ann, token: token, at: now) }
            expectRefusal(.leaseExpired, on: c) { $0.decline(by: ann, token: token, reason: "R", at: now) }
            expectRefusal(.leaseExpired, on: c) { $0.escalate(by: ann, token: token, toTier: 3, note: "n", at: now) }
            expectRefusal(.leaseExpired, on: c) { $0.returnForInformation(by: ann, token: token, note: "n", at: now) }
            expectRefusal(.leaseExpired, on: c) { $0.touch(by: ann, token: token, at: now, leaseSeconds: 2) }
            expectRefusal(.leaseExpired, on: c) { $0.release(by: ann, token: token, at: now) }
        }
        // Someone else presenting the holder's token is not the holder.
        expectRefusal(.leaseExpired, on: c) { $0.approve(by: bob, token: "tok-ann", at: now) }
        expectRefusal(.claimed, on: c) { $0.claim(by: bob, token: "tok-bob", at: now, leaseSeconds: 2) }
        expectRefusal(.claimed, on: c) { $0.claim(by: cat, token: "tok-cat", at: now, leaseSeconds: 2) }
    }

    @Test("release gives the case back to the queue and tells the tier; then it is no longer claimed")
    func release() throws {
        var c = try Self.claimedByAnn()
        let t = try perform(&c) { $0.release(by: ann, token: "tok-ann", at: at(101)) }
        #expect(t == Transition(action: .release, actor: "ann", from: .claimed, to: .queued, level: 0, notices: [.tier(2)]))
        #expect(c.status == .queued)
        #expect(c.lease == nil)
        #expect(c.updatedAt == at(101))
        #expect(c.isClaimable(at: at(101)))
        expectRefusal(.notClaimed, on: c) { $0.release(by: ann, token: "tok-ann", at: at(101)) }
        expectRefusal(.notClaimed, on: c) { $0.touch(by: ann, token: "tok-ann", at: at(101), leaseSeconds: 2) }
        try perform(&c) { $0.claim(by: bob, token: "b", at: at(101), leaseSeconds: 2) }
        #expect(c.liveHolder(at: at(101)) == "bob")
    }

    @Test("claim-bound actions on a case nobody claimed are not-claimed")
    func neverClaimed() {
        let c = oneLevelCase(tier: 2)
        expectRefusal(.notClaimed, on: c) { $0.approve(by: ann, token: "x", at: at(1)) }
        expectRefusal(.notClaimed, on: c) { $0.decline(by: ann, token: "x", reason: "R", at: at(1)) }
        expectRefusal(.notClaimed, on: c) { $0.escalate(by: ann, token: "x", toTier: 3, note: "n", at: at(1)) }
        expectRefusal(.notClaimed, on: c) { $0.returnForInformation(by: ann, token: "x", note: "n", at: at(1)) }
        expectRefusal(.notClaimed, on: c) { $0.touch(by: ann, token: "x", at: at(1), leaseSeconds: 2) }
        expectRefusal(.notClaimed, on: c) { $0.release(by: ann, token: "x", at: at(1)) }
    }
}
