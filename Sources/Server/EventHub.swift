import Foundation
import LineProtocol
import NIOConcurrencyHelpers
import RuleLanguage
import Store

/// Something that happened to a case, announced to the watchers of that case, of the queue of its tier, and to
/// the inbox of whoever acts next (the new holder, or the approvers of the tier it now waits at).
struct CaseEvent: Sendable {
    var caseID: String
    var action: String
    var status: String
    var level: Int
    var levels: Int
    var tier: Int
    var by: String
    var holder: String?
    var at: Date

    var json: String {
        var text = "{\"case_id\":\(JSONString.quote(caseID)),\"action\":\(JSONString.quote(action)),\"status\":\(JSONString.quote(status))"
        text += ",\"level\":\(level),\"levels\":\(levels),\"tier\":\(tier),\"by\":\(JSONString.quote(by))"
        if let holder { text += ",\"holder\":\(JSONString.quote(holder))" }
        text += ",\"at\":\(JSONString.quote(UTCTime.format(at)))}"
        return text
    }

    /// Waiting in the queue at `tier` now (so the approvers of that tier can act).
    var waitsInQueue: Bool { status == "queued" }
}

/// Subscriptions (`WATCH`) and delivery. Delivery never waits: each connection queues the line within its own
/// bounded output buffer, and a connection that cannot keep up is closed rather than slowing anyone else.
final class EventHub: Sendable {
    struct Subscriber: Sendable {
        var user: String
        var tier: Int
        var subscriptions: Set<Subscription>
        var deliver: @Sendable (Reply) -> Void
    }

    private let subscribers = NIOLockedValueBox<[ObjectIdentifier: Subscriber]>([:])

    var isEmpty: Bool { subscribers.withLockedValue { $0.isEmpty } }

    /// Adds a subscription; returns false when the connection already holds `maximum`.
    func watch(_ id: ObjectIdentifier, user: String, tier: Int, _ subscription: Subscription, maximum: Int,
               deliver: @escaping @Sendable (Reply) -> Void) -> Bool {
        subscribers.withLockedValue { all in
            var entry = all[id] ?? Subscriber(user: user, tier: tier, subscriptions: [], deliver: deliver)
            guard entry.subscriptions.contains(subscription) || entry.subscriptions.count < maximum else { return false }
            entry.subscriptions.insert(subscription)
            all[id] = entry
            return true
        }
    }

    /// Removes one subscription, or all of the connection's; returns how many were removed.
    func unwatch(_ id: ObjectIdentifier, _ subscription: Subscription?) -> Int {
        subscribers.withLockedValue { all in
            guard var entry = all[id] else { return 0 }
            guard let subscription else {
                all[id] = nil
                return entry.subscriptions.count
            }
            let removed = entry.subscriptions.remove(subscription) == nil ? 0 : 1
            all[id] = entry.subscriptions.isEmpty ? nil : entry
            return removed
        }
    }

    func subscriptions(_ id: ObjectIdentifier) -> [Subscription] {
        subscribers.withLockedValue { Array($0[id]?.subscriptions ?? []) }
    }

    func publish(_ event: CaseEvent) {
        let targets = subscribers.withLockedValue { all in
            all.values.filter { subscriber in
                subscriber.subscriptions.contains { subscription in
                    switch subscription {
                    case .application(let id): return id == event.caseID
                    case .queue(let tier): return event.tier == tier
                    case .inbox:
                        return event.holder == subscriber.user && event.by != subscriber.user
                            || event.waitsInQueue && event.tier == subscriber.tier && event.by != subscriber.user
                    }
                }
            }.map(\.deliver)
        }
        guard !targets.isEmpty else { return }
        let reply = Reply.event(kind: "case", json: event.json)
        for deliver in targets { deliver(reply) }
    }
}
