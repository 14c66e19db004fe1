/// Why a workflow action was refused. The code is stable (it is what the protocol and the audit trail show);
/// the message reads well as text.
public struct WorkflowError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The actor's role, tier or relation to the case does not allow the action.
        case forbidden
        /// The claim token does not match a live lease: the lease expired or was taken over.
        case leaseExpired = "lease-expired"
        /// The action needs a claim and the case is not claimed by the actor.
        case notClaimed = "not-claimed"
        /// Someone else holds a live lease on the case.
        case claimed
        /// The case is already approved or declined.
        case closed
        /// The action does not apply in the case's current state (e.g. approving a returned case).
        case invalidState = "invalid-state"
        /// A required argument is missing or malformed (a decline without a reason, a lower escalation tier).
        case invalidArgument = "invalid-argument"
        case notFound = "not-found"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
