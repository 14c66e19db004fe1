/// A refusal as the wire shows it: `ERR <code> <message>`. Codes are stable; messages are for people.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Every error code a reply can carry (docs/PROTOCOL.md lists them with their meaning).
public enum ErrorCode: String, Sendable, Hashable, CaseIterable {
    // Framing and syntax: the connection stays usable unless noted.
    case unknownCommand = "unknown-command"
    case arity
    case badArgument = "bad-argument"
    case malformedJSON = "malformed-json"
    case invalidUTF8 = "invalid-utf8"
    case malformedLine = "malformed-line"
    /// The line exceeded the cap; the connection is closed.
    case lineTooLong = "line-too-long"
    /// The server is full; the connection is closed.
    case maxClients = "max-clients"
    /// The client did not read its replies; the connection is closed.
    case outputOverflow = "output-overflow"
    // Sessions and access.
    case authRequired = "auth-required"
    case authFailed = "auth-failed"
    case totpRequired = "totp-required"
    case rateLimited = "rate-limited"
    case sessionExpired = "session-expired"
    case forbidden
    // The store and the workflow.
    case notFound = "not-found"
    case conflict
    case leaseExpired = "lease-expired"
    case notClaimed = "not-claimed"
    case claimed
    case closed
    case invalidState = "invalid-state"
    case invalidArgument = "invalid-argument"
    case rulesRejected = "rules-rejected"
    case storage
    case shuttingDown = "shutting-down"
    case busy
    case `internal`
}
