// server-bench: the line-protocol server's two figures (issue 4), measured against a real `riskgate serve`
// process (release build) that the bench starts in a temporary folder and stops (SIGTERM) at the end.
//
//   server-bench submit  [--count 100000] [--connections 8] [--depth 1024] [--seed 42]
//       pipelined SUBMIT throughput over loopback: one intake user per connection keeps up to DEPTH requests in
//       flight; applications/s counts OK replies only (each is durable: sent after the synced group commit)
//   server-bench approve [--cases 20000] [--approvers 200]
//       preloads CASES referred applications (route R7: one tier-1 level), then APPROVERS connections (tier-1
//       approvers) each loop NEXT → APPROVE until the queue is empty; round-trip latencies in HdrHistogram
//
//   common options: --riskgate PATH (default ../.build-benchserver/release/riskgate, else ../.build/release/riskgate)
//                   --rules DIR (default ../rules)  --client-threads N (default 1)  --keep (keep the server's folder)
//
// Usage from benchmarks/: swift build -c release --product server-bench && .build/release/server-bench submit
import ApplicationMix
import Foundation
import Histogram
import NIOCore
import NIOPosix

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized.path

struct Options {
    var mode = ""
    var count = 100_000
    var connections = 8
    var depth = 1024
    var seed: UInt64 = 42
    var cases = 20_000
    var approvers = 200
    var thinkMilliseconds = 0
    var binary: String?
    var rules = root + "/rules"
    var clientThreads = 1
    var keep = false
}

func usage() -> Never {
    print("""
    usage: server-bench submit  [--count N] [--connections C] [--depth D] [--seed S]
           server-bench approve [--cases N] [--approvers A] [--think-ms T]
           common: [--riskgate PATH] [--rules DIR] [--client-threads T] [--keep]
    """)
    exit(2)
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    guard let mode = arguments.popFirst(), mode == "submit" || mode == "approve" else { usage() }
    options.mode = mode
    func int(_ value: String?) -> Int {
        guard let value, let number = Int(value.replacingOccurrences(of: "_", with: "")), number > 0 else { usage() }
        return number
    }
    while let argument = arguments.popFirst() {
        switch argument {
        case "--count": options.count = int(arguments.popFirst())
        case "--connections": options.connections = int(arguments.popFirst())
        case "--depth": options.depth = int(arguments.popFirst())
        case "--seed": options.seed = UInt64(int(arguments.popFirst()))
        case "--cases": options.cases = int(arguments.popFirst())
        case "--approvers": options.approvers = int(arguments.popFirst())
        case "--think-ms": options.thinkMilliseconds = int(arguments.popFirst())
        case "--client-threads": options.clientThreads = int(arguments.popFirst())
        case "--riskgate": guard let path = arguments.popFirst() else { usage() }; options.binary = path
        case "--rules": guard let path = arguments.popFirst() else { usage() }; options.rules = path
        case "--keep": options.keep = true
        default: usage()
        }
    }
    return options
}

let options = parseOptions()
let binary = options.binary ?? [root + "/.build-benchserver/release/riskgate", root + "/.build/release/riskgate"]
    .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "riskgate"

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

/// Creates a user through the admin connection; returns (password, TOTP secret if any).
func addUser(_ admin: any Channel, _ name: String, tier: Int, roles: String) async throws -> (String, String?) {
    let reply = try await admin.request("USER ADD \(name) \(tier) \(roles)")
    let buffer = ByteBuffer(string: reply)
    guard reply.hasPrefix("OK"), let password = stringValue(key("password"), in: buffer) else {
        throw BenchError("USER ADD \(name) failed: \(reply)")
    }
    return (password, stringValue(key("totp_secret"), in: buffer))
}

/// Connects and logs in one connection per user.
func connect(_ users: [(name: String, password: String, secret: String?)], group: any EventLoopGroup, port: Int) async throws -> [any Channel] {
    try await withThrowingTaskGroup(of: (Int, any Channel).self) { tasks in
        for (index, user) in users.enumerated() {
            tasks.addTask {
                let channel = try await LineClient.connect(group: group, port: port)
                try await channel.login(user.name, password: user.password, totpSecret: user.secret)
                return (index, channel)
            }
        }
        var channels = [(any Channel)?](repeating: nil, count: users.count)
        for try await (index, channel) in tasks { channels[index] = channel }
        return channels.map { $0! }
    }
}

/// Pipelined SUBMITs: `requests[i]` go out on `channels[i]`; returns the merged tally and the seconds taken.
func submitAll(_ requests: [[ByteBuffer]], on channels: [any Channel], depth: Int) async throws -> (SubmitTally, Double) {
    let started = monotonicNanoseconds()
    let tally = try await withThrowingTaskGroup(of: SubmitTally.self) { tasks in
        for (channel, batch) in zip(channels, requests) {
            tasks.addTask {
                try await channel.run { client, promise in
                    SubmitDriver(client: client, requests: batch, depth: depth, promise: promise).start()
                }
            }
        }
        var total = SubmitTally()
        for try await part in tasks { total.add(part) }
        return total
    }
    return (tally, Double(monotonicNanoseconds() - started) / 1e9)
}

func printTally(_ tally: SubmitTally, total: Int) {
    for (name, count) in tally.kinds.sorted(by: { $0.value > $1.value }) {
        print("  \(name): \(count) (\(format(100 * Double(count) / Double(max(total, 1))))%)")
    }
    if tally.closedEarly { print("  !! a connection closed before all its replies arrived") }
}

func printHistogram(_ name: String, _ histogram: Histogram<UInt64>) {
    func ms(_ microseconds: UInt64) -> String { format(Double(microseconds) / 1000, 2) }
    print("  \(name) (\(histogram.totalCount) round trips, ms): p50 \(ms(histogram.valueAtPercentile(50))), "
          + "p90 \(ms(histogram.valueAtPercentile(90))), p99 \(ms(histogram.valueAtPercentile(99))), "
          + "p99.9 \(ms(histogram.valueAtPercentile(99.9))), max \(ms(histogram.max)), mean \(format(histogram.mean / 1000, 2))")
}

/// A referred application that routes to tier 1: personal, 10,000 over 36 months, bureau 520, income 60,000,
/// employed 6 years, no delinquencies → score 645, grade C → route R7 (one level, tier 1, 8 h SLA).
func referredApplication(_ index: Int) -> ByteBuffer {
    ByteBuffer(string: #"SUBMIT {"application_id":"CASE-\#(index)","product":"personal","amount":10000,"term_months":36,"applicant":{"age":40,"annual_income":60000,"employment_status":"employed","employment_years":6,"credit_score":520,"monthly_debt":0,"delinquencies_24m":0},"documents":["id","income_proof"]}"# + "\n")
}

/// Generated reference-policy applications (the benchmark mix), one SUBMIT line each. The mix's 4% of
/// pretty-printed applications have newlines between tokens, which become spaces (a request is one line).
func mixRequests(count: Int, seed: UInt64) -> [ByteBuffer] {
    var mix = ApplicationMix(seed: seed)
    var line: [UInt8] = []
    return (0..<count).map { _ in
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: "SUBMIT ".utf8)
        mix.next(into: &line)
        for index in line.indices where line[index] == 0x0A || line[index] == 0x0D { line[index] = 0x20 }
        line.append(0x0A)
        return ByteBuffer(bytes: line)
    }
}

func split<T>(_ items: [T], into parts: Int) -> [[T]] {
    let size = (items.count + parts - 1) / parts
    return (0..<parts).map { part in Array(items[min(items.count, part * size)..<min(items.count, (part + 1) * size)]) }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: options.clientThreads)
print("server-bench \(options.mode): riskgate \(binary), client event loop threads \(options.clientThreads), "
      + "\(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(loadAverage())")
let server = try ServerProcess(binary: binary, rules: options.rules, extraArguments: [])
print("server pid \(server.pid), port \(server.port), folder \(server.folder)")
var failed = false
do {
    let admin = try await LineClient.connect(group: group, port: server.port)
    try await admin.login("admin", password: server.adminPassword, totpSecret: server.adminSecret)

    switch options.mode {
    case "submit":
        var users: [(name: String, password: String, secret: String?)] = []
        for index in 0..<options.connections {
            let name = "intake\(index)"
            let (password, _) = try await addUser(admin, name, tier: 0, roles: "intake")
            users.append((name, password, nil))
        }
        let requests = mixRequests(count: options.count, seed: options.seed)
        let channels = try await connect(users, group: group, port: server.port)
        let (serverCPU0, clientCPU0, load0) = (server.cpuSeconds(), clientCPUSeconds(), loadAverage())
        let (tally, seconds) = try await submitAll(split(requests, into: channels.count), on: channels, depth: options.depth)
        let (serverCPU, clientCPU) = (server.cpuSeconds() - serverCPU0, clientCPUSeconds() - clientCPU0)
        print("submit: \(options.count) applications (ApplicationMix seed \(options.seed)), \(channels.count) connections × "
              + "depth \(options.depth): \(format(seconds, 2)) s")
        print("  durable OK replies: \(tally.ok) → \(Int(Double(tally.ok) / seconds)) applications/s "
              + "(all replies: \(Int(Double(tally.ok + tally.errors) / seconds))/s; ERR replies: \(tally.errors))")
        print("  CPU during the run: server \(format(serverCPU, 2)) s (\(format(100 * serverCPU / seconds))% of one core, "
              + "\(format(1e6 * serverCPU / Double(max(tally.ok + tally.errors, 1))))µs per request), "
              + "client \(format(clientCPU, 2)) s (\(format(100 * clientCPU / seconds))%)")
        print("  load average before \(load0), after \(loadAverage())")
        print("  reply mix:")
        printTally(tally, total: tally.ok + tally.errors)
        for channel in channels { _ = try? await channel.close().get() }

    default:
        let preloader = try await addUser(admin, "preload", tier: 0, roles: "intake")
        let approverUsers = try await withThrowingTaskGroup(of: (name: String, password: String, secret: String?).self) { tasks in
            for index in 0..<options.approvers {
                tasks.addTask {
                    let name = "approver\(index)"
                    let (password, secret) = try await addUser(admin, name, tier: 1, roles: "approver")
                    return (name, password, secret)
                }
            }
            var users: [(name: String, password: String, secret: String?)] = []
            for try await user in tasks { users.append(user) }
            return users
        }
        let intake = try await connect([("preload", preloader.0, nil)], group: group, port: server.port)
        let (tally, loadSeconds) = try await submitAll([(0..<options.cases).map(referredApplication)], on: intake, depth: 1024)
        let queued = tally.kinds["OK created referred case queued"] ?? 0
        print("preload: \(options.cases) referred applications in \(format(loadSeconds, 2)) s; queued cases: \(queued)")
        guard queued == options.cases else {
            printTally(tally, total: options.cases)
            throw BenchError("not every preloaded application opened a queued case")
        }
        _ = try? await intake[0].close().get()

        let channels = try await connect(approverUsers, group: group, port: server.port)
        let (serverCPU0, clientCPU0, load0) = (server.cpuSeconds(), clientCPUSeconds(), loadAverage())
        let started = monotonicNanoseconds()
        let results = try await withThrowingTaskGroup(of: ApproverResult.self) { tasks in
            for channel in channels {
                tasks.addTask {
                    try await channel.run { client, promise in ApproverDriver(client: client, promise: promise, think: .milliseconds(Int64(options.thinkMilliseconds))).start() }
                }
            }
            var all: [ApproverResult] = []
            for try await result in tasks { all.append(result) }
            return all
        }
        let seconds = Double(monotonicNanoseconds() - started) / 1e9
        let (serverCPU, clientCPU) = (server.cpuSeconds() - serverCPU0, clientCPUSeconds() - clientCPU0)
        var next = results[0].next, approve = results[0].approve
        for result in results.dropFirst() {
            next.add(result.next)
            approve.add(result.approve)
        }
        let approved = results.reduce(0) { $0 + $1.approved }
        var errors: [String: Int] = [:]
        for result in results { errors.merge(result.errors, uniquingKeysWith: +) }
        let operations = Double(next.totalCount + approve.totalCount)
        print("approve: \(options.cases) queued cases, \(channels.count) approvers (tier 1) looping NEXT → APPROVE: \(format(seconds, 2)) s")
        print("  approved \(approved) cases → \(Int(Double(approved) / seconds)) cases/s, \(Int(operations / seconds)) ops/s (NEXT + APPROVE)")
        printHistogram("NEXT", next)
        printHistogram("APPROVE", approve)
        if !errors.isEmpty { print("  errors: \(errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))") }
        if results.contains(where: \.closedEarly) { print("  !! a connection closed before its loop ended") }
        print("  CPU during the run: server \(format(serverCPU, 2)) s (\(format(100 * serverCPU / seconds))% of one core), "
              + "client \(format(clientCPU, 2)) s (\(format(100 * clientCPU / seconds))%)")
        print("  load average before \(load0), after \(loadAverage())")
        if let path = ProcessInfo.processInfo.environment["SERVER_BENCH_TRACE"] {
            // One line per round trip, in the order sent: milliseconds since the first, NEXT or APPROVE, latency (ms).
            // The first line gives the first one's CLOCK_MONOTONIC time (s), to line the trace up with `perf` or
            // `strace` timestamps of the server.
            let trace = results.flatMap(\.trace).sorted { $0.sent < $1.sent }
            let first = trace.first?.sent ?? 0
            let lines = ["# first sent at CLOCK_MONOTONIC \(format(Double(first) / 1e9, 6)) s"] + trace.map { "\(format(Double($0.sent - first) / 1e6, 3)) \($0.kind == "N" ? "NEXT" : "APPROVE") \(format(Double($0.micros) / 1000, 3))" }
            try lines.joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
            print("  trace: \(trace.count) round trips in \(path)")
        }
        let stats = try await admin.request("STATS")
        print("  STATS: \(stats.prefix(300))")
        for channel in channels { _ = try? await channel.close().get() }
    }
    _ = try? await admin.close().get()
} catch {
    print("server-bench: \(error)")
    failed = true
}
server.stop(keep: options.keep || failed)
try await group.shutdownGracefully()
exit(failed ? 1 : 0)
