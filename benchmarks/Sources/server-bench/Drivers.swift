import Foundation
import Histogram
import NIOCore

/// What came back for a batch of SUBMITs: `OK` replies by disposition/outcome/case status, `ERR` by code.
struct SubmitTally: Sendable {
    var ok = 0
    var errors = 0
    var kinds: [String: Int] = [:]
    var closedEarly = false

    mutating func add(_ other: SubmitTally) {
        ok += other.ok
        errors += other.errors
        closedEarly = closedEarly || other.closedEarly
        kinds.merge(other.kinds, uniquingKeysWith: +)
    }
}

/// Pipelined SUBMITs on one connection: keeps up to `depth` requests in flight, sends the next one as each
/// reply arrives (flushed once per read burst), and succeeds once every request has its reply.
final class SubmitDriver {
    private let client: LineClient
    private let requests: [ByteBuffer]
    private let depth: Int
    private let promise: EventLoopPromise<SubmitTally>
    private var sent = 0
    private var received = 0
    private var tally = SubmitTally()
    private static let disposition = key("disposition"), outcome = key("outcome"), caseStatus = key("case_status")

    init(client: LineClient, requests: [ByteBuffer], depth: Int, promise: EventLoopPromise<SubmitTally>) {
        self.client = client
        self.requests = requests
        self.depth = depth
        self.promise = promise
    }

    func start() {
        guard !requests.isEmpty else { return promise.succeed(tally) }
        fill()
        client.flush()
    }

    private func fill() {
        while sent < requests.count, sent - received < depth {
            let index = sent
            sent += 1
            client.send(requests[index], flush: false) { [self] reply in self.got(reply) }
        }
    }

    private func got(_ reply: ByteBuffer?) {
        guard let reply else {
            if !tally.closedEarly {
                tally.closedEarly = true
                promise.succeed(tally)
            }
            return
        }
        received += 1
        let kind = replyKind(reply)
        if kind.ok {
            tally.ok += 1
            var name = "OK " + (stringValue(Self.disposition, in: reply) ?? "?") + " " + (stringValue(Self.outcome, in: reply) ?? "?")
            if let status = stringValue(Self.caseStatus, in: reply) { name += " case " + status }
            tally.kinds[name, default: 0] += 1
        } else {
            tally.errors += 1
            tally.kinds["ERR " + kind.code, default: 0] += 1
        }
        if received == requests.count {
            promise.succeed(tally)
        } else {
            fill()
        }
    }
}

/// One approver's loop: `NEXT` → `APPROVE <case> <token>` → `NEXT` … until `NEXT` finds nothing
/// (`ERR not-found`). Each request is written and flushed alone and timed from the write to its reply.
struct ApproverResult: Sendable {
    var next = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var approve = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var approved = 0
    var errors: [String: Int] = [:]
    var closedEarly = false
    /// Every round trip as (sent at, monotonic ns; "N" or "A"; microseconds), kept only with `SERVER_BENCH_TRACE`.
    var trace: [(sent: UInt64, kind: Character, micros: UInt64)] = []
    static let tracing = ProcessInfo.processInfo.environment["SERVER_BENCH_TRACE"] != nil
}

final class ApproverDriver {
    private let client: LineClient
    private let promise: EventLoopPromise<ApproverResult>
    private var result = ApproverResult()
    private var sentAt: UInt64 = 0
    private var failuresInARow = 0
    private static let nextRequest = ByteBuffer(string: "NEXT\n")
    private static let caseKey = key("case_id"), tokenKey = key("token")

    /// Mean pause after each decision before the next NEXT (0: a closed loop, as fast as the server answers).
    private let think: TimeAmount

    init(client: LineClient, promise: EventLoopPromise<ApproverResult>, think: TimeAmount = .zero) {
        self.client = client
        self.promise = promise
        self.think = think
    }

    func start() {
        // Paced approvers start out of step too, after a pause drawn like the others: all of them sending their first
        // NEXT at the same instant is a burst of `--approvers` requests that real approvers never make, and its
        // queueing (about 60 ms for 200) would be most of the p99 of a 6,000-case run.
        if think > .zero { pause() } else { sendNext() }
    }

    /// Uniform in [0, 2 × think]: approvers are not in step with one another.
    private func pause() {
        client.after(.nanoseconds(Int64.random(in: 0...(2 * think.nanoseconds)))) { [self] in self.sendNext() }
    }

    private func sendNext() {
        sentAt = monotonicNanoseconds()
        client.send(Self.nextRequest, flush: true) { [self] reply in self.gotNext(reply) }
    }

    private func microseconds() -> UInt64 { (monotonicNanoseconds() - sentAt) / 1_000 }

    private func finish(closed: Bool = false) {
        result.closedEarly = closed
        promise.succeed(result)
    }

    private func gotNext(_ reply: ByteBuffer?) {
        let elapsed = microseconds()
        guard let reply else { return finish(closed: true) }
        let kind = replyKind(reply)
        guard kind.ok else {
            if kind.code == "not-found" { return finish() }  // the queue is empty (for this approver)
            result.errors["NEXT " + kind.code, default: 0] += 1
            failuresInARow += 1
            return failuresInARow > 100 ? finish() : sendNext()
        }
        result.next.record(elapsed)
        if ApproverResult.tracing { result.trace.append((sentAt, "N", elapsed)) }
        guard let caseID = stringValue(Self.caseKey, in: reply), let token = stringValue(Self.tokenKey, in: reply) else {
            result.errors["NEXT reply without case_id/token", default: 0] += 1
            return finish()
        }
        sentAt = monotonicNanoseconds()
        client.send(ByteBuffer(string: "APPROVE \(caseID) \(token)\n"), flush: true) { [self] reply in self.gotApprove(reply) }
    }

    private func gotApprove(_ reply: ByteBuffer?) {
        let elapsed = microseconds()
        guard let reply else { return finish(closed: true) }
        result.approve.record(elapsed)
        if ApproverResult.tracing { result.trace.append((sentAt, "A", elapsed)) }
        let kind = replyKind(reply)
        if kind.ok {
            result.approved += 1
            failuresInARow = 0
        } else {
            result.errors["APPROVE " + kind.code, default: 0] += 1
            failuresInARow += 1
            if failuresInARow > 100 { return finish() }
        }
        if think > .zero { pause() } else { sendNext() }
    }
}
