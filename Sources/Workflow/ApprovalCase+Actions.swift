import Foundation

/// The approval state machine. Each action checks everything first and changes the case only when it
/// succeeds, returning what happened; a refusal leaves the case exactly as it was.
///
///     queued ──claim──▶ claimed ──approve (not last level)──▶ queued (next level)
///        ▲                 │ ├──approve (last level)──▶ approved
///        │                 │ ├──decline──▶ declined
///        └──release/expire─┘ ├──escalate──▶ queued (higher tier)
///                            └──return──▶ returned ──resume (re-submission)──▶ queued
extension ApprovalCase {
    public mutating func claim(by actor: Actor, token: String, at now: Date, leaseSeconds: TimeInterval) -> Result<Transition, WorkflowError> {
        if let refusal = refuseUnlessOpen() ?? refuseUnlessEligible(actor) { return .failure(refusal) }
        guard status == .queued || status == .claimed else {
            return .failure(WorkflowError(.invalidState, "case \(id) is \(status.rawValue), not waiting for an approver"))
        }
        if let holder = liveHolder(at: now), holder != actor.name {
            return .failure(WorkflowError(.claimed, "case \(id) is claimed by \(holder)"))
        }
        let from = status
        lease = Lease(holder: actor.name, token: token, expiresAt: now.addingTimeInterval(leaseSeconds))
        status = .claimed
        updatedAt = now
        return .success(Transition(action: .claim, actor: actor.name, from: from, to: .claimed, level: current))
    }

    public mutating func touch(by actor: Actor, token: String, at now: Date, leaseSeconds: TimeInterval) -> Result<Transition, WorkflowError> {
        if let refusal = refuseUnlessOpen() ?? refuseUnlessEligible(actor) ?? refuseUnlessLeased(actor, token, now) { return .failure(refusal) }
        lease?.expiresAt = now.addingTimeInterval(leaseSeconds)
        updatedAt = now
        return .success(Transition(action: .touch, actor: actor.name, from: .claimed, to: .claimed, level: current))
    }

    public mutating func release(by actor: Actor, token: String, at now: Date) -> Result<Transition, WorkflowError> {
        if let refusal = refuseUnlessLeased(actor, token, now) { return .failure(refusal) }
        lease = nil
        status = .queued
        updatedAt = now
        return .success(Transition(action: .release, actor: actor.name, from: .claimed, to: .queued, level: current,
                                   notices: [.tier(currentLevel.tier)]))
    }

    public mutating func approve(by actor: Actor, token: String, at now: Date) -> Result<Transition, WorkflowError> {
        if let refusal = refuseUnlessOpen() ?? refuseUnlessEligible(actor) ?? refuseUnlessLeased(actor, token, now) { return .failure(refusal) }
        let level = current
        decide(.approved, by: actor.name, reason: nil, at: now)
        lease = nil
        updatedAt = now
        if current + 1 < levels.count {
            current += 1
            levels[current].dueAt = now.addingTimeInterval(TimeInterval(levels[current].slaSeconds))
            status = .queued
            return .success(Transition(action: .approve, actor: actor.name, from: .claimed, to: .queued, level: level,
                                       notices: [.tier(levels[current].tier)]))
        }
        status = .approved
        return .success(Transition(action: .approve, actor: actor.name, from: .claimed, to: .approved, level: level, notices: [.applicant]))
    }

    public mutating func decline(by actor: Actor, token: String, reason: String, at now: Date) -> Result<Transition, WorkflowError> {
        if let refusal = refuseUnlessOpen() ?? refuseUnlessEligible(actor) ?? refuseUnlessLeased(actor, token, now) { return .failure(refusal) }
        guard Self.isCode(reason) else {
            return .failure(WorkflowError(.invalidArgument, "a decline needs a reason code (letters, digits, '_' or '-')"))
        }
        decide(.declined, by: actor.name, reason: reason, at: now)
        lease = nil
        status = .declined
        updatedAt = now
        return .success(Transition(action: .decline, actor: actor.name, from: .claimed, to: .declined, level: current,
                                   note: reason, notices: [.applicant]))
    }

    public mutating func escalate(by actor: Actor, token: String, toTier tier: Int, note: String, at now: Date) -> Result<Transition, WorkflowError> {
        if let refusal = refuseUnlessOpen() ?? refuseUnlessEligible(actor) ?? refuseUnlessLeased(actor, token, now) { return .failure(refusal) }
        guard tier > currentLevel.tier else {
            return .failure(WorkflowError(.invalidArgument, "escalation must go above tier \(currentLevel.tier)"))
        }
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(WorkflowError(.invalidArgument, "an escalation needs a note"))
        }
        levels[current].tier = tier
        lease = nil
        status = .queued
        updatedAt = now
        return .success(Transition(action: .escalate, actor: actor.name, from: .claimed, to: .queued, level: current,
                                   note: note, notices: [.tier(tier)]))
    }

    public mutating func returnForInformation(by actor: Actor, token: String, note: String, at now: Date) -> Result<Transition, WorkflowError> {
        if let refusal = refuseUnlessOpen() ?? refuseUnlessEligible(actor) ?? refuseUnlessLeased(actor, token, now) { return .failure(refusal) }
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(WorkflowError(.invalidArgument, "say what information is needed"))
        }
        pausedRemaining = max(0, (dueAt ?? now).timeIntervalSince(now))
        lease = nil
        status = .returned
        updatedAt = now
        return .success(Transition(action: .returnForInfo, actor: actor.name, from: .claimed, to: .returned, level: current,
                                   note: note, notices: [.applicant]))
    }

    /// The applicant re-submitted: the case continues at the level it left, with the SLA time it had left.
    public mutating func resume(by actor: String, at now: Date) -> Result<Transition, WorkflowError> {
        if let refusal = refuseUnlessOpen() { return .failure(refusal) }
        guard status == .returned else {
            return .failure(WorkflowError(.invalidState, "case \(id) is \(status.rawValue), not returned for information"))
        }
        levels[current].dueAt = now.addingTimeInterval(pausedRemaining ?? TimeInterval(currentLevel.slaSeconds))
        pausedRemaining = nil
        status = .queued
        updatedAt = now
        return .success(Transition(action: .resume, actor: actor, from: .returned, to: .queued, level: current,
                                   notices: [.tier(currentLevel.tier)]))
    }

    public mutating func comment(by actor: Actor, note: String, at now: Date) -> Result<Transition, WorkflowError> {
        if let refusal = refuseUnlessOpen() { return .failure(refusal) }
        guard actor.has(.approver) || actor.has(.riskAdmin) else {
            return .failure(WorkflowError(.forbidden, "\(actor.name) may not comment on cases"))
        }
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(WorkflowError(.invalidArgument, "a comment cannot be empty"))
        }
        return .success(Transition(action: .comment, actor: actor.name, from: status, to: status, level: current, note: note))
    }

    /// A risk admin hands the case to another approver, who gets a fresh lease.
    public mutating func reassign(by admin: Actor, to assignee: Actor, token: String, at now: Date, leaseSeconds: TimeInterval) -> Result<Transition, WorkflowError> {
        guard admin.has(.riskAdmin) else {
            return .failure(WorkflowError(.forbidden, "only a risk admin may reassign cases"))
        }
        if let refusal = refuseUnlessOpen() ?? refuseUnlessEligible(assignee) { return .failure(refusal) }
        guard status == .queued || status == .claimed else {
            return .failure(WorkflowError(.invalidState, "case \(id) is \(status.rawValue)"))
        }
        let from = status
        lease = Lease(holder: assignee.name, token: token, expiresAt: now.addingTimeInterval(leaseSeconds))
        status = .claimed
        updatedAt = now
        return .success(Transition(action: .reassign, actor: admin.name, from: from, to: .claimed, level: current,
                                   note: assignee.name, notices: [.user(assignee.name)]))
    }

    /// Puts a case whose lease ran out back in the queue (nothing else changes).
    public mutating func expireLease(at now: Date) -> Transition? {
        guard status == .claimed, let lease, lease.expiresAt <= now else { return nil }
        self.lease = nil
        status = .queued
        updatedAt = now
        return Transition(action: .expire, actor: "system", from: .claimed, to: .queued, level: current, note: lease.holder,
                          notices: [.tier(currentLevel.tier)])
    }

    // MARK: Guards

    private func refuseUnlessOpen() -> WorkflowError? {
        isClosed ? WorkflowError(.closed, "case \(id) is already \(status.rawValue)") : nil
    }

    /// Role, tier and separation of duties: nobody works a case they submitted, and nobody decides two
    /// levels of one case.
    func refuseUnlessEligible(_ actor: Actor) -> WorkflowError? {
        guard actor.has(.approver) else { return WorkflowError(.forbidden, "\(actor.name) is not an approver") }
        guard actor.name != submittedBy else { return WorkflowError(.forbidden, "\(actor.name) submitted case \(id)") }
        guard actor.tier >= currentLevel.tier else {
            return WorkflowError(.forbidden, "case \(id) needs tier \(currentLevel.tier); \(actor.name) is tier \(actor.tier)")
        }
        if let earlier = levels[..<current].firstIndex(where: { $0.decidedBy == actor.name }) {
            return WorkflowError(.forbidden, "\(actor.name) already decided level \(earlier + 1) of case \(id)")
        }
        return nil
    }

    private func refuseUnlessLeased(_ actor: Actor, _ token: String, _ now: Date) -> WorkflowError? {
        if let refusal = refuseUnlessOpen() { return refusal }
        if status == .returned {
            return WorkflowError(.invalidState, "case \(id) is returned to the applicant; it continues when they re-submit")
        }
        // An expired lease stays on the case until someone claims it (the store expires leases lazily), so the
        // stale holder is told `lease-expired`; once the case is queued again, there is no claim at all.
        guard status == .claimed, let lease else {
            return WorkflowError(.notClaimed, "case \(id) is \(status.rawValue), not claimed")
        }
        guard lease.token == token, lease.holder == actor.name, lease.expiresAt > now else {
            return WorkflowError(.leaseExpired, "the claim on case \(id) expired or was taken over; claim it again")
        }
        return nil
    }

    private mutating func decide(_ outcome: Level.Outcome, by actor: String, reason: String?, at now: Date) {
        levels[current].outcome = outcome
        levels[current].decidedBy = actor
        levels[current].decidedAt = now
        levels[current].reason = reason
    }

    static func isCode(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-")
        }
    }
}
