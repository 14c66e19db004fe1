import ArgumentParser
import Foundation
import Store

/// `riskgate audit verify|export|checkpoint`: prove what happened.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, export and checkpoint the tamper-evident audit trail.",
        subcommands: [Verify.self, Export.self, Sign.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the hash chain (and signed checkpoints); name the first broken record. Exits 1 if broken.")

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("Checkpoints exported earlier (JSON Lines), to detect a truncated or rewritten tail.", valueName: "file"))
        var checkpoints: String?

        func run() async throws {
            var list: [Checkpoint] = []
            if let checkpoints {
                do {
                    list = try Checkpoint.read(fromFile: checkpoints)
                } catch {
                    Console.err("riskgate: \(error)")
                    throw ExitCode(2)
                }
            }
            let result = try await store.open().verifyAudit(checkpoints: list)
            if let bad = result.firstBad {
                Console.err("audit trail BROKEN at record \(bad): \(result.problem ?? "")")
                throw ExitCode(1)
            }
            Console.out("audit trail ok: \(result.records) records\(list.isEmpty ? "" : ", \(list.count) checkpoints"), head \(result.head)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print audit records as JSON Lines, oldest first.")

        @OptionGroup var store: StoreOptions
        @Option(help: "Only records after this sequence number.") var after: Int64 = 0

        func run() async throws {
            let opened = try store.open()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var cursor = after
            while true {
                let records = try await opened.auditRecords(after: cursor)
                guard let last = records.last else { break }
                var out = ""
                for record in records { out += String(decoding: try encoder.encode(record), as: UTF8.self) + "\n" }
                Console.write(Array(out.utf8))
                cursor = last.seq
            }
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Sign the chain's head (Ed25519, key in <db>.audit-key) and append the checkpoint to a file.")

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The file to append to; keep it where the database's owner cannot rewrite it.", valueName: "file"))
        var out: String

        func run() async throws {
            let opened = try store.open()
            let key = try Store.auditKey(forDatabase: store.db)
            guard let checkpoint = try await opened.checkpoint(key: key, at: Date()) else {
                Console.err("riskgate: the audit trail is empty")
                throw ExitCode(1)
            }
            do {
                try checkpoint.append(toFile: out)
            } catch {
                Console.err("riskgate: \(error)")
                throw ExitCode(2)
            }
            Console.out("checkpoint at record \(checkpoint.seq) appended to \(out)")
        }
    }
}
