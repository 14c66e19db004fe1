import Crypto
import Foundation
import GRDB

/// The append-only, hash-chained audit trail. Each record's hash covers the previous record's hash and every
/// field of its own, so editing, deleting or reordering any record breaks the chain from that record on;
/// signed checkpoints of the head make rewriting the whole tail detectable too.
public enum AuditTrail {
    public static let genesis = String(repeating: "0", count: 64)

    public struct Record: Sendable, Hashable, Codable {
        public var seq: Int64
        public var at: String
        public var actor: String
        public var action: String
        public var subject: String
        public var detail: String
        public var prevHash: String
        public var hash: String

        enum CodingKeys: String, CodingKey {
            case seq, at, actor, action, subject, detail
            case prevHash = "prev_hash"
            case hash
        }
    }

    static func digest(previous: String, seq: Int64, at: String, actor: String, action: String, subject: String, detail: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + detail.utf8.count)
        for part in [previous, String(seq), at, actor, action, subject, detail] {
            bytes += part.utf8
            bytes.append(0x0A)
        }
        return SHA256.hash(data: bytes).hex
    }

    /// The outcome of walking the chain.
    public struct Verification: Sendable, Hashable {
        public var records: Int
        public var head: String
        /// The first record that does not verify, and why.
        public var firstBad: Int64?
        public var problem: String?

        public var isValid: Bool { firstBad == nil }
    }

    /// Walks every record in order: sequence numbers without gaps, each `prev_hash` the previous hash, each hash
    /// recomputed; then each checkpoint: signature valid and the chain holding that hash at that seq.
    public static func verify(_ db: Database, checkpoints: [Checkpoint] = []) throws -> Verification {
        var expectedSeq: Int64 = 1
        var previous = genesis
        var hashes: [Int64: String] = [:]
        let wanted = Set(checkpoints.map(\.seq))
        let cursor = try Row.fetchCursor(db, sql: "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq")
        var count = 0
        while let row = try cursor.next() {
            let seq: Int64 = row["seq"]
            count += 1
            func bad(_ problem: String) -> Verification {
                Verification(records: count, head: previous, firstBad: seq == expectedSeq ? seq : min(seq, expectedSeq), problem: problem)
            }
            guard seq == expectedSeq else { return bad("record \(expectedSeq) is missing (next is \(seq))") }
            guard (row["prev_hash"] as String) == previous else { return bad("record \(seq) does not follow record \(seq - 1)") }
            let hash = digest(previous: previous, seq: seq, at: row["at"], actor: row["actor"], action: row["action"],
                              subject: row["subject"], detail: row["detail"])
            guard hash == (row["hash"] as String) else { return bad("record \(seq) was altered (its hash does not match its content)") }
            if wanted.contains(seq) { hashes[seq] = hash }
            previous = hash
            expectedSeq += 1
        }
        for checkpoint in checkpoints.sorted(by: { $0.seq < $1.seq }) {
            guard checkpoint.isSigned else {
                return Verification(records: count, head: previous, firstBad: checkpoint.seq, problem: "checkpoint \(checkpoint.seq) has a bad signature")
            }
            guard let hash = hashes[checkpoint.seq] else {
                return Verification(records: count, head: previous, firstBad: Int64(count) + 1,
                                    problem: "the trail ends at record \(count), before checkpoint \(checkpoint.seq): records were removed")
            }
            guard hash == checkpoint.hash else {
                return Verification(records: count, head: previous, firstBad: checkpoint.seq,
                                    problem: "record \(checkpoint.seq) differs from checkpoint \(checkpoint.seq): the trail was rewritten")
            }
        }
        return Verification(records: count, head: previous, firstBad: nil, problem: nil)
    }
}

/// A signed statement that the trail held `hash` at record `seq` (Ed25519).
public struct Checkpoint: Sendable, Hashable, Codable {
    public var seq: Int64
    public var hash: String
    public var at: String
    public var publicKey: String
    public var signature: String

    enum CodingKeys: String, CodingKey {
        case seq, hash, at
        case publicKey = "public_key"
        case signature
    }

    static func message(seq: Int64, hash: String, at: String) -> Data {
        Data("riskgate-audit-checkpoint\n\(seq)\n\(hash)\n\(at)".utf8)
    }

    public init(seq: Int64, hash: String, at: String, key: Curve25519.Signing.PrivateKey) throws {
        self.seq = seq
        self.hash = hash
        self.at = at
        publicKey = key.publicKey.rawRepresentation.hex
        signature = try key.signature(for: Checkpoint.message(seq: seq, hash: hash, at: at)).hex
    }

    /// Appends this checkpoint to `path` as one JSON line (keys sorted) and syncs the file, creating it if needed.
    public func append(toFile path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let line = try encoder.encode(self) + Data("\n".utf8)
        guard let handle = FileHandle(forWritingAtPath: path)
                ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
            throw StoreError(.storage, "cannot write the checkpoint file '\(path)'")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
        try handle.synchronize()
    }

    /// The checkpoints in a file written by `append(toFile:)`, oldest first.
    public static func read(fromFile path: String) throws -> [Checkpoint] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.notFound, "cannot read the checkpoint file '\(path)'")
        }
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).filter { !$0.isEmpty }.enumerated().map { index, line in
            do { return try decoder.decode(Checkpoint.self, from: Data(line)) } catch {
                throw StoreError(.invalidArgument, "\(path):\(index + 1): not a checkpoint: \(error)")
            }
        }
    }

    public var isSigned: Bool {
        guard let keyBytes = Data(hex: publicKey), let signatureBytes = Data(hex: signature),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes) else { return false }
        return key.isValidSignature(signatureBytes, for: Checkpoint.message(seq: seq, hash: hash, at: at))
    }
}

extension Sequence where Element == UInt8 {
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Data {
    init?(hex: String) {
        let bytes = Array(hex.utf8)
        guard bytes.count % 2 == 0 else { return nil }
        var out = Data(capacity: bytes.count / 2)
        var index = 0
        while index < bytes.count {
            guard let high = Data.nibble(bytes[index]), let low = Data.nibble(bytes[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        self = out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
