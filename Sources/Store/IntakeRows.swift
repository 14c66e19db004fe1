import Foundation
import GRDB
import RuleEngine
import Workflow

/// Intake's fast path inside the batch transaction: first versions of application numbers not yet stored (nearly
/// every submission). Everything that does not depend on the database (audit details, reasons, notes, hashes of
/// bodies) was rendered before the transaction. Numbers go in by multi-row statements, with the keys they get
/// (`ApplicationNumbers`): a plain `INSERT` of up to 32 of them at once succeeds only if every number is new (a
/// stored or repeated number fails it with a constraint error, and SQLite undoes that statement alone); such a
/// group then goes through one by one, a lookup telling new numbers from known ones. Their application, decision,
/// case and audit rows wait in `IntakeTable`s and go in by multi-row statements shared by up to 32 applications.
/// A first version's history (submitted, decided, case opened) is not stored: it is read from these rows
/// (`FirstVersionHistory`).
///
/// It writes exactly the rows the general path (`Store.intake`) writes for such a submission; anything else —
/// the number already stored (duplicate, conflict, next version), no usable number — goes to the general path.
struct IntakeRows {
    private let ruleset: String
    private let now: Date
    private let seconds: Double
    private let at: String
    private let db: Database
    // Each SQL text here differs from every statement the general path runs through GRDB's own binding (note the
    // table names written without a space before the column list), so the two never share a cached statement.
    private var numbers = IntakeTable("INSERT INTO application_numbers(key, number) VALUES ", row: "(?, ?)", width: 2)
    // The other rows wait in these tables and go in by multi-row statements (flushed in this order, parents first).
    private var applications = IntakeTable("INSERT INTO applications(application, version, received_at, submitted_by, assigned_id, body, input_hash) VALUES ",
                                           row: "(?, 1, ?, ?, 0, ?, ?)", width: 5)
    private var decisions = IntakeTable("INSERT INTO decisions(application, version, ruleset, input_hash, outcome, reasons, decision, decided_by, decided_at) VALUES ",
                                        row: "(?, 1, ?, ?, ?, ?, ?, 'rules', ?)", width: 7)
    private var cases = IntakeTable("""
        INSERT INTO cases(application, submitted_by, created_at, updated_at, status, current_level, level_count, tier, due_at,
                          lease_holder, lease_token, lease_expires_at, paused_remaining) VALUES
        """, row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)", width: 9)
    private var levels = IntakeTable("INSERT INTO case_levels(application, level, tier, sla_seconds, due_at, outcome, decided_by, decided_at, reason) VALUES ",
                                     row: "(?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)", width: 5)
    private var audit = IntakeTable("INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash) VALUES ",
                                    row: "(?, ?, ?, ?, ?, ?, ?, ?)", width: 8)
    /// Applications whose other rows are still buffered.
    private var buffered = 0

    init(_ db: Database, ruleset: String, at now: Date, chain: inout AuditChain) {
        self.db = db
        self.ruleset = ruleset
        self.now = now
        seconds = now.timeIntervalSince1970
        at = chain.time(now)
    }

    /// How many submissions `insertFirstVersions` takes at most.
    static let groupSize = IntakeTable.maximumRows

    /// Whether the fast path may take `submission` (it still needs its number to be new).
    static func accepts(_ submission: Submission, ruleset: String) -> Bool {
        submission.applicationID != nil && submission.ruleset == ruleset
    }

    /// Stores `batch[group]` (at most `groupSize` submissions the fast path accepts) as first versions, in order, and
    /// returns their results; nil (nothing written) when some number in the group is already stored or appears
    /// twice in it — the caller then takes them one by one (`insertFirstVersion`).
    mutating func insertFirstVersions(of batch: [Submission], _ group: Range<Int>, chain: inout AuditChain) throws -> [SubmissionResult]? {
        precondition(group.count <= IntakeRows.groupSize)
        let first = try ApplicationNumbers.nextKey(db)
        for (offset, index) in group.enumerated() {
            let number = batch[index].applicationID!
            numbers.integer(first + Int64(offset))
            numbers.text(number)
        }
        do {
            try numbers.flushAsOneStatement(db)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            // SQLite undid this statement alone (ON CONFLICT ABORT); the transaction goes on. GRDB evicted the failed
            // statement from its cache, so fetch it again next time.
            numbers.forgetStatements()
            return nil
        }
        var results: [SubmissionResult] = []
        results.reserveCapacity(group.count)
        for (offset, index) in group.enumerated() { results.append(try addRows(batch[index], key: first + Int64(offset), chain: &chain)) }
        return results
    }

    /// Stores `submission` as the first version of its number and returns its result; nil (nothing written) when
    /// the fast path does not apply. Its rows other than its number's may still be buffered: `flush()` before
    /// anything reads them (the general path) and before the transaction ends.
    mutating func insertFirstVersion(_ submission: Submission, chain: inout AuditChain) throws -> SubmissionResult? {
        guard IntakeRows.accepts(submission, ruleset: ruleset), try ApplicationNumbers.key(db, submission.applicationID!) == nil else { return nil }
        return try addRows(submission, key: try ApplicationNumbers.insert(db, submission.applicationID!), chain: &chain)
    }

    /// Buffers the rows of a first version whose number is stored under `key`.
    private mutating func addRows(_ submission: Submission, key: Int64, chain: inout AuditChain) throws -> SubmissionResult {
        let id = submission.applicationID!
        let outcome = submission.outcome.description
        applications.integer(key)
        applications.real(seconds)
        applications.text(submission.actor)
        applications.blob(submission.body)
        applications.text(submission.inputHash)
        decisions.integer(key)
        decisions.text(ruleset)
        decisions.text(submission.inputHash)
        decisions.text(outcome)
        decisions.text(submission.reasonsJSON)
        decisions.text(submission.decisionJSON)
        decisions.real(seconds)
        addRecord(actor: submission.actor, action: "application.submit", subject: id, detail: submission.submitDetail, chain: &chain)
        addRecord(actor: "rules", action: "application.decide", subject: id, detail: submission.decideDetail, chain: &chain)

        let opensCase = submission.outcome == .referred && !submission.levels.isEmpty
        if opensCase {
            let opened = ApprovalCase(id: id, submittedBy: submission.actor,
                                      levels: submission.levels.map { ApprovalCase.Level(tier: $0.tier, slaSeconds: $0.slaHours * 3600) }, at: now)
            cases.integer(key)
            cases.text(opened.submittedBy)
            cases.real(opened.createdAt.timeIntervalSince1970)
            cases.real(opened.updatedAt.timeIntervalSince1970)
            cases.text(opened.status.rawValue)
            cases.integer(opened.current)
            cases.integer(opened.levels.count)
            cases.integer(opened.currentLevel.tier)
            cases.real(opened.dueAt?.timeIntervalSince1970)
            for (index, value) in opened.levels.enumerated() {
                levels.integer(key)
                levels.integer(index)
                levels.integer(value.tier)
                levels.integer(value.slaSeconds)
                levels.real(value.dueAt?.timeIntervalSince1970)
            }
            addRecord(actor: "rules", action: "case.open", subject: id, detail: submission.openDetail, chain: &chain)
        }
        buffered += 1
        if buffered >= IntakeTable.maximumRows { try flush() }
        return SubmissionResult(applicationID: id, version: 1, assigned: false, disposition: .created, outcome: outcome,
                                caseStatus: opensCase ? ApprovalCase.Status.queued.rawValue : nil, decision: submission.decisionJSON)
    }

    /// Inserts every buffered row (parents before the rows that refer to them).
    mutating func flush() throws {
        guard buffered > 0 else { return }
        try applications.flush(db)
        try decisions.flush(db)
        try cases.flush(db)
        try levels.flush(db)
        try audit.flush(db)
        buffered = 0
    }

    /// One audit record, chained now (the chain's order is the order of the calls).
    private mutating func addRecord(actor: String, action: String, subject: String, detail: String, chain: inout AuditChain) {
        let previous = chain.hash
        let (seq, hash) = chain.advance(at: at, actor: actor, action: action, subject: subject, detail: detail)
        audit.integer(seq)
        audit.text(at)
        audit.text(actor)
        audit.text(action)
        audit.text(subject)
        audit.text(detail)
        audit.text(previous)
        audit.text(hash)
    }
}
