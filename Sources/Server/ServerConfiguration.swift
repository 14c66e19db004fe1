import Foundation
import LineProtocol

/// How `riskgate serve` runs; every field has the documented default.
public struct ServerConfiguration: Sendable {
    /// What happens to a claim when the connection that holds it drops (Q3).
    public enum DisconnectPolicy: String, Sendable, CaseIterable {
        /// The claim stays until its lease runs out, so the approver can `RESUME` and carry on (the default).
        case keepLease = "keep"
        /// The claim is released at once (beanstalkd's behaviour), so another approver can take the case.
        case release
    }

    public var host: String? = "127.0.0.1"
    public var port: Int = 7878
    public var unixSocket: String?
    public var limits = Limits()
    public var leaseSeconds: Double = 300
    public var disconnectPolicy: DisconnectPolicy = .keepLease
    public var passwordParameters: PasswordHasher.Parameters = .standard
    /// Concurrent password-hash runs (each takes about 128 MiB at the standard parameters).
    public var kdfConcurrency = 2
    public var loginPolicy = LoginLimiter.Policy()
    /// Rules folder (for `RELOAD`) and the regression fixtures a new ruleset must pass before it activates.
    public var rulesDirectory: String
    public var regressionFixtures: [String] = []
    /// How long shutdown waits for in-flight requests before closing connections.
    public var shutdownGrace: Double = 8

    public init(rulesDirectory: String) {
        self.rulesDirectory = rulesDirectory
    }
}
