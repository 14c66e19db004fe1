import NIOConcurrencyHelpers

/// The reply line of a request still being handled (a pipelined SUBMIT waiting for its commit), in its place in
/// the connection's output queue. Filled once, from any thread; the connection's writer waits for it in order.
/// A task per SUBMIT did the same job at the price of its allocation and two more hops through the executors.
final class PendingReply: Sendable {
    private struct State {
        var line: String?
        var waiters: [CheckedContinuation<String, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    /// Sets the line (the first call wins) and wakes whoever waits for it.
    func fulfil(_ line: String) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<String, Never>] in
            guard state.line == nil else { return [] }
            state.line = line
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: line) }
    }

    /// The line, once it is set.
    var line: String {
        get async {
            if let line = state.withLockedValue({ $0.line }) { return line }
            return await withCheckedContinuation { waiter in
                let line = state.withLockedValue { state -> String? in
                    if let line = state.line { return line }
                    state.waiters.append(waiter)
                    return nil
                }
                if let line { waiter.resume(returning: line) }
            }
        }
    }
}
