import Foundation
import LineProtocol
import NIOConcurrencyHelpers
import NIOCore
import RuleLanguage

/// One client's output side: replies and events wait in one ordered queue with a byte budget. Replies keep
/// request order (a pipelined SUBMIT's reply is filled in later, `PendingReply`); events go in between. A client that
/// lets the budget fill up (it does not read) is disconnected, so it cannot hold memory or slow anyone else.
final class Connection: Sendable {
    enum Outgoing: Sendable {
        case line(String)
        case pending(PendingReply)
        /// Close the connection once everything before this has been written, reading (and dropping) what the
        /// client still sends for up to a second so that its unread replies are not lost to a reset.
        case close
        /// The same, but stop reading at once and close after `linger` (framing abuse, a full server: the client is
        /// not owed a clean ending, only the chance to read the error).
        case abort(linger: TimeAmount)
    }

    let channel: any Channel
    private let budget: Int
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var queuedBytes = 0
        /// Replies still being computed (pipelined SUBMITs); each counts `pendingEstimate` in `queuedBytes`.
        var pendingReplies = 0
        var finished = false
        var lastActivity = Date()
        var session: Session?
        var shuttingDown = false
        /// A request is being handled (shutdown lets it finish).
        var busy = false
        /// When output last moved: a write completed, or the queue was empty.
        var lastProgress = Date()
        /// The queue itself, and the writer waiting for it to fill (or end).
        var items: [Outgoing] = []
        var ended = false
        var writer: CheckedContinuation<Void, Never>?
    }

    /// Requests are read only while less than this waits for the client (so a client that does not read stops
    /// costing CPU); events still count against the whole budget.
    static let readWatermark = 64 * 1024

    /// What a reply whose text is not known yet counts against the budget.
    static let pendingEstimate = 512

    init(channel: any Channel, budget: Int) {
        self.channel = channel
        self.budget = budget
    }

    /// Queues a reply or event; false (and the connection closing) if the client has let too much pile up.
    @discardableResult
    func enqueue(_ outgoing: Outgoing) -> Bool {
        let cost: Int
        let ends: Bool
        switch outgoing {
        case .line(let text): (cost, ends) = (text.utf8.count, false)
        case .pending: (cost, ends) = (Connection.pendingEstimate, false)
        case .close, .abort: (cost, ends) = (0, true)
        }
        enum Verdict { case accepted, closing, overflowing }
        var verdict = Verdict.accepted
        wake { state in
            // After the close is queued nothing more is sent (a late reply is dropped, not an overflow).
            guard !state.finished else { verdict = .closing; return }
            guard state.queuedBytes + cost <= budget else {
                verdict = .overflowing
                return
            }
            if state.queuedBytes == 0 { state.lastProgress = Date() }
            state.queuedBytes += cost
            if case .pending = outgoing { state.pendingReplies += 1 }
            state.items.append(outgoing)
            if ends {
                state.finished = true
                state.ended = true
            }
        }
        switch verdict {
        case .accepted: return true
        case .closing: return false
        case .overflowing:
            overflow()
            return false
        }
    }

    func push(_ reply: Reply) {
        enqueue(.line(reply.line))
    }

    /// No more output after what is queued.
    func finish() {
        wake { state in
            state.finished = true
            state.ended = true
        }
    }

    /// Writes the queue in order until it ends or the channel fails. Everything queued at the moment is written
    /// with one flush (one system call for a burst of pipelined replies, not one per reply), from one buffer: a
    /// buffer per reply cost an allocation and a trip through the channel's pipeline for each.
    func drain(into outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async {
        var buffer = channel.allocator.buffer(capacity: 0)
        var cost = 0
        func flush() async -> Bool {
            guard buffer.readableBytes > 0 else { return true }
            do {
                try await outbound.write(buffer)
            } catch {
                channel.close(promise: nil)
                return false
            }
            state.withLockedValue {
                $0.queuedBytes -= cost
                $0.lastProgress = Date()
            }
            // The channel holds the written bytes: the next replies go into new storage.
            buffer = channel.allocator.buffer(capacity: 0)
            cost = 0
            return true
        }
        while let batch = await take() {
            for item in batch {
                switch item {
                case .line(let line):
                    buffer.writeString(line)
                    cost += line.utf8.count
                case .pending(let reply):
                    let text = await reply.line
                    state.withLockedValue { $0.pendingReplies -= 1 }
                    buffer.writeString(text)
                    cost += Connection.pendingEstimate
                case .close:
                    guard await flush() else { return }
                    await close(outbound, linger: .seconds(1))
                    return
                case .abort(let linger):
                    guard await flush() else { return }
                    channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
                    await close(outbound, linger: linger)
                    return
                }
            }
            guard await flush() else { return }
        }
    }

    /// Everything queued so far, waiting for something if the queue is empty; nil once it has ended.
    private func take() async -> [Outgoing]? {
        while true {
            let taken = state.withLockedValue { state -> [Outgoing]?? in
                if !state.items.isEmpty {
                    defer { state.items.removeAll(keepingCapacity: true) }
                    return .some(state.items)
                }
                return state.ended ? .some(nil) : nil
            }
            if let taken { return taken }
            await withCheckedContinuation { (writer: CheckedContinuation<Void, Never>) in
                let ready = state.withLockedValue { state -> Bool in
                    guard state.items.isEmpty, !state.ended else { return true }
                    state.writer = writer
                    return false
                }
                if ready { writer.resume() }
            }
        }
    }

    /// Changes the state and wakes the writer if it waits.
    private func wake(_ change: (inout State) -> Void) {
        let writer = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            change(&state)
            defer { state.writer = nil }
            return state.writer
        }
        writer?.resume()
    }

    private func overflow() {
        wake { state in
            state.finished = true
            state.ended = true
            state.items.removeAll()
        }
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

    /// Everything written so far reaches the client before the connection ends: finishing the writer sends the
    /// buffered writes and then a FIN (outbound half-closure); the full close comes after `linger`. Closing at
    /// once with unread input would make the kernel send a reset, and the client could lose replies it has not
    /// read yet.
    /// Returns once the channel is closed (the client closed its side too, or `linger` passed): the caller's
    /// `executeThenClose` would otherwise close at once and drop writes still in flight.
    private func close(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, linger: TimeAmount) async {
        outbound.finish()
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
    }

    /// Seconds output has been waiting without the client taking any of it (0 when nothing waits).
    func outputStall(at now: Date) -> Double {
        state.withLockedValue { state in
            guard state.queuedBytes > 0, !state.finished else { return 0 }
            return now.timeIntervalSince(state.lastProgress)
        }
    }

    /// Disconnects a client that stopped reading: nothing more is sent.
    func abandon() {
        state.withLockedValue { $0.finished = true }
        overflow()
    }

    /// Waits while the client has more than `readWatermark` bytes of finished output waiting (it is not reading).
    /// Replies still being computed do not count: `Limits.maximumPipelined` bounds those.
    func waitForRoom() async {
        while state.withLockedValue({ !$0.finished && $0.queuedBytes - $0.pendingReplies * Connection.pendingEstimate > Connection.readWatermark }) {
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

    /// Nothing more will be sent: the close is queued, or the client was abandoned.
    var isEnding: Bool {
        state.withLockedValue { $0.finished }
    }

    /// A request is being handled.
    var isBusy: Bool {
        state.withLockedValue { $0.busy }
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
