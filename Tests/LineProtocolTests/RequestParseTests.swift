import LineProtocol
import Testing

/// The request grammar: words, quoted arguments, rest-of-line text, request ids, and every refusal.
struct RequestParseTests {
    private func parse(_ line: String) -> Result<Request, ProtocolError> {
        Request.parse(Array(line.utf8))
    }

    private func command(_ line: String) throws -> Command {
        try parse(line).get().command
    }

    @Test(arguments: [
        ("PING", Command.ping),
        ("ping", .ping),
        ("  Quit  ", .quit),
        ("HELP", .help(topic: nil)),
        ("help approve", .help(topic: "APPROVE")),
        ("AUTH alice s3cret-pass", .auth(user: "alice", password: "s3cret-pass", code: nil)),
        ("AUTH alice \"pass with spaces\" 123456", .auth(user: "alice", password: "pass with spaces", code: "123456")),
        ("AUTH bob \"a\\\"b\\\\c\\u00e9\" 000001", .auth(user: "bob", password: "a\"b\\cé", code: "000001")),
        ("TOTP 287082", .totp(code: "287082")),
        ("RESUME 0123abcd", .resume(session: "0123abcd")),
        ("STATUS APP-1", .status(application: "APP-1")),
        ("QUEUE", .queue(tier: nil)),
        ("QUEUE 2", .queue(tier: 2)),
        ("NEXT", .next),
        ("CLAIM APP-9", .claim(case: "APP-9")),
        ("APPROVE APP-9 tok", .approve(case: "APP-9", token: "tok")),
        ("DECLINE APP-9 tok R12", .decline(case: "APP-9", token: "tok", reason: "R12")),
        ("ESCALATE APP-9 tok 3 needs the committee: large exposure", .escalate(case: "APP-9", token: "tok", tier: 3, note: "needs the committee: large exposure")),
        ("RETURN APP-9 tok please send payslips  ", .returnForInformation(case: "APP-9", token: "tok", note: "please send payslips")),
        ("COMMENT APP-9 \"quoted note\"", .comment(case: "APP-9", note: "quoted note")),
        ("COMMENT APP-9 \"half\" quoted", .comment(case: "APP-9", note: "\"half\" quoted")),
        ("REASSIGN APP-9 carol", .reassign(case: "APP-9", user: "carol")),
        ("WATCH case APP-9", .watch(.application("APP-9"))),
        ("WATCH QUEUE 2", .watch(.queue(2))),
        ("WATCH INBOX", .watch(.inbox)),
        ("UNWATCH", .unwatch(nil)),
        ("UNWATCH INBOX", .unwatch(.inbox)),
        ("USER ADD dave 2 approver,auditor", .userAdd(name: "dave", tier: 2, roles: ["approver", "auditor"])),
        ("user list", .userList),
        ("USER DISABLE dave", .userDisable(name: "dave")),
        ("USER RESET dave", .userReset(name: "dave")),
        ("PASSWORD old-one new-one", .password(old: "old-one", new: "new-one")),
        ("INBOX", .inbox), ("STATS", .stats), ("RELOAD", .reload), ("LOGOUT", .logout), ("WHOAMI", .whoami),
        ("TOUCH A t", .touch(case: "A", token: "t")), ("RELEASE A t", .release(case: "A", token: "t")),
        ("SHOW A", .show(case: "A")),
    ])
    func parses(_ line: String, _ expected: Command) throws {
        #expect(try command(line) == expected)
    }

    @Test func submitKeepsTheJSONBytesExactly() throws {
        let json = "{\"application_id\": \"APP-1\",  \"x\": [1, 2]}  "
        #expect(try command("SUBMIT " + json) == .submit(json: Array(json.utf8)))
    }

    @Test func requestIDPrefix() throws {
        let request = try parse("#r-42 APPROVE APP-1 tok").get()
        #expect(request.requestID == "r-42")
        #expect(request.command == .approve(case: "APP-1", token: "tok"))
    }

    @Test(arguments: [
        ("FROB", ErrorCode.unknownCommand, "unknown command 'FROB'; HELP lists the commands"),
        ("APPROVE APP-1", .arity, "wrong number of arguments; usage: APPROVE <case> <token>"),
        ("PING extra", .arity, "wrong number of arguments; usage: PING"),
        ("SUBMIT", .arity, "wrong number of arguments; usage: SUBMIT <application-json>"),
        ("COMMENT APP-1", .arity, "wrong number of arguments; usage: COMMENT <case> <note>"),
        ("QUEUE two", .badArgument, "tier must be a small whole number, not 'two'"),
        ("QUEUE 99999999999999", .badArgument, "tier must be a small whole number, not '99999999999999'"),
        ("ESCALATE A t -1 x", .badArgument, "tier must be a small whole number, not '-1'"),
        ("WATCH EVERYTHING", .badArgument, "WATCH takes CASE <id>, QUEUE <tier> or INBOX, not 'EVERYTHING'"),
        ("USER FLY", .badArgument, "USER takes ADD, LIST, DISABLE or RESET, not 'FLY'"),
        ("AUTH a \"unterminated", .badArgument, "a quoted argument is missing its closing quote"),
        ("AUTH a \"x\"y", .badArgument, "a quoted argument must be followed by a space or the end of the line"),
        ("AUTH a \"\\n\"", .badArgument, "control characters are not allowed in arguments"),
        ("AUTH a \"\\u0000\"", .badArgument, "a \\u escape must name a printable character (no surrogates, no controls)"),
        ("", .malformedLine, "empty line"),
        ("   ", .malformedLine, "empty line"),
        ("# PING", .badArgument, "a request id is 1 to 64 bytes after '#'"),
        ("#abc", .malformedLine, "a request id needs a command after it"),
    ])
    func refuses(_ line: String, _ code: ErrorCode, _ message: String) {
        #expect(parse(line) == .failure(ProtocolError(code, message)))
    }

    @Test func controlBytesAndInvalidUTF8() {
        #expect(Request.parse([0x50, 0x49, 0x00, 0x4E, 0x47]) == .failure(ProtocolError(.malformedLine, "control byte 0x0 at column 3")))
        #expect(Request.parse(Array("PING\rX".utf8)) == .failure(ProtocolError(.malformedLine, "control byte 0xd at column 5")))
        #expect(Request.parse([0x50, 0x49, 0x4E, 0x47, 0x20, 0xC3, 0x28]) == .failure(ProtocolError(.invalidUTF8, "the line is not valid UTF-8")))
        #expect(Request.parse([0xFF]) == .failure(ProtocolError(.invalidUTF8, "the line is not valid UTF-8")))
    }

    @Test func unknownCommandEchoIsCleanedAndCut() throws {
        let long = String(repeating: "X", count: 100)
        guard case .failure(let error) = parse(long) else { Issue.record("parsed"); return }
        #expect(error.message == "unknown command '\(String(repeating: "X", count: 40))…'; HELP lists the commands")
    }
}

struct ReplyTests {
    @Test func linesAreOneLineWhateverTheInput() {
        #expect(Reply.ok(nil).line == "OK\n")
        #expect(Reply.ok("PONG").line == "OK PONG\n")
        #expect(Reply.error(.forbidden, "no\r\nway").line == "ERR forbidden no??way\n")
        #expect(Reply.event(kind: "case", json: "{\"a\":1}").line == "EVENT case {\"a\":1}\n")
        #expect(Reply.ok("a\u{7F}b\nc").line == "OK a?b?c\n")
    }

    @Test func multiByteTextIsKeptAroundTheControlCharacters() {
        #expect(Reply.clean("é→😀\u{1B}ü\u{0}") == "é→😀?ü?")
        #expect(Reply.clean("{\"x\":\"é\"}") == "{\"x\":\"é\"}")
        // Only C0 controls and DEL are replaced; U+0080…U+009F are two-byte scalars and pass.
        #expect(Reply.clean("\u{80}\u{9F}\t") == "\u{80}\u{9F}?")
    }

    @Test func everyCommandHasHelp() {
        let names = Set(CommandSpec.all.map(\.name))
        for name in ["PING", "QUIT", "HELP", "AUTH", "TOTP", "RESUME", "LOGOUT", "WHOAMI", "PASSWORD", "SUBMIT", "STATUS",
                     "QUEUE", "NEXT", "CLAIM", "SHOW", "TOUCH", "RELEASE", "APPROVE", "DECLINE", "ESCALATE", "RETURN",
                     "COMMENT", "REASSIGN", "WATCH", "UNWATCH", "INBOX", "STATS", "RELOAD", "USER"] {
            #expect(names.contains(name), "\(name) has no HELP entry")
        }
        #expect(names.count == CommandSpec.all.count)
    }

    @Test func errorCodesAreDistinctWords() {
        let codes = ErrorCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { !$0.contains(" ") && $0 == $0.lowercased() })
    }
}
