import Foundation
import LineProtocol
import RuleFiles
import Store
import Synchronization
import Testing
import Workflow
@testable import Server

/// The repository root, found from this file's path (the folder holding Package.swift).
let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("no Package.swift above \(#filePath)")
}()

let rulesDirectory = repositoryRoot.appendingPathComponent("rules").path

/// The reference rules, compiled once for every test.
let referenceRules = {
    let (policy, diagnostics, ruleSet) = RuleFiles.compile(directory: rulesDirectory)
    guard let policy, let ruleSet else { fatalError("the reference rules do not compile: \(diagnostics)") }
    return (policy: policy, version: ruleSet.version)
}()

/// A clock the test moves by hand (time is a parameter: sessions, TOTP steps and the limiter read it).
final class TestClock: Sendable {
    private let current: Mutex<Date>

    /// 2025-06-15T15:06:40Z, a multiple of 30 s plus 10 s (safely inside a TOTP step).
    init(_ start: Date = Date(timeIntervalSince1970: 1_750_000_000)) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(_ seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    var function: @Sendable () -> Date { { self.now } }
}

/// A core over `store` (a fresh in-memory one by default) with cheap password hashing and the test clock; the
/// reference ruleset is recorded as active first, as `riskgate serve` does before it builds the core.
func makeCore(store: Store? = nil, clock: TestClock, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> ServerCore {
    var configuration = ServerConfiguration(rulesDirectory: rulesDirectory)
    configuration.passwordParameters = .testOnly
    configure(&configuration)
    let store = try store ?? Store.inMemory()
    return try await ServerCore(store: store, policy: referenceRules.policy, rulesetVersion: referenceRules.version,
                                configuration: configuration, clock: clock.function)
}

/// A user the test created, with what it needs to log in.
struct TestUser: Sendable {
    var name: String
    var password: String
    var totp: TOTP?

    /// The line that logs this user in at `date` (with the TOTP code when the user has a second factor).
    func authLine(at date: Date) -> String {
        if let totp { return "AUTH \(name) \(password) \(totp.code(at: date))" }
        return "AUTH \(name) \(password)"
    }
}

extension ServerCore {
    /// Adds a user with a password and, for approvers and risk admins, a TOTP secret (as `USER ADD` would).
    func addTestUser(_ name: String, tier: Int, roles: Set<Role>, password: String = "correct-horse-battery",
                     at date: Date) async throws -> TestUser {
        let totp = roles.contains(.approver) || roles.contains(.riskAdmin) ? TOTP(secret: TOTP.newSecret()) : nil
        try await store.addUser(name, tier: tier, roles: roles, passwordHash: try await hasher.hash(password),
                                totpSecret: totp.map { Base32.encode($0.secret) }, by: "test", at: date)
        return TestUser(name: name, password: password, totp: totp)
    }
}

/// Keeps an object alive so that its `ObjectIdentifier` names one connection for the whole test.
final class ConnectionAnchor: Sendable {}

/// Collects texts from `@Sendable` callbacks (the reasons a connection was closed for).
final class Recorder: Sendable {
    private let values = Mutex<[String]>([])

    func append(_ value: String) { values.withLock { $0.append(value) } }
    var all: [String] { values.withLock { $0 } }
}

/// One simulated connection: a `ConnectionState` fed parsed lines through `ServerCore.handle`, no sockets.
struct TestConnection {
    let core: ServerCore
    let anchor = ConnectionAnchor()
    var state: ConnectionState

    init(_ core: ServerCore, address: String = "192.0.2.10:40000") {
        self.core = core
        state = ConnectionState(id: ObjectIdentifier(anchor), address: address)
    }

    /// Lets the connection receive events, so that `WATCH` is accepted.
    mutating func acceptEvents() {
        state.deliver = { _ in }
    }

    /// Why the server closed this connection (`SessionRegistry` calls the closer when it ends the session).
    let closes = Recorder()

    /// Sends one line and, as the connection's read loop does after each reply, attaches the connection to its
    /// session (so that ending the session closes it) or detaches it.
    mutating func send(_ line: String) async throws -> Reply {
        let request = try Request.parse(Array(line.utf8)).get()
        let reply = await core.handle(request, state: &state)
        if let session = state.session {
            core.sessions.attach(state.id, to: session) { [closes] reason in closes.append(reason) }
        } else {
            core.sessions.detach(state.id)
        }
        return reply
    }

    /// The connection drops (no QUIT): it is detached, its session stays for `RESUME`.
    func drop() {
        core.sessions.detach(state.id)
    }

    /// Logs `user` in at the clock's time; returns the session token. Fails the test on any other reply.
    mutating func login(_ user: TestUser, clock: TestClock) async throws -> String {
        let reply = try await send(user.authLine(at: clock.now))
        let object = try #require(reply.object, "login of \(user.name) failed: \(reply.line)")
        return try #require(object["session"] as? String)
    }
}

extension Reply {
    /// `OK` for a success, else the error code (`auth-failed`, `forbidden`, …).
    var code: String {
        switch self {
        case .ok: "OK"
        case .error(let error): error.code.rawValue
        case .event: "EVENT"
        }
    }

    /// The JSON object payload of an `OK` reply, or nil.
    var object: [String: Any]? {
        guard case .ok(let payload?) = self else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any]
    }
}

/// FX-026 from fixtures/fixtures.jsonl: referred by route R6 to one level at tier 2.
let tierTwoApplication = #"{"application_id":"FX-026","product":"mortgage","amount":200000,"term_months":360,"applicant":{"age":55,"annual_income":90000,"employment_status":"employed","employment_years":6,"credit_score":720,"monthly_debt":300,"delinquencies_24m":0,"bankruptcies_5y":0},"documents":["id","income_proof"],"collateral_value":400000}"#

/// FX-001 with a new id: approved automatically by route R4 (no case).
let approvedApplication = #"{"application_id":"Q5-NEW-1","product":"personal","amount":10000,"term_months":36,"applicant":{"age":40,"annual_income":60000,"employment_status":"employed","employment_years":6,"credit_score":720,"monthly_debt":300,"delinquencies_24m":0,"bankruptcies_5y":0},"documents":["id","income_proof"]}"#
