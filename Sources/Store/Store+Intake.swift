import Foundation
import GRDB
import RuleEngine
import Workflow

extension Store {
    /// Records that a ruleset version is in force (once per version); decisions refer to it.
    public func activateRuleset(_ version: String, by actor: String, at now: Date) async throws {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM rulesets WHERE version = ?", arguments: [version]) == nil else { return }
            try db.execute(sql: "INSERT INTO rulesets (version, activated_at, activated_by) VALUES (?, ?, ?)",
                           arguments: [version, now.timeIntervalSince1970, actor])
            var chain = try AuditChain(db)
            try chain.append(db, at: now, actor: actor, action: "rules.activate", subject: version, detail: ["version": version])
        }
    }

    /// Stores a batch of evaluated submissions inside the caller's transaction (group commit). Each gets its own
    /// result: a conflict refuses that submission only; a storage failure throws (and the transaction, rolled back,
    /// writes nothing).
    static func store(_ db: Database, _ batch: [Submission], ruleset: String, at now: Date) throws -> [Result<SubmissionResult, StoreError>] {
        var chain = try AuditChain(db)
        // The submitting users are checked in the same transaction, so a user disabled a moment ago submits nothing.
        var refusals: [String: StoreError?] = [:]
        for name in Set(batch.map(\.actor)) {
            do {
                let actor = try Store.loadActor(db, name)
                refusals[name] = actor.has(.intake) ? .none : StoreError(.forbidden, "\(name) does not have the intake role")
            } catch let error as WorkflowError {
                refusals[name] = StoreError(.forbidden, error.message)
            }
        }
        var rows = IntakeRows(db, ruleset: ruleset, at: now, chain: &chain)
        var results: [Result<SubmissionResult, StoreError>] = []
        results.reserveCapacity(batch.count)
        // Which submissions the fast path may take, worked out once (one dictionary lookup each).
        let fast = batch.map { (refusals[$0.actor] ?? nil) == nil && IntakeRows.accepts($0, ruleset: ruleset) }
        var start = batch.startIndex
        while start < batch.endIndex {
            // The longest run (up to a group) of submissions the fast path may take, in arrival order.
            var end = start
            while end < batch.endIndex, end - start < IntakeRows.groupSize, fast[end] { end += 1 }
            if end > start, let stored = try rows.insertFirstVersions(of: batch, start..<end, chain: &chain) {
                results.append(contentsOf: stored.lazy.map { .success($0) })
                start = end
                continue
            }
            // One by one: the group held a known or repeated number, or batch[start] is refused or not for the
            // fast path.
            for submission in batch[start..<max(end, start + 1)] {
                if let refusal = refusals[submission.actor] ?? nil {
                    results.append(.failure(refusal))
                } else if let result = try rows.insertFirstVersion(submission, chain: &chain) {
                    results.append(.success(result))
                } else {
                    try rows.flush()
                    results.append(try Store.intake(db, submission, ruleset: ruleset, at: now, chain: &chain))
                }
            }
            start = max(end, start + 1)
        }
        try rows.flush()
        return results
    }

    /// Any submission intake's fast path does not take: a known number already stored (duplicate, conflict, next
    /// version of an invalid or returned application) or no usable number (one is assigned).
    private static func intake(_ db: Database, _ submission: Submission, ruleset: String, at now: Date,
                               chain: inout AuditChain) throws -> Result<SubmissionResult, StoreError> {
        var id = submission.applicationID
        var version = 1
        var disposition = SubmissionResult.Disposition.created
        var existingCase: ApprovalCase?
        var key: Int64?
        if let known = id, let storedKey = try ApplicationNumbers.key(db, known), let latest = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT a.version, a.input_hash, a.assigned_id, d.outcome, d.decision FROM applications a
            JOIN decisions d ON d.application = a.application AND d.version = a.version
            WHERE a.application = ? ORDER BY a.version DESC LIMIT 1
            """), arguments: [storedKey]) {
            key = storedKey
            existingCase = try CaseRecords.load(db, key: storedKey, id: known)
            if (latest["input_hash"] as String) == submission.inputHash {
                return .success(SubmissionResult(applicationID: known, version: latest["version"], assigned: latest["assigned_id"],
                                                 disposition: .duplicate, outcome: latest["outcome"],
                                                 caseStatus: existingCase?.status.rawValue, decision: latest["decision"]))
            }
            guard (latest["outcome"] as String) == "invalid" || existingCase?.status == .returned else {
                return .failure(StoreError(.conflict, "application \(known) was already submitted with different content"))
            }
            version = (latest["version"] as Int) + 1
            disposition = .newVersion
        }
        if id == nil { id = try nextApplicationNumber(db) }
        let applicationID = id!
        let applicationKey = try key ?? ApplicationNumbers.insert(db, applicationID)
        try db.cachedStatement(sql: """
            INSERT INTO applications (application, version, received_at, submitted_by, assigned_id, body, input_hash) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [applicationKey, version, now.timeIntervalSince1970, submission.actor,
                                     submission.applicationID == nil, Data(submission.body), submission.inputHash])
        let reasons = submission.reasonsJSON
        try db.cachedStatement(sql: """
            INSERT INTO decisions (application, version, ruleset, input_hash, outcome, reasons, decision, decided_by, decided_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'rules', ?)
            """).execute(arguments: [applicationKey, version, ruleset, submission.inputHash, submission.outcome.description,
                                     reasons, submission.decisionJSON, now.timeIntervalSince1970])
        // A first version's history is read from its application and decision rows (`FirstVersionHistory`).
        if version > 1 {
            try db.cachedStatement(sql: """
                INSERT INTO history (application, at, actor, action, to_state, note) VALUES (?, ?, ?, 'submit', NULL, ?), (?, ?, 'rules', 'decide', ?, ?)
                """).execute(arguments: [applicationKey, now.timeIntervalSince1970, submission.actor, "version \(version)",
                                         applicationKey, now.timeIntervalSince1970, submission.outcome.description, ruleset])
        }
        let firstVersion = version == 1 && submission.ruleset == ruleset
        try chain.append(db, at: now, actor: submission.actor, action: "application.submit", subject: applicationID,
                         detailJSON: firstVersion ? submission.submitDetail
                             : Submission.submitDetail(version: version, inputHash: submission.inputHash, assigned: submission.applicationID == nil))
        try chain.append(db, at: now, actor: "rules", action: "application.decide", subject: applicationID,
                         detailJSON: firstVersion ? submission.decideDetail
                             : Submission.decideDetail(version: version, outcome: submission.outcome, ruleset: ruleset,
                                                       inputHash: submission.inputHash, reasonsJSON: reasons))
        var caseStatus = existingCase?.status
        if var returned = existingCase, returned.status == .returned, submission.outcome != .invalid {
            let before = returned
            let transition = try returned.resume(by: submission.actor, at: now).get()
            try CaseRecords.update(db, key: applicationKey, returned, from: before)
            try History.record(db, transition, application: applicationKey, at: now)
            try chain.append(db, at: now, actor: submission.actor, action: "case.resume", subject: applicationID,
                             detail: ["version": String(version), "level": String(transition.level + 1)])
            caseStatus = returned.status
        } else if existingCase == nil, submission.outcome == .referred, !submission.levels.isEmpty {
            let levels = submission.levels.map { ApprovalCase.Level(tier: $0.tier, slaSeconds: $0.slaHours * 3600) }
            let opened = ApprovalCase(id: applicationID, submittedBy: submission.actor, levels: levels, at: now)
            try CaseRecords.insert(db, key: applicationKey, opened)
            if version > 1 {
                try History.append(db, application: applicationKey, at: now, actor: "rules", action: "open", to: "queued", level: 0,
                                   note: submission.openNote)
            }
            try chain.append(db, at: now, actor: "rules", action: "case.open", subject: applicationID, detailJSON: submission.openDetail)
            caseStatus = .queued
        }
        return .success(SubmissionResult(applicationID: applicationID, version: version, assigned: submission.applicationID == nil,
                                         disposition: disposition, outcome: submission.outcome.description,
                                         caseStatus: caseStatus?.rawValue, decision: submission.decisionJSON))
    }

    /// The next assigned application number, e.g. `RG-000042` (durable counter, never reused). A number some
    /// submission already carried is stepped over, so an assigned number never collides with a chosen one.
    private static func nextApplicationNumber(_ db: Database) throws -> String {
        // One cached statement per number (preparing two statements for each unnumbered application of the
        // benchmark mix was 4% of the writer's time).
        let next = try db.cachedStatement(sql: """
            INSERT INTO counters (name, value) VALUES ('application', 1)
            ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value
            """)
        while true {
            guard let value = try Int.fetchOne(next) else { throw StoreError(.storage, "the application counter returned no value") }
            let digits = String(value)
            let number = "RG-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
            if try ApplicationNumbers.key(db, number) == nil { return number }
        }
    }
}

/// The case history: who did what, when, from which state to which. A first version's history is not stored
/// here (`FirstVersionHistory`).
enum History {
    static func append(_ db: Database, application: Int64, at now: Date, actor: String, action: String,
                       from: String? = nil, to: String? = nil, level: Int? = nil, note: String? = nil) throws {
        try db.cachedStatement(sql: """
            INSERT INTO history (application, at, actor, action, from_state, to_state, level, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [application, now.timeIntervalSince1970, actor, action, from, to, level, note])
    }

    static func record(_ db: Database, _ transition: Transition, application: Int64, at now: Date) throws {
        try append(db, application: application, at: now, actor: transition.actor, action: transition.action.rawValue,
                   from: transition.from.rawValue, to: transition.to.rawValue, level: transition.level, note: transition.note)
    }
}

/// A first version's history — submitted, decided and, for a referral with levels, case opened — is read from the
/// rows intake stores anyway (the version's application and decision rows, and the case with its levels), not
/// stored as history rows: that was 2–3 rows and 2–3 index entries per application, about a tenth of intake's
/// cost on the writer. Nothing happens to an application before its first version, so these entries come before
/// every stored one. A case is opened by the first version exactly when that version was referred (a later
/// version is accepted only after an invalid one, and a referral without levels opens no case).
enum FirstVersionHistory {
    /// The first version's entries of the application stored under `key` (none for an unknown key), with the case
    /// if there is one.
    static func events(_ db: Database, key: Int64, case caseValue: ApprovalCase?) throws -> [ApplicationStatus.Event] {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT a.received_at, a.submitted_by, d.decided_at, d.decided_by, d.outcome, d.ruleset FROM applications a
            LEFT JOIN decisions d ON d.application = a.application AND d.version = 1
            WHERE a.application = ? AND a.version = 1
            """), arguments: [key]) else { return [] }
        var events = [ApplicationStatus.Event(at: row[0], actor: row[1], action: "submit", from: nil, to: nil, level: nil,
                                              note: "version 1")]
        // A decision record may have been purged after its retention period.
        guard let outcome: String = row[4] else { return events }
        events.append(ApplicationStatus.Event(at: row[2], actor: row[3], action: "decide", from: nil, to: outcome, level: nil, note: row[5]))
        if let caseValue, outcome == Outcome.referred.description {
            events.append(ApplicationStatus.Event(at: caseValue.createdAt.timeIntervalSince1970, actor: "rules", action: Transition.Action.open.rawValue,
                                                  from: nil, to: ApprovalCase.Status.queued.rawValue, level: 1,
                                                  note: Submission.openNote(tiers: caseValue.levels.map(\.tier))))
        }
        return events
    }
}
