import Foundation
import Logging
import GRDB
import LineProtocol
import RuleLanguage
import Store
import Workflow

extension ServerCore {
    /// ASVS 2.1.1: at least 12 characters; at most 128 so hashing cost stays bounded.
    static func checkPassword(_ password: String) throws {
        guard (12...128).contains(password.count) else {
            throw ProtocolError(.badArgument, "a password has 12 to 128 characters")
        }
    }

    func changePassword(session: Session, old: String, new: String, state: ConnectionState) async throws -> Reply {
        let now = clock()
        if let wait = limiter.delay(account: session.user, address: state.address, at: now) {
            return .error(.rateLimited, "too many failed attempts; try again in \(Int(wait.rounded(.up))) s")
        }
        try ServerCore.checkPassword(new)
        let credentials = try await store.credentials(of: session.user)
        guard await hasher.verify(old, against: credentials?.passwordHash) else {
            limiter.recordFailure(account: session.user, address: state.address, at: now)
            return .error(.authFailed, "the current password is not right")
        }
        try await store.setCredentials(of: session.user, passwordHash: try await hasher.hash(new), totpSecret: nil, by: session.user, at: now)
        let ended = sessions.endSessions(of: session.user, except: session.token, reason: "the password was changed")
        return .ok("{\"ended_sessions\":\(ended)}")
    }

    func manageUsers(_ command: Command, session: Session) async throws -> Reply {
        let now = clock()
        switch command {
        case .userAdd(let name, let tier, let roleNames):
            var roles = Set<Role>()
            for roleName in roleNames {
                guard let role = Role(rawValue: roleName) else {
                    throw ProtocolError(.badArgument, "unknown role \(Reply.quote(roleName)); roles are \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                roles.insert(role)
            }
            let issued = try await IssuedCredentials.issue(for: roles, hasher: hasher)
            try await store.addUser(name, tier: tier, roles: roles, passwordHash: issued.passwordHash,
                                    totpSecret: issued.totpSecret, by: session.user, at: now)
            return .ok(credentialsJSON(name, issued))
        case .userList:
            return .ok("{\"users\":\(ServerCore.encode(try await store.users()))}")
        case .userDisable(let name):
            try await store.disableUser(name, by: session.user, at: now)
            let ended = sessions.endSessions(of: name, reason: "the user was disabled")
            return .ok("{\"user\":\(JSONString.quote(name)),\"disabled\":true,\"ended_sessions\":\(ended)}")
        case .userReset(let name):
            guard let existing = try await store.credentials(of: name) else { throw StoreError(.notFound, "no user \(name)") }
            let issued = try await IssuedCredentials.issue(for: existing.roles, hasher: hasher)
            try await store.setCredentials(of: name, passwordHash: issued.passwordHash, totpSecret: issued.totpSecret ?? "",
                                           by: session.user, at: now)
            sessions.endSessions(of: name, reason: "the password was reset")
            return .ok(credentialsJSON(name, issued))
        default:
            return .error(.internal, "unreachable")
        }
    }

    private func credentialsJSON(_ name: String, _ issued: IssuedCredentials) -> String {
        var text = "{\"user\":\(JSONString.quote(name)),\"password\":\"\(issued.password)\""
        if let totp = issued.totp { text += ",\"totp_secret\":\"\(Base32.encode(totp.secret))\",\"otpauth\":\(JSONString.quote(totp.uri(account: name)))" }
        return text + "}"
    }

    /// Compiles the rules folder again; the new version activates only when its tests and the regression
    /// fixtures all pass (Y4). Both outcomes are audited.
    func reload(by user: String) async throws -> Reply {
        let now = clock()
        let directory = configuration.rulesDirectory
        let regression = configuration.regressionFixtures
        let checked = await Task.detached { RulesCheck.compile(directory: directory, regression: regression) }.value
        switch checked {
        case .failure(let failure):
            try await store.recordAudit("rules.reject", actor: user, subject: directory, detail: ["reason": failure.description], at: now)
            throw ProtocolError(.rulesRejected, "the rules were not activated: \(failure.description)")
        case .success(let (policy, version, tests)):
            let previous = rules.current.version
            if version != previous {
                try await store.activateRuleset(version, by: user, at: now)
                rules.replace(with: .init(policy: policy, version: version,
                                          intake: Intake(store: store, policy: policy, rulesetVersion: version, clock: clock)))
                logger.notice("rules activated", metadata: ["rules.version": "\(version)", "user": "\(user)"])
            }
            return .ok("{\"version\":\"\(version)\",\"previous\":\"\(previous)\",\"changed\":\(version != previous),\"tests_passed\":\(tests)}")
        }
    }

    /// The reply for a failure, with the code the wire documents.
    static func reply(for error: any Error, logger: Logger, session: Session?) -> Reply {
        switch error {
        case let error as ProtocolError: return .error(error)
        case let error as WorkflowError: return .error(ErrorCode(rawValue: error.code.rawValue) ?? .invalidState, error.message)
        case let error as StoreError: return .error(ErrorCode(rawValue: error.code.rawValue) ?? .storage, error.message)
        case let error as DatabaseError:
            logger.error("storage failure", metadata: ["error": "\(error)", "user": "\(session?.user ?? "-")"])
            return .error(.storage, "the database could not complete the operation (\(error.resultCode)); nothing was changed")
        default:
            logger.error("unexpected failure", metadata: ["error": "\(error)"])
            return .error(.internal, "unexpected failure; nothing was acknowledged")
        }
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "null"
    }
}
