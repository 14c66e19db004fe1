import Foundation
import Testing
import Workflow

// Fixed clock: every time in these tests is `t0` plus a whole number of seconds, so date arithmetic is exact.

/// 2026-01-01T00:00:00Z.
let t0 = Date(timeIntervalSince1970: 1_767_225_600)

/// `t0` plus `seconds`.
func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

let minute: TimeInterval = 60
let hour: TimeInterval = 3600
let day: TimeInterval = 86_400

// The cast. Names are unique; tiers: 1 analyst, 2 senior underwriter, 3 credit committee.

/// The branch system that submits applications.
let branch = Actor(name: "branch-7", tier: 0, roles: [.intake])
let dan = Actor(name: "dan", tier: 1, roles: [.approver])
let ann = Actor(name: "ann", tier: 2, roles: [.approver])
let bob = Actor(name: "bob", tier: 3, roles: [.approver])
let cat = Actor(name: "cat", tier: 3, roles: [.approver])
let root = Actor(name: "root", tier: 0, roles: [.riskAdmin])
let rita = Actor(name: "rita", tier: 3, roles: [.approver, .riskAdmin])
let audrey = Actor(name: "audrey", tier: 3, roles: [.auditor])
let ivan = Actor(name: "ivan", tier: 3, roles: [.intake])
let rex = Actor(name: "rex", tier: 3, roles: [.riskAdmin])

/// SLA of the senior-underwriter level: 8 hours.
let level1SLA = 8 * 3600
/// SLA of the credit-committee level: 2 days.
let level2SLA = 2 * 86_400

/// A case referred to tier 2 and then tier 3, submitted by `branch` at `t0`.
func twoLevelCase(id: String = "APP-2L", submittedBy: String = branch.name) -> ApprovalCase {
    ApprovalCase(id: id, submittedBy: submittedBy,
                 levels: [.init(tier: 2, slaSeconds: level1SLA), .init(tier: 3, slaSeconds: level2SLA)], at: t0)
}

/// A one-level case of `tier`, submitted by `branch` at `t0`.
func oneLevelCase(id: String = "APP-1L", tier: Int, slaSeconds: Int = 4 * 3600, submittedBy: String = branch.name) -> ApprovalCase {
    ApprovalCase(id: id, submittedBy: submittedBy, levels: [.init(tier: tier, slaSeconds: slaSeconds)], at: t0)
}

/// A level as it reads once decided.
func decided(_ level: ApprovalCase.Level, _ outcome: ApprovalCase.Level.Outcome, by: String, at time: Date,
             reason: String? = nil) -> ApprovalCase.Level {
    var level = level
    level.outcome = outcome
    level.decidedBy = by
    level.decidedAt = time
    level.reason = reason
    return level
}

/// Runs `action` on a copy of `original` and expects it to succeed; returns the transition and the new case.
@discardableResult
func expectSuccess(
    _ original: ApprovalCase,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ action: (inout ApprovalCase) -> Result<Transition, WorkflowError>
) -> (Transition, ApprovalCase)? {
    var copy = original
    switch action(&copy) {
    case .success(let transition):
        return (transition, copy)
    case .failure(let error):
        Issue.record("expected success, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Thrown after an unexpected refusal has been recorded, to end the test.
struct UnexpectedRefusal: Error {}

/// Runs `action` on a copy of `original`, which must succeed (otherwise the test records an issue and stops).
func requireSuccess(
    _ original: ApprovalCase,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ action: (inout ApprovalCase) -> Result<Transition, WorkflowError>
) throws -> (Transition, ApprovalCase) {
    guard let outcome = expectSuccess(original, sourceLocation: sourceLocation, action) else { throw UnexpectedRefusal() }
    return outcome
}

/// Runs `action`, which must succeed, updating `c` in place.
@discardableResult
func perform(
    _ c: inout ApprovalCase,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ action: (inout ApprovalCase) -> Result<Transition, WorkflowError>
) throws -> Transition {
    let (transition, after) = try requireSuccess(c, sourceLocation: sourceLocation, action)
    c = after
    return transition
}

/// Runs `action` on a copy of `original`, expects the refusal `code`, and expects the copy to be exactly
/// `original` afterwards (a refusal changes nothing).
func expectRefusal(
    _ code: WorkflowError.Code,
    on original: ApprovalCase,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ action: (inout ApprovalCase) -> Result<Transition, WorkflowError>
) {
    var copy = original
    switch action(&copy) {
    case .success(let transition):
        Issue.record("expected \(code.rawValue), got success: \(transition)", sourceLocation: sourceLocation)
    case .failure(let error):
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    }
    #expect(copy == original, "a refused action must leave the case exactly as it was", sourceLocation: sourceLocation)
}

/// Runs `action` on a copy of `original`, expects some refusal that leaves the case unchanged, and returns its
/// code (for checks on the exact code that are known to fail).
func refusalCode(
    on original: ApprovalCase,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ action: (inout ApprovalCase) -> Result<Transition, WorkflowError>
) -> WorkflowError.Code? {
    var copy = original
    defer { #expect(copy == original, "a refused action must leave the case exactly as it was", sourceLocation: sourceLocation) }
    switch action(&copy) {
    case .success(let transition):
        Issue.record("expected a refusal, got success: \(transition)", sourceLocation: sourceLocation)
        return nil
    case .failure(let error):
        return error.code
    }
}
