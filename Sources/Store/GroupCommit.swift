import Foundation

/// The waiting line of a group commit, shared by `Intake` and `ActionQueue`: items that arrive while a group is
/// being written wait for the next group; the finished group's completion takes that next group (up to `maximum`,
/// oldest first) before its own callers are answered, so the writer never waits for them.
final class GroupCommit<Item>: @unchecked Sendable {
    private let maximum: Int
    // Guarded by `lock` (hence `@unchecked Sendable`).
    private let lock = NSLock()
    private var pending: [Item] = []
    /// A group is being written (its completion starts the next one).
    private var writing = false

    init(maximum: Int) {
        self.maximum = maximum
    }

    /// Queues `item`; returns the group to write now if none is being written (nil: a running group's completion
    /// will take it).
    func add(_ item: Item) -> [Item]? {
        lock.withLock {
            pending.append(item)
            guard !writing else { return nil }
            writing = true
            return take()
        }
    }

    /// The running group has committed (or failed): the next group to write, or nil when nothing waits.
    func next() -> [Item]? {
        lock.withLock {
            guard !pending.isEmpty else {
                writing = false
                return nil
            }
            return take()
        }
    }

    /// The oldest pending items, up to a group (called with `lock` held).
    private func take() -> [Item] {
        guard pending.count > maximum else {
            defer { pending = [] }
            return pending
        }
        let group = Array(pending[..<maximum])
        pending.removeFirst(maximum)
        return group
    }
}
