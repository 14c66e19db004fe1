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
public actor ActionQueue {
    public let store: Store
    private let maximumBatch: Int
    private var pending: [Item] = []
    private var flushing = false

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
        self.maximumBatch = maximumBatch
    }

    /// Applies the action durably; the same contract as `Store.perform`.
    public func perform(_ action: CaseAction, by actor: String, requestID: String? = nil, at now: Date,
                        leaseSeconds: TimeInterval = 300) async throws -> ActionOutcome {
        try await withCheckedThrowingContinuation { reply in
            pending.append(Item(action: action, actor: actor, requestID: requestID, at: now, leaseSeconds: leaseSeconds, reply: reply))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maximumBatch))
            pending.removeFirst(batch.count)
            let work = batch.map { ($0.action, $0.actor, $0.requestID, $0.at, $0.leaseSeconds) }
            do {
                let results = try await store.writer.write { db -> [Result<ActionOutcome, any Error>] in
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
                }
                for (item, result) in zip(batch, results) {
                    if case .failure(let error as WorkflowError) = result { store.logDenial(error, item.action, by: item.actor) }
                    item.reply.resume(with: result)
                }
            } catch {
                // The transaction failed as a whole (I/O, disk full): nothing in it was applied.
                store.logger.info("action batch failed; every action in it was refused", metadata: ["actions.batch": "\(batch.count)", "error": "\(error)"])
                for item in batch { item.reply.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
