/// A line the server sends: a reply to a request (`OK …` or `ERR <code> <message>`) or a pushed event
/// (`EVENT <kind> <json>`), which a client tells apart by the first word.
///
///     C: NEXT
///     S: OK {"case_id":"APP-1","token":"9f…","level":1,"levels":2,…}
///     S: EVENT case {"case_id":"APP-7","action":"queued","tier":2,…}
///     C: APPROVE APP-1 0000
///     S: ERR lease-expired the lease on APP-1 ran out; claim it again
public enum Reply: Sendable, Hashable {
    /// `OK` alone, or `OK <payload>` where the payload is one JSON value or one word.
    case ok(String?)
    case error(ProtocolError)
    case event(kind: String, json: String)

    /// The line, LF-terminated. Nothing a client sent can put a CR or LF (or any other control byte) into it.
    public var line: String {
        switch self {
        case .ok(nil): return "OK\n"
        case .ok(let payload?): return "OK \(Reply.clean(payload))\n"
        case .error(let error): return "ERR \(error.code.rawValue) \(Reply.clean(error.message))\n"
        case .event(let kind, let json): return "EVENT \(Reply.clean(kind)) \(Reply.clean(json))\n"
        }
    }

    public static func error(_ code: ErrorCode, _ message: String) -> Reply {
        .error(ProtocolError(code, message))
    }

    /// Control characters become `?` and the text is cut at 4,096 scalars for messages that echo input.
    public static func clean(_ text: String) -> String {
        // A control character is one byte in UTF-8, and no byte of a multi-byte scalar is below 0x80: checking
        // the bytes is checking the scalars, without decoding them (every reply passes through here).
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        return String(out)
    }

    /// A short, printable rendering of client input for an error message.
    public static func quote(_ text: some StringProtocol, limit: Int = 40) -> String {
        let cut = text.unicodeScalars.count > limit ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit))) + "…" : String(text)
        return "'" + clean(cut) + "'"
    }
}
