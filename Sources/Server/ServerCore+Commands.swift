import Foundation
import LineProtocol
import Logging
import RuleEngine
import RuleLanguage
import Store
import Workflow

extension ServerCore {
    /// Answers one request. Never throws: every failure becomes an `ERR` reply with a stable code.
    func handle(_ request: Request, state: inout ConnectionState) async -> Reply {
        let command = request.command
        if !command.allowedBeforeAuth {
            guard let session = state.session else {
                state.refusedBeforeAuth += 1
                if state.refusedBeforeAuth >= configuration.limits.refusalsBeforeAuth { state.closeAfterReply = true }
                return .error(.authRequired, "log in first: AUTH <user> <password> [<totp-code>]")
            }
            let now = clock()
            if let reason = session.expiry(at: now, limits: sessionLimits) {
                sessions.end(session, reason: reason)
                state.login = .anonymous
                return .error(.sessionExpired, "\(reason); log in again")
            }
            session.touch(at: now)
        }
        switch command {
        case .ping: return .ok("PONG")
        case .quit:
            state.closeAfterReply = true
            return .ok("BYE")
        case .help(let topic): return help(topic)
        case .auth(let user, let password, let code): return await authenticate(user: user, password: password, code: code, state: &state)
        case .totp(let code): return await totp(code: code, state: &state)
        case .resume(let token): return await resume(token: token, state: &state)
        default: break
        }
        guard let session = state.session else { return .error(.authRequired, "log in first") }
        do {
            return try await handle(command, requestID: request.requestID, session: session, state: &state)
        } catch {
            return ServerCore.reply(for: error, logger: logger, session: session)
        }
    }

    private func handle(_ command: Command, requestID: String?, session: Session, state: inout ConnectionState) async throws -> Reply {
        let now = clock()
        switch command {
        case .logout:
            sessions.end(session, reason: "logged out")
            state.login = .anonymous
            try? await store.recordLogin("auth.logout", user: session.user, address: state.address, at: now)
            return .ok(nil)
        case .whoami:
            return .ok(sessionJSON(session))
        case .password(let old, let new):
            return try await changePassword(session: session, old: old, new: new, state: state)
        case .submit(let json):
            try require(session, [.intake], to: "submit applications")
            return try await submit(json, by: session.user)
        case .status(let id):
            return .ok(ServerCore.encode(try await store.status(of: id, at: now)))
        case .queue(let tier):
            try require(session, [.approver, .riskAdmin, .auditor], to: "list the queue")
            let tier = tier ?? session.tier
            if session.roles == [.approver], tier > session.tier {
                throw ProtocolError(.forbidden, "tier \(session.tier) approvers see queues up to tier \(session.tier)")
            }
            let cases = try await store.queue(tier: tier, at: now)
            return .ok("{\"tier\":\(tier),\"cases\":\(ServerCore.encode(cases))}")
        case .show(let id):
            try require(session, [.approver, .riskAdmin, .auditor], to: "read cases")
            return try await show(id, at: now)
        case .next:
            try require(session, [.approver], to: "work cases")
            return try await act(.takeNext, requestID: requestID, session: session)
        case .claim(let id):
            try require(session, [.approver], to: "work cases")
            return try await act(.claim(case: id), requestID: requestID, session: session)
        case .touch(let id, let token):
            try require(session, [.approver], to: "work cases")
            return try await act(.touch(case: id, token: token), requestID: requestID, session: session)
        case .release(let id, let token):
            try require(session, [.approver], to: "work cases")
            return try await act(.release(case: id, token: token), requestID: requestID, session: session)
        case .approve(let id, let token):
            try require(session, [.approver], to: "work cases")
            return try await act(.approve(case: id, token: token), requestID: requestID, session: session)
        case .decline(let id, let token, let reason):
            try require(session, [.approver], to: "work cases")
            return try await act(.decline(case: id, token: token, reason: reason), requestID: requestID, session: session)
        case .escalate(let id, let token, let tier, let note):
            try require(session, [.approver], to: "work cases")
            return try await act(.escalate(case: id, token: token, tier: tier, note: note), requestID: requestID, session: session)
        case .returnForInformation(let id, let token, let note):
            try require(session, [.approver], to: "work cases")
            return try await act(.returnForInformation(case: id, token: token, note: note), requestID: requestID, session: session)
        case .comment(let id, let note):
            return try await act(.comment(case: id, note: note), requestID: requestID, session: session)
        case .reassign(let id, let user):
            return try await act(.reassign(case: id, to: user), requestID: requestID, session: session)
        case .watch(let subscription):
            return try watch(subscription, session: session, state: state)
        case .unwatch(let subscription):
            let removed = hub.unwatch(state.id, subscription)
            return .ok("{\"removed\":\(removed)}")
        case .inbox:
            return try await inbox(session, at: now)
        case .stats:
            return .ok(ServerCore.encode(try await store.stats(at: now)))
        case .reload:
            try require(session, [.riskAdmin], to: "reload rules")
            return try await reload(by: session.user)
        case .userAdd, .userList, .userDisable, .userReset:
            try require(session, [.riskAdmin], to: "manage users")
            return try await manageUsers(command, session: session)
        case .ping, .quit, .help, .auth, .totp, .resume:
            return .error(.internal, "unreachable")
        }
    }

    /// Workflow actions: the store checks tier, lease, token and four eyes inside its transaction.
    private func act(_ action: CaseAction, requestID: String?, session: Session) async throws -> Reply {
        let outcome = try await actions.perform(action, by: session.user, requestID: requestID, at: clock(),
                                                leaseSeconds: configuration.leaseSeconds)
        switch action {
        case .takeNext, .claim:
            if let token = outcome.token { session.track(claim: outcome.caseID, token: token) }
        case .approve, .decline, .escalate, .returnForInformation, .release, .reassign:
            session.track(claim: outcome.caseID, token: nil)
        case .touch, .comment:
            break
        }
        publish(outcome, by: session.user)
        return .ok(ServerCore.encode(outcome))
    }

    private func submit(_ json: [UInt8], by user: String) async throws -> Reply {
        // Text that is not one JSON object has no application number to file it under: refused, not stored.
        guard JSONMembers.isObject(json) else {
            throw ProtocolError(.malformedJSON, "the application is not one valid JSON object (RFC 8259); nothing was stored")
        }
        let result = try await rules.current.intake.submit(json, by: user)
        await announce(result, by: user)
        return ServerCore.submitted(result)
    }

    /// A pipelined SUBMIT without a task: when the session is live, has the intake role and sends one JSON
    /// object (nearly always), the application goes to intake from the event loop and `reply` is filled in once
    /// its commit is durable. Returns false, having done nothing, for anything else: `handle` then answers it
    /// (session expired, forbidden, malformed JSON) exactly as any other request.
    func submitWithoutTask(_ json: [UInt8], session: Session, at now: Date, into reply: PendingReply) -> Bool {
        guard session.expiry(at: now, limits: sessionLimits) == nil, session.roles.contains(.intake),
              JSONMembers.isObject(json) else { return false }
        session.touch(at: now)
        let user = session.user
        rules.current.intake.submit(json, by: user) { [self] result in
            switch result {
            case .success(let stored) where announces(stored):
                Task {
                    await announce(stored, by: user)
                    reply.fulfil(ServerCore.submitted(stored).line)
                }
            case .success(let stored):
                reply.fulfil(ServerCore.submitted(stored).line)
            case .failure(let error):
                reply.fulfil(ServerCore.reply(for: error, logger: logger, session: session).line)
            }
        }
        return true
    }

    /// Whether a stored submission is news to watchers: a case it queued (new or resubmitted), while anyone watches.
    private func announces(_ result: SubmissionResult) -> Bool {
        result.caseStatus == "queued" && result.disposition != .duplicate && !hub.isEmpty
    }

    private func announce(_ result: SubmissionResult, by user: String) async {
        guard announces(result), let entry = try? await store.caseEntry(result.applicationID, at: clock()) else { return }
        hub.publish(CaseEvent(caseID: entry.caseID, action: result.disposition == .created ? "referred" : "resubmitted",
                              status: entry.status, level: entry.level, levels: entry.levels, tier: entry.tier, by: user,
                              holder: nil, at: clock()))
    }

    /// SUBMIT's reply: where the application was filed, and its automatic decision (§7).
    private static func submitted(_ result: SubmissionResult) -> Reply {
        var text = ""
        text.reserveCapacity(result.decision.utf8.count + result.applicationID.utf8.count + 160)
        text += "{\"application_id\":\(JSONString.quote(result.applicationID)),\"version\":\(result.version)"
        text += ",\"assigned\":\(result.assigned),\"disposition\":\"\(result.disposition.rawValue)\",\"outcome\":\"\(result.outcome)\""
        if let status = result.caseStatus { text += ",\"case_status\":\"\(status)\"" }
        text += ",\"decision\":\(result.decision)}"
        return .ok(text)
    }

    private func watch(_ subscription: Subscription, session: Session, state: ConnectionState) throws -> Reply {
        if case .queue(let tier) = subscription {
            try require(session, [.approver, .riskAdmin, .auditor], to: "watch queues")
            if session.roles == [.approver], tier > session.tier {
                throw ProtocolError(.forbidden, "tier \(session.tier) approvers see queues up to tier \(session.tier)")
            }
        }
        guard let deliver = state.deliver else { throw ProtocolError(.internal, "this connection cannot receive events") }
        guard hub.watch(state.id, user: session.user, tier: session.tier, subscription,
                        maximum: configuration.limits.maximumWatches, deliver: deliver) else {
            throw ProtocolError(.badArgument, "at most \(configuration.limits.maximumWatches) subscriptions per connection")
        }
        let list = hub.subscriptions(state.id).map { JSONString.quote($0.description) }.sorted().joined(separator: ",")
        return .ok("{\"watching\":[\(list)]}")
    }

    private func inbox(_ session: Session, at now: Date) async throws -> Reply {
        let held = try await store.held(by: session.user, at: now)
        let returned = try await store.returned(submittedBy: session.user, at: now)
        let waiting = session.roles.contains(.approver) ? try await store.queue(tier: session.tier, at: now).filter { $0.holder == nil }.count : 0
        return .ok("{\"held\":\(ServerCore.encode(held)),\"returned\":\(ServerCore.encode(returned)),\"waiting_at_tier\":\(waiting)}")
    }

    private func show(_ id: String, at now: Date) async throws -> Reply {
        let status = try await store.status(of: id, at: now)
        let stored = try await store.application(id)
        let current = rules.current
        let evaluator = Evaluator(policy: current.policy)
        stored.body.withUnsafeBytes { _ = evaluator.evaluate(json: $0) }
        let explanation = evaluator.explanation()
        let note = stored.ruleset == current.version ? "" : " (decided under ruleset \(stored.ruleset); explained with the ruleset now in force, \(current.version))"
        let reasons = stored.reasons.map(JSONString.quote).joined(separator: ",")
        var text = "{\"status\":\(ServerCore.encode(status)),\"decision\":\(status.decision),\"reasons\":[\(reasons)]"
        text += ",\"explanation\":\(JSONString.quote(explanation + note)),\"submitted_by\":\(JSONString.quote(stored.submittedBy))}"
        return .ok(text)
    }

    private func help(_ topic: String?) -> Reply {
        func json(_ spec: CommandSpec) -> String {
            "{\"command\":\(JSONString.quote(spec.name)),\"usage\":\(JSONString.quote(spec.usage)),\"summary\":\(JSONString.quote(spec.summary)),\"access\":\(JSONString.quote(spec.access))}"
        }
        guard let topic else { return .ok("{\"commands\":[" + CommandSpec.all.map(json).joined(separator: ",") + "]}") }
        guard let spec = CommandSpec.named(topic) else {
            return .error(.badArgument, "no command \(Reply.quote(topic)); HELP lists the commands")
        }
        return .ok(json(spec))
    }

    /// A session's idle and absolute timeouts, as `Session.expiry` and `Sessions.sweep` take them.
    var sessionLimits: (idle: Double, lifetime: Double) {
        (configuration.limits.sessionIdle, configuration.limits.sessionLifetime)
    }

    func require(_ session: Session, _ roles: Set<Role>, to what: String) throws {
        guard session.roles.isDisjoint(with: roles) else { return }
        logger.info("action denied", metadata: ["user": "\(session.user)", "reason": "needs \(roles.map(\.rawValue).sorted())"])
        throw ProtocolError(.forbidden, "\(session.user) may not \(what) (needs role \(roles.map(\.rawValue).sorted().joined(separator: " or ")))")
    }
}
