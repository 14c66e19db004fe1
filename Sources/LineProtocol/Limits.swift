/// The documented limits of a connection (docs/PROTOCOL.md, "Limits").
public struct Limits: Sendable, Hashable {
    /// Longest request line (bytes, without the LF) once authenticated, and before.
    public var maximumLine: Int = 16 * 1024
    public var maximumLineBeforeAuth: Int = 1024
    /// Commands other than AUTH/TOTP/RESUME/PING/QUIT/HELP tolerated before authentication; then the connection closes.
    public var refusalsBeforeAuth: Int = 3
    /// Bytes of replies and events waiting for a client that does not read; past it the connection is closed.
    public var maximumPendingOutput: Int = 1024 * 1024
    /// Seconds output may wait without the client reading any of it; then the client is disconnected.
    public var stalledOutput: Double = 10
    /// Requests read ahead of their replies (pipelined SUBMITs run together; everything else runs in order).
    public var maximumPipelined: Int = 1024
    /// Simultaneous connections; the next one gets `ERR max-clients` and is closed.
    public var maximumClients: Int = 1024
    /// Subscriptions one session may hold.
    public var maximumWatches: Int = 64
    /// Idle time before authentication, idle time of a session, and a session's absolute lifetime (seconds).
    public var idleBeforeAuth: Double = 10
    public var sessionIdle: Double = 30 * 60
    public var sessionLifetime: Double = 12 * 3600

    public init() {}
}
