/// One request line, parsed: an optional request id (`#id` before the command, for idempotent retries) and
/// the command with its arguments.
public struct Request: Sendable, Hashable {
    public var requestID: String?
    public var command: Command

    public init(requestID: String? = nil, command: Command) {
        self.requestID = requestID
        self.command = command
    }
}

/// What a client can ask. Case ids, tokens and user names are words; notes are the rest of the line.
public enum Command: Sendable, Hashable {
    case ping
    case quit
    case help(topic: String?)
    case auth(user: String, password: String, code: String?)
    case totp(code: String)
    case resume(session: String)
    case logout
    case whoami
    case password(old: String, new: String)
    case submit(json: [UInt8])
    case status(application: String)
    case queue(tier: Int?)
    case next
    case claim(case: String)
    case show(case: String)
    case touch(case: String, token: String)
    case release(case: String, token: String)
    case approve(case: String, token: String)
    case decline(case: String, token: String, reason: String)
    case escalate(case: String, token: String, tier: Int, note: String)
    case returnForInformation(case: String, token: String, note: String)
    case comment(case: String, note: String)
    case reassign(case: String, user: String)
    case watch(Subscription)
    case unwatch(Subscription?)
    case inbox
    case stats
    case reload
    case userAdd(name: String, tier: Int, roles: [String])
    case userList
    case userDisable(name: String)
    case userReset(name: String)

    /// The command word as written on the wire.
    public var name: String {
        switch self {
        case .ping: "PING"
        case .quit: "QUIT"
        case .help: "HELP"
        case .auth: "AUTH"
        case .totp: "TOTP"
        case .resume: "RESUME"
        case .logout: "LOGOUT"
        case .whoami: "WHOAMI"
        case .password: "PASSWORD"
        case .submit: "SUBMIT"
        case .status: "STATUS"
        case .queue: "QUEUE"
        case .next: "NEXT"
        case .claim: "CLAIM"
        case .show: "SHOW"
        case .touch: "TOUCH"
        case .release: "RELEASE"
        case .approve: "APPROVE"
        case .decline: "DECLINE"
        case .escalate: "ESCALATE"
        case .returnForInformation: "RETURN"
        case .comment: "COMMENT"
        case .reassign: "REASSIGN"
        case .watch: "WATCH"
        case .unwatch: "UNWATCH"
        case .inbox: "INBOX"
        case .stats: "STATS"
        case .reload: "RELOAD"
        case .userAdd, .userList, .userDisable, .userReset: "USER"
        }
    }

    /// Commands a connection may send before it has logged in.
    public var allowedBeforeAuth: Bool {
        switch self {
        case .ping, .quit, .help, .auth, .totp, .resume: true
        default: false
        }
    }
}

/// What a `WATCH` follows: one case, the queue of one tier, or the session's own inbox.
public enum Subscription: Sendable, Hashable, CustomStringConvertible {
    case application(String)
    case queue(Int)
    case inbox

    public var description: String {
        switch self {
        case .application(let id): "CASE \(id)"
        case .queue(let tier): "QUEUE \(tier)"
        case .inbox: "INBOX"
        }
    }
}
