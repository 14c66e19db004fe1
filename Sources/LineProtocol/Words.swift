/// A cursor over a request line's bytes: words separated by spaces or tabs, JSON-quoted strings, and the rest.
struct Words {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool {
        var probe = self
        probe.skipBlanks()
        return probe.index == probe.bytes.count
    }

    /// The next bare word (no quoting), or nil at the end.
    mutating func word() -> String? {
        skipBlanks()
        let start = index
        while index < bytes.count, !Words.isBlank(bytes[index]) { index += 1 }
        return start == index ? nil : String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// The next argument: a bare word, or a JSON string literal when it starts with `"`.
    mutating func argument() throws(ProtocolError) -> String? {
        skipBlanks()
        guard index < bytes.count else { return nil }
        guard bytes[index] == UInt8(ascii: "\"") else { return word() }
        let (value, end) = try Words.quoted(bytes, from: index)
        index = end
        guard index == bytes.count || Words.isBlank(bytes[index]) else {
            throw ProtocolError(.badArgument, "a quoted argument must be followed by a space or the end of the line")
        }
        return value
    }

    /// The rest of the line as text, trimmed; a single quoted string is unquoted.
    mutating func text() throws(ProtocolError) -> String? {
        skipBlanks()
        guard index < bytes.count else { return nil }
        var end = bytes.count
        while end > index, Words.isBlank(bytes[end - 1]) { end -= 1 }
        if bytes[index] == UInt8(ascii: "\"") {
            let (value, after) = try Words.quoted(bytes, from: index)
            if after == end {
                index = bytes.count
                return value
            }
        }
        defer { index = bytes.count }
        return String(decoding: bytes[index..<end], as: UTF8.self)
    }

    /// The rest of the line's bytes exactly as sent (after the separating blanks).
    mutating func restBytes() -> [UInt8] {
        skipBlanks()
        defer { index = bytes.count }
        return Array(bytes[index...])
    }

    private mutating func skipBlanks() {
        while index < bytes.count, Words.isBlank(bytes[index]) { index += 1 }
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// Decodes the JSON string literal starting at `start`; returns it and the index after its closing quote.
    static func quoted(_ bytes: [UInt8], from start: Int) throws(ProtocolError) -> (String, Int) {
        var out: [UInt8] = []
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                return (String(decoding: out, as: UTF8.self), index + 1)
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { break }
                let escape = bytes[index + 1]
                index += 2
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "f"):
                    throw ProtocolError(.badArgument, "control characters are not allowed in arguments")
                case UInt8(ascii: "u"):
                    guard index + 4 <= bytes.count, let unit = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                          unit >= 0x20, unit != 0x7F, let scalar = Unicode.Scalar(unit) else {
                        throw ProtocolError(.badArgument, "a \\u escape must name a printable character (no surrogates, no controls)")
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    index += 4
                default:
                    throw ProtocolError(.badArgument, "unknown escape in a quoted argument")
                }
                continue
            default:
                out.append(byte)
            }
            index += 1
        }
        throw ProtocolError(.badArgument, "a quoted argument is missing its closing quote")
    }
}
