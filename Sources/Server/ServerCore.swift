import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LineProtocol
import Logging
import NIOConcurrencyHelpers
import RuleEngine
import Store
import Workflow

/// Everything the connections share: the store, the rules in force, sessions, login throttling, events.
/// Transport-free, so command handling is tested without sockets.
public final class ServerCore: Sendable {
    public let store: Store
    public let configuration: ServerConfiguration
    let rules: ActiveRules
    /// Workflow actions share synced commits (group commit), as submissions do.
    let actions: ActionQueue
    let hub = EventHub()
    let sessions = SessionRegistry()
    let limiter: LoginLimiter
    let hasher: PasswordHasher
    let clock: @Sendable () -> Date
    let logger: Logger
    let live = NIOLockedValueBox<[ObjectIdentifier: Connection]>([:])
    private let flags = NIOLockedValueBox<(shuttingDown: Bool, connections: Int, closedSinceTrim: Int)>((false, 0, 0))

    /// Records `rulesetVersion` as in force (decisions refer to it; once per version, audited) and gets ready to serve.
    public init(store: Store, policy: CompiledPolicy, rulesetVersion: String, configuration: ServerConfiguration,
                logger: Logger = Logger(label: "riskgate.server"), clock: @escaping @Sendable () -> Date = { Date() }) async throws {
        try await store.activateRuleset(rulesetVersion, by: "system", at: clock())
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        limiter = LoginLimiter(policy: configuration.loginPolicy)
        actions = ActionQueue(store: store)
        hasher = try PasswordHasher(parameters: configuration.passwordParameters, concurrency: configuration.kdfConcurrency)
        rules = ActiveRules(.init(policy: policy, version: rulesetVersion,
                                  intake: Intake(store: store, policy: policy, rulesetVersion: rulesetVersion, clock: clock)))
    }

    public var isShuttingDown: Bool { flags.withLockedValue { $0.shuttingDown } }

    func beginShutdown() {
        flags.withLockedValue { $0.shuttingDown = true }
    }

    /// Admits a connection if there is room; the caller must call `connectionEnded` for each admitted one.
    func admitConnection() -> Bool {
        flags.withLockedValue { flags in
            guard flags.connections < configuration.limits.maximumClients else { return false }
            flags.connections += 1
            return true
        }
    }

    func connectionEnded() {
        let trim = flags.withLockedValue { flags -> Bool in
            flags.connections -= 1
            flags.closedSinceTrim += 1
            guard flags.connections == 0 || flags.closedSinceTrim >= 256 else { return false }
            flags.closedSinceTrim = 0
            return true
        }
        // Give memory freed by closed connections back to the system, so a burst of connections does not leave the
        // process large (glibc keeps freed heap otherwise).
        if trim { Self.trimHeap() }
    }

    static func trimHeap() {
        #if canImport(Glibc)
        // malloc_trim is glibc's (<malloc.h>, which Swift's Glibc module does not export): looked up once.
        typealias Trim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        }
        #endif
    }


    /// First start: when no enabled user is a risk admin, creates `admin` with a one-time password and TOTP secret
    /// and returns them so the operator can log in (printed once, never logged).
    public func bootstrapAdministrator(name: String = "admin") async throws -> (password: String, totp: TOTP)? {
        guard try await !store.hasEnabledUser(with: .riskAdmin) else { return nil }
        let roles: Set<Role> = [.riskAdmin, .approver]
        let issued = try await IssuedCredentials.issue(for: roles, hasher: hasher)
        if try await store.credentials(of: name) != nil {
            try await store.setCredentials(of: name, passwordHash: issued.passwordHash, totpSecret: issued.totpSecret, by: "system", at: clock())
        } else {
            try await store.addUser(name, tier: 3, roles: roles, passwordHash: issued.passwordHash,
                                    totpSecret: issued.totpSecret, by: "system", at: clock())
        }
        return (issued.password, issued.totp!)
    }

    /// Releases the claims a session still holds (shutdown; disconnect under the release policy).
    func releaseClaims(of session: Session) async {
        for (caseID, token) in session.takeClaims() {
            do {
                let outcome = try await actions.perform(.release(case: caseID, token: token), by: session.user, at: clock())
                publish(outcome, by: session.user)
                logger.info("claim released", metadata: ["case.id": "\(caseID)", "user": "\(session.user)"])
            } catch {
                logger.debug("claim not released", metadata: ["case.id": "\(caseID)", "error": "\(error)"])
            }
        }
    }

    /// Shutdown: every session's claims go back to the queue.
    func releaseAllClaims() async {
        for session in sessions.all { await releaseClaims(of: session) }
    }

    func publish(_ outcome: ActionOutcome, by user: String) {
        guard !hub.isEmpty else { return }
        hub.publish(CaseEvent(caseID: outcome.caseID, action: outcome.action, status: outcome.status, level: outcome.level,
                              levels: outcome.levels, tier: outcome.tier, by: user, holder: outcome.holder, at: clock()))
    }
}
