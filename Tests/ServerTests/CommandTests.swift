import Foundation
import LineProtocol
import Store
import Testing
import Workflow
@testable import Server

let loginFailedLine = "ERR auth-failed invalid user name, password or code\n"
let authRequiredLine = "ERR auth-required log in first: AUTH <user> <password> [<totp-code>]\n"
let noSessionLine = "ERR session-expired no live session with that token; log in with AUTH\n"

/// The audit records of one action, with their detail decoded.
private func audit(_ store: Store, action: String) async throws -> [(actor: String, detail: [String: String])] {
    try await store.auditRecords().filter { $0.action == action }.map { record in
        let detail = (try? JSONSerialization.jsonObject(with: Data(record.detail.utf8))) as? [String: String] ?? [:]
        return (record.actor, detail)
    }
}

/// A six-digit code that none of the steps now − 1 … now + 1 accepts.
private func wrongCode(_ totp: TOTP, at date: Date) -> String {
    let step = totp.step(at: date)
    let valid = Set((step - 1...step + 1).map { totp.code(step: $0) })
    var candidate = 123_456
    while valid.contains(String(candidate)) { candidate += 1 }
    return String(candidate)
}

// MARK: - Login (A2, A3)

@Suite("Login through ServerCore")
struct LoginTests {
    @Test func everyLoginFailureGetsTheSameReply() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let sam = try await core.addTestUser("sam", tier: 2, roles: [.approver], at: clock.now)
        let dora = try await core.addTestUser("dora", tier: 2, roles: [.approver], at: clock.now)
        _ = try await core.addTestUser("branch", tier: 0, roles: [.intake], at: clock.now)
        _ = try await core.addTestUser("olga", tier: 0, roles: [.auditor], at: clock.now)
        try await core.store.disableUser("dora", by: "test", at: clock.now)
        try await core.store.disableUser("olga", by: "test", at: clock.now)
        let samTOTP = try #require(sam.totp)
        let samCode = samTOTP.code(at: clock.now)
        let badCode = wrongCode(samTOTP, at: clock.now)
        let doraCode = try #require(dora.totp).code(at: clock.now)
        let attempts: [(line: String, reason: String)] = [
            ("AUTH nobody correct-horse-battery \(samCode)", "unknown user"),
            ("AUTH nobody correct-horse-battery", "unknown user"),
            ("AUTH sam wrong-password \(samCode)", "password"),
            ("AUTH sam wrong-password", "password"),  // no hint that a TOTP code would be due
            ("AUTH sam correct-horse-battery \(badCode)", "totp"),
            ("AUTH dora correct-horse-battery \(doraCode)", "disabled"),
            ("AUTH dora correct-horse-battery", "disabled"),
            ("AUTH branch wrong-password", "password"),
            ("AUTH olga correct-horse-battery", "disabled"),
        ]
        for attempt in attempts {
            var connection = TestConnection(core)
            let reply = try await connection.send(attempt.line)
            #expect(reply.line == loginFailedLine, "\(attempt.line)")
            #expect(connection.state.session == nil)
            #expect(try await connection.send("WHOAMI").line == authRequiredLine)
        }
        // The reason is kept in the audit trail (never on the wire), one record per failure.
        let failures = try await audit(core.store, action: "auth.failure")
        #expect(failures.map(\.actor) == attempts.map { String($0.line.split(separator: " ")[1]) })
        #expect(failures.map { $0.detail["reason"] ?? "-" } == attempts.map(\.reason))
        #expect(failures.allSatisfy { $0.detail["address"] == "192.0.2.10:40000" })
        // Dora's code was never spent: the disabled account did not get as far as the second factor.
        #expect(try await core.store.credentials(of: "dora")?.totpLastStep == -1)

        // The right password and code still log sam in (3 failures are under the free 5).
        var connection = TestConnection(core)
        let reply = try await connection.send(sam.authLine(at: clock.now))
        #expect(reply.code == "OK")
    }

    @Test func successfulLoginReplyAndAudit() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let sam = try await core.addTestUser("sam", tier: 2, roles: [.approver, .auditor], at: clock.now)
        var connection = TestConnection(core, address: "198.51.100.7:5151")
        let reply = try await connection.send(sam.authLine(at: clock.now))
        let session = try #require(connection.state.session)
        #expect(reply.line == "OK {\"user\":\"sam\",\"tier\":2,\"roles\":[\"approver\",\"auditor\"],\"session\":\"\(session.token)\",\"idle_timeout\":1800,\"expires_at\":\"2025-06-16T03:06:40.000Z\"}\n")
        #expect(session.user == "sam")
        #expect(session.tier == 2)
        #expect(session.roles == [.approver, .auditor])
        #expect(try await connection.send("WHOAMI") == reply)
        let logins = try await audit(core.store, action: "auth.login")
        #expect(logins.count == 1)
        #expect(logins.first?.actor == "sam")
        #expect(logins.first?.detail["address"] == "198.51.100.7:5151")
    }

    @Test func intakeUsersNeedNoSecondFactor() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let branch = try await core.addTestUser("branch", tier: 0, roles: [.intake], at: clock.now)
        #expect(branch.totp == nil)
        var connection = TestConnection(core)
        #expect(try await connection.send("AUTH branch correct-horse-battery").code == "OK")
        #expect(connection.state.session?.user == "branch")
    }

    @Test func twoStepLogin() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let sam = try await core.addTestUser("sam", tier: 1, roles: [.approver], at: clock.now)
        let totp = try #require(sam.totp)
        var connection = TestConnection(core)

        // TOTP before AUTH.
        #expect(try await connection.send("TOTP \(totp.code(at: clock.now))").line == "ERR auth-required send AUTH <user> <password> first\n")

        // AUTH without a code: the password was right, the second factor is due; nothing else is allowed yet.
        #expect(try await connection.send("AUTH sam correct-horse-battery").line == "OK {\"totp\":\"required\"}\n")
        #expect(connection.state.session == nil)
        #expect(try await connection.send("QUEUE").line == authRequiredLine)
        // A wrong code fails like any other failure and the password must be given again.
        #expect(try await connection.send("TOTP \(wrongCode(totp, at: clock.now))").line == loginFailedLine)
        #expect(try await connection.send("TOTP \(totp.code(at: clock.now))").line == "ERR auth-required send AUTH <user> <password> first\n")

        #expect(try await connection.send("AUTH sam correct-horse-battery").line == "OK {\"totp\":\"required\"}\n")
        let reply = try await connection.send("TOTP \(totp.code(at: clock.now))")
        #expect(reply.object?["user"] as? String == "sam")
        #expect(connection.state.session?.user == "sam")
        #expect(connection.state.refusedBeforeAuth == 0, "a login clears the refusals")
        #expect(try await connection.send("WHOAMI").code == "OK")
    }

    /// A2: a code works once per step — on another connection, and after a restart (a new core on the same store).
    @Test func totpCodeReplayIsRefusedAndAudited() async throws {
        let clock = TestClock()
        let store = try Store.inMemory()
        let core = try await makeCore(store: store, clock: clock)
        let sam = try await core.addTestUser("sam", tier: 2, roles: [.approver], at: clock.now)
        let totp = try #require(sam.totp)
        let line = sam.authLine(at: clock.now)

        var first = TestConnection(core, address: "192.0.2.1:1000")
        #expect(try await first.send(line).code == "OK")
        var second = TestConnection(core, address: "192.0.2.2:2000")
        #expect(try await second.send(line).line == loginFailedLine)
        #expect(second.state.session == nil)
        // Two-step form, same code: refused too.
        #expect(try await second.send("AUTH sam correct-horse-battery").line == "OK {\"totp\":\"required\"}\n")
        #expect(try await second.send("TOTP \(totp.code(at: clock.now))").line == loginFailedLine)

        var replays = try await audit(store, action: "auth.totp-replay")
        #expect(replays.count == 2)
        #expect(replays.allSatisfy { $0.actor == "sam" && $0.detail["reason"] == "totp-replay" })
        #expect(replays.first?.detail["address"] == "192.0.2.2:2000")

        // Restart: a new core over the same store still refuses the code.
        let restarted = try await makeCore(store: store, clock: clock)
        var third = TestConnection(restarted)
        #expect(try await third.send(line).line == loginFailedLine)
        replays = try await audit(store, action: "auth.totp-replay")
        #expect(replays.count == 3)

        // The next step's code works once; the previous step's code (still inside the ±1 window) is then refused.
        clock.advance(30)
        var fourth = TestConnection(restarted)
        #expect(try await fourth.send(sam.authLine(at: clock.now)).code == "OK")
        var fifth = TestConnection(restarted)
        #expect(try await fifth.send(line).line == loginFailedLine)
        #expect(try await audit(store, action: "auth.totp-replay").count == 4)
    }

    @Test func codesOneStepAwayAreAcceptedTwoAreNot() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let sam = try await core.addTestUser("sam", tier: 2, roles: [.approver], at: clock.now)
        let totp = try #require(sam.totp)
        let step = totp.step(at: clock.now)
        var connection = TestConnection(core)
        #expect(try await connection.send("AUTH sam correct-horse-battery \(totp.code(step: step + 2))").line == loginFailedLine)
        #expect(try await connection.send("AUTH sam correct-horse-battery \(totp.code(step: step - 1))").code == "OK")
        var other = TestConnection(core)
        #expect(try await other.send("AUTH sam correct-horse-battery \(totp.code(step: step + 1))").code == "OK")
    }

    /// A3 through the core: after 5 failures the 6th attempt is throttled (even with the right password).
    @Test func throttledAfterFiveFailures() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let branch = try await core.addTestUser("branch", tier: 0, roles: [.intake], at: clock.now)
        var connection = TestConnection(core)
        for _ in 0..<5 {
            #expect(try await connection.send("AUTH branch wrong-password").line == loginFailedLine)
        }
        #expect(try await connection.send(branch.authLine(at: clock.now)).line == "ERR rate-limited too many failed logins; try again in 1 s\n")
        // An unknown name is throttled the same way (the limiter does not know which names exist).
        for _ in 0..<5 { _ = try await connection.send("AUTH ghost wrong-password") }
        #expect(try await connection.send("AUTH ghost wrong-password").line == "ERR rate-limited too many failed logins; try again in 1 s\n")
        clock.advance(1)
        #expect(try await connection.send(branch.authLine(at: clock.now)).code == "OK")
    }
}

// MARK: - Before login (P2)

@Suite("Commands before login (P2)")
struct BeforeLoginTests {
    static let loginRequired = [
        "LOGOUT", "WHOAMI", "PASSWORD a b", "SUBMIT {\"application_id\":\"X\"}", "STATUS X", "QUEUE", "QUEUE 2", "NEXT",
        "CLAIM X", "SHOW X", "TOUCH X t", "RELEASE X t", "APPROVE X t", "DECLINE X t R", "ESCALATE X t 3 note",
        "RETURN X t note", "COMMENT X note", "REASSIGN X sam", "WATCH INBOX", "UNWATCH", "INBOX", "STATS", "RELOAD",
        "USER LIST", "USER ADD x 1 approver", "USER DISABLE x", "USER RESET x",
    ]

    @Test(arguments: loginRequired)
    func refusedBeforeLogin(_ line: String) async throws {
        let core = try await makeCore(clock: TestClock())
        var connection = TestConnection(core)
        #expect(try await connection.send(line).line == authRequiredLine)
        #expect(connection.state.refusedBeforeAuth == 1)
        #expect(!connection.state.closeAfterReply)
    }

    @Test func allowedBeforeLogin() async throws {
        let core = try await makeCore(clock: TestClock())
        var connection = TestConnection(core)
        #expect(try await connection.send("PING").line == "OK PONG\n")
        let help = try #require(try await connection.send("HELP").object?["commands"] as? [[String: String]])
        #expect(help.map { $0["command"] ?? "" } == CommandSpec.all.map(\.name))
        #expect(try await connection.send("HELP auth").object?["usage"] as? String == "AUTH <user> <password> [<totp-code>]")
        #expect(try await connection.send("HELP NOPE").line == "ERR bad-argument no command 'NOPE'; HELP lists the commands\n")
        #expect(try await connection.send("AUTH nobody password").line == loginFailedLine)
        #expect(try await connection.send("RESUME 0123456789abcdef0123456789abcdef").line == noSessionLine)
        #expect(connection.state.refusedBeforeAuth == 0)
        #expect(!connection.state.closeAfterReply)
        #expect(try await connection.send("QUIT").line == "OK BYE\n")
        #expect(connection.state.closeAfterReply)
    }

    /// The third refused command closes the connection; the allowed commands in between do not count.
    @Test func thirdRefusalCloses() async throws {
        let core = try await makeCore(clock: TestClock())
        var connection = TestConnection(core)
        #expect(try await connection.send("WHOAMI").line == authRequiredLine)
        #expect(try await connection.send("PING").code == "OK")
        #expect(try await connection.send("STATUS X").line == authRequiredLine)
        #expect(!connection.state.closeAfterReply)
        #expect(try await connection.send("HELP").code == "OK")
        #expect(try await connection.send("AUTH nobody password").line == loginFailedLine)
        #expect(try await connection.send("RESUME feedface").code == "session-expired")
        #expect(!connection.state.closeAfterReply)
        #expect(connection.state.refusedBeforeAuth == 2)
        #expect(try await connection.send("QUEUE").line == authRequiredLine)
        #expect(connection.state.refusedBeforeAuth == 3)
        #expect(connection.state.closeAfterReply)
    }

    /// The limit is configurable (Limits.refusalsBeforeAuth).
    @Test func refusalLimitFollowsTheConfiguration() async throws {
        let core = try await makeCore(clock: TestClock()) { $0.limits.refusalsBeforeAuth = 1 }
        var connection = TestConnection(core)
        #expect(try await connection.send("STATS").line == authRequiredLine)
        #expect(connection.state.closeAfterReply)
    }
}

// MARK: - Sessions (A4, P5)

@Suite("Sessions: tokens, revocation, limits (A4, P5)")
struct SessionTests {
    @Test func tokensAre128BitHexAndDistinct() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let branch = try await core.addTestUser("branch", tier: 0, roles: [.intake], at: clock.now)
        var tokens: [String] = []
        for _ in 0..<8 {
            var connection = TestConnection(core)
            tokens.append(try await connection.login(branch, clock: clock))
        }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            #expect(token.utf8.count == 32)
            #expect(token.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        }
        let many = (0..<1000).map { _ in Token.make() }
        #expect(Set(many).count == 1000)
        #expect(many.allSatisfy { $0.utf8.count == 32 })
    }

    @Test func resumeAttachesAnotherConnectionToTheSession() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let branch = try await core.addTestUser("branch", tier: 0, roles: [.intake], at: clock.now)
        var first = TestConnection(core)
        let token = try await first.login(branch, clock: clock)
        first.drop()
        var second = TestConnection(core)
        let reply = try await second.send("RESUME \(token)")
        #expect(reply.object?["session"] as? String == token)
        #expect(try await second.send("WHOAMI") == reply)
        #expect(try await audit(core.store, action: "auth.resume").map(\.actor) == ["branch"])
        // LOGOUT ends the session: it cannot be resumed any more.
        #expect(try await second.send("LOGOUT").line == "OK\n")
        #expect(try await second.send("WHOAMI").line == authRequiredLine)
        var third = TestConnection(core)
        #expect(try await third.send("RESUME \(token)").line == noSessionLine)
    }

    @Test func disablingAUserEndsItsSessions() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let admin = try await core.addTestUser("root", tier: 3, roles: [.riskAdmin], at: clock.now)
        let bob = try await core.addTestUser("bob", tier: 0, roles: [.intake], at: clock.now)
        var console = TestConnection(core)
        _ = try await console.login(admin, clock: clock)
        var one = TestConnection(core)
        var two = TestConnection(core)
        _ = try await one.login(bob, clock: clock)
        let token = try await two.login(bob, clock: clock)

        #expect(try await console.send("USER DISABLE bob").line == "OK {\"user\":\"bob\",\"disabled\":true,\"ended_sessions\":2}\n")
        // Both live connections were told to close at once, with the reason.
        #expect(one.closes.all == ["the user was disabled"])
        #expect(two.closes.all == ["the user was disabled"])
        #expect(console.closes.all == [])
        // Should a connection still send something, its session is over.
        #expect(try await one.send("WHOAMI").line == "ERR session-expired the user was disabled; log in again\n")
        var three = TestConnection(core)
        #expect(try await three.send("RESUME \(token)").line == noSessionLine)
        #expect(try await three.send(bob.authLine(at: clock.now)).line == loginFailedLine)
        #expect(try await console.send("WHOAMI").code == "OK")
    }

    /// `ended_sessions` should count sessions, including one whose connection dropped (kept for RESUME).
    @Test func disableCountsSessionsWithoutAConnection() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let admin = try await core.addTestUser("root", tier: 3, roles: [.riskAdmin], at: clock.now)
        let bob = try await core.addTestUser("bob", tier: 0, roles: [.intake], at: clock.now)
        var console = TestConnection(core)
        _ = try await console.login(admin, clock: clock)
        var dropped = TestConnection(core)
        let token = try await dropped.login(bob, clock: clock)
        dropped.drop()
        let reply = try await console.send("USER DISABLE bob")
        #expect(reply.line == "OK {\"user\":\"bob\",\"disabled\":true,\"ended_sessions\":1}\n")
        // The session itself is over either way.
        var later = TestConnection(core)
        #expect(try await later.send("RESUME \(token)").line == noSessionLine)
    }

    @Test func passwordChangeEndsTheOtherSessions() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let bob = try await core.addTestUser("bob", tier: 0, roles: [.intake], at: clock.now)
        let carol = try await core.addTestUser("carol", tier: 0, roles: [.intake], at: clock.now)
        var current = TestConnection(core)
        var other = TestConnection(core)
        var third = TestConnection(core)
        var carols = TestConnection(core)
        let currentToken = try await current.login(bob, clock: clock)
        let otherToken = try await other.login(bob, clock: clock)
        _ = try await third.login(bob, clock: clock)
        _ = try await carols.login(carol, clock: clock)

        #expect(try await current.send("PASSWORD wrong-password brand-new-password").line == "ERR auth-failed the current password is not right\n")
        #expect(try await current.send("PASSWORD correct-horse-battery short").line == "ERR bad-argument a password has 12 to 128 characters\n")
        #expect(try await current.send("PASSWORD correct-horse-battery brand-new-password").line == "OK {\"ended_sessions\":2}\n")
        #expect(current.closes.all == [])
        #expect(other.closes.all == ["the password was changed"])
        #expect(third.closes.all == ["the password was changed"])
        #expect(carols.closes.all == [], "another user's session is untouched")
        #expect(try await carols.send("WHOAMI").code == "OK")

        #expect(try await current.send("WHOAMI").object?["session"] as? String == currentToken)
        #expect(try await other.send("WHOAMI").line == "ERR session-expired the password was changed; log in again\n")
        var resumer = TestConnection(core)
        #expect(try await resumer.send("RESUME \(otherToken)").line == noSessionLine)
        #expect(try await resumer.send("RESUME \(currentToken)").code == "OK")

        var fresh = TestConnection(core)
        #expect(try await fresh.send("AUTH bob correct-horse-battery").line == loginFailedLine)
        #expect(try await fresh.send("AUTH bob brand-new-password").code == "OK")
        #expect(try await audit(core.store, action: "user.password").map(\.actor) == ["bob"])
    }

    @Test func idleSessionExpires() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let branch = try await core.addTestUser("branch", tier: 0, roles: [.intake], at: clock.now)
        var connection = TestConnection(core)
        let token = try await connection.login(branch, clock: clock)
        let idle = core.configuration.limits.sessionIdle
        #expect(idle == 1800)
        clock.advance(idle - 1)
        #expect(try await connection.send("WHOAMI").code == "OK")
        clock.advance(idle - 1)
        #expect(try await connection.send("STATS").code == "OK", "each command restarts the idle time")
        clock.advance(idle + 1)
        #expect(try await connection.send("WHOAMI").line == "ERR session-expired the session was idle too long; log in again\n")
        #expect(connection.state.session == nil)
        #expect(try await connection.send("WHOAMI").line == authRequiredLine)
        var other = TestConnection(core)
        #expect(try await other.send("RESUME \(token)").line == noSessionLine)
    }

    /// An idle session cannot be revived with RESUME either.
    @Test func idleSessionCannotBeResumed() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock) { $0.limits.sessionIdle = 60 }
        let branch = try await core.addTestUser("branch", tier: 0, roles: [.intake], at: clock.now)
        var connection = TestConnection(core)
        let token = try await connection.login(branch, clock: clock)
        connection.drop()
        clock.advance(59)
        var second = TestConnection(core)
        #expect(try await second.send("RESUME \(token)").code == "OK")
        second.drop()
        clock.advance(61)
        var third = TestConnection(core)
        #expect(try await third.send("RESUME \(token)").line == noSessionLine)
    }

    @Test func sessionLifetimeEndsEvenAnActiveSession() async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        let branch = try await core.addTestUser("branch", tier: 0, roles: [.intake], at: clock.now)
        var connection = TestConnection(core)
        let token = try await connection.login(branch, clock: clock)
        #expect(core.configuration.limits.sessionLifetime == 43_200)
        for _ in 0..<43 {
            clock.advance(1000)
            #expect(try await connection.send("WHOAMI").code == "OK")
        }
        clock.advance(199)  // 43,199 s after login
        #expect(try await connection.send("WHOAMI").code == "OK")
        clock.advance(2)
        #expect(try await connection.send("WHOAMI").line == "ERR session-expired the session reached its maximum lifetime; log in again\n")
        var other = TestConnection(core)
        #expect(try await other.send("RESUME \(token)").line == noSessionLine)
        // A new login starts a new lifetime.
        clock.advance(30)
        #expect(try await connection.send(branch.authLine(at: clock.now)).code == "OK")
    }
}

// MARK: - Q5: every command × user kind

/// Who sends the command. Non-approvers have tier 0.
enum UserKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case intake, approver1 = "approver tier 1", approver2 = "approver tier 2", approver3 = "approver tier 3"
    case riskAdmin = "risk_admin", auditor

    var testDescription: String { rawValue }

    var tier: Int {
        switch self {
        case .approver1: 1
        case .approver2: 2
        case .approver3: 3
        default: 0
        }
    }

    var roles: Set<Role> {
        switch self {
        case .intake: [.intake]
        case .approver1, .approver2, .approver3: [.approver]
        case .riskAdmin: [.riskAdmin]
        case .auditor: [.auditor]
        }
    }

    var isApprover: Bool { roles.contains(.approver) }
    /// May work FX-026, which waits at tier 2.
    var isEligible: Bool { isApprover && tier >= 2 }
}

/// One command of the table: its line (`{token}` stands for a claim token on FX-026) and the expected reply code
/// for each user kind, derived from docs (CommandSpec.access, docs/WORKFLOW.md, RELIABILITY Q5), not from the code.
struct CommandRow: Sendable, CustomTestStringConvertible {
    var line: String
    /// The command works on a claim: eligible users claim FX-026 first; others present the token of a tier-3
    /// approver's live claim (the strongest attempt they could make).
    var needsClaim = false
    var expected: @Sendable (UserKind) -> String

    var testDescription: String { line }

    static let everyone: @Sendable (UserKind) -> String = { _ in "OK" }
    static func only(_ allowed: Set<UserKind>) -> @Sendable (UserKind) -> String {
        { allowed.contains($0) ? "OK" : "forbidden" }
    }

    static let readers: Set<UserKind> = [.approver1, .approver2, .approver3, .riskAdmin, .auditor]

    static let all: [CommandRow] = [
        CommandRow(line: "LOGOUT", expected: everyone),
        CommandRow(line: "WHOAMI", expected: everyone),
        CommandRow(line: "PASSWORD correct-horse-battery brand-new-password", expected: everyone),
        CommandRow(line: "SUBMIT " + approvedApplication, expected: only([.intake])),
        CommandRow(line: "STATUS FX-026", expected: everyone),
        CommandRow(line: "QUEUE", expected: only(readers)),
        CommandRow(line: "QUEUE 1", expected: only(readers)),
        CommandRow(line: "QUEUE 3", expected: only([.approver3, .riskAdmin, .auditor])),
        CommandRow(line: "NEXT", expected: { $0.isEligible ? "OK" : $0 == .approver1 ? "not-found" : "forbidden" }),
        CommandRow(line: "CLAIM FX-026", expected: { $0.isEligible ? "OK" : "forbidden" }),
        CommandRow(line: "SHOW FX-026", expected: only(readers)),
        CommandRow(line: "TOUCH FX-026 {token}", needsClaim: true, expected: { $0.isEligible ? "OK" : "forbidden" }),
        // The holder may always give a case back; another approver is told the claim is not theirs.
        CommandRow(line: "RELEASE FX-026 {token}", needsClaim: true,
                   expected: { $0.isEligible ? "OK" : $0.isApprover ? "lease-expired" : "forbidden" }),
        CommandRow(line: "APPROVE FX-026 {token}", needsClaim: true, expected: { $0.isEligible ? "OK" : "forbidden" }),
        CommandRow(line: "DECLINE FX-026 {token} POLICY_EXCEPTION", needsClaim: true, expected: { $0.isEligible ? "OK" : "forbidden" }),
        CommandRow(line: "ESCALATE FX-026 {token} 3 large exposure, committee please", needsClaim: true,
                   expected: { $0.isEligible ? "OK" : "forbidden" }),
        CommandRow(line: "RETURN FX-026 {token} please send the last three payslips", needsClaim: true,
                   expected: { $0.isEligible ? "OK" : "forbidden" }),
        CommandRow(line: "COMMENT FX-026 collateral valuation looks stale", expected: only([.approver1, .approver2, .approver3, .riskAdmin])),
        CommandRow(line: "REASSIGN FX-026 assignee", expected: only([.riskAdmin])),
        CommandRow(line: "WATCH CASE FX-026", expected: everyone),
        // Watching a tier's queue follows the same rule as listing it (QUEUE 3).
        CommandRow(line: "WATCH QUEUE 3", expected: only([.approver3, .riskAdmin, .auditor])),
        CommandRow(line: "WATCH INBOX", expected: everyone),
        CommandRow(line: "UNWATCH", expected: everyone),
        CommandRow(line: "INBOX", expected: everyone),
        CommandRow(line: "STATS", expected: everyone),
        CommandRow(line: "RELOAD", expected: only([.riskAdmin])),
        CommandRow(line: "USER LIST", expected: only([.riskAdmin])),
        CommandRow(line: "USER ADD newbie 1 approver", expected: only([.riskAdmin])),
        CommandRow(line: "USER DISABLE spare", expected: only([.riskAdmin])),
        CommandRow(line: "USER RESET spare", expected: only([.riskAdmin])),
    ]
}

@Suite("Q5: every command that needs login × user kind")
struct PermissionTableTests {
    /// A fresh store per case: FX-026 (submitted by `branch`) waits at tier 2; `subject` is logged in.
    @Test(arguments: CommandRow.all, UserKind.allCases)
    func command(_ row: CommandRow, _ kind: UserKind) async throws {
        let clock = TestClock()
        let core = try await makeCore(clock: clock)
        _ = try await core.addTestUser("branch", tier: 0, roles: [.intake], at: clock.now)
        _ = try await core.addTestUser("holder", tier: 3, roles: [.approver], at: clock.now)
        _ = try await core.addTestUser("assignee", tier: 3, roles: [.approver], at: clock.now)
        _ = try await core.addTestUser("spare", tier: 0, roles: [.intake], at: clock.now)
        let subject = try await core.addTestUser("subject", tier: kind.tier, roles: kind.roles, at: clock.now)
        let submitted = try await core.rules.current.intake.submit(Array(tierTwoApplication.utf8), by: "branch")
        try #require(submitted.caseStatus == "queued")

        var connection = TestConnection(core)
        connection.acceptEvents()
        _ = try await connection.login(subject, clock: clock)
        var line = row.line
        if row.needsClaim {
            let token: String
            if kind.isEligible {
                let claim = try await connection.send("CLAIM FX-026")
                token = try #require(claim.object?["token"] as? String, "\(claim.line)")
            } else {
                token = try #require(try await core.store.perform(.claim(case: "FX-026"), by: "holder", at: clock.now).token)
            }
            line = line.replacingOccurrences(of: "{token}", with: token)
        }
        let reply = try await connection.send(line)
        let expected = row.expected(kind)
        #expect(reply.code == expected, "\(reply.line)")
    }
}
