import Foundation
import GRDB
import Workflow

/// A user as stored.
public struct UserRecord: Sendable, Hashable, Codable {
    public var name: String
    public var tier: Int
    public var roles: [Role]
    public var disabled: Bool
    public var createdAt: Double

    enum CodingKeys: String, CodingKey {
        case name, tier, roles, disabled
        case createdAt = "created_at"
    }
}

extension Store {
    public func addUser(_ name: String, tier: Int, roles: Set<Role>, by admin: String, at now: Date,
                        credentials: (passwordHash: String, totpSecret: String?)? = nil) async throws {
        guard UserRecord.isValidName(name) else {
            throw StoreError(.invalidArgument, "a user name is 1–64 letters, digits, '.', '_' or '-'")
        }
        guard tier >= 0 else { throw StoreError(.invalidArgument, "a tier is 0 or more") }
        guard !roles.isEmpty else { throw StoreError(.invalidArgument, "a user needs at least one role") }
        try await writer.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) == nil else {
                throw StoreError(.conflict, "user \(name) already exists")
            }
            let roleList = roles.map(\.rawValue).sorted().joined(separator: ",")
            try db.execute(sql: "INSERT INTO users (name, tier, roles, created_at, password_hash, totp_secret) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [name, tier, roleList, now.timeIntervalSince1970, credentials?.passwordHash, credentials?.totpSecret])
            var chain = try AuditChain(db)
            try chain.append(db, at: now, actor: admin, action: "user.add", subject: name, detail: ["tier": String(tier), "roles": roleList])
        }
    }

    public func disableUser(_ name: String, by admin: String, at now: Date) async throws {
        try await writer.write { db in
            guard let disabled = try Int.fetchOne(db, sql: "SELECT disabled FROM users WHERE name = ?", arguments: [name]) else {
                throw StoreError(.notFound, "no user \(name)")
            }
            guard disabled == 0 else { return }
            try db.execute(sql: "UPDATE users SET disabled = 1 WHERE name = ?", arguments: [name])
            var chain = try AuditChain(db)
            try chain.append(db, at: now, actor: admin, action: "user.disable", subject: name, detail: [:])
        }
    }

    public func users() async throws -> [UserRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT name, tier, roles, disabled, created_at FROM users ORDER BY name").map { row in
                UserRecord(name: row["name"], tier: row["tier"],
                           roles: (row["roles"] as String).split(separator: ",").compactMap { Role(rawValue: String($0)) },
                           disabled: row["disabled"], createdAt: row["created_at"])
            }
        }
    }
}

extension UserRecord {
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
        }
    }
}
