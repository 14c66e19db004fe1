// store-bench: the store's two figures on a real SQLite file (WAL, synchronous=FULL).
//
//   store-bench intake  [COUNT] [CONCURRENCY]   durable intake: COUNT applications submitted by CONCURRENCY tasks
//                                                at once (group commit), applications/s once all are acknowledged
//   store-bench queue   [OPEN] [OPS]             take-next + approve latency (µs percentiles) with OPEN open cases
//   store-bench rows    [COUNT]                  a fixed mix (new, repeated, conflicting, unnumbered, invalid and refused
//                                                submissions, in two waves) at a fixed time; prints the reply mix and a
//                                                digest of every stored row, to compare two builds' intake
//
// Usage from benchmarks/: swift run -c release store-bench intake 100000 4096
// Experiments: STORE_BENCH_PRAGMAS="cache_size=-65536;wal_autocheckpoint=10000" (run on the writer first),
// STORE_BENCH_BATCH=N (Intake's maximumBatch, default 2048), STORE_BENCH_IDS=random (UUID-shaped application
// numbers instead of B-<index>), STORE_BENCH_KEEP=1 (keep the database). Intake also prints CPU µs per application.
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
/// STORE_BENCH_IDS=random gives each application a random-looking number (a UUID-shaped hash of its index), as lenders
/// that number applications with UUIDs do; the default `B-<index>` numbers arrive nearly in key order.
let randomIDs = ProcessInfo.processInfo.environment["STORE_BENCH_IDS"] == "random"

func number(_ index: Int) -> String {
    guard randomIDs else { return "B-\(index)" }
    var state = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
    var digits = ""
    for position in 0..<32 {
        state = (state ^ (state >> 29)) &* 0xBF58_476D_1CE4_E5B9
        if [8, 12, 16, 20].contains(position) { digits += "-" }
        digits += String(state >> 60, radix: 16)
    }
    return digits
}

func application(_ index: Int) -> [UInt8] {
    Array(#"{"application_id":"\#(number(index))","product":"personal","amount":\#(10000 + index % 997),"term_months":36,"applicant":{"age":40,"annual_income":20000,"employment_status":"employed","employment_years":2,"credit_score":580,"monthly_debt":0,"delinquencies_24m":1},"documents":["id","income_proof"]}"#.utf8)
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

// `rows` runs at a fixed time, so that two builds store the same bytes.
let fixedTime = Date(timeIntervalSince1970: 1_800_000_000)
let setupTime = mode == "rows" ? fixedTime : Date()
let (store, folder) = try freshStore()
try await store.activateRuleset(ruleSet.version, by: "bench", at: setupTime)
try await store.addUser("branch", tier: 0, roles: [.intake], by: "bench", at: setupTime)
try await store.addUser("cora", tier: 3, roles: [.approver], by: "bench", at: setupTime)
// Experiments: STORE_BENCH_PRAGMAS="cache_size=-65536;wal_autocheckpoint=10000" runs those on the writer first.
if let pragmas = ProcessInfo.processInfo.environment["STORE_BENCH_PRAGMAS"], !pragmas.isEmpty {
    for pragma in pragmas.split(separator: ";") {
        try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA \(pragma)") }
    }
}
let maximumBatch = Int(ProcessInfo.processInfo.environment["STORE_BENCH_BATCH"] ?? "") ?? 2048
let clock: @Sendable () -> Date
if mode == "rows" { clock = { fixedTime } } else { clock = { Date() } }
let intake = Intake(store: store, policy: policy, rulesetVersion: ruleSet.version, maximumBatch: maximumBatch, clock: clock)

/// `rows`: the submissions of one wave (their order inside a wave does not change what is stored, see below).
func rowsWave(_ wave: Int, count: Int) -> [(body: [UInt8], actor: String)] {
    (0..<count).map { index in
        let referred = application(index)
        switch (wave, index % 20) {
        // Same number and content twice in one wave: one is created, the other a duplicate, whichever comes first.
        case (_, 3): return (application(index - 1), "branch")
        // No usable number: one is assigned (identical bodies, so which gets which number does not matter).
        case (_, 5): return (Array(#"{"product":"personal","amount":5000,"term_months":24,"applicant":{"age":30}}"#.utf8), "branch")
        // Invalid with a number; its next version in the second wave. A refused user.
        case (0, 7): return (Array(#"{"application_id":"B-\#(index)","product":"personal"}"#.utf8), "branch")
        case (_, 11): return (referred, "cora")
        // Second wave: the first wave's numbers again (duplicates), a different content (conflict), new numbers.
        case (1, 13): return (Array(#"{"application_id":"B-\#(index)","product":"personal","amount":1}"#.utf8), "branch")
        case (1, let rest) where rest < 10: return (referred, "branch")
        case (1, _): return (application(count + index), "branch")
        default: return (referred, "branch")
        }
    }
}

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
case "rows":
    let count = first > 0 ? first : 5_000
    var replies: [String: Int] = [:]
    for wave in 0..<2 {
        let outcomes = await withTaskGroup(of: String.self) { group in
            for (body, actor) in rowsWave(wave, count: count) {
                group.addTask {
                    do {
                        let result = try await intake.submit(body, by: actor)
                        return "\(result.disposition.rawValue) \(result.outcome) \(result.caseStatus ?? "-")"
                    } catch let error as StoreError {
                        return "refused \(error.code.rawValue)"
                    } catch {
                        return "error \(error)"
                    }
                }
            }
            var outcomes: [String] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        for outcome in outcomes { replies[outcome, default: 0] += 1 }
    }
    // Every row of every table as text, sorted; the audit chain's seq and hashes and history's row ids depend on the
    // arrival order inside a wave, so they are left out here and the chain is verified instead.
    let lines = try await store.writer.read { db -> [String] in
        var lines: [String] = []
        for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name") {
            let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])
                .filter { !(table == "audit" && ["seq", "prev_hash", "hash"].contains($0)) && !(table == "history" && $0 == "id") }
            for row in try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table)") { lines.append("\(table) \(row)") }
        }
        return lines.sorted()
    }
    // STORE_BENCH_ROWS=FILE also writes the sorted rows there (to diff two builds).
    if let path = ProcessInfo.processInfo.environment["STORE_BENCH_ROWS"] {
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
    for (reply, number) in replies.sorted(by: { $0.key < $1.key }) { print("\(number)\t\(reply)") }
    // FNV-1a (64 bits): enough to tell two builds' rows apart.
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in lines.joined(separator: "\n").utf8 { digest = (digest ^ UInt64(byte)) &* 0x100_0000_01b3 }
    print("rows: \(lines.count), fnv1a \(String(digest, radix: 16)); audit chain valid: \(try await store.verifyAudit().isValid), "
          + "integrity: \(try store.integrityCheck())")
default:
    print("usage: store-bench intake [COUNT] [CONCURRENCY] | queue [OPEN] [OPS] | rows [COUNT]")
}
if ProcessInfo.processInfo.environment["STORE_BENCH_KEEP"] == nil { try? FileManager.default.removeItem(atPath: folder) } else { print("kept \(folder)") }
