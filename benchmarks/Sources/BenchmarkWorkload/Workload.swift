import ApplicationMix
import Foundation
import RuleEngine
import RuleFiles

/// The repository root: RISKGATE_ROOT, or two folders above this package (benchmarks/..).
public let repositoryRoot: String = {
    if let root = ProcessInfo.processInfo.environment["RISKGATE_ROOT"], !root.isEmpty { return root }
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(4) // benchmarks/Sources/BenchmarkWorkload/Workload.swift
    return components.joined(separator: "/")
}()

/// Everything the benchmarks read, built once per benchmark process and immutable afterwards.
public final class Workload: @unchecked Sendable {
    public static let shared = Workload()

    /// Lines of the in-process mix: the 67 fixture applications, then generated ones.
    public static let mixSize = 10_000
    public static let seed: UInt64 = 20_261_122

    public let policy: CompiledPolicy
    /// The mix as one JSONL text, and each line's byte range in it.
    public let text: [UInt8]
    public let lineRanges: [Range<Int>]
    /// Decoded applications of the mix (every line but the malformed ones), and the outcome of each.
    public let decoded: [DecodedApplication]
    public let outcomes: [Outcome]

    public init() {
        let rules = repositoryRoot + "/rules"
        let (compiled, diagnostics, _) = RuleFiles.compile(directory: rules)
        guard let compiled else {
            fatalError("cannot compile \(rules): \(diagnostics.map { "\($0)" }.joined(separator: "\n"))")
        }
        policy = compiled

        let fixturesPath = repositoryRoot + "/fixtures/applications.jsonl"
        guard let fixtures = FileManager.default.contents(atPath: fixturesPath) else { fatalError("cannot read \(fixturesPath)") }
        var lines = fixtures.split(separator: 0x0A, omittingEmptySubsequences: true).map { Array($0) }
        lines += ApplicationMix.lines(count: Self.mixSize - lines.count, seed: Self.seed)
        var text: [UInt8] = []
        var ranges: [Range<Int>] = []
        for line in lines {
            ranges.append(text.count..<(text.count + line.count))
            text += line
            text.append(0x0A)
        }
        self.text = text
        lineRanges = ranges

        let evaluator = Evaluator(policy: compiled)
        var decoded: [DecodedApplication] = []
        var outcomes: [Outcome] = []
        text.withUnsafeBytes { raw in
            for range in ranges {
                guard let application = evaluator.decode(json: UnsafeRawBufferPointer(rebasing: raw[range])) else { continue }
                decoded.append(application)
                outcomes.append(evaluator.evaluate(application))
            }
        }
        self.decoded = decoded
        self.outcomes = outcomes

    }

    public func decoded(where outcome: Outcome) -> [DecodedApplication] {
        zip(decoded, outcomes).filter { $0.1 == outcome }.map(\.0)
    }

    /// "invalid 9% · declined 31% · …" for the benchmark tags.
    public var outcomeShares: [String: String] {
        var shares: [String: String] = ["lines": String(lineRanges.count), "decoded": String(decoded.count)]
        for outcome in [Outcome.approved, .declined, .referred, .invalid] {
            let count = outcomes.lazy.filter { $0 == outcome }.count
            shares[outcome.description] = String(count)
        }
        return shares
    }
}

/// About 8 MiB of generated JSONL (the CLI's LineChunkReader.chunkSize), ending with a newline: what
/// `riskgate score` hands BatchScorer per read. Built on first use.
public final class BatchChunk: Sendable {
    public static let shared = BatchChunk()

    public let bytes: [UInt8]
    public let lines: Int

    init() {
        var mix = ApplicationMix(seed: Workload.seed &+ 1)
        var chunk: [UInt8] = []
        chunk.reserveCapacity(8 << 20)
        var count = 0
        while true {
            var line: [UInt8] = []
            mix.next(into: &line)
            guard chunk.count + line.count + 1 <= 8 << 20 else { break }
            chunk += line
            chunk.append(0x0A)
            count += 1
        }
        bytes = chunk
        lines = count
    }
}
