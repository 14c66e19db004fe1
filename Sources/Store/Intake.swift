import Crypto
import Foundation
import GRDB
import Logging
import RuleEngine

/// Durable intake with group commit: submissions that arrive while a batch is being written wait for the next
/// batch, so many applications share one synced commit. Each caller gets its answer only after the commit
/// holding its application is durable.
///
/// The writer never waits for this object: each submission is evaluated and rendered by its caller's task (in
/// parallel, with an evaluator from a small pool), and when a batch's transaction has committed, the next batch
/// is handed to the store's writer queue from that same queue before the finished batch's callers are answered
/// (on another thread). An actor here made the writer wait for every submission queued on the actor ahead of the
/// batch's completion (each one's evaluation), which left the writer idle about a third of the time.
public final class Intake: @unchecked Sendable {
    public let store: Store
    public let rulesetVersion: String
    private let policy: CompiledPolicy
    private let clock: @Sendable () -> Date
    /// Called once with the submission's result, after its commit is durable (or with the failure).
    public typealias Reply = @Sendable (Result<SubmissionResult, any Error>) -> Void
    private typealias Item = (submission: Submission, reply: Reply)
    private let batches: GroupCommit<Item>
    // Guarded by `lock` (hence `@unchecked Sendable`).
    private let lock = NSLock()
    private var evaluators: [Evaluator] = []

    public init(store: Store, policy: CompiledPolicy, rulesetVersion: String, maximumBatch: Int = 2048,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.rulesetVersion = rulesetVersion
        self.policy = policy
        self.clock = clock
        batches = GroupCommit(maximum: maximumBatch)
    }

    /// Stores the application exactly as received, with its decision; returns once that is durable.
    public func submit(_ body: [UInt8], by actor: String) async throws -> SubmissionResult {
        try await withCheckedThrowingContinuation { continuation in submit(body, by: actor) { continuation.resume(with: $0) } }
    }

    /// The same without a task: evaluates the application on the caller's thread and calls `reply` (on another
    /// thread) once it is durable. The server's pipelined SUBMITs use this: a task per request cost the event loops
    /// its allocation and two more hops.
    public func submit(_ body: [UInt8], by actor: String, reply: @escaping Reply) {
        // Evaluated and rendered before joining the queue, while earlier batches are being committed on the store's
        // writer thread: the batch transaction then only binds rows, chains audit hashes and commits.
        let submission = prepare(body, actor: actor)
        if let batch = batches.add((submission, reply)) { write(batch) }
    }

    /// Writes `batch` in one transaction on the store's writer queue, and then, on that queue, hands over the next.
    private func write(_ batch: [Item]) {
        let submissions = batch.map(\.submission)
        let ruleset = rulesetVersion, now = clock()
        store.writer.asyncWriteWithoutTransaction { [self] db in
            let outcome = Result { try Store.inBatchTransaction(db) { try Store.store($0, submissions, ruleset: ruleset, at: now) } }
            // The commit is synced (or the transaction failed and nothing in it was written). Hand the next batch
            // to the writer first, so that it does not wait while this batch's callers are answered.
            if let next = batches.next() { write(next) } else { store.writerIdle() }
            Task { answer(batch, outcome) }
        }
    }

    private func answer(_ batch: [Item], _ outcome: Result<[Result<SubmissionResult, StoreError>], any Error>) {
        switch outcome {
        case .success(let results):
            for (item, result) in zip(batch, results) { item.reply(result.mapError { $0 }) }
        case .failure(let error):
            store.logger.info("intake batch failed; every submission in it was refused", metadata: ["intake.batch": "\(batch.count)", "error": "\(error)"])
            let failure = StoreError(.storage, "the application could not be stored: \(error)")
            for item in batch { item.reply(.failure(failure)) }
        }
    }

    private func prepare(_ body: [UInt8], actor: String) -> Submission {
        // An evaluator is not thread-safe: each caller borrows one (a new one when all are in use).
        let evaluator = lock.withLock { evaluators.popLast() } ?? Evaluator(policy: policy)
        defer { lock.withLock { if evaluators.count < 16 { evaluators.append(evaluator) } } }
        body.withUnsafeBytes { _ = evaluator.evaluate(json: $0) }
        return Submission(body: body, actor: actor, inputHash: IntakeHex.string(SHA256.hash(data: body)),
                          applicationID: evaluator.applicationID, outcome: evaluator.outcome,
                          decisionJSON: evaluator.decisionJSON, reasons: evaluator.reasonCodes, levels: evaluator.referralLevels,
                          ruleset: rulesetVersion)
    }
}
