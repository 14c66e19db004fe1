/// The raw text of each member of a top-level JSON object, without re-encoding anything (so numbers keep
/// their exact digits). Used by rule tests, whose lines wrap an application in `{"application": …}`.
public enum JSONMembers {
    /// Key (unescaped) and the byte range of its value, in order; nil if the text is not a JSON object.
    public static func spans(in bytes: [UInt8]) -> [(key: String, range: Range<Int>)]? {
        bytes.withUnsafeBufferPointer { buffer -> [(key: String, range: Range<Int>)]? in
            guard let base = buffer.baseAddress else { return nil }
            var s = JSONScanner(base: base, count: buffer.count)
            s.skipWhitespace()
            guard s.peek == UInt8(ascii: "{") else { return nil }
            s.index += 1
            s.skipWhitespace()
            var result: [(key: String, range: Range<Int>)] = []
            if s.peek == UInt8(ascii: "}") {
                s.index += 1
                s.skipWhitespace()
                return s.index == s.count ? result : nil
            }
            let scratch = ByteBuffer()
            while true {
                guard s.peek == UInt8(ascii: "\""), let token = s.string() else { return nil }
                scratch.count = 0
                s.unescape(token, into: scratch)
                let key = String(decoding: scratch.contents, as: UTF8.self)
                s.skipWhitespace()
                guard s.peek == UInt8(ascii: ":") else { return nil }
                s.index += 1
                s.skipWhitespace()
                let start = s.index
                guard s.skipValue(depth: 1) else { return nil }
                result.append((key, start..<s.index))
                s.skipWhitespace()
                if s.peek == UInt8(ascii: ",") { s.index += 1; s.skipWhitespace(); continue }
                guard s.peek == UInt8(ascii: "}") else { return nil }
                s.index += 1
                s.skipWhitespace()
                return s.index == s.count ? result : nil
            }
        }
    }

    /// Whether the text is exactly one valid JSON object (whitespace around it allowed), checked without building
    /// anything: the server's SUBMIT uses it on every application, so it must cost one scan and no allocation.
    public static func isObject(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            var s = JSONScanner(base: base, count: buffer.count)
            s.skipWhitespace()
            guard s.peek == UInt8(ascii: "{"), s.skipValue(depth: 0) else { return false }
            s.skipWhitespace()
            return s.index == s.count
        }
    }
}
