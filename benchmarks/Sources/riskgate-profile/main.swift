// riskgate-profile MODE [COUNT]: runs COUNT decisions (default 2,000,000) of one in-process benchmark loop
// outside the benchmark harness and prints decisions/s: a target for perf, valgrind --tool=callgrind, or a
// quick check. MODE: decoded (evaluate pre-decoded applications), json (evaluate(json:)), json-write
// (evaluate(json:) + writeDecision), batch (BatchScorer on the 8 MiB chunk, one lane per core), block (the
// pre-decoded applications through a BlockEvaluator, WIDTH at a time, default 64), block-json-write (JSON
// lines through a BlockEvaluator, each decision written).
import BenchmarkWorkload
import Foundation
import RuleEngine

let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : "decoded"
let count = arguments.count > 2 ? Int(arguments[2]) ?? 2_000_000 : 2_000_000
let width = arguments.count > 3 ? Int(arguments[3]) ?? 64 : 64
let workload = Workload.shared
let evaluator = Evaluator(policy: workload.policy)

@MainActor @inline(never)
func runDecoded(_ count: Int) -> Int {
    let applications = workload.decoded
    var approved = 0, next = 0
    for _ in 0..<count {
        if evaluator.evaluate(applications[next]) == .approved { approved += 1 }
        next += 1
        if next == applications.count { next = 0 }
    }
    return approved
}

/// The same applications decided 64 at a time by a `BlockEvaluator` (appending them is part of the loop).
@MainActor @inline(never)
func runBlock(_ count: Int, width: Int) -> Int {
    let applications = workload.decoded
    let block = BlockEvaluator(policy: workload.policy, width: width)
    var approved = 0, next = 0, done = 0
    while done < count {
        block.reset()
        while !block.isFull {
            block.append(applications[next])
            next += 1
            if next == applications.count { next = 0 }
        }
        block.evaluate()
        for lane in 0..<block.count where block.outcome(lane) == .approved { approved += 1 }
        done += block.count
    }
    return approved
}

/// JSON lines decided a block at a time, each decision written (what `riskgate score` does per lane).
@MainActor @inline(never)
func runBlockJSON(_ count: Int, width: Int) -> Int {
    var output: [UInt8] = []
    output.reserveCapacity(64 * 1024)
    let block = BlockEvaluator(policy: workload.policy, width: width)
    var bytes = 0, next = 0, done = 0
    workload.text.withUnsafeBytes { raw in
        while done < count {
            block.reset()
            while !block.isFull {
                block.append(json: UnsafeRawBufferPointer(rebasing: raw[workload.lineRanges[next]]))
                next += 1
                if next == workload.lineRanges.count { next = 0 }
            }
            block.evaluate()
            output.removeAll(keepingCapacity: true)
            for lane in 0..<block.count { block.writeDecision(lane, to: &output) }
            bytes &+= output.count
            done += block.count
        }
    }
    return bytes
}

@MainActor @inline(never)
func runJSON(_ count: Int, write: Bool) -> Int {
    var output: [UInt8] = []
    output.reserveCapacity(4096)
    var bytes = 0, next = 0
    workload.text.withUnsafeBytes { raw in
        for _ in 0..<count {
            evaluator.evaluate(json: UnsafeRawBufferPointer(rebasing: raw[workload.lineRanges[next]]))
            if write {
                output.removeAll(keepingCapacity: true)
                evaluator.writeDecision(to: &output)
                bytes &+= output.count
            }
            next += 1
            if next == workload.lineRanges.count { next = 0 }
        }
    }
    return bytes
}

@MainActor @inline(never)
func runBatch(_ count: Int) -> Int {
    let scorer = BatchScorer(policy: workload.policy, lanes: ProcessInfo.processInfo.activeProcessorCount)
    var output: [UInt8] = []
    var done = 0
    while done < count {
        output.removeAll(keepingCapacity: true)
        done += BatchChunk.shared.bytes.withUnsafeBytes { scorer.score(chunk: $0, into: &output) }
    }
    return done
}

let clock = ContinuousClock()
var result = 0
var decisions = count
let elapsed = clock.measure {
    switch mode {
    case "decoded": result = runDecoded(count)
    case "json": result = runJSON(count, write: false)
    case "json-write": result = runJSON(count, write: true)
    case "batch": decisions = runBatch(count); result = decisions
    case "block": result = runBlock(count, width: width)
    case "block-json-write": result = runBlockJSON(count, width: width)
    default:
        print("usage: riskgate-profile decoded|json|json-write|batch|block|block-json-write [COUNT [BLOCK WIDTH]]")
        exit(2)
    }
}
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
print("\(mode): \(decisions) decisions in \(String(format: "%.3f", seconds)) s = \(Int(Double(decisions) / seconds)) decisions/s (\(String(format: "%.1f", seconds / Double(decisions) * 1e9)) ns each; check \(result))")
