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
        /// A request is being handled (shutdown lets it finish).
        var busy = false
    }

    /// Requests are read only while less than this waits for the client (so a client that does not read stops
    /// costing CPU); events still count against the whole budget.
    static let readWatermark = 64 * 1024

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
                await closeGracefully()
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

    /// Everything written so far reaches the client before the connection ends: flush, send FIN, keep reading
    /// (and dropping) what the client still sends for up to a second, then close. Closing at once with unread
    /// input would make the kernel send a reset, and the client could lose replies it has not read yet.
    func closeGracefully() async {
        try? await channel.writeAndFlush(channel.allocator.buffer(capacity: 0)).get()
        do {
            try await channel.close(mode: .output).get()
            let channel = self.channel
            channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
        } catch {
            channel.close(promise: nil)
        }
    }

    /// Waits while the client has more than `readWatermark` bytes of output waiting (it is not reading).
    func waitForRoom() async {
        while state.withLockedValue({ !$0.finished && $0.queuedBytes > Connection.readWatermark }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Marks a request as started, or refuses to start one because the server is shutting down.
    func begin() -> Bool {
        state.withLockedValue { state in
            guard !state.shuttingDown else { return false }
            state.busy = true
            return true
        }
    }

    /// Marks the request done; true if shutdown began meanwhile (the connection should now close).
    func end() -> Bool {
        state.withLockedValue { state in
            state.busy = false
            return state.shuttingDown
        }
    }

    /// Shutdown: an idle connection closes now; a busy one closes when its request is done. Replies already
    /// queued (pipelined SUBMITs included) are written first.
    func beginShutdown() {
        let idle = state.withLockedValue { state -> Bool in
            state.shuttingDown = true
            return !state.busy
        }
        if idle { terminate("the server is shutting down") }
    }

    /// Ends the connection from the server's side with a final event saying why.
    func terminate(_ reason: String) {
        enqueue(.line(Reply.event(kind: "session", json: "{\"state\":\"closed\",\"reason\":\(JSONString.quote(reason))}").line))
        enqueue(.close)
    }
}
