import Foundation
import GRDB
import Logging
import Workflow

/// Group commit for workflow actions, as `Intake` does for submissions: actions that arrive while a commit is in
/// progress share the next transaction, each inside its own savepoint — so each is applied, or refused and
/// rolled back, on its own, exactly as `Store.perform` would, while many approvers pay for one synced commit.
/// Each caller is answered only after the commit holding its action is durable.
///
/// Actions in one group run in arrival order, so two approvers racing for the same case still see each other:
/// the second `CLAIM` finds the case claimed by the first.
///
/// Like `Intake`, the next group is handed to the store's writer queue from the finished group's completion, on
/// that same queue, before the finished group's callers are answered: an action that arrives during a commit waits
/// for that commit and its own, never for a task to be scheduled in between (an actor here did that: each group's
/// completion had to hop back onto the actor before the next transaction could start).
public final class ActionQueue: Sendable {
    public let store: Store
    private let groups: GroupCommit<Item>

    private struct Item {
        var action: CaseAction
        var actor: String
        var requestID: String?
        var at: Date
        var leaseSeconds: TimeInterval
        var reply: CheckedContinuation<ActionOutcome, any Error>
    }

    public init(store: Store, maximumBatch: Int = 512) {
        self.store = store
        groups = GroupCommit(maximum: maximumBatch)
    }

    /// Applies the action durably; the same contract as `Store.perform`.
    public func perform(_ action: CaseAction, by actor: String, requestID: String? = nil, at now: Date,
                        leaseSeconds: TimeInterval = 300) async throws -> ActionOutcome {
        try await withCheckedThrowingContinuation { reply in
            let item = Item(action: action, actor: actor, requestID: requestID, at: now, leaseSeconds: leaseSeconds, reply: reply)
            if let batch = groups.add(item) { write(batch) }
        }
    }

    /// Writes `batch` in one transaction on the store's writer queue, each action in its own savepoint.
    private func write(_ batch: [Item]) {
        let work = batch.map { ($0.action, $0.actor, $0.requestID, $0.at, $0.leaseSeconds) }
        store.writer.asyncWrite({ db -> [Result<ActionOutcome, any Error>] in
            var results: [Result<ActionOutcome, any Error>] = []
            for (action, actor, requestID, at, leaseSeconds) in work {
                var outcome: ActionOutcome?
                do {
                    try db.inSavepoint {
                        outcome = try Store.perform(db, action, by: actor, requestID: requestID, at: at, leaseSeconds: leaseSeconds)
                        return .commit
                    }
                    results.append(.success(outcome!))
                } catch let error as WorkflowError {
                    results.append(.failure(error))
                } catch let error as StoreError where error.code != .storage {
                    results.append(.failure(error))
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    // A schema invariant refused this action (its savepoint is rolled back); the others stand.
                    results.append(.failure(error))
                }
            }
            return results
        }, completion: { [self] _, outcome in
            // The commit is synced (or the transaction failed and nothing in it was applied). Start the next group
            // first, so that the writer does not wait while this group's callers are answered.
            if let next = groups.next() { write(next) } else { store.writerIdle() }
            answer(batch, outcome)
        })
    }

    private func answer(_ batch: [Item], _ outcome: Result<[Result<ActionOutcome, any Error>], any Error>) {
        switch outcome {
        case .success(let results):
            for (item, result) in zip(batch, results) {
                if case .failure(let error as WorkflowError) = result { store.logDenial(error, item.action, by: item.actor) }
                item.reply.resume(with: result)
            }
        case .failure(let error):
            // The transaction failed as a whole (I/O, disk full): nothing in it was applied.
            store.logger.info("action batch failed; every action in it was refused", metadata: ["actions.batch": "\(batch.count)", "error": "\(error)"])
            for item in batch { item.reply.resume(throwing: error) }
        }
    }
}
