import Foundation
import LineProtocol
@testable import Server
import Store
import Testing

/// The real server over real loopback sockets and a SQLite file: whole approver journeys and every error case.
@Suite(.serialized) struct ServerEndToEndTests {
    @Test func multiLevelCaseWithTwoApproversOfDifferentTiers() async throws {
        let live = try await LiveServer.start()
        let admin = try await live.adminClient()
        let intake = try await live.user("branch", tier: 0, roles: "intake", admin: admin)
        let senior = try await live.user("sam", tier: 2, roles: "approver", admin: admin)
        let committee = try await live.user("cora", tier: 3, roles: "approver", admin: admin)

        let submitted = try LineClient.object(try await intake.call("SUBMIT " + Applications.twoLevel("ML-1")))
        #expect(submitted["outcome"] as? String == "referred")
        #expect(submitted["case_status"] as? String == "queued")
        #expect((submitted["decision"] as? [String: Any])?["levels"] as? [Int] == [2, 3])

        // Level 1 of 2 waits at tier 2: the tier-3 member may take it too (a level of their tier or below), but
        // the senior underwriter takes it first.
        let first = try LineClient.object(try await senior.call("NEXT"))
        #expect(first["case_id"] as? String == "ML-1")
        #expect(first["level"] as? Int == 1 && first["levels"] as? Int == 2 && first["tier"] as? Int == 2)
        let token1 = try #require(first["token"] as? String)
        #expect(token1.count == 32)
        let approved1 = try LineClient.object(try await senior.call("APPROVE ML-1 \(token1)"))
        #expect(approved1["status"] as? String == "queued")
        #expect(approved1["level"] as? Int == 2 && approved1["tier"] as? Int == 3)

        // Level 2 is tier 3: the senior underwriter can no longer take it, and would be the same approver anyway.
        #expect(try await senior.call("NEXT") == "ERR not-found no case is waiting for tier 2 or below")
        let second = try LineClient.object(try await committee.call("CLAIM ML-1"))
        let token2 = try #require(second["token"] as? String)
        let approved2 = try LineClient.object(try await committee.call("APPROVE ML-1 \(token2)"))
        #expect(approved2["status"] as? String == "approved")

        let status = try LineClient.object(try await intake.call("STATUS ML-1"))
        #expect(status["outcome"] as? String == "approved")
        let levels = try #require(status["levels"] as? [[String: Any]])
        #expect(levels.map { $0["decided_by"] as? String } == ["sam", "cora"])
        #expect(levels.map { $0["outcome"] as? String } == ["approved", "approved"])
        let shown = try LineClient.object(try await committee.call("SHOW ML-1"))
        #expect((shown["explanation"] as? String)?.contains("R2") == true)
        #expect(shown["submitted_by"] as? String == "branch")
        try await live.stop()
        let store = try live.reopen()
        #expect(try await store.verifyAudit().firstBad == nil)
        try store.close()
    }

    @Test func droppedConnectionKeepsTheLeaseUntilItExpiresThenAnotherApproverTakesTheCase() async throws {
        let live = try await LiveServer.start { $0.leaseSeconds = 1 }
        let admin = try await live.adminClient()
        let intake = try await live.user("branch", tier: 0, roles: "intake", admin: admin)
        let ann = try await live.user("ann", tier: 1, roles: "approver", admin: admin)
        let bob = try await live.user("bob", tier: 1, roles: "approver", admin: admin)
        _ = try await intake.call("SUBMIT " + Applications.tierOne("DROP-1"))
        let whoami = try LineClient.object(try await ann.call("WHOAMI"))
        let session = try #require(whoami["session"] as? String)
        let taken = try LineClient.object(try await ann.call("NEXT"))
        let token = try #require(taken["token"] as? String)
        await ann.close()

        #expect(try await bob.call("NEXT") == "ERR not-found no case is waiting for tier 1 or below")
        try await Task.sleep(for: .milliseconds(1300))
        let retaken = try LineClient.object(try await bob.call("NEXT"))
        #expect(retaken["case_id"] as? String == "DROP-1")
        #expect(retaken["holder"] as? String == "bob")

        // Ann comes back on a new connection with her session: her stale token is refused.
        let again = try await live.connect()
        #expect(try await again.call("RESUME \(session)").hasPrefix("OK {\"user\":\"ann\""))
        let late = try await again.call("APPROVE DROP-1 \(token)")
        #expect(late.hasPrefix("ERR "), "\(late)")
        #expect(late.hasPrefix("ERR lease-expired") || late.hasPrefix("ERR not-claimed") || late.hasPrefix("ERR claimed"), "\(late)")
        let bobToken = try #require(retaken["token"] as? String)
        #expect(try LineClient.object(try await bob.call("APPROVE DROP-1 \(bobToken)"))["status"] as? String == "approved")
        try await live.stop()
    }

    @Test func releaseOnDisconnectPolicyFreesTheCaseWithinOneSecond() async throws {
        let live = try await LiveServer.start { $0.disconnectPolicy = .release }
        let admin = try await live.adminClient()
        let intake = try await live.user("branch", tier: 0, roles: "intake", admin: admin)
        let ann = try await live.user("ann", tier: 1, roles: "approver", admin: admin)
        let bob = try await live.user("bob", tier: 1, roles: "approver", admin: admin)
        _ = try await intake.call("SUBMIT " + Applications.tierOne("REL-1"))
        #expect(try LineClient.object(try await ann.call("NEXT"))["case_id"] as? String == "REL-1")
        let dropped = Date()
        await ann.close()
        var taken = ""
        while Date().timeIntervalSince(dropped) < 1 {
            taken = try await bob.call("NEXT")
            if taken.hasPrefix("OK") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(taken.hasPrefix("OK {"), "the case was not released within 1 s: \(taken)")
        #expect(Date().timeIntervalSince(dropped) < 1)
        try await live.stop()
    }

    @Test func watchersReceivePushedEvents() async throws {
        let live = try await LiveServer.start()
        let admin = try await live.adminClient()
        let intake = try await live.user("branch", tier: 0, roles: "intake", admin: admin)
        let ann = try await live.user("ann", tier: 1, roles: "approver", admin: admin)
        let watcher = try await live.user("wes", tier: 1, roles: "approver", admin: admin)
        #expect(try await watcher.call("WATCH QUEUE 1") == "OK {\"watching\":[\"QUEUE 1\"]}")
        #expect(try await watcher.call("WATCH CASE EV-1") == "OK {\"watching\":[\"CASE EV-1\",\"QUEUE 1\"]}")

        _ = try await intake.call("SUBMIT " + Applications.tierOne("EV-1"))
        let referred = try #require(try await watcher.next())
        #expect(referred.hasPrefix("EVENT case {"))
        let event = try LineClient.object(referred)
        #expect(event["case_id"] as? String == "EV-1")
        #expect(event["action"] as? String == "referred")
        #expect(event["status"] as? String == "queued")
        #expect(event["tier"] as? Int == 1 && event["by"] as? String == "branch")

        let token = try #require(try LineClient.object(try await ann.call("NEXT"))["token"] as? String)
        let claimed = try LineClient.object(try #require(try await watcher.next()))
        #expect(claimed["action"] as? String == "claim" && claimed["holder"] as? String == "ann")
        _ = try await ann.call("APPROVE EV-1 \(token)")
        let decided = try LineClient.object(try #require(try await watcher.next()))
        #expect(decided["action"] as? String == "approve" && decided["status"] as? String == "approved")
        // Events and replies stay apart: the watcher's next request gets its own reply.
        #expect(try await watcher.call("PING") == "OK PONG")
        try await live.stop()
    }

    @Test func everyErrorCaseGetsItsCodeAndTheConnectionStaysUsable() async throws {
        let live = try await LiveServer.start()
        let admin = try await live.adminClient()
        let intake = try await live.user("branch", tier: 0, roles: "intake", admin: admin)
        let ann = try await live.user("ann", tier: 1, roles: "approver", admin: admin)
        let cases: [(LineClient, String, String)] = [
            (ann, "FROB 1 2", "ERR unknown-command unknown command 'FROB'; HELP lists the commands"),
            (ann, "APPROVE X", "ERR arity wrong number of arguments; usage: APPROVE <case> <token>"),
            (intake, "SUBMIT {\"application_id\": ", "ERR malformed-json the application is not one valid JSON object (RFC 8259); nothing was stored"),
            (intake, "SUBMIT [1,2]", "ERR malformed-json the application is not one valid JSON object (RFC 8259); nothing was stored"),
            (ann, "SUBMIT {}", "ERR forbidden ann may not submit applications (needs role intake)"),
            (intake, "NEXT", "ERR forbidden branch may not work cases (needs role approver)"),
            (ann, "USER LIST", "ERR forbidden ann may not manage users (needs role risk_admin)"),
            (ann, "QUEUE 3", "ERR forbidden tier 1 approvers see queues up to tier 1"),
            (ann, "CLAIM NOPE", "ERR not-found no case NOPE"),
            (ann, "STATUS NOPE", "ERR not-found no application NOPE"),
            (ann, "QUEUE x", "ERR bad-argument tier must be a small whole number, not 'x'"),
        ]
        for (client, line, expected) in cases {
            #expect(try await client.call(line) == expected, "\(line)")
            #expect(try await client.call("PING") == "OK PONG", "connection unusable after \(line)")
        }
        // Invalid UTF-8 and control bytes inside a line.
        try await ann.send(bytes: Array("PING ".utf8) + [0xC3, 0x28, 0x0A])
        #expect(try await ann.reply().reply == "ERR invalid-utf8 the line is not valid UTF-8")
        try await ann.send(bytes: Array("COMMENT A b".utf8) + [0x00] + Array("c\n".utf8))
        #expect(try await ann.reply().reply == "ERR malformed-line control byte 0x0 at column 12")
        #expect(try await ann.call("PING") == "OK PONG")
        try await live.stop()
    }

    @Test func framingAbuseClosesTheConnection() async throws {
        let live = try await LiveServer.start { $0.limits.maximumClients = 4 }
        // Before login the cap is 1 KiB: the error comes as soon as the cap is passed, with no LF needed.
        let early = try await live.connect()
        try await early.send(String(repeating: "A", count: 1100))
        #expect(try await early.next() == "ERR line-too-long a line may have at most 1024 bytes; closing")
        #expect(try await early.waitClosed())
        // After login the cap is 16 KiB.
        let admin = try await live.adminClient()
        #expect(try await admin.call("COMMENT X " + String(repeating: "n", count: 2000)) == "ERR not-found no case X")
        try await admin.send(String(repeating: "B", count: 16 * 1024 + 2))
        #expect(try await admin.next() == "ERR line-too-long a line may have at most 16384 bytes; closing")
        #expect(try await admin.waitClosed())
        // Three commands before login, then closed.
        let nosy = try await live.connect()
        for _ in 0..<3 { try await nosy.send("STATS\n") }
        for _ in 0..<3 { #expect(try await nosy.next() == "ERR auth-required log in first: AUTH <user> <password> [<totp-code>]") }
        #expect(try await nosy.waitClosed())
        // Too many connections.
        var open: [LineClient] = []
        for _ in 0..<4 { open.append(try await live.connect()) }
        for client in open { #expect(try await client.call("PING") == "OK PONG") }
        let extra = try await live.connect()
        #expect(try await extra.next() == "ERR max-clients the server has 4 connections; try again later")
        #expect(try await extra.waitClosed())
        #expect(try await open[0].call("PING") == "OK PONG")
        try await live.stop()
    }

    @Test func idleBeforeLoginIsClosed() async throws {
        let live = try await LiveServer.start { $0.limits.idleBeforeAuth = 0.5 }
        let idle = try await live.connect()
        let opened = Date()
        #expect(try await idle.next(timeout: 5) == "EVENT session {\"state\":\"closed\",\"reason\":\"idle before login\"}")
        #expect(try await idle.waitClosed())
        #expect(Date().timeIntervalSince(opened) < 2.5)
        try await live.stop()
    }

    /// One loop enforces every connection's limits: an idle session and an idle anonymous connection are both
    /// closed with their reason, while a session kept busy stays open (`PING` needs no login, so it would not).
    @Test func idleSessionsAndConnectionsCloseWhileABusyOneStays() async throws {
        let live = try await LiveServer.start {
            $0.limits.sessionIdle = 1.5
            $0.limits.idleBeforeAuth = 1.5
        }
        let busy = try await live.adminClient()
        let quiet = try await live.user("quinn", tier: 1, roles: "approver", admin: busy)
        let anonymous = try await live.connect()
        let opened = Date()
        for _ in 0..<6 {
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await busy.call("WHOAMI").hasPrefix("OK {\"user\":\"admin\""))
        }
        #expect(try await quiet.next(timeout: 5) == "EVENT session {\"state\":\"closed\",\"reason\":\"the session was idle too long\"}")
        #expect(try await quiet.waitClosed())
        #expect(try await anonymous.next(timeout: 5) == "EVENT session {\"state\":\"closed\",\"reason\":\"idle before login\"}")
        #expect(try await anonymous.waitClosed())
        #expect(Date().timeIntervalSince(opened) < 4.5)
        #expect(try await busy.call("WHOAMI").hasPrefix("OK {"))
        try await live.stop()
    }

    /// A login still being checked is not idleness: real-cost password hashing (~0.4 s) outlasts a 0.2 s limit.
    @Test func aLoginSlowerThanTheIdleLimitIsAnswered() async throws {
        let live = try await LiveServer.start {
            $0.limits.idleBeforeAuth = 0.2
            $0.passwordParameters = .standard
        }
        let admin = try await live.adminClient()
        #expect(try await admin.call("PING") == "OK PONG")
        try await live.stop()
    }

    @Test func pipelinedSubmissionsAnswerInOrder() async throws {
        let live = try await LiveServer.start()
        let admin = try await live.adminClient()
        let intake = try await live.user("branch", tier: 0, roles: "intake", admin: admin)
        let count = 300
        var batch = ""
        for index in 0..<count { batch += "SUBMIT " + Applications.tierOne("PIPE-\(index)") + "\n" }
        batch += "STATS\n"
        try await intake.send(batch)
        for index in 0..<count {
            let reply = try #require(try await intake.next())
            #expect(try LineClient.object(reply)["application_id"] as? String == "PIPE-\(index)")
        }
        let stats = try LineClient.object(try #require(try await intake.next()))
        #expect(stats["applications"] as? Int == count)
        #expect((stats["open_by_tier"] as? [String: Int])?["1"] == count)
        try await live.stop()
    }

    @Test func retriedApprovalWithTheSameRequestIDActsOnce() async throws {
        let live = try await LiveServer.start()
        let admin = try await live.adminClient()
        let intake = try await live.user("branch", tier: 0, roles: "intake", admin: admin)
        let ann = try await live.user("ann", tier: 1, roles: "approver", admin: admin)
        _ = try await intake.call("SUBMIT " + Applications.tierOne("RETRY-1"))
        let token = try #require(try LineClient.object(try await ann.call("NEXT"))["token"] as? String)
        let first = try await ann.call("#req-7 APPROVE RETRY-1 \(token)")
        let second = try await ann.call("#req-7 APPROVE RETRY-1 \(token)")
        #expect(first.hasPrefix("OK {") && first == second)
        let status = try LineClient.object(try await ann.call("STATUS RETRY-1"))
        let approvals = (status["timeline"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == "approve" }
        #expect(approvals.count == 1)
        try await live.stop()
        let store = try live.reopen()
        let audit = try await store.auditRecords().filter { $0.action == "case.approve" && $0.subject == "RETRY-1" }
        #expect(audit.count == 1)
        try store.close()
    }

    @Test func unixSocketServesTheSameProtocol() async throws {
        let live = try await LiveServer.start()
        let client = try await LineClient.connect(unixPath: try #require(live.unixPath))
        #expect(try await client.call("PING") == "OK PONG")
        #expect(try await client.call("AUTH admin \(live.admin.password) \(live.admin.totp.code(at: Date()))").hasPrefix("OK {\"user\":\"admin\""))
        #expect(try await client.call("WHOAMI").contains("\"roles\":[\"approver\",\"risk_admin\"]"))
        try await live.stop()
    }

    @Test func gracefulShutdownReleasesClaimsAndRefusesNewWork() async throws {
        let live = try await LiveServer.start()
        let admin = try await live.adminClient()
        let intake = try await live.user("branch", tier: 0, roles: "intake", admin: admin)
        let ann = try await live.user("ann", tier: 1, roles: "approver", admin: admin)
        _ = try await intake.call("SUBMIT " + Applications.tierOne("SHUT-1"))
        #expect(try LineClient.object(try await ann.call("NEXT"))["holder"] as? String == "ann")
        try await live.stop()
        #expect(try await ann.waitClosed())
        let reopened = try live.reopen()
        let status = try await reopened.status(of: "SHUT-1")
        #expect(status.caseStatus == "queued")
        #expect(status.holder == nil)
        #expect(status.timeline.last?.action == "release")
        #expect(try await reopened.verifyAudit().firstBad == nil)
        #expect(try reopened.integrityCheck() == "ok")
        try reopened.close()
    }
}
