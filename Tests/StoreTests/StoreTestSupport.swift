import Foundation
import GRDB
import RuleEngine
import RuleFiles
import Store
import Testing
import Workflow

let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("no Package.swift above \(#filePath)")
}()

let reference: (policy: CompiledPolicy, version: String) = {
    let (policy, diagnostics, ruleSet) = RuleFiles.compile(directory: repositoryRoot.appendingPathComponent("rules").path)
    guard let policy, let ruleSet else { fatalError("\(diagnostics)") }
    return (policy, ruleSet.version)
}()

/// Each store test body runs against an in-memory database and a WAL file on disk.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, file
    var testDescription: String { rawValue }

    func make() throws -> Store {
        switch self {
        case .memory: return try Store.inMemory()
        case .file: return try Store(path: temporaryDirectory() + "/riskgate.sqlite")
        }
    }
}

/// The folder that holds every folder `temporaryDirectory()` makes in this test process; removed when the process
/// exits, so test runs do not leave their databases behind.
private let testRoot: String = {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-store-tests-\(getpid())").path
    atexit { try? FileManager.default.removeItem(atPath: testRoot) }
    return root
}()

func temporaryDirectory() throws -> String {
    let path = testRoot + "/" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

let start = Date(timeIntervalSince1970: 1_800_000_000)

/// A fixed clock for the tests: time moves only when told to.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = start
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// A store with the reference rules active and the usual users.
struct Fixture {
    let store: Store
    let intake: Intake
    let clock = TestClock()

    init(_ kind: StoreKind) async throws {
        store = try kind.make()
        let clock = self.clock
        intake = Intake(store: store, policy: reference.policy, rulesetVersion: reference.version, clock: { clock.now })
        try await store.activateRuleset(reference.version, by: "admin", at: start)
        for (name, tier, roles) in [("branch", 0, [Role.intake]), ("ana", 1, [.approver]), ("sam", 2, [.approver]), ("sue", 2, [.approver]),
                                    ("cora", 3, [.approver]), ("carl", 3, [.approver]), ("root", 3, [.riskAdmin]),
                                    ("audrey", 0, [.auditor]), ("boss", 3, [.approver, .intake])] as [(String, Int, [Role])] {
            try await store.addUser(name, tier: tier, roles: Set(roles), by: "admin", at: start)
        }
    }

    func submit(_ json: String, by actor: String = "branch") async throws -> SubmissionResult {
        try await intake.submit(Array(json.utf8), by: actor)
    }

    func perform(_ action: CaseAction, by actor: String, requestID: String? = nil) async throws -> ActionOutcome {
        try await store.perform(action, by: actor, requestID: requestID, at: clock.now)
    }

    /// Every row of every table, for "nothing changed" checks.
    func dump() async throws -> String {
        try await store.writer.read { db in
            var out = ""
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name") {
                out += "# \(table)\n"
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2") { out += "\(row)\n" }
            }
            return out
        }
    }
}

/// Applications of the reference policy by the route they take.
enum Applications {
    static func personal(_ id: String, amount: Int = 10000, score: Int = 720) -> String {
        #"{"application_id":"\#(id)","product":"personal","amount":\#(amount),"term_months":36,"applicant":{"age":40,"annual_income":60000,"employment_status":"employed","employment_years":6,"credit_score":\#(score),"monthly_debt":300},"documents":["id","income_proof"]}"#
    }

    /// R7 (grade C): tier 1, 8 h.
    static func tierOne(_ id: String) -> String {
        #"{"application_id":"\#(id)","product":"personal","amount":10000,"term_months":36,"applicant":{"age":40,"annual_income":20000,"employment_status":"employed","employment_years":2,"credit_score":580,"monthly_debt":0,"delinquencies_24m":1},"documents":["id","income_proof"]}"#
    }

    /// R6 (grade D): tier 2, 24 h.
    static func gradeD(_ id: String) -> String {
        #"{"application_id":"\#(id)","product":"personal","amount":10000,"term_months":36,"applicant":{"age":40,"annual_income":40000,"employment_status":"employed","employment_years":1,"credit_score":600,"monthly_debt":500,"delinquencies_24m":2},"documents":["id","income_proof"]}"#
    }

    /// R2: tier 2 then tier 3, 72 h each.
    static func twoLevel(_ id: String) -> String {
        #"{"application_id":"\#(id)","product":"mortgage","amount":600000,"term_months":360,"applicant":{"age":50,"annual_income":250000,"employment_status":"employed","employment_years":12,"credit_score":720,"monthly_debt":300},"documents":["id","income_proof"],"collateral_value":900000}"#
    }
}
