import Foundation
import LineProtocol
import NIOConcurrencyHelpers
import NIOCore
import RuleLanguage

/// One client's output side: replies and events wait in one ordered queue with a byte budget. Replies keep
/// request order (a pipelined SUBMIT's reply is a task that finishes later); events go in between. A client that
/// lets the budget fill up (it does not read) is disconnected, so it cannot hold memory or slow anyone else.
final class Connection: Sendable {
    enum Outgoing: Sendable {
        case line(String)
        case pending(Task<String, Never>)
        /// Close the connection once everything before this has been written.
        case close
    }

    let channel: any Channel
    let stream: AsyncStream<Outgoing>
    private let continuation: AsyncStream<Outgoing>.Continuation
    private let budget: Int
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var queuedBytes = 0
        var finished = false
        var lastActivity = Date()
        var session: Session?
        var shuttingDown = false
    }

    /// What a reply whose text is not known yet counts against the budget.
    static let pendingEstimate = 512

    init(channel: any Channel, budget: Int) {
        self.channel = channel
        self.budget = budget
        (stream, continuation) = AsyncStream.makeStream(of: Outgoing.self)
    }

    /// Queues a reply or event; false (and the connection closing) if the client has let too much pile up.
    @discardableResult
    func enqueue(_ outgoing: Outgoing) -> Bool {
        let cost: Int
        switch outgoing {
        case .line(let text): cost = text.utf8.count
        case .pending: cost = Connection.pendingEstimate
        case .close: cost = 0
        }
        let accepted = state.withLockedValue { state -> Bool in
            guard !state.finished else { return false }
            guard state.queuedBytes + cost <= budget else {
                state.finished = true
                return false
            }
            state.queuedBytes += cost
            return true
        }
        guard accepted else {
            if cost > 0 { overflow() }
            return false
        }
        continuation.yield(outgoing)
        if case .close = outgoing { finish() }
        return true
    }

    func push(_ reply: Reply) {
        enqueue(.line(reply.line))
    }

    /// No more output after what is queued.
    func finish() {
        state.withLockedValue { $0.finished = true }
        continuation.finish()
    }

    /// Writes the queue in order until it finishes or the channel fails.
    func drain(into outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async {
        for await item in stream {
            let text: String
            let cost: Int
            switch item {
            case .line(let line):
                text = line
                cost = line.utf8.count
            case .pending(let task):
                text = await task.value
                cost = Connection.pendingEstimate
            case .close:
                channel.close(promise: nil)
                return
            }
            do {
                try await outbound.write(channel.allocator.buffer(string: text))
            } catch {
                channel.close(promise: nil)
                return
            }
            state.withLockedValue { $0.queuedBytes -= cost }
        }
    }

    private func overflow() {
        continuation.finish()
        channel.close(promise: nil)
    }

    func noteActivity(_ now: Date, session: Session?) {
        state.withLockedValue {
            $0.lastActivity = now
            $0.session = session
        }
    }

    var activity: (last: Date, session: Session?) {
        state.withLockedValue { ($0.lastActivity, $0.session) }
    }

    /// Shutdown: stop reading; requests already read finish, later lines get `ERR shutting-down`.
    func beginShutdown() {
        state.withLockedValue { $0.shuttingDown = true }
        channel.close(mode: .input, promise: nil)
    }

    var isShuttingDown: Bool { state.withLockedValue { $0.shuttingDown } }

    /// Ends the connection from the server's side with a final event saying why.
    func terminate(_ reason: String) {
        enqueue(.line(Reply.event(kind: "session", json: "{\"state\":\"closed\",\"reason\":\(JSONString.quote(reason))}").line))
        enqueue(.close)
    }
}
