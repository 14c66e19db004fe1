import Foundation
import RuleEngine

/// An application evaluated and ready to be stored: everything the write transaction needs, computed before
/// it so the transaction stays short.
struct Submission: Sendable {
    var body: [UInt8]
    var actor: String
    var inputHash: String
    /// The application number from the application, or nil when intake must assign one.
    var applicationID: String?
    var outcome: Outcome
    var decisionJSON: String
    var reasons: [String]
    var levels: [(tier: Int, slaHours: Int)]
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
