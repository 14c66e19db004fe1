// store-bench: the store's two figures on a real SQLite file (WAL, synchronous=FULL).
//
//   store-bench intake  [COUNT] [CONCURRENCY]   durable intake: COUNT applications submitted by CONCURRENCY tasks
//                                                at once (group commit), applications/s once all are acknowledged
//   store-bench queue   [OPEN] [OPS]             take-next + approve latency (µs percentiles) with OPEN open cases
//
// Usage from benchmarks/: swift run -c release store-bench intake 100000 4096
// Experiments: STORE_BENCH_PRAGMAS="cache_size=-65536;wal_autocheckpoint=10000" (run on the writer first),
// STORE_BENCH_BATCH=N (Intake's maximumBatch, default 2048). Intake also prints CPU µs per application.
import Foundation
import GRDB
import RuleEngine
import RuleFiles
import Store
import Workflow

let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : "intake"
let first = arguments.count > 2 ? Int(arguments[2]) ?? 0 : 0
let second = arguments.count > 3 ? Int(arguments[3]) ?? 0 : 0
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized.path
let (policy, diagnostics, ruleSet) = RuleFiles.compile(directory: root + "/rules")
guard let policy, let ruleSet else { fatalError("\(diagnostics)") }

/// A referred application (grade C, route R7: one tier-1 level, 8 h), made unique by its number.
func application(_ index: Int) -> [UInt8] {
    Array(#"{"application_id":"B-\#(index)","product":"personal","amount":\#(10000 + index % 997),"term_months":36,"applicant":{"age":40,"annual_income":20000,"employment_status":"employed","employment_years":2,"credit_score":580,"monthly_debt":0,"delinquencies_24m":1},"documents":["id","income_proof"]}"#.utf8)
}

func freshStore() throws -> (Store, String) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("store-bench-\(UUID().uuidString)").path
    let store = try Store(path: folder + "/bench.sqlite")
    return (store, folder)
}

func submitAll(_ intake: Intake, count: Int, concurrency: Int) async throws -> Double {
    let started = DispatchTime.now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        func add() {
            let index = next
            next += 1
            group.addTask { _ = try await intake.submit(application(index), by: "branch") }
        }
        while next < min(count, concurrency) { add() }
        while try await group.next() != nil { if next < count { add() } }
    }
    return Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
}

/// User + system CPU time of this process (all threads) so far.
func cpuSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
}

let (store, folder) = try freshStore()
try await store.activateRuleset(ruleSet.version, by: "bench", at: Date())
try await store.addUser("branch", tier: 0, roles: [.intake], by: "bench", at: Date())
try await store.addUser("cora", tier: 3, roles: [.approver], by: "bench", at: Date())
// Experiments: STORE_BENCH_PRAGMAS="cache_size=-65536;wal_autocheckpoint=10000" runs those on the writer first.
if let pragmas = ProcessInfo.processInfo.environment["STORE_BENCH_PRAGMAS"], !pragmas.isEmpty {
    for pragma in pragmas.split(separator: ";") {
        try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA \(pragma)") }
    }
}
let maximumBatch = Int(ProcessInfo.processInfo.environment["STORE_BENCH_BATCH"] ?? "") ?? 2048
let intake = Intake(store: store, policy: policy, rulesetVersion: ruleSet.version, maximumBatch: maximumBatch)

switch mode {
case "intake":
    let count = first > 0 ? first : 100_000, concurrency = second > 0 ? second : 4096
    let cpuBefore = cpuSeconds()
    let seconds = try await submitAll(intake, count: count, concurrency: concurrency)
    let cpu = cpuSeconds() - cpuBefore
    // CPU per application (all threads, user + system) does not depend on how busy the shared machine is.
    print("intake: \(count) applications, \(concurrency) in flight: \(String(format: "%.2f", seconds)) s, "
          + "\(Int(Double(count) / seconds)) durable applications/s (synchronous=\(try store.synchronousLevel())); "
          + "CPU \(String(format: "%.2f", cpu)) s, \(Int(cpu / Double(count) * 1e6)) µs per application")
case "queue":
    let open = first > 0 ? first : 100_000, operations = second > 0 ? second : 10_000
    let seconds = try await submitAll(intake, count: open, concurrency: 4096)
    print("loaded \(open) open cases in \(String(format: "%.1f", seconds)) s")
    var takes: [Double] = [], approves: [Double] = []
    for _ in 0..<operations {
        let t0 = DispatchTime.now()
        let claim = try await store.perform(.takeNext, by: "cora", at: Date())
        let t1 = DispatchTime.now()
        _ = try await store.perform(.approve(case: claim.caseID, token: claim.token!), by: "cora", at: Date())
        let t2 = DispatchTime.now()
        takes.append(Double(t1.uptimeNanoseconds - t0.uptimeNanoseconds) / 1000)
        approves.append(Double(t2.uptimeNanoseconds - t1.uptimeNanoseconds) / 1000)
    }
    for (name, samples) in [("take next", takes.sorted()), ("approve", approves.sorted())] {
        print("\(name): \(samples.count) ops, µs p50 \(Int(percentile(samples, 0.5))) p90 \(Int(percentile(samples, 0.9))) "
              + "p99 \(Int(percentile(samples, 0.99))) max \(Int(samples.last!))")
    }
default:
    print("usage: store-bench intake [COUNT] [CONCURRENCY] | queue [OPEN] [OPS]")
}
try? FileManager.default.removeItem(atPath: folder)
