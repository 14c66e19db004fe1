/// The request grammar (docs/PROTOCOL.md):
///
///     line       = [ "#" request-id SP ] command *( SP argument ) [ SP text ]
///     command    = letters, any case
///     argument   = word / quoted          ; word: printable bytes up to the next space
///     quoted     = a JSON string literal  ; for arguments with spaces ("my password")
///     text       = the rest of the line   ; notes; SUBMIT's JSON object
///
/// The line arrives without its LF (and CR). It must be UTF-8 with no control bytes but HT.
extension Request {
    public static func parse(_ line: [UInt8]) -> Result<Request, ProtocolError> {
        if let bad = line.firstIndex(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
            return .failure(ProtocolError(.malformedLine, "control byte 0x\(String(line[bad], radix: 16)) at column \(bad + 1)"))
        }
        guard String(validating: line, as: UTF8.self) != nil else {
            return .failure(ProtocolError(.invalidUTF8, "the line is not valid UTF-8"))
        }
        var words = Words(line)
        var requestID: String?
        guard var name = words.word() else { return .failure(ProtocolError(.malformedLine, "empty line")) }
        if name.hasPrefix("#") {
            let id = String(name.dropFirst())
            guard (1...64).contains(id.utf8.count) else {
                return .failure(ProtocolError(.badArgument, "a request id is 1 to 64 bytes after '#'"))
            }
            requestID = id
            guard let next = words.word() else { return .failure(ProtocolError(.malformedLine, "a request id needs a command after it")) }
            name = next
        }
        var parser = CommandParser(name: name.uppercased(), words: words)
        do {
            return .success(Request(requestID: requestID, command: try parser.parse()))
        } catch {
            return .failure(error)
        }
    }
}

/// Reads one command's arguments against its usage line.
struct CommandParser {
    let name: String
    var words: Words

    init(name: String, words: Words) {
        self.name = name
        self.words = words
    }

    mutating func parse() throws(ProtocolError) -> Command {
        let command: Command
        switch name {
        case "PING": command = .ping
        case "QUIT": command = .quit
        case "HELP": command = .help(topic: try optionalArgument()?.uppercased())
        case "AUTH": command = .auth(user: try argument(), password: try argument(), code: try optionalArgument())
        case "TOTP": command = .totp(code: try argument())
        case "RESUME": command = .resume(session: try argument())
        case "LOGOUT": command = .logout
        case "WHOAMI": command = .whoami
        case "PASSWORD": command = .password(old: try argument(), new: try argument())
        case "SUBMIT":
            let json = words.restBytes()
            guard !json.isEmpty else { throw arity() }
            command = .submit(json: json)
        case "STATUS": command = .status(application: try argument())
        case "QUEUE":
            if let word = try optionalArgument() {
                command = .queue(tier: try integer(word, what: "tier"))
            } else {
                command = .queue(tier: nil)
            }
        case "NEXT": command = .next
        case "CLAIM": command = .claim(case: try argument())
        case "SHOW": command = .show(case: try argument())
        case "TOUCH": command = .touch(case: try argument(), token: try argument())
        case "RELEASE": command = .release(case: try argument(), token: try argument())
        case "APPROVE": command = .approve(case: try argument(), token: try argument())
        case "DECLINE": command = .decline(case: try argument(), token: try argument(), reason: try argument())
        case "ESCALATE":
            command = .escalate(case: try argument(), token: try argument(), tier: try integer(try argument(), what: "tier"), note: try text())
        case "RETURN": command = .returnForInformation(case: try argument(), token: try argument(), note: try text())
        case "COMMENT": command = .comment(case: try argument(), note: try text())
        case "REASSIGN": command = .reassign(case: try argument(), user: try argument())
        case "WATCH": command = .watch(try subscription())
        case "UNWATCH": command = .unwatch(words.atEnd ? nil : try subscription())
        case "INBOX": command = .inbox
        case "STATS": command = .stats
        case "RELOAD": command = .reload
        case "USER": command = try user()
        default:
            throw ProtocolError(.unknownCommand, "unknown command \(Reply.quote(name)); HELP lists the commands")
        }
        guard words.atEnd else { throw arity() }
        return command
    }

    private mutating func user() throws(ProtocolError) -> Command {
        switch try argument().uppercased() {
        case "ADD":
            let name = try argument()
            let tier = try integer(try argument(), what: "tier")
            let roles = try argument().split(separator: ",").map(String.init)
            return .userAdd(name: name, tier: tier, roles: roles)
        case "LIST": return .userList
        case "DISABLE": return .userDisable(name: try argument())
        case "RESET": return .userReset(name: try argument())
        case let other: throw ProtocolError(.badArgument, "USER takes ADD, LIST, DISABLE or RESET, not \(Reply.quote(other))")
        }
    }

    private mutating func subscription() throws(ProtocolError) -> Subscription {
        switch try argument().uppercased() {
        case "CASE": return .application(try argument())
        case "QUEUE": return .queue(try integer(try argument(), what: "tier"))
        case "INBOX": return .inbox
        case let other: throw ProtocolError(.badArgument, "\(name) takes CASE <id>, QUEUE <tier> or INBOX, not \(Reply.quote(other))")
        }
    }

    private mutating func argument() throws(ProtocolError) -> String {
        guard let word = try words.argument() else { throw arity() }
        return word
    }

    private mutating func optionalArgument() throws(ProtocolError) -> String? {
        try words.argument()
    }

    private mutating func text() throws(ProtocolError) -> String {
        guard let text = try words.text(), !text.isEmpty else { throw arity() }
        return text
    }

    private func integer(_ word: String, what: String) throws(ProtocolError) -> Int {
        guard word.utf8.count <= 9, let value = Int(word), value >= 0 else {
            throw ProtocolError(.badArgument, "\(what) must be a small whole number, not \(Reply.quote(word))")
        }
        return value
    }

    private func arity() -> ProtocolError {
        let usage = CommandSpec.named(name)?.usage ?? name
        return ProtocolError(.arity, "wrong number of arguments; usage: \(usage)")
    }
}
