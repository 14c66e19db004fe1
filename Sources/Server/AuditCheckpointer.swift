import Crypto
import Foundation
import Logging
import ServiceLifecycle
import Store

/// `riskgate serve --audit-checkpoints FILE`: signs the audit chain's head (Ed25519) every `interval` when it has
/// moved, and once more at shutdown after the last request, appending each checkpoint to the file. This is the
/// periodic export that makes a rewritten or truncated database detectable (`riskgate audit verify --checkpoints`);
/// it runs in the server because the server holds the database's only writer (`riskgate audit checkpoint` cannot
/// open the database while the server runs).
///
/// Run it in the same `ServiceGroup` as the server and before it: a group shuts its services down in reverse
/// order, so the server has finished its in-flight requests when the final checkpoint is signed.
public struct AuditCheckpointer: Service {
    public let store: Store
    public let file: String
    public let interval: Duration
    private let key: Curve25519.Signing.PrivateKey
    private let logger: Logger
    private let clock: @Sendable () -> Date

    public init(store: Store, key: Curve25519.Signing.PrivateKey, file: String, interval: Duration, logger: Logger,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.key = key
        self.file = file
        self.interval = interval
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        var signed: Int64?
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            signed = await export(after: signed)
        }
        // The server (started after this service) has stopped: this checkpoint covers every record it wrote.
        _ = await export(after: signed)
    }

    /// Signs and appends the head if it is past `seq`; returns the head now covered by the file. A failure is
    /// logged and retried at the next tick (serving goes on: the chain itself is intact).
    private func export(after seq: Int64?) async -> Int64? {
        do {
            guard let checkpoint = try await store.checkpoint(key: key, at: clock(), after: seq) else { return seq }
            try checkpoint.append(toFile: file)
            logger.info("audit checkpoint exported", metadata: ["audit.seq": "\(checkpoint.seq)", "audit.file": "\(file)"])
            return checkpoint.seq
        } catch {
            logger.error("audit checkpoint not exported", metadata: ["audit.file": "\(file)", "error": "\(error)"])
            return seq
        }
    }
}
