import Foundation
import GRDB
import Workflow

/// What login needs to know about a user. The password hash is opaque here (the server owns its format).
public struct UserCredentials: Sendable, Hashable {
    public var name: String
    public var tier: Int
    public var roles: Set<Role>
    public var disabled: Bool
    public var passwordHash: String?
    public var totpSecret: String?
    public var totpLastStep: Int64
}

extension Store {
    public func credentials(of name: String) async throws -> UserCredentials? {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT name, tier, roles, disabled, password_hash, totp_secret, totp_last_step FROM users WHERE name = ?
                """, arguments: [name]) else { return nil }
            return UserCredentials(name: row["name"], tier: row["tier"],
                                   roles: Set((row["roles"] as String).split(separator: ",").compactMap { Role(rawValue: String($0)) }),
                                   disabled: row["disabled"], passwordHash: row["password_hash"], totpSecret: row["totp_secret"],
                                   totpLastStep: row["totp_last_step"])
        }
    }

    /// Adds a user with login credentials in one transaction (audited without the secrets).
    public func addUser(_ name: String, tier: Int, roles: Set<Role>, passwordHash: String, totpSecret: String?,
                        by admin: String, at now: Date) async throws {
        try await addUser(name, tier: tier, roles: roles, by: admin, at: now, credentials: (passwordHash, totpSecret))
    }

    /// Replaces a user's password hash (and TOTP secret when given); audited as `user.password` or `user.reset`.
    public func setCredentials(of name: String, passwordHash: String, totpSecret: String?, by actor: String, at now: Date) async throws {
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) != nil else {
                throw StoreError(.notFound, "no user \(name)")
            }
            if let totpSecret {
                try db.execute(sql: "UPDATE users SET password_hash = ?, totp_secret = ?, totp_last_step = -1, password_changed_at = ? WHERE name = ?",
                               arguments: [passwordHash, totpSecret, now.timeIntervalSince1970, name])
            } else {
                try db.execute(sql: "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?",
                               arguments: [passwordHash, now.timeIntervalSince1970, name])
            }
            var chain = try AuditChain(db)
            try chain.append(db, at: now, actor: actor, action: actor == name ? "user.password" : "user.reset", subject: name,
                             detail: totpSecret == nil ? [:] : ["totp": "new secret"])
        }
    }

    /// Accepts a TOTP time step for the user only if it is later than every step accepted before (RFC 6238
    /// §5.2: a code is valid once). Returns false for a replay.
    public func acceptTOTPStep(_ step: Int64, of name: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE users SET totp_last_step = ? WHERE name = ? AND totp_last_step < ?", arguments: [step, name, step])
            return db.changesCount == 1
        }
    }

    /// An audit record for a login event (`auth.login`, `auth.failure`, `auth.totp-replay`, `auth.resume`, …).
    public func recordLogin(_ action: String, user: String, address: String, detail: [String: String] = [:], at now: Date) async throws {
        var detail = detail
        detail["address"] = address
        try await recordAudit(action, actor: user, subject: user, detail: detail, at: now)
    }

    /// One audit record in its own transaction (events that change no other table: logins, rejected reloads).
    public func recordAudit(_ action: String, actor: String, subject: String, detail: [String: String] = [:], at now: Date) async throws {
        try await writer.write { db in
            var chain = try AuditChain(db)
            try chain.append(db, at: now, actor: actor, action: action, subject: subject, detail: detail)
        }
    }

    /// Whether any enabled user holds the role (first start: is there an administrator yet?).
    public func hasEnabledUser(with role: Role) async throws -> Bool {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT roles FROM users WHERE disabled = 0").contains { roles in
                roles.split(separator: ",").contains { $0 == role.rawValue }
            }
        }
    }
}
