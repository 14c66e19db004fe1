// An independent, deliberately simple RFC 8259 parser used by the fuzz targets as an oracle: to check that
// the decisions the engine writes are valid JSON, and to cross-check the engine's own strict decoder.
// It shares no code with Sources/RuleEngine on purpose (a bug copied into the oracle would hide itself).

/// A parsed JSON value. Numbers keep their source text; strings are UTF-8 bytes after unescaping, with
/// lone surrogate escapes replaced by U+FFFD (the engine's documented behaviour).
indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number([UInt8])
    case string([UInt8])
    case array([JSONValue])
    case object([JSONMember])

    /// The last member named `key` (a repeated key counts once, the last one winning).
    func member(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        let wanted = Array(key.utf8)
        return members.last(where: { $0.key == wanted })?.value
    }

    var stringValue: String? {
        if case .string(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var isNull: Bool { self == .null }
}

struct JSONMember: Equatable {
    var key: [UInt8]
    var value: JSONValue
}

struct StrictJSON {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Values nested deeper than this are refused; the outermost value has depth `firstDepth`.
    let maximumDepth: Int
    var position = 0

    /// Parses exactly one JSON text (surrounding whitespace allowed); nil if it is not valid JSON or nests
    /// deeper than `maximumDepth`.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int, firstDepth: Int = 1) -> JSONValue? {
        var parser = StrictJSON(bytes: bytes, maximumDepth: maximumDepth)
        parser.whitespace()
        guard let value = parser.value(depth: firstDepth) else { return nil }
        parser.whitespace()
        return parser.position == bytes.count ? value : nil
    }

    static func parse(_ bytes: [UInt8], maximumDepth: Int, firstDepth: Int = 1) -> JSONValue? {
        bytes.withUnsafeBufferPointer { parse($0, maximumDepth: maximumDepth, firstDepth: firstDepth) }
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func whitespace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
    }

    private mutating func expect(_ text: String) -> Bool {
        for byte in text.utf8 {
            guard current == byte else { return false }
            position += 1
        }
        return true
    }

    private mutating func value(depth: Int) -> JSONValue? {
        guard depth <= maximumDepth, let c = current else { return nil }
        switch c {
        case UInt8(ascii: "{"):
            position += 1
            whitespace()
            var members: [JSONMember] = []
            if current == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                guard current == UInt8(ascii: "\""), let key = string() else { return nil }
                whitespace()
                guard current == UInt8(ascii: ":") else { return nil }
                position += 1
                whitespace()
                guard let item = value(depth: depth + 1) else { return nil }
                members.append(JSONMember(key: key, value: item))
                whitespace()
                if current == UInt8(ascii: ",") { position += 1; whitespace(); continue }
                guard current == UInt8(ascii: "}") else { return nil }
                position += 1
                return .object(members)
            }
        case UInt8(ascii: "["):
            position += 1
            whitespace()
            var items: [JSONValue] = []
            if current == UInt8(ascii: "]") { position += 1; return .array(items) }
            while true {
                guard let item = value(depth: depth + 1) else { return nil }
                items.append(item)
                whitespace()
                if current == UInt8(ascii: ",") { position += 1; whitespace(); continue }
                guard current == UInt8(ascii: "]") else { return nil }
                position += 1
                return .array(items)
            }
        case UInt8(ascii: "\""):
            return string().map { .string($0) }
        case UInt8(ascii: "t"): return expect("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return expect("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return expect("null") ? .null : nil
        default: return number()
        }
    }

    private static func isDigit(_ c: UInt8?) -> Bool {
        guard let c else { return false }
        return c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
    }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func number() -> JSONValue? {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        guard Self.isDigit(current) else { return nil }
        if current == UInt8(ascii: "0") {
            position += 1
        } else {
            while Self.isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard Self.isDigit(current) else { return nil }
            while Self.isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard Self.isDigit(current) else { return nil }
            while Self.isDigit(current) { position += 1 }
        }
        return .number(Array(bytes[start..<position]))
    }

    private static func hex(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }

    private mutating func hex4() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for k in 0..<4 {
            guard let digit = Self.hex(bytes[position + k]) else { return nil }
            value = value << 4 | digit
        }
        position += 4
        return value
    }

    private static func encode(_ scalar: UInt32, into out: inout [UInt8]) {
        out.append(contentsOf: Array(String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8))
    }

    /// Decodes one UTF-8 sequence by value (not by a table): refuses overlongs, surrogates, > U+10FFFF.
    private mutating func utf8Scalar() -> UInt32? {
        let lead = bytes[position]
        let length: Int, initial: UInt32, minimum: UInt32
        switch lead {
        case 0x00...0x7F: position += 1; return UInt32(lead)
        case 0xC0...0xDF: length = 2; initial = UInt32(lead & 0x1F); minimum = 0x80
        case 0xE0...0xEF: length = 3; initial = UInt32(lead & 0x0F); minimum = 0x800
        case 0xF0...0xF7: length = 4; initial = UInt32(lead & 0x07); minimum = 0x10000
        default: return nil
        }
        guard position + length <= bytes.count else { return nil }
        var scalar = initial
        for k in 1..<length {
            let c = bytes[position + k]
            guard c & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(c & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return nil }
        position += length
        return scalar
    }

    private mutating func string() -> [UInt8]? {
        position += 1
        var out: [UInt8] = []
        while let c = current {
            switch c {
            case UInt8(ascii: "\""):
                position += 1
                return out
            case UInt8(ascii: "\\"):
                position += 1
                guard let e = current else { return nil }
                position += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800...0xDBFF).contains(scalar), position + 6 <= bytes.count,
                       bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        let save = position
                        position += 2
                        if let low = hex4(), (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save
                        }
                    }
                    Self.encode(scalar, into: &out)
                default: return nil
                }
            case 0x00..<0x20:
                return nil
            default:
                let start = position
                guard utf8Scalar() != nil else { return nil }
                out.append(contentsOf: bytes[start..<position])
            }
        }
        return nil
    }
}
