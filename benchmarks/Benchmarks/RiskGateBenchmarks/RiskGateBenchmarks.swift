// In-process benchmarks of the RiskGate scorer on the reference policy (rules/) and a realistic mix of
// applications: fixtures/applications.jsonl plus the deterministic ApplicationMix (see README.md).
//
//   evaluate/*     Evaluator.evaluate(DecodedApplication): validation, values, scorecard, knock-outs, routing
//                  on applications decoded up front. One core. Target: >= 3 M decisions/s, 0 allocations.
//   block/*        the same applications through a BlockEvaluator, 64 per block (what `riskgate score` runs).
//   json/*         Evaluator.evaluate(json:) (+ writeDecision(to:) into a reused buffer): bytes in, bytes out.
//   batch/*        BatchScorer.score(chunk:into:) on an 8 MiB chunk of JSONL, as `riskgate score` calls it.
//   harness/*      the same loop around nothing: what the harness itself costs and allocates per sample.
//
// Every measured loop counts outcomes into a local and hands the count to blackHole once per sample, so the
// harness adds no call per decision.
import Benchmark
import BenchmarkWorkload
import Foundation
import RuleEngine

/// A benchmark's evaluator and where it is in its input: the harness calls the closure once per sample
/// (`scalingFactor` decisions), and the next sample goes on where the last one stopped.
final class Cursor<Input>: @unchecked Sendable {
    let evaluator: Evaluator
    let input: Input
    var next = 0

    init(_ input: Input) {
        evaluator = Evaluator(policy: Workload.shared.policy)
        self.input = input
    }
}

/// Measures decisions against a list of pre-decoded applications, cycling through it.
func registerEvaluate(_ name: String, _ applications: @escaping @Sendable () -> [DecodedApplication], tags: [String: String] = [:]) {
    let metrics: [BenchmarkMetric] = [.throughput, .wallClock, .mallocCountTotal, .mallocBytesCount]
    Benchmark(name, configuration: .init(metrics: metrics, tags: tags, scalingFactor: .kilo,
                                         maxDuration: .seconds(2), maxIterations: 1_000_000)) { benchmark, cursor in
        let evaluator = cursor.evaluator, applications = cursor.input
        var next = cursor.next
        var approved = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            if evaluator.evaluate(applications[next]) == .approved { approved += 1 }
            next += 1
            if next == applications.count { next = 0 }
        }
        benchmark.stopMeasurement()
        cursor.next = next
        blackHole(approved)
    } setup: {
        Cursor(applications())
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(warmupIterations: 3)

    // 0. Control: the measured loop with no work, to tell harness overhead from the scorer's.
    Benchmark("harness/empty loop", configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal, .mallocBytesCount],
                                                          scalingFactor: .kilo, maxDuration: .seconds(1))) { benchmark in
        var sum = 0
        benchmark.startMeasurement()
        for k in benchmark.scaledIterations { sum &+= k }
        benchmark.stopMeasurement()
        blackHole(sum)
    }

    // 1. In-process evaluation on pre-decoded applications, one core.
    registerEvaluate("evaluate/decoded mix", { Workload.shared.decoded }, tags: Workload.shared.outcomeShares)
    registerEvaluate("evaluate/decoded approved", { Workload.shared.decoded(where: .approved) })
    registerEvaluate("evaluate/decoded declined", { Workload.shared.decoded(where: .declined) })
    registerEvaluate("evaluate/decoded referred", { Workload.shared.decoded(where: .referred) })
    registerEvaluate("evaluate/decoded invalid", { Workload.shared.decoded(where: .invalid) })

    // 1b. The same applications decided 64 at a time by a BlockEvaluator (appending them is measured too).
    Benchmark("block/decoded mix, 64 per block", configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal, .mallocBytesCount],
                                                                       scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 1_000_000)) { benchmark, cursor in
        let applications = cursor.input.applications, block = cursor.input.block
        var next = cursor.next
        var approved = 0, done = 0
        benchmark.startMeasurement()
        while done < benchmark.scaledIterations.count {
            block.reset()
            while !block.isFull, done + block.count < benchmark.scaledIterations.count {
                block.append(applications[next])
                next += 1
                if next == applications.count { next = 0 }
            }
            block.evaluate()
            for lane in 0..<block.count where block.outcome(lane) == .approved { approved += 1 }
            done += block.count
        }
        benchmark.stopMeasurement()
        cursor.next = next
        blackHole(approved)
    } setup: {
        Cursor((applications: Workload.shared.decoded, block: BlockEvaluator(policy: Workload.shared.policy)))
    }

    let jsonMetrics: [BenchmarkMetric] = [.throughput, .wallClock, .mallocCountTotal, .mallocBytesCount]

    // 2. Bytes in, bytes out, in process: decode + evaluate + write the decision into a reused buffer.
    Benchmark("json/evaluate+write mix", configuration: .init(metrics: jsonMetrics, scalingFactor: .kilo,
                                                               maxDuration: .seconds(2), maxIterations: 1_000_000)) { benchmark, cursor in
        let workload = Workload.shared, evaluator = cursor.evaluator
        var output: [UInt8] = [] // reused for every decision; allocated before the measurement starts
        output.reserveCapacity(4096)
        var next = cursor.next
        var bytes = 0
        workload.text.withUnsafeBytes { raw in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                output.removeAll(keepingCapacity: true)
                evaluator.evaluate(json: UnsafeRawBufferPointer(rebasing: raw[workload.lineRanges[next]]))
                evaluator.writeDecision(to: &output)
                bytes &+= output.count
                next += 1
                if next == workload.lineRanges.count { next = 0 }
            }
            benchmark.stopMeasurement()
        }
        cursor.next = next
        blackHole(bytes)
    } setup: {
        Cursor(())
    }

    // The same without writing: how much of (2) is decoding + evaluating.
    Benchmark("json/evaluate mix", configuration: .init(metrics: jsonMetrics, scalingFactor: .kilo,
                                                         maxDuration: .seconds(2), maxIterations: 1_000_000)) { benchmark, cursor in
        let workload = Workload.shared, evaluator = cursor.evaluator
        var next = cursor.next
        var approved = 0
        workload.text.withUnsafeBytes { raw in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                if evaluator.evaluate(json: UnsafeRawBufferPointer(rebasing: raw[workload.lineRanges[next]])) == .approved { approved += 1 }
                next += 1
                if next == workload.lineRanges.count { next = 0 }
            }
            benchmark.stopMeasurement()
        }
        cursor.next = next
        blackHole(approved)
    } setup: {
        Cursor(())
    }

    // 3. BatchScorer on one 8 MiB chunk (what `riskgate score` hands it per read), 1 lane and one per core.
    let chunkLines = BatchChunk.shared.lines
    let cores = ProcessInfo.processInfo.activeProcessorCount
    for lanes in Set([1, cores]).sorted() {
        Benchmark("batch/score 8 MiB chunk (\(chunkLines) lines), \(lanes) lane\(lanes == 1 ? "" : "s")",
                  configuration: .init(metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal, .mallocBytesCount],
                                       tags: ["lines": String(chunkLines), "lanes": String(lanes)],
                                       warmupIterations: 1, maxDuration: .seconds(3), maxIterations: 10_000)) { (benchmark: Benchmark, scorer: BatchScorer) in
            var output: [UInt8] = []
            output.reserveCapacity(BatchChunk.shared.bytes.count * 2)
            BatchChunk.shared.bytes.withUnsafeBytes { raw in
                benchmark.startMeasurement()
                scorer.score(chunk: raw, into: &output)
                benchmark.stopMeasurement()
            }
            blackHole(output.count)
        } setup: { () -> BatchScorer in
            let scorer = BatchScorer(policy: Workload.shared.policy, lanes: lanes)
            // Warm the lanes' output buffers, as a long `riskgate score` run has.
            var output: [UInt8] = []
            BatchChunk.shared.bytes.withUnsafeBytes { _ = scorer.score(chunk: $0, into: &output) }
            return scorer
        }
    }
}
