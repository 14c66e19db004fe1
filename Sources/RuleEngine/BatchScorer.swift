import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scores JSONL in parallel: a chunk of complete lines is cut at line boundaries into one slice per lane,
/// each lane (its own `BlockEvaluator` and output buffer) scores its slice a block of lines at a time, and
/// the outputs are joined in input order. One decision line out for every line in, blank and malformed lines
/// included.
public final class BatchScorer {
    /// A lane's evaluator and output, touched only by the one `concurrentPerform` iteration that owns it
    /// during a call, and by the caller between calls; hence `@unchecked Sendable`.
    final class Lane: @unchecked Sendable {
        let evaluator: Evaluator
        let block: BlockEvaluator
        var output: [UInt8] = []
        var lines = 0

        init(policy: CompiledPolicy) {
            evaluator = Evaluator(policy: policy)
            block = BlockEvaluator(policy: policy)
        }
    }

    let lanes: [Lane]
    /// Lines longer than this are answered as malformed without being parsed.
    let maximumLineBytes: Int

    public init(policy: CompiledPolicy, lanes: Int, maximumLineBytes: Int = 1 << 20) {
        self.lanes = (0..<max(1, lanes)).map { _ in Lane(policy: policy) }
        self.maximumLineBytes = maximumLineBytes
    }

    /// Scores every line of `chunk` (complete lines; a last line without a newline counts) and appends one
    /// decision line per input line to `out`. Returns the number of lines scored.
    @discardableResult
    public func score(chunk: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Int {
        guard chunk.count > 0 else { return 0 }
        let bytes = chunk.bindMemory(to: UInt8.self)
        // Cut points at line starts, so each lane gets about the same number of bytes.
        var cuts = [0]
        for lane in 1..<lanes.count {
            var cut = max(cuts.last!, chunk.count * lane / lanes.count)
            while cut < chunk.count, cut > 0, bytes[cut - 1] != 0x0A { cut += 1 }
            cuts.append(cut)
        }
        cuts.append(chunk.count)
        let slices = (0..<lanes.count).map { UnsafeRawBufferPointer(rebasing: chunk[cuts[$0]..<cuts[$0 + 1]]) }
        let lanes = self.lanes, maximumLineBytes = self.maximumLineBytes
        if lanes.count == 1 {
            Self.run(lanes[0], slices[0], maximumLineBytes)
        } else {
            let shared = UnsafeSendable(slices)
            DispatchQueue.concurrentPerform(iterations: lanes.count) { index in
                Self.run(lanes[index], shared.value[index], maximumLineBytes)
            }
        }
        var total = 0
        for lane in lanes {
            out.append(contentsOf: lane.output)
            total += lane.lines
        }
        return total
    }

    /// Scores a slice's lines into the lane's output.
    static func run(_ lane: Lane, _ slice: UnsafeRawBufferPointer, _ maximumLineBytes: Int) {
        lane.output.removeAll(keepingCapacity: true)
        lane.lines = 0
        let block = lane.block
        block.reset()
        var start = 0
        while start < slice.count {
            var end = slice.count
            if let newline = memchr(slice.baseAddress! + start, 0x0A, slice.count - start) {
                end = slice.baseAddress!.distance(to: UnsafeRawPointer(newline))
            }
            var lineEnd = end
            if lineEnd > start, slice[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let tooLong = lineEnd - start > maximumLineBytes
            block.append(json: UnsafeRawBufferPointer(rebasing: slice[start..<(tooLong ? start : lineEnd)]))
            if block.isFull { flush(block, into: lane) }
            start = end + 1
        }
        flush(block, into: lane)
    }

    /// Decides the block's lines and appends their decisions, then empties it.
    static func flush(_ block: BlockEvaluator, into lane: Lane) {
        block.evaluate()
        for index in 0..<block.count {
            block.writeDecision(index, to: &lane.output)
            lane.output.append(0x0A)
        }
        lane.lines += block.count
        block.reset()
    }

    /// The decision for a line that could not be read whole (longer than the reader's cap): malformed.
    public func writeMalformed(into out: inout [UInt8]) {
        let evaluator = lanes[0].evaluator
        evaluator.evaluate(json: UnsafeRawBufferPointer(start: nil, count: 0))
        evaluator.writeDecision(to: &out)
        out.append(0x0A)
    }
}

/// Raw buffers handed to `concurrentPerform`: read-only for the call's duration.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
