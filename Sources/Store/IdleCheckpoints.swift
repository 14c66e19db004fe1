import Foundation
import GRDB

/// Checkpoints the WAL on the writer connection when the writer has nothing to do, so that the copy back into the
/// database file happens in small pieces between commits instead of in one long stop.
///
/// SQLite's own checkpoint (`wal_autocheckpoint`, 10,000 pages here) runs inside the commit that crosses the
/// threshold and copies every page written since the last one: on this kind of disk that holds the writer for
/// ~100 ms, and with 200 approvers every request that arrives meanwhile waits, which made the take-next/approve
/// p99 tens of milliseconds. Here, each time a group commit finishes and its queue (`Intake` or `ActionQueue`)
/// has no next group, a PASSIVE checkpoint is queued on the writer (at most one per `interval`), copying only
/// what was written since the last one. A group of the other queue may already be on the writer; the checkpoint
/// then runs after it. A saturated intake is never idle and keeps SQLite's threshold as before.
///
/// It runs on the one read-write connection, behind the commits already queued: no second connection checkpoints
/// (SQLite 3.40's WAL-reset bug needs one; see `FileLock`).
final class IdleCheckpoints: @unchecked Sendable {
    private let interval: Duration
    // Guarded by `lock` (hence `@unchecked Sendable`, as in `GroupCommit`).
    private let lock = NSLock()
    private var last = ContinuousClock.now
    private var queued = false

    init(interval: Duration) {
        self.interval = interval
    }

    /// A group commit finished and its queue has no next group: queues a checkpoint if one is due.
    func writerIdle(_ writer: any DatabaseWriter) {
        let due = lock.withLock {
            guard !queued, ContinuousClock.now - last >= interval else { return false }
            queued = true
            return true
        }
        guard due else { return }
        writer.asyncWriteWithoutTransaction { [self] db in
            // Passive: never waits for readers; pages a reader still needs stay in the WAL for the next one. A
            // failure (I/O) leaves the WAL as it was, and the next commit, which must sync, reports a failing disk.
            _ = try? db.checkpoint(.passive)
            lock.withLock {
                last = ContinuousClock.now
                queued = false
            }
        }
    }
}
