/// The command table: usage and a one-line summary for `HELP`, the arity errors and docs/PROTOCOL.md.
public struct CommandSpec: Sendable, Hashable {
    public var name: String
    public var usage: String
    public var summary: String
    /// Who may send it, as documented (the server enforces roles and tiers itself).
    public var access: String

    public static let all: [CommandSpec] = [
        .init(name: "PING", usage: "PING", summary: "liveness check; replies OK PONG", access: "anyone"),
        .init(name: "QUIT", usage: "QUIT", summary: "close the connection (held claims follow the lease policy)", access: "anyone"),
        .init(name: "HELP", usage: "HELP [COMMAND]", summary: "list the commands, or show one command's usage", access: "anyone"),
        .init(name: "AUTH", usage: "AUTH <user> <password> [<totp-code>]", summary: "log in; approvers and admins also give a TOTP code (here or with TOTP)", access: "anyone"),
        .init(name: "TOTP", usage: "TOTP <code>", summary: "the second factor after AUTH <user> <password>", access: "anyone"),
        .init(name: "RESUME", usage: "RESUME <session>", summary: "attach this connection to a live session (after a dropped connection)", access: "anyone"),
        .init(name: "LOGOUT", usage: "LOGOUT", summary: "end the session; the connection stays open, unauthenticated", access: "logged in"),
        .init(name: "WHOAMI", usage: "WHOAMI", summary: "the session's user, tier, roles and expiry times", access: "logged in"),
        .init(name: "PASSWORD", usage: "PASSWORD <old> <new>", summary: "change your password; your other sessions end", access: "logged in"),
        .init(name: "SUBMIT", usage: "SUBMIT <application-json>", summary: "store an application and its automatic decision (durable before OK)", access: "intake"),
        .init(name: "STATUS", usage: "STATUS <application-id>", summary: "outcome so far, level, holder, SLA due and timeline", access: "logged in"),
        .init(name: "QUEUE", usage: "QUEUE [<tier>]", summary: "open cases waiting at a tier (default: yours), earliest SLA first", access: "approver, risk_admin, auditor"),
        .init(name: "NEXT", usage: "NEXT", summary: "take the next case you may work (a lease with a claim token)", access: "approver"),
        .init(name: "CLAIM", usage: "CLAIM <case>", summary: "take a given case", access: "approver"),
        .init(name: "SHOW", usage: "SHOW <case>", summary: "decision, explanation, reasons, levels, history and comments", access: "approver, risk_admin, auditor"),
        .init(name: "TOUCH", usage: "TOUCH <case> <token>", summary: "renew your lease", access: "approver"),
        .init(name: "RELEASE", usage: "RELEASE <case> <token>", summary: "give the case back to the queue", access: "approver"),
        .init(name: "APPROVE", usage: "APPROVE <case> <token>", summary: "approve the current level", access: "approver"),
        .init(name: "DECLINE", usage: "DECLINE <case> <token> <reason-code>", summary: "decline the case with a reason code", access: "approver"),
        .init(name: "ESCALATE", usage: "ESCALATE <case> <token> <tier> <note>", summary: "send the current level to a higher tier", access: "approver"),
        .init(name: "RETURN", usage: "RETURN <case> <token> <note>", summary: "return to the applicant for information (pauses the SLA)", access: "approver"),
        .init(name: "COMMENT", usage: "COMMENT <case> <note>", summary: "add a comment to an open case", access: "approver, risk_admin"),
        .init(name: "REASSIGN", usage: "REASSIGN <case> <user>", summary: "hand the case to another approver", access: "risk_admin"),
        .init(name: "WATCH", usage: "WATCH CASE <id> | WATCH QUEUE <tier> | WATCH INBOX", summary: "receive EVENT lines for a case, a tier's queue or your inbox", access: "logged in"),
        .init(name: "UNWATCH", usage: "UNWATCH [CASE <id> | QUEUE <tier> | INBOX]", summary: "stop one subscription, or all", access: "logged in"),
        .init(name: "INBOX", usage: "INBOX", summary: "your claimed cases, cases you submitted that were returned, and your queue depth", access: "logged in"),
        .init(name: "STATS", usage: "STATS", summary: "cases by status and tier, overdue cases, decisions by outcome", access: "logged in"),
        .init(name: "RELOAD", usage: "RELOAD", summary: "recompile the rules; they activate only if their tests pass", access: "risk_admin"),
        .init(name: "USER", usage: "USER ADD <name> <tier> <role,...> | USER LIST | USER DISABLE <name> | USER RESET <name>", summary: "manage users (ADD and RESET reply with a one-time password and TOTP secret)", access: "risk_admin"),
    ]

    public static func named(_ name: String) -> CommandSpec? {
        all.first { $0.name == name }
    }
}
