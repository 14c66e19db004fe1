import ArgumentParser
import Foundation
import Store

/// `riskgate case …`: work the approval queue from the command line, acting as a named user. For operators
/// and drills on a database no server holds; approvers normally use the socket protocol.
struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Work the approval queue as a user: take, claim, approve, decline, escalate, return, release, comment, reassign.",
        discussion: "Prints the case's new state as JSON. A claim prints the token that later actions need.",
        subcommands: [Take.self, Claim.self, Approve.self, Decline.self, Escalate.self, Return.self, Release.self, Touch.self,
                      Comment.self, Reassign.self]
    )

    struct Actor: ParsableArguments {
        @OptionGroup var store: StoreOptions
        @Option(name: .customLong("as"), help: "The user acting (must exist, with the right role and tier).") var user: String
        @Option(help: "A request id: retrying with the same id returns the first answer instead of acting twice.")
        var requestID: String?
        @Option(help: "Lease length in seconds for claims.") var leaseSeconds: Int = 300

        func perform(_ action: CaseAction) async throws {
            let opened = try store.open()
            try await reportingStoreErrors {
                let outcome = try await opened.perform(action, by: user, requestID: requestID, at: Date(),
                                                       leaseSeconds: TimeInterval(leaseSeconds))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                Console.out(String(decoding: try encoder.encode(outcome), as: UTF8.self))
            }
        }
    }

    struct Take: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim the next case for your tier (earliest due first).")
        @OptionGroup var actor: Actor
        func run() async throws { try await actor.perform(.takeNext) }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim a given case.")
        @OptionGroup var actor: Actor
        @Argument var id: String
        func run() async throws { try await actor.perform(.claim(case: id)) }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve your claimed case's current level.")
        @OptionGroup var actor: Actor
        @Argument var id: String
        @Argument var token: String
        func run() async throws { try await actor.perform(.approve(case: id, token: token)) }
    }

    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decline your claimed case with a reason code.")
        @OptionGroup var actor: Actor
        @Argument var id: String
        @Argument var token: String
        @Option(help: "The reason code (letters, digits, '_', '-').") var reason: String
        func run() async throws { try await actor.perform(.decline(case: id, token: token, reason: reason)) }
    }

    struct Escalate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send your claimed case to a higher tier, with a note.")
        @OptionGroup var actor: Actor
        @Argument var id: String
        @Argument var token: String
        @Option(help: "The tier to escalate to.") var tier: Int
        @Option(help: "Why.") var note: String
        func run() async throws { try await actor.perform(.escalate(case: id, token: token, tier: tier, note: note)) }
    }

    struct Return: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Return your claimed case to the applicant for information (pauses the SLA until they re-submit).")
        @OptionGroup var actor: Actor
        @Argument var id: String
        @Argument var token: String
        @Option(help: "What is needed.") var note: String
        func run() async throws { try await actor.perform(.returnForInformation(case: id, token: token, note: note)) }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give your claimed case back to the queue.")
        @OptionGroup var actor: Actor
        @Argument var id: String
        @Argument var token: String
        func run() async throws { try await actor.perform(.release(case: id, token: token)) }
    }

    struct Touch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Renew the lease on your claimed case.")
        @OptionGroup var actor: Actor
        @Argument var id: String
        @Argument var token: String
        func run() async throws { try await actor.perform(.touch(case: id, token: token)) }
    }

    struct Comment: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a comment to a case's history.")
        @OptionGroup var actor: Actor
        @Argument var id: String
        @Argument var note: String
        func run() async throws { try await actor.perform(.comment(case: id, note: note)) }
    }

    struct Reassign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hand a case to another approver (risk admins).")
        @OptionGroup var actor: Actor
        @Argument var id: String
        @Option(help: "The approver who takes the case.") var to: String
        func run() async throws { try await actor.perform(.reassign(case: id, to: to)) }
    }
}
