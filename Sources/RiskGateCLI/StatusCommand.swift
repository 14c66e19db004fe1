import ArgumentParser
import Foundation
import Store

/// `riskgate status ID`: where an application stands, with its whole timeline.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show an application's outcome so far, its level, who holds it, the SLA due time and its timeline."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The application number.") var id: String
    @Flag(help: "Print the status as one JSON object.") var json = false

    func run() async throws {
        let opened = try store.open()
        var status: ApplicationStatus?
        try await reportingStoreErrors { status = try await opened.status(of: id) }
        guard let status else { return }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            Console.out(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        Console.out("Application \(status.applicationID) (version \(status.version)): \(status.outcome)")
        Console.out("Decision \(status.decision)")
        Console.out("Ruleset \(status.ruleset)")
        if let level = status.level, let tier = status.tier {
            var line = "Level \(level) of \(status.levels.count), tier \(tier)"
            if let holder = status.holder { line += ", held by \(holder)" }
            if let due = status.dueAt { line += ", due \(Self.time(due))" }
            Console.out(line)
        }
        Console.out("Timeline")
        for event in status.timeline {
            var line = "  \(Self.time(event.at))  \(event.actor.padding(toLength: 10))\(event.action)"
            if let from = event.from, let to = event.to, from != to { line += " \(from) → \(to)" } else if let to = event.to { line += " → \(to)" }
            if let level = event.level { line += " (level \(level))" }
            if let note = event.note { line += "  \(note)" }
            Console.out(line)
        }
    }

    nonisolated(unsafe) static let formatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter
    }()

    static func time(_ seconds: Double) -> String {
        formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
