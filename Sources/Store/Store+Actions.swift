import Foundation
import GRDB
import Logging
import Workflow

extension Store {
    /// Applies one action in one transaction: the case, its history entry and its audit record together.
    /// With a `requestID`, a retried action returns the first answer without acting twice.
    /// Refusals throw `WorkflowError` (or `StoreError`) and leave the database unchanged.
    public func perform(_ action: CaseAction, by actorName: String, requestID: String? = nil, at now: Date,
                        leaseSeconds: TimeInterval = 300) async throws -> ActionOutcome {
        do {
            return try await writer.write { db in
                try Store.perform(db, action, by: actorName, requestID: requestID, at: now, leaseSeconds: leaseSeconds)
            }
        } catch let error as WorkflowError {
            logDenial(error, action, by: actorName)
            throw error
        }
    }

    /// One action inside the caller's transaction (`perform`, or a savepoint of a grouped commit).
    static func perform(_ db: Database, _ action: CaseAction, by actorName: String, requestID: String?, at now: Date,
                        leaseSeconds: TimeInterval) throws -> ActionOutcome {
        if let requestID, let saved = try String.fetchOne(db.cachedStatement(sql: "SELECT response FROM requests WHERE actor = ? AND request_id = ?"),
                                                         arguments: [actorName, requestID]) {
            return try JSONDecoder().decode(ActionOutcome.self, from: Data(saved.utf8))
        }
        let actor = try Store.loadActor(db, actorName)
        let outcome = try Store.apply(db, action, actor: actor, at: now, leaseSeconds: leaseSeconds)
        if let requestID {
            let text = String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)
            try db.cachedStatement(sql: "INSERT INTO requests (actor, request_id, response, at) VALUES (?, ?, ?, ?)")
                .execute(arguments: [actorName, requestID, text, now.timeIntervalSince1970])
        }
        return outcome
    }

    func logDenial(_ error: WorkflowError, _ action: CaseAction, by actorName: String) {
        guard error.code == .forbidden else { return }
        logger.info("action denied", metadata: ["case.id": "\(action.caseID ?? "next")", "user": "\(actorName)", "reason": "\(error.message)"])
    }

    static func loadActor(_ db: Database, _ name: String) throws -> Actor {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT tier, roles, disabled FROM users WHERE name = ?"), arguments: [name]) else {
            throw WorkflowError(.forbidden, "unknown user \(name)")
        }
        // Columns by position (as selected): lookups by name compare lowercased names, on every action.
        guard (row[2] as Int) == 0 else { throw WorkflowError(.forbidden, "user \(name) is disabled") }
        let roles = Set((row[1] as String).split(separator: ",").compactMap { Role(rawValue: String($0)) })
        return Actor(name: name, tier: row[0], roles: roles)
    }

    private static func apply(_ db: Database, _ action: CaseAction, actor: Actor, at now: Date, leaseSeconds: TimeInterval) throws -> ActionOutcome {
        let caseID: String
        let caseKey: Int64
        if let id = action.caseID {
            caseID = id
            caseKey = try ApplicationNumbers.existingKey(db, id, notFound: "no case \(id)")
        } else {
            guard actor.has(.approver) else { throw WorkflowError(.forbidden, "\(actor.name) is not an approver") }
            // The first case in queue order among the queued ones and the claimed ones whose lease ran out, each
            // read through its own index so that the cases other approvers hold are never stepped over.
            guard let next = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT n.key, n.number FROM (
                    SELECT * FROM (
                        SELECT application, due_at, created_at FROM cases INDEXED BY cases_queued
                        WHERE status = 'queued' AND tier <= ?2 AND submitted_by <> ?3
                          AND NOT EXISTS (SELECT 1 FROM case_levels l WHERE l.application = cases.application AND l.decided_by = ?3)
                        ORDER BY due_at, created_at LIMIT 1)
                    UNION ALL
                    SELECT * FROM (
                        SELECT application, due_at, created_at FROM cases INDEXED BY cases_leases
                        WHERE status = 'claimed' AND lease_expires_at <= ?1 AND tier <= ?2 AND submitted_by <> ?3
                          AND NOT EXISTS (SELECT 1 FROM case_levels l WHERE l.application = cases.application AND l.decided_by = ?3)
                        ORDER BY due_at, created_at LIMIT 1)
                ) AS next JOIN application_numbers n ON n.key = next.application ORDER BY next.due_at, next.created_at LIMIT 1
                """), arguments: [now.timeIntervalSince1970, actor.tier, actor.name]) else {
                throw StoreError(.notFound, "no case is waiting for tier \(actor.tier) or below")
            }
            caseKey = next[0]
            caseID = next[1]
        }
        guard var current = try CaseRecords.load(db, key: caseKey, id: caseID) else { throw StoreError(.notFound, "no case \(caseID)") }
        var chain = try AuditChain(db)
        let original = current
        // A claim on a case whose lease ran out first records the expiry; actions that present a token leave
        // the stale lease in place so its holder is told `lease-expired`.
        let claims: Bool
        switch action {
        case .takeNext, .claim, .reassign: claims = true
        default: claims = false
        }
        if claims, let expired = current.expireLease(at: now) {
            try History.record(db, expired, application: caseKey, at: now)
            try chain.append(db, at: now, actor: "system", action: "case.expire", subject: caseID,
                             detail: ["holder": expired.note ?? "", "level": String(expired.level + 1)])
        }
        let token = Token.make()
        let transition: Transition
        switch action {
        case .takeNext, .claim:
            transition = try current.claim(by: actor, token: token, at: now, leaseSeconds: leaseSeconds).get()
        case .touch(_, let token):
            transition = try current.touch(by: actor, token: token, at: now, leaseSeconds: leaseSeconds).get()
        case .release(_, let token):
            transition = try current.release(by: actor, token: token, at: now).get()
        case .approve(_, let token):
            transition = try current.approve(by: actor, token: token, at: now).get()
        case .decline(_, let token, let reason):
            transition = try current.decline(by: actor, token: token, reason: reason, at: now).get()
        case .escalate(_, let token, let tier, let note):
            transition = try current.escalate(by: actor, token: token, toTier: tier, note: note, at: now).get()
        case .returnForInformation(_, let token, let note):
            transition = try current.returnForInformation(by: actor, token: token, note: note, at: now).get()
        case .comment(_, let note):
            transition = try current.comment(by: actor, note: note, at: now).get()
        case .reassign(_, let name):
            let assignee = try loadActor(db, name)
            transition = try current.reassign(by: actor, to: assignee, token: token, at: now, leaseSeconds: leaseSeconds).get()
        }
        if current != original {
            try CaseRecords.update(db, key: caseKey, current, from: original)
        }
        try History.record(db, transition, application: caseKey, at: now)
        var detail = ["level": String(transition.level + 1), "from": transition.from.rawValue, "to": transition.to.rawValue]
        if let note = transition.note { detail["note"] = note }
        try chain.append(db, at: now, actor: actor.name, action: "case.\(transition.action.rawValue)", subject: caseID, detail: detail)
        if current.isClosed, !original.isClosed { try recordFinalDecision(db, key: caseKey, current, at: now) }
        return ActionOutcome(caseID: caseID, action: transition.action.rawValue, status: current.status.rawValue,
                             level: current.current + 1, levels: current.levels.count, tier: current.currentLevel.tier,
                             token: transition.action == .claim ? current.lease?.token : nil,
                             leaseExpiresAt: current.status == .claimed ? current.lease?.expiresAt.timeIntervalSince1970 : nil,
                             holder: current.lease?.holder)
    }

    /// One decision record per decided case, carrying the automatic decision's input hash, ruleset and reasons.
    private static func recordFinalDecision(_ db: Database, key: Int64, _ decided: ApprovalCase, at now: Date) throws {
        guard let automatic = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT input_hash, ruleset, reasons FROM decisions WHERE application = ? ORDER BY version DESC LIMIT 1
            """), arguments: [key]) else { throw StoreError(.storage, "case \(decided.id) has no application decision") }
        let level = decided.currentLevel
        try db.cachedStatement(sql: """
            INSERT INTO case_decisions (application, outcome, decided_by, decided_at, reason, input_hash, ruleset, reasons)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [key, decided.status.rawValue, level.decidedBy, now.timeIntervalSince1970, level.reason,
                             automatic[0], automatic[1], automatic[2]])
    }
}
