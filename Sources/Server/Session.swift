import Foundation
import NIOConcurrencyHelpers
import Workflow

/// A logged-in user's session: a 128-bit token from the CSPRNG, an idle limit and an absolute lifetime. One
/// session may serve several connections over time (`RESUME` after a dropped connection).
public final class Session: Sendable {
    public let token: String
    public let user: String
    public let tier: Int
    public let roles: Set<Role>
    public let createdAt: Date
    private let state: NIOLockedValueBox<State>

    private struct State {
        var lastActive: Date
        var ended: String?
        /// Claims taken in this session (case → token), released on shutdown and, by policy, on disconnect.
        var claims: [String: String] = [:]
    }

    init(user: String, tier: Int, roles: Set<Role>, at now: Date) {
        token = Token.make(bytes: 16)
        self.user = user
        self.tier = tier
        self.roles = roles
        createdAt = now
        state = NIOLockedValueBox(State(lastActive: now))
    }

    public var actor: Actor { Actor(name: user, tier: tier, roles: roles) }

    /// Why the session is over at `now` (ended, idle too long, too old), or nil while it is live.
    func expiry(at now: Date, limits: (idle: Double, lifetime: Double)) -> String? {
        state.withLockedValue { state in
            if let ended = state.ended { return ended }
            if now.timeIntervalSince(createdAt) >= limits.lifetime { return "the session reached its maximum lifetime" }
            if now.timeIntervalSince(state.lastActive) >= limits.idle { return "the session was idle too long" }
            return nil
        }
    }

    func touch(at now: Date) {
        state.withLockedValue { $0.lastActive = max($0.lastActive, now) }
    }

    func end(_ reason: String) {
        state.withLockedValue { if $0.ended == nil { $0.ended = reason } }
    }

    func track(claim caseID: String, token: String?) {
        state.withLockedValue { $0.claims[caseID] = token }
    }

    func takeClaims() -> [String: String] {
        state.withLockedValue { state in
            defer { state.claims = [:] }
            return state.claims
        }
    }
}

/// The live sessions and the connections attached to them, so that disabling a user or changing a password ends
/// that user's sessions at once (A4).
final class SessionRegistry: Sendable {
    private let state = NIOLockedValueBox<(sessions: [String: Session], connections: [ObjectIdentifier: (session: String, close: @Sendable (String) -> Void)])>(([:], [:]))

    func create(user: String, tier: Int, roles: Set<Role>, at now: Date) -> Session {
        let session = Session(user: user, tier: tier, roles: roles, at: now)
        state.withLockedValue { $0.sessions[session.token] = session }
        return session
    }

    func session(token: String) -> Session? {
        state.withLockedValue { $0.sessions[token] }
    }

    func attach(_ connection: ObjectIdentifier, to session: Session, close: @escaping @Sendable (String) -> Void) {
        state.withLockedValue { $0.connections[connection] = (session.token, close) }
    }

    func detach(_ connection: ObjectIdentifier) {
        _ = state.withLockedValue { $0.connections.removeValue(forKey: connection) }
    }

    /// Whether a connection other than `connection` still serves the session.
    func hasOtherConnection(_ session: Session, than connection: ObjectIdentifier) -> Bool {
        state.withLockedValue { state in state.connections.contains { $0.key != connection && $0.value.session == session.token } }
    }

    /// Ends every session of `user` except `keep`, closing their connections; returns how many sessions ended.
    @discardableResult
    func endSessions(of user: String, except keep: String? = nil, reason: String) -> Int {
        let (ended, closers) = state.withLockedValue { state -> (Int, [@Sendable (String) -> Void]) in
            let ending = state.sessions.values.filter { $0.user == user && $0.token != keep }
            for session in ending {
                session.end(reason)
                state.sessions[session.token] = nil
            }
            let tokens = Set(ending.map(\.token))
            return (ending.count, state.connections.values.filter { tokens.contains($0.session) }.map(\.close))
        }
        for close in closers { close(reason) }
        return ended
    }

    func end(_ session: Session, reason: String) {
        session.end(reason)
        _ = state.withLockedValue { $0.sessions.removeValue(forKey: session.token) }
    }

    /// Forgets sessions that are over (called from the housekeeping loop).
    func sweep(at now: Date, limits: (idle: Double, lifetime: Double)) {
        state.withLockedValue { state in
            state.sessions = state.sessions.filter { $0.value.expiry(at: now, limits: limits) == nil }
        }
    }

    var all: [Session] { state.withLockedValue { Array($0.sessions.values) } }
}
