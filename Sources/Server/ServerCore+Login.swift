import Foundation
import LineProtocol
import Logging
import Store
import Workflow

extension ServerCore {
    /// One answer for every failed login, whatever failed (A3).
    static let loginFailed = Reply.error(.authFailed, "invalid user name, password or code")

    func authenticate(user: String, password: String, code: String?, state: inout ConnectionState) async -> Reply {
        let now = clock()
        if let wait = limiter.delay(account: user, address: state.address, at: now) {
            return .error(.rateLimited, "too many failed logins; try again in \(Int(wait.rounded(.up))) s")
        }
        let credentials = try? await store.credentials(of: user)
        let passwordOK = await hasher.verify(password, against: credentials?.passwordHash)
        guard passwordOK, let credentials, !credentials.disabled else {
            return await fail(user: user, reason: credentials == nil ? "unknown user" : credentials!.disabled ? "disabled" : "password", state: &state)
        }
        guard IssuedCredentials.needsSecondFactor(credentials.roles) else { return await succeed(credentials, state: &state) }
        guard let code else {
            state.login = .awaitingTOTP(credentials)
            return .ok("{\"totp\":\"required\"}")
        }
        return await secondFactor(credentials, code: code, state: &state)
    }

    func totp(code: String, state: inout ConnectionState) async -> Reply {
        guard case .awaitingTOTP(let credentials) = state.login else {
            return .error(.authRequired, "send AUTH <user> <password> first")
        }
        return await secondFactor(credentials, code: code, state: &state)
    }

    func resume(token: String, state: inout ConnectionState) async -> Reply {
        let now = clock()
        guard let session = sessions.session(token: token),
              session.expiry(at: now, limits: sessionLimits) == nil else {
            return .error(.sessionExpired, "no live session with that token; log in with AUTH")
        }
        // A disabled user's sessions are ended already; check again in case it happened a moment ago.
        guard let credentials = try? await store.credentials(of: session.user), !credentials.disabled else {
            sessions.end(session, reason: "user disabled")
            return .error(.sessionExpired, "no live session with that token; log in with AUTH")
        }
        session.touch(at: now)
        state.login = .session(session)
        try? await store.recordLogin("auth.resume", user: session.user, address: state.address, at: now)
        return .ok(sessionJSON(session))
    }

    private func secondFactor(_ credentials: UserCredentials, code: String, state: inout ConnectionState) async -> Reply {
        let now = clock()
        if let wait = limiter.delay(account: credentials.name, address: state.address, at: now) {
            return .error(.rateLimited, "too many failed logins; try again in \(Int(wait.rounded(.up))) s")
        }
        guard let text = credentials.totpSecret, let secret = Base32.decode(text),
              let step = TOTP(secret: secret).matchingStep(code, at: now) else {
            return await fail(user: credentials.name, reason: "totp", state: &state)
        }
        // A code works once: its step must be later than any step accepted before, checked and recorded atomically.
        guard (try? await store.acceptTOTPStep(step, of: credentials.name)) == true else {
            logger.notice("TOTP code replayed", metadata: ["user": "\(credentials.name)", "client.address": "\(state.address)"])
            return await fail(user: credentials.name, reason: "totp-replay", state: &state)
        }
        return await succeed(credentials, state: &state)
    }

    private func succeed(_ credentials: UserCredentials, state: inout ConnectionState) async -> Reply {
        let now = clock()
        limiter.recordSuccess(account: credentials.name)
        // Sessions that ran out without a LOGOUT are forgotten here, so the registry holds only live ones.
        sessions.sweep(at: now, limits: sessionLimits)
        let session = sessions.create(user: credentials.name, tier: credentials.tier, roles: credentials.roles, at: now)
        state.login = .session(session)
        state.refusedBeforeAuth = 0
        try? await store.recordLogin("auth.login", user: credentials.name, address: state.address, at: now)
        logger.info("login", metadata: ["user": "\(credentials.name)", "client.address": "\(state.address)"])
        return .ok(sessionJSON(session))
    }

    private func fail(user: String, reason: String, state: inout ConnectionState) async -> Reply {
        let now = clock()
        limiter.recordFailure(account: user, address: state.address, at: now)
        state.login = .anonymous
        let action = reason == "totp-replay" ? "auth.totp-replay" : "auth.failure"
        // The name as typed is recorded (printable, cut short); the reason stays in the audit trail, never on the wire.
        try? await store.recordLogin(action, user: String(Reply.clean(user).prefix(64)), address: state.address,
                                     detail: ["reason": reason], at: now)
        logger.info("login failed", metadata: ["user": "\(Reply.clean(user).prefix(64))", "client.address": "\(state.address)", "reason": "\(reason)"])
        return ServerCore.loginFailed
    }

    func sessionJSON(_ session: Session) -> String {
        let roles = session.roles.map(\.rawValue).sorted().map { "\"\($0)\"" }.joined(separator: ",")
        let expires = session.createdAt.addingTimeInterval(configuration.limits.sessionLifetime)
        return "{\"user\":\"\(session.user)\",\"tier\":\(session.tier),\"roles\":[\(roles)],\"session\":\"\(session.token)\""
            + ",\"idle_timeout\":\(Int(configuration.limits.sessionIdle)),\"expires_at\":\"\(UTCTime.format(expires))\"}"
    }
}
