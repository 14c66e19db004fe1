import Crypto
import Foundation
import Logging
import RuleEngine

/// Durable intake with group commit: submissions that arrive while a batch is being written wait for the next
/// batch, so many applications share one synced commit. Each caller gets its answer only after the commit
/// holding its application is durable.
public actor Intake {
    public let store: Store
    public let rulesetVersion: String
    private let evaluator: Evaluator
    private let clock: @Sendable () -> Date
    private let maximumBatch: Int
    private var pending: [(submission: Submission, reply: CheckedContinuation<SubmissionResult, any Error>)] = []
    private var flushing = false

    public init(store: Store, policy: CompiledPolicy, rulesetVersion: String, maximumBatch: Int = 2048,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.rulesetVersion = rulesetVersion
        self.evaluator = Evaluator(policy: policy)
        self.clock = clock
        self.maximumBatch = maximumBatch
    }

    /// Stores the application exactly as received, with its decision; returns once that is durable.
    public func submit(_ body: [UInt8], by actor: String) async throws -> SubmissionResult {
        // Evaluated and rendered on arrival, while the previous batch is being committed on the store's writer
        // thread: the batch transaction then only binds rows, chains audit hashes and commits.
        let submission = prepare(body, actor: actor)
        return try await withCheckedThrowingContinuation { reply in
            pending.append((submission, reply))
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
            do {
                let results = try await store.store(batch.map(\.submission), ruleset: rulesetVersion, at: clock())
                for (item, result) in zip(batch, results) { item.reply.resume(with: result.mapError { $0 }) }
            } catch {
                store.logger.info("intake batch failed; every submission in it was refused", metadata: ["intake.batch": "\(batch.count)", "error": "\(error)"])
                let failure = StoreError(.storage, "the application could not be stored: \(error)")
                for item in batch { item.reply.resume(throwing: failure) }
            }
        }
        flushing = false
    }

    private func prepare(_ body: [UInt8], actor: String) -> Submission {
        body.withUnsafeBytes { _ = evaluator.evaluate(json: $0) }
        return Submission(body: body, actor: actor, inputHash: IntakeHex.string(SHA256.hash(data: body)),
                          applicationID: evaluator.applicationID, outcome: evaluator.outcome,
                          decisionJSON: evaluator.decisionJSON, reasons: evaluator.reasonCodes, levels: evaluator.referralLevels,
                          ruleset: rulesetVersion)
    }
}
