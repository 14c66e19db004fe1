import ArgumentParser
import Foundation
import Server
import Store
import Workflow

/// `riskgate users add|list|disable`: operators manage who may work the queue.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Add, list, disable and reset users (approvers, intake systems, risk admins, auditors).",
        subcommands: [Add.self, List.self, Disable.self, Reset.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with a tier and roles.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The user name (letters, digits, '.', '_', '-').") var name: String
        @Option(help: "Approval tier: 1 analyst, 2 senior underwriter, 3 credit committee (0 for non-approvers).") var tier: Int = 0
        @Option(name: .customLong("role"), help: "A role: approver, intake, risk_admin, auditor (repeat for several).")
        var roles: [String] = []
        @Option(help: "Who is making the change, for the audit trail.") var by: String = "operator"

        func validate() throws {
            if roles.isEmpty { throw ValidationError("give at least one --role (approver, intake, risk_admin, auditor)") }
            for role in roles where Role(rawValue: role) == nil {
                throw ValidationError("unknown role '\(role)'; the roles are approver, intake, risk_admin, auditor")
            }
            if tier < 0 { throw ValidationError("--tier must be 0 or more") }
        }

        func run() async throws {
            let opened = try store.open()
            let roleSet = Set(roles.compactMap(Role.init(rawValue:)))
            let issued = try await IssuedCredentials.issue(for: roleSet, hasher: try PasswordHasher())
            try await reportingStoreErrors {
                try await opened.addUser(name, tier: tier, roles: roleSet, passwordHash: issued.passwordHash,
                                         totpSecret: issued.totpSecret, by: by, at: Date())
            }
            Console.out("added \(name) (tier \(tier); \(roles.sorted().joined(separator: ", ")))")
            printLogin(name, issued)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users as a table (or JSON Lines with --json).")

        @OptionGroup var store: StoreOptions
        @Flag(help: "One JSON object per user.") var json = false

        func run() async throws {
            let users = try await store.open().users()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                for user in users { Console.out(String(decoding: try encoder.encode(user), as: UTF8.self)) }
                return
            }
            Console.out("NAME".padding(toLength: 16) + "TIER  " + "ROLES".padding(toLength: 28) + "STATE")
            for user in users {
                Console.out(user.name.padding(toLength: 16) + String(user.tier).padding(toLength: 6)
                            + user.roles.map(\.rawValue).joined(separator: ",").padding(toLength: 28) + (user.disabled ? "disabled" : "active"))
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: they can no longer act.")

        @OptionGroup var store: StoreOptions
        @Argument var name: String
        @Option(help: "Who is making the change, for the audit trail.") var by: String = "operator"

        func run() async throws {
            let opened = try store.open()
            try await reportingStoreErrors { try await opened.disableUser(name, by: by, at: Date()) }
            Console.out("disabled \(name)")
        }
    }
}

extension UsersCommand {
    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a user a new one-time password (and TOTP secret); their old ones stop working.")

        @OptionGroup var store: StoreOptions
        @Argument var name: String
        @Option(help: "Who is making the change, for the audit trail.") var by: String = "operator"

        func run() async throws {
            let opened = try store.open()
            guard let existing = try await opened.credentials(of: name) else {
                Console.err("riskgate: not-found: no user \(name)")
                throw ExitCode(1)
            }
            let issued = try await IssuedCredentials.issue(for: existing.roles, hasher: try PasswordHasher())
            try await reportingStoreErrors {
                try await opened.setCredentials(of: name, passwordHash: issued.passwordHash, totpSecret: issued.totpSecret ?? "",
                                                by: by, at: Date())
            }
            Console.out("reset \(name)")
            printLogin(name, issued)
        }
    }
}

/// The one-time login of a new or reset user; shown once, never stored in clear.
private func printLogin(_ name: String, _ issued: IssuedCredentials) {
    Console.out("  password:     \(issued.password)")
    if let secret = issued.totpSecret, let totp = issued.totp {
        Console.out("  TOTP secret:  \(secret)")
        Console.out("  otpauth URI:  \(totp.uri(account: name))")
    }
    Console.out("  log in over the protocol: AUTH \(name) <password>\(issued.totp == nil ? "" : " <code>")   (change it with PASSWORD <old> <new>)")
}

/// Prints a library error as `riskgate: code: message` and exits 1.
func reportingStoreErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as StoreError {
        Console.err("riskgate: \(error)")
        throw ExitCode(1)
    } catch let error as WorkflowError {
        Console.err("riskgate: \(error)")
        throw ExitCode(1)
    }
}

extension String {
    func padding(toLength length: Int) -> String {
        count >= length ? self + " " : self + String(repeating: " ", count: length - count)
    }
}
