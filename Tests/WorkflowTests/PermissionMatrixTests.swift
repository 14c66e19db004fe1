import Foundation
import Testing
import Workflow

/// Q5: every action × role set × actor tier × case tier, expected results derived from the documented rules
/// (not from running the code):
///
/// - Role docs: an approver "works cases of their tier or below (claim, approve, decline, escalate, return);
///   comments on any open case"; intake submits; a risk admin "manages users and rules, reassigns cases"; an auditor "reads
///   everything, changes nothing".
/// - Eligibility (`refuseUnlessEligible`): the approver role and tier ≥ the level's tier (the submitter and
///   earlier signers are other people here, so separation of duties never bites in this table).
///
/// Setup per action, on a one-level case of the given tier submitted by `branch-7`:
/// - claim, comment, reassign: the case is queued;
/// - touch, release, approve, decline, escalate, return: the actor holds a live lease with token "tok" (as after
///   claiming it; for actors who could not have claimed, as after their roles or tier were reduced mid-claim);
/// - resume: the case is returned with 30 minutes left.
///
/// Expected:
/// - claim, approve, decline, escalate, return, touch (keeping a claim is working the case): eligible, else forbidden;
/// - release: the holder may always give the case back;
/// - comment: any approver, or risk admin; else forbidden;
/// - reassign (actor as the admin, an eligible tier-3 assignee): risk admin, else forbidden;
/// - reassign (actor as the assignee, a risk admin reassigning): eligible, else forbidden;
/// - resume: always (it takes the re-submitter's name, not an `Actor`; the caller gates who re-submits).
@Suite("Permission matrix (Q5)")
struct PermissionMatrixTests {
    enum Action: String, CaseIterable, Sendable {
        case claim, touch, release, approve, decline, escalate, returnForInfo = "return", resume, comment
        case reassignBy = "reassign(by actor)", reassignTo = "reassign(to actor)"
    }

    struct RoleSet: Sendable {
        let name: String
        let roles: Set<Role>
    }

    static let roleSets: [RoleSet] = [
        RoleSet(name: "approver", roles: [.approver]),
        RoleSet(name: "intake", roles: [.intake]),
        RoleSet(name: "risk_admin", roles: [.riskAdmin]),
        RoleSet(name: "auditor", roles: [.auditor]),
        RoleSet(name: "approver+risk_admin", roles: [.approver, .riskAdmin]),
    ]

    enum Expected: Equatable, Sendable, CustomStringConvertible {
        case success(to: ApprovalCase.Status)
        case failure(WorkflowError.Code)

        var description: String {
            switch self {
            case .success(let to): "success → \(to.rawValue)"
            case .failure(let code): code.rawValue
            }
        }
    }

    struct Combo: Sendable, CustomTestStringConvertible {
        let action: Action
        let roleSet: RoleSet
        let actorTier: Int
        let caseTier: Int

        var testDescription: String {
            "\(action.rawValue) by \(roleSet.name) tier \(actorTier) on tier-\(caseTier) case"
        }

        var actor: Actor { Actor(name: "actor", tier: actorTier, roles: roleSet.roles) }
        var isApprover: Bool { roleSet.roles.contains(.approver) }
        var isRiskAdmin: Bool { roleSet.roles.contains(.riskAdmin) }
        var isEligible: Bool { isApprover && actorTier >= caseTier }

        /// The documented rule, independent of the implementation.
        var expected: Expected {
            let forbidden = Expected.failure(.forbidden)
            switch action {
            case .claim: return isEligible ? .success(to: .claimed) : forbidden
            case .touch: return isEligible ? .success(to: .claimed) : forbidden
            case .release: return .success(to: .queued)
            case .approve: return isEligible ? .success(to: .approved) : forbidden
            case .decline: return isEligible ? .success(to: .declined) : forbidden
            case .escalate: return isEligible ? .success(to: .queued) : forbidden
            case .returnForInfo: return isEligible ? .success(to: .returned) : forbidden
            case .resume: return .success(to: .queued)
            case .comment: return isApprover || isRiskAdmin ? .success(to: .queued) : forbidden
            case .reassignBy: return isRiskAdmin ? .success(to: .claimed) : forbidden
            case .reassignTo: return isEligible ? .success(to: .claimed) : forbidden
            }
        }
    }

    static let combos: [Combo] = Action.allCases.flatMap { action in
        roleSets.flatMap { roleSet in
            (1...3).flatMap { actorTier in
                (1...3).map { caseTier in Combo(action: action, roleSet: roleSet, actorTier: actorTier, caseTier: caseTier) }
            }
        }
    }

    @Test("the table covers every action × role set × actor tier × case tier")
    func tableIsComplete() {
        #expect(Self.combos.count == 11 * 5 * 3 * 3)
    }

    static let now = at(60)
    static let leaseSeconds: TimeInterval = 600

    static func setup(_ combo: Combo) -> ApprovalCase {
        var level = ApprovalCase.Level(tier: combo.caseTier, slaSeconds: 3600)
        level.dueAt = at(3600)
        switch combo.action {
        case .claim, .comment, .reassignBy, .reassignTo:
            return ApprovalCase(id: "APP-M", submittedBy: "branch-7", levels: [.init(tier: combo.caseTier, slaSeconds: 3600)], at: t0)
        case .touch, .release, .approve, .decline, .escalate, .returnForInfo:
            return ApprovalCase(restoring: "APP-M", submittedBy: "branch-7", createdAt: t0, levels: [level], current: 0,
                                status: .claimed, lease: .init(holder: "actor", token: "tok", expiresAt: at(600)),
                                pausedRemaining: nil, updatedAt: at(1))
        case .resume:
            return ApprovalCase(restoring: "APP-M", submittedBy: "branch-7", createdAt: t0, levels: [level], current: 0,
                                status: .returned, lease: nil, pausedRemaining: 1800, updatedAt: at(1))
        }
    }

    static func run(_ combo: Combo, on c: inout ApprovalCase) -> Result<Transition, WorkflowError> {
        let actor = combo.actor
        let assignee = Actor(name: "eve", tier: 3, roles: [.approver])
        switch combo.action {
        case .claim: return c.claim(by: actor, token: "tok", at: now, leaseSeconds: leaseSeconds)
        case .touch: return c.touch(by: actor, token: "tok", at: now, leaseSeconds: leaseSeconds)
        case .release: return c.release(by: actor, token: "tok", at: now)
        case .approve: return c.approve(by: actor, token: "tok", at: now)
        case .decline: return c.decline(by: actor, token: "tok", reason: "POLICY_1", at: now)
        case .escalate: return c.escalate(by: actor, token: "tok", toTier: combo.caseTier + 1, note: "above my limit", at: now)
        case .returnForInfo: return c.returnForInformation(by: actor, token: "tok", note: "need payslips", at: now)
        case .resume: return c.resume(by: actor.name, at: now)
        case .comment: return c.comment(by: actor, note: "note", at: now)
        case .reassignBy: return c.reassign(by: actor, to: assignee, token: "tok-eve", at: now, leaseSeconds: leaseSeconds)
        case .reassignTo: return c.reassign(by: root, to: actor, token: "tok", at: now, leaseSeconds: leaseSeconds)
        }
    }

    static func check(_ combo: Combo) {
        let before = setup(combo)
        var after = before
        let result = run(combo, on: &after)
        switch (combo.expected, result) {
        case (.success(let to), .success(let transition)):
            #expect(transition.to == to)
            #expect(transition.from == before.status)
            #expect(transition.level == 0)
            #expect(after.status == to)
            #expect(transition.actor == (combo.action == .reassignTo ? "root" : "actor"))
            if combo.action != .comment { #expect(after.updatedAt == now) }
        case (.failure(let code), .failure(let error)):
            #expect(error.code == code, "\(error)")
            #expect(after == before, "a refused action must leave the case exactly as it was")
        case (let expected, .success(let transition)):
            Issue.record("expected \(expected), got success: \(transition)")
        case (let expected, .failure(let error)):
            Issue.record("expected \(expected), got \(error)")
            #expect(after == before, "a refused action must leave the case exactly as it was")
        }
    }

    @Test("action × role set × actor tier × case tier", arguments: combos)
    func matrix(_ combo: Combo) {
        Self.check(combo)
    }
}
