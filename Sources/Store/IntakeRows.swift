import Foundation
import GRDB
import RuleEngine
import Workflow

/// Intake's fast path inside the batch transaction: the first version of an application whose number is not yet
/// stored (nearly every submission). Everything that does not depend on the database (audit details, reasons,
/// notes, hashes of bodies) was rendered before the transaction; here each row is bound straight into a cached
/// statement, and an application's history and audit records go in one statement each.
///
/// It writes exactly the rows the general path (`Store.intake`) writes for such a submission; anything else —
/// the number already stored (duplicate, conflict, next version), no usable number — goes to the general path.
struct IntakeRows {
    private let ruleset: String
    private let now: Date
    private let seconds: Double
    private let at: String
    private var application: IntakeStatement
    private var decision: IntakeStatement
    private var history2: IntakeStatement
    private var history3: IntakeStatement
    private var audit2: IntakeStatement
    private var audit3: IntakeStatement
    private var caseRow: IntakeStatement
    private var level: IntakeStatement
    private let db: Database

    // Each SQL text here differs from every statement the general path runs through GRDB's own binding, so the
    // two never share a cached statement within a batch.
    init(_ db: Database, ruleset: String, at now: Date, chain: inout AuditChain) throws {
        self.db = db
        self.ruleset = ruleset
        self.now = now
        seconds = now.timeIntervalSince1970
        at = chain.time(now)
        // OR IGNORE: a number already stored inserts nothing (changes() == 0) and the general path takes over.
        application = try IntakeStatement(db, sql: """
            INSERT OR IGNORE INTO applications (id, version, received_at, submitted_by, assigned_id, body, input_hash) VALUES (?, 1, ?, ?, 0, ?, ?)
            """)
        decision = try IntakeStatement(db, sql: """
            INSERT INTO decisions (application_id, version, ruleset, input_hash, outcome, reasons, decision, decided_by, decided_at)
            VALUES (?, 1, ?, ?, ?, ?, ?, 'rules', ?)
            """)
        history2 = try IntakeStatement(db, sql: """
            INSERT INTO history (application_id, at, actor, action, from_state, to_state, level, note)
            VALUES (?, ?, ?, 'submit', NULL, NULL, NULL, 'version 1'), (?, ?, 'rules', 'decide', NULL, ?, NULL, ?)
            """)
        history3 = try IntakeStatement(db, sql: """
            INSERT INTO history (application_id, at, actor, action, from_state, to_state, level, note)
            VALUES (?, ?, ?, 'submit', NULL, NULL, NULL, 'version 1'), (?, ?, 'rules', 'decide', NULL, ?, NULL, ?),
                   (?, ?, 'rules', 'open', NULL, 'queued', 0, ?)
            """)
        audit2 = try IntakeStatement(db, sql: """
            INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash)
            VALUES (?, ?, ?, 'application.submit', ?, ?, ?, ?), (?, ?, 'rules', 'application.decide', ?, ?, ?, ?)
            """)
        audit3 = try IntakeStatement(db, sql: """
            INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash)
            VALUES (?, ?, ?, 'application.submit', ?, ?, ?, ?), (?, ?, 'rules', 'application.decide', ?, ?, ?, ?),
                   (?, ?, 'rules', 'case.open', ?, ?, ?, ?)
            """)
        caseRow = try IntakeStatement(db, sql: """
            INSERT INTO cases (id, submitted_by, created_at, updated_at, status, current_level, level_count, tier, due_at,
                               lease_holder, lease_token, lease_expires_at, paused_remaining)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)
            """)
        level = try IntakeStatement(db, sql: """
            INSERT INTO case_levels (case_id, level, tier, sla_seconds, due_at, outcome, decided_by, decided_at, reason)
            VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)
            """)
    }

    /// Stores `submission` as the first version of its number and returns its result; nil (nothing written) when
    /// the fast path does not apply.
    mutating func insertFirstVersion(_ submission: Submission, chain: inout AuditChain) throws -> SubmissionResult? {
        guard let id = submission.applicationID, submission.ruleset == ruleset else { return nil }
        application.begin()
        application.bind(id)
        application.bind(seconds)
        application.bind(submission.actor)
        application.bind(blob: submission.body)
        application.bind(submission.inputHash)
        try application.execute()
        guard db.changesCount == 1 else { return nil }

        let outcome = submission.outcome.description
        decision.begin()
        decision.bind(id)
        decision.bind(ruleset)
        decision.bind(submission.inputHash)
        decision.bind(outcome)
        decision.bind(submission.reasonsJSON)
        decision.bind(submission.decisionJSON)
        decision.bind(seconds)
        try decision.execute()

        let opensCase = submission.outcome == .referred && !submission.levels.isEmpty
        if opensCase {
            let levels = submission.levels.map { ApprovalCase.Level(tier: $0.tier, slaSeconds: $0.slaHours * 3600) }
            let opened = ApprovalCase(id: id, submittedBy: submission.actor, levels: levels, at: now)
            caseRow.begin()
            caseRow.bind(opened.id)
            caseRow.bind(opened.submittedBy)
            caseRow.bind(opened.createdAt.timeIntervalSince1970)
            caseRow.bind(opened.updatedAt.timeIntervalSince1970)
            caseRow.bind(opened.status.rawValue)
            caseRow.bind(opened.current)
            caseRow.bind(opened.levels.count)
            caseRow.bind(opened.currentLevel.tier)
            caseRow.bind(opened.dueAt?.timeIntervalSince1970)
            try caseRow.execute()
            for (index, value) in opened.levels.enumerated() {
                level.begin()
                level.bind(id)
                level.bind(index)
                level.bind(value.tier)
                level.bind(value.slaSeconds)
                level.bind(value.dueAt?.timeIntervalSince1970)
                try level.execute()
            }
        }

        if opensCase {
            history3.begin()
            bindHistory(&history3, id, submission, outcome)
            history3.bind(id)
            history3.bind(seconds)
            history3.bind(submission.openNote)
            try history3.execute()
        } else {
            history2.begin()
            bindHistory(&history2, id, submission, outcome)
            try history2.execute()
        }

        if opensCase {
            audit3.begin()
            bindAudit(&audit3, id, submission, chain: &chain)
            bindRecord(&audit3, actor: nil, action: "case.open", subject: id, detail: submission.openDetail, chain: &chain)
            try audit3.execute()
        } else {
            audit2.begin()
            bindAudit(&audit2, id, submission, chain: &chain)
            try audit2.execute()
        }
        return SubmissionResult(applicationID: id, version: 1, assigned: false, disposition: .created, outcome: outcome,
                                caseStatus: opensCase ? ApprovalCase.Status.queued.rawValue : nil, decision: submission.decisionJSON)
    }

    private func bindHistory(_ statement: inout IntakeStatement, _ id: String, _ submission: Submission, _ outcome: String) {
        statement.bind(id)
        statement.bind(seconds)
        statement.bind(submission.actor)
        statement.bind(id)
        statement.bind(seconds)
        statement.bind(outcome)
        statement.bind(ruleset)
    }

    private func bindAudit(_ statement: inout IntakeStatement, _ id: String, _ submission: Submission, chain: inout AuditChain) {
        bindRecord(&statement, actor: submission.actor, action: "application.submit", subject: id, detail: submission.submitDetail, chain: &chain)
        bindRecord(&statement, actor: nil, action: "application.decide", subject: id, detail: submission.decideDetail, chain: &chain)
    }

    /// One audit record's parameters: seq, at, [actor,] subject, detail, prev_hash, hash (actor nil: 'rules',
    /// written in the SQL, as the action is).
    private func bindRecord(_ statement: inout IntakeStatement, actor: String?, action: String, subject: String, detail: String,
                            chain: inout AuditChain) {
        let previous = chain.hash
        let (seq, hash) = chain.advance(at: at, actor: actor ?? "rules", action: action, subject: subject, detail: detail)
        statement.bind(seq)
        statement.bind(at)
        if let actor { statement.bind(actor) }
        statement.bind(subject)
        statement.bind(detail)
        statement.bind(previous)
        statement.bind(hash)
    }
}
