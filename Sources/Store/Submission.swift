import Foundation
import RuleEngine

/// An application evaluated and ready to be stored: everything the write transaction needs, computed before
/// it so the transaction stays short. A class: a submission is handed from its caller to the pending queue, a
/// batch and the transaction, and copying a struct of a dozen strings and arrays retained each of them every time.
final class Submission: Sendable {
    let body: [UInt8]
    let actor: String
    let inputHash: String
    /// The application number from the application, or nil when intake must assign one.
    let applicationID: String?
    let outcome: Outcome
    let decisionJSON: String
    let reasons: [String]
    let levels: [(tier: Int, slaHours: Int)]
    /// The reason codes as one JSON array (`["R1","R2"]`), as the decision row and the audit record hold them.
    let reasonsJSON: String
    /// The audit details of a first version, rendered ahead of the transaction (only the hash chain is sequential);
    /// the transaction renders them again only for a later version.
    let submitDetail: String
    let decideDetail: String
    /// For a referral: the `case.open` audit detail and the history note.
    let openDetail: String
    let openNote: String
    /// The ruleset the decide detail names (the transaction re-renders it for any other).
    let ruleset: String

    init(body: [UInt8], actor: String, inputHash: String, applicationID: String?, outcome: Outcome, decisionJSON: String,
         reasons: [String], levels: [(tier: Int, slaHours: Int)], ruleset: String) {
        self.body = body
        self.actor = actor
        self.inputHash = inputHash
        self.applicationID = applicationID
        self.outcome = outcome
        self.decisionJSON = decisionJSON
        self.reasons = reasons
        self.levels = levels
        self.ruleset = ruleset
        reasonsJSON = Submission.reasonsJSON(reasons)
        submitDetail = Submission.submitDetail(version: 1, inputHash: inputHash, assigned: applicationID == nil)
        decideDetail = Submission.decideDetail(version: 1, outcome: outcome, ruleset: ruleset, inputHash: inputHash, reasonsJSON: reasonsJSON)
        if outcome == .referred, !levels.isEmpty {
            openDetail = CanonicalJSON.object(sorted: [("levels", levels.map { "\($0.tier):\($0.slaHours)h" }.joined(separator: ","))])
            openNote = Submission.openNote(tiers: levels.map(\.tier))
        } else {
            openDetail = ""
            openNote = ""
        }
    }

    /// The history note of a case opened at intake: `tiers 1 then 3`.
    static func openNote(tiers: [Int]) -> String {
        "tiers " + tiers.map { String($0) }.joined(separator: " then ")
    }

    static func reasonsJSON(_ reasons: [String]) -> String {
        if reasons.isEmpty { return "[]" }
        var out: [UInt8] = [0x5B] // [
        out.reserveCapacity(reasons.reduce(2) { $0 + $1.utf8.count + 3 })
        for (index, reason) in reasons.enumerated() {
            if index > 0 { out.append(0x2C) }
            CanonicalJSON.quote(reason, into: &out)
        }
        out.append(0x5D)
        return String(decoding: out, as: UTF8.self)
    }

    /// The same text as `CanonicalJSON.object(["version": …, "input_hash": …, "assigned": …])` (keys sorted).
    static func submitDetail(version: Int, inputHash: String, assigned: Bool) -> String {
        CanonicalJSON.object(sorted: [("assigned", assigned ? "true" : "false"), ("input_hash", inputHash), ("version", String(version))])
    }

    /// The same text as `CanonicalJSON.object(["version", "outcome", "ruleset", "input_hash", "reasons"])` (keys sorted).
    static func decideDetail(version: Int, outcome: Outcome, ruleset: String, inputHash: String, reasonsJSON: String) -> String {
        CanonicalJSON.object(sorted: [("input_hash", inputHash), ("outcome", outcome.description), ("reasons", reasonsJSON),
                                      ("ruleset", ruleset), ("version", String(version))])
    }
}

/// What intake answers for one submission.
public struct SubmissionResult: Sendable, Hashable, Codable {
    public enum Disposition: String, Sendable, Hashable, Codable {
        /// Stored as a new application.
        case created
        /// Stored as the next version of an invalid or returned application.
        case newVersion = "new-version"
        /// The same content was already stored; nothing changed.
        case duplicate
    }

    public var applicationID: String
    public var version: Int
    /// True when the application carried no usable number and intake assigned `applicationID`.
    public var assigned: Bool
    public var disposition: Disposition
    public var outcome: String
    /// The case's status when the application is in the approval queue.
    public var caseStatus: String?
    /// The automatic decision, in the §7 format.
    public var decision: String

    public init(applicationID: String, version: Int, assigned: Bool, disposition: Disposition, outcome: String,
                caseStatus: String?, decision: String) {
        self.applicationID = applicationID
        self.version = version
        self.assigned = assigned
        self.disposition = disposition
        self.outcome = outcome
        self.caseStatus = caseStatus
        self.decision = decision
    }

    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id", version, assigned, disposition, outcome
        case caseStatus = "case_status", decision
    }
}
