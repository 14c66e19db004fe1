import Foundation
import GRDB
import RuleEngine
import Workflow

/// Intake's fast path inside the batch transaction: the first version of an application whose number is not yet
/// stored (nearly every submission). Everything that does not depend on the database (audit details, reasons,
/// notes, hashes of bodies) was rendered before the transaction. Here the application row is inserted at once
/// (that insert is what tells a new number from a known one); its decision, case, history and audit rows are
/// bound through the SQLite C API into multi-row statements shared by up to 32 applications.
///
/// It writes exactly the rows the general path (`Store.intake`) writes for such a submission; anything else —
/// the number already stored (duplicate, conflict, next version), no usable number — goes to the general path.
struct IntakeRows {
    private let ruleset: String
    private let now: Date
    private let seconds: Double
    private let at: String
    private var application: IntakeStatement
    // The other rows wait in these tables and go in by multi-row statements (flushed in this order, parents first).
    private var decisions = IntakeTable("INSERT INTO decisions(application_id, version, ruleset, input_hash, outcome, reasons, decision, decided_by, decided_at) VALUES ",
                                        row: "(?, 1, ?, ?, ?, ?, ?, 'rules', ?)", width: 7)
    private var cases = IntakeTable("""
        INSERT INTO cases(id, submitted_by, created_at, updated_at, status, current_level, level_count, tier, due_at,
                          lease_holder, lease_token, lease_expires_at, paused_remaining) VALUES
        """, row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)", width: 9)
    private var levels = IntakeTable("INSERT INTO case_levels(case_id, level, tier, sla_seconds, due_at, outcome, decided_by, decided_at, reason) VALUES ",
                                     row: "(?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)", width: 5)
    private var history = IntakeTable("INSERT INTO history(application_id, at, actor, action, from_state, to_state, level, note) VALUES ",
                                      row: "(?, ?, ?, ?, NULL, ?, ?, ?)", width: 7)
    private var audit = IntakeTable("INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash) VALUES ",
                                    row: "(?, ?, ?, ?, ?, ?, ?, ?)", width: 8)
    /// Applications whose other rows are still buffered.
    private var buffered = 0
    private let db: Database

    // Each SQL text here differs from every statement the general path runs through GRDB's own binding (note the
    // table names written without a space before the column list), so the two never share a cached statement.
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
    }

    /// Stores `submission` as the first version of its number and returns its result; nil (nothing written) when
    /// the fast path does not apply. Its rows other than the application's may still be buffered: `flush()` before
    /// anything reads them (the general path) and before the transaction ends.
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
        decisions.add(.text(id), .text(ruleset), .text(submission.inputHash), .text(outcome), .text(submission.reasonsJSON),
                      .text(submission.decisionJSON), .real(seconds))
        history.add(.text(id), .real(seconds), .text(submission.actor), .text("submit"), .null, .null, .text("version 1"))
        history.add(.text(id), .real(seconds), .text("rules"), .text("decide"), .text(outcome), .null, .text(ruleset))
        addRecord(actor: submission.actor, action: "application.submit", subject: id, detail: submission.submitDetail, chain: &chain)
        addRecord(actor: "rules", action: "application.decide", subject: id, detail: submission.decideDetail, chain: &chain)

        let opensCase = submission.outcome == .referred && !submission.levels.isEmpty
        if opensCase {
            let opened = ApprovalCase(id: id, submittedBy: submission.actor,
                                      levels: submission.levels.map { ApprovalCase.Level(tier: $0.tier, slaSeconds: $0.slaHours * 3600) }, at: now)
            cases.add(.text(opened.id), .text(opened.submittedBy), .real(opened.createdAt.timeIntervalSince1970),
                      .real(opened.updatedAt.timeIntervalSince1970), .text(opened.status.rawValue), .integer(Int64(opened.current)),
                      .integer(Int64(opened.levels.count)), .integer(Int64(opened.currentLevel.tier)), IntakeValue(opened.dueAt?.timeIntervalSince1970))
            for (index, value) in opened.levels.enumerated() {
                levels.add(.text(id), .integer(Int64(index)), .integer(Int64(value.tier)), .integer(Int64(value.slaSeconds)),
                           IntakeValue(value.dueAt?.timeIntervalSince1970))
            }
            history.add(.text(id), .real(seconds), .text("rules"), .text("open"), .text("queued"), .integer(0), .text(submission.openNote))
            addRecord(actor: "rules", action: "case.open", subject: id, detail: submission.openDetail, chain: &chain)
        }
        buffered += 1
        if buffered >= 32 { try flush() }
        return SubmissionResult(applicationID: id, version: 1, assigned: false, disposition: .created, outcome: outcome,
                                caseStatus: opensCase ? ApprovalCase.Status.queued.rawValue : nil, decision: submission.decisionJSON)
    }

    /// Inserts every buffered row (parents before the rows that refer to them).
    mutating func flush() throws {
        guard buffered > 0 else { return }
        try decisions.flush(db)
        try cases.flush(db)
        try levels.flush(db)
        try history.flush(db)
        try audit.flush(db)
        buffered = 0
    }

    /// One audit record, chained now (the chain's order is the order of the calls).
    private mutating func addRecord(actor: String, action: String, subject: String, detail: String, chain: inout AuditChain) {
        let previous = chain.hash
        let (seq, hash) = chain.advance(at: at, actor: actor, action: action, subject: subject, detail: detail)
        audit.add(.integer(seq), .text(at), .text(actor), .text(action), .text(subject), .text(detail), .text(previous), .text(hash))
    }
}
