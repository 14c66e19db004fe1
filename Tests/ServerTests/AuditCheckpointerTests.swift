import Foundation
import Logging
import ServiceLifecycle
import Store
import Testing
import Workflow
@testable import Server

/// `serve --audit-checkpoints`: the head is signed when the chain has moved, and once more at shutdown.
@Suite struct AuditCheckpointerTests {
    @Test func exportsWhenTheChainMovesAndOnceMoreAtShutdown() async throws {
        let folder = NSTemporaryDirectory() + "riskgate-checkpoints-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/db.sqlite", file = folder + "/checkpoints.jsonl"
        let store = try Store(path: path)
        var logger = Logger(label: "riskgate.test")
        logger.logLevel = .critical
        let checkpointer = AuditCheckpointer(store: store, key: try Store.auditKey(forDatabase: path), file: file,
                                             interval: .milliseconds(50), logger: logger)
        let group = ServiceGroup(services: [checkpointer], logger: logger)
        let running = Task { try await group.run() }
        func head() async throws -> Int64 {
            Int64(try await store.verifyAudit().records)
        }
        func exported() -> [Int64] { ((try? Checkpoint.read(fromFile: file)) ?? []).map(\.seq) }
        func waitFor(_ seqs: [Int64]) async throws {
            for _ in 0..<200 where exported() != seqs { try await Task.sleep(for: .milliseconds(25)) }
        }

        // An empty trail has nothing to sign.
        try await Task.sleep(for: .milliseconds(200))
        #expect(FileManager.default.fileExists(atPath: file) == false)
        try await store.addUser("ana", tier: 1, roles: [.approver], by: "admin", at: Date())
        let first = try await head()
        try await waitFor([first])
        #expect(exported() == [first])
        // Nothing new: several ticks, no new line.
        try await Task.sleep(for: .milliseconds(300))
        #expect(exported() == [first])
        // A record written just before shutdown is covered by the final checkpoint.
        try await store.addUser("sam", tier: 2, roles: [.approver], by: "admin", at: Date())
        let second = try await head()
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(second > first)
        #expect(exported() == [first, second])

        let checkpoints = try Checkpoint.read(fromFile: file)
        #expect(checkpoints.allSatisfy { $0.isSigned })
        let verification = try await store.verifyAudit(checkpoints: checkpoints)
        #expect(verification.isValid && verification.records == Int(second))
        try store.close()
    }

    @Test func aLineThatIsNotACheckpointIsNamedWithItsLine() throws {
        let file = NSTemporaryDirectory() + "riskgate-checkpoints-\(UUID().uuidString.prefix(8)).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data("{\"seq\":1,\"hash\":\"h\",\"at\":\"t\",\"public_key\":\"k\",\"signature\":\"s\"}\nnot json\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: StoreError.self) { try Checkpoint.read(fromFile: file) }
        do {
            _ = try Checkpoint.read(fromFile: file)
        } catch let error as StoreError {
            #expect(error.code == .invalidArgument && error.message.hasPrefix("\(file):2: not a checkpoint"))
        }
    }
}
