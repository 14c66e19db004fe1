#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cursor over one JSON text that validates as it goes (RFC 8259) without building anything.
struct JSONScanner {
    let base: UnsafePointer<UInt8>
    let count: Int
    var index = 0

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    /// The byte at the cursor, or 0 at the end (0 is never valid JSON outside a string).
    @inline(__always) var peek: UInt8 { index < count ? base[index] : 0 }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < count {
            let c = base[index]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            index += 1
        }
    }

    struct StringToken {
        var start: Int
        var length: Int
        var escaped: Bool
    }

    /// Reads a string at the cursor (on its opening quote); nil when malformed.
    mutating func string() -> StringToken? {
        index += 1
        let start = index
        var escaped = false
        while index < count {
            // Eight bytes at a time (SWAR) while none is a quote, a backslash, a control byte or non-ASCII: most
            // string bytes in applications are plain ASCII, and this loop is the decoder's hottest (perf: 13%).
            // Each term flags a byte's high bit; a term can only misfire above a byte it flags truly, so the
            // lowest flagged byte is a real stop and the bytes below it are plain.
            if index &+ 8 <= count {
                let v = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101
                let quote = v ^ (ones &* 0x22), backslash = v ^ (ones &* 0x5C)
                let flags = (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((v &- ones &* 0x20) & ~v) | v)
                    & 0x8080_8080_8080_8080
                if flags == 0 {
                    index &+= 8
                    continue
                }
                index &+= flags.trailingZeroBitCount >> 3
            }
            let c = base[index]
            if c == UInt8(ascii: "\"") {
                index += 1
                return StringToken(start: start, length: index - 1 - start, escaped: escaped)
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                guard index + 1 < count else { return nil }
                switch base[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard index + 5 < count, (2...5).allSatisfy({ Self.hexValue(base[index + $0]) != nil }) else { return nil }
                    index += 6
                default: return nil
                }
            } else if c < 0x20 {
                return nil
            } else if c < 0x80 {
                index += 1
            } else {
                guard let length = utf8SequenceLength(at: index) else { return nil }
                index += length
            }
        }
        return nil
    }

    /// Length of the valid UTF-8 sequence at `i` (lead byte >= 0x80), or nil (overlongs and surrogates refused).
    private func utf8SequenceLength(at i: Int) -> Int? {
        let lead = base[i]
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool { i + k < count && range.contains(base[i + k]) }
        switch lead {
        case 0xC2...0xDF: return continuation(1) ? 2 : nil
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : nil
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : nil
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : nil
        default: return nil
        }
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Writes a validated string's value as UTF-8. A lone surrogate escape becomes U+FFFD.
    func unescape(_ token: StringToken, into out: ByteBuffer) {
        var i = token.start
        let end = token.start + token.length
        while i < end {
            let c = base[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            let e = base[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(at: i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar), i + 5 < end + 1, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") {
                    let low = hex4(at: i + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                if (0xD800...0xDFFF).contains(scalar) { scalar = 0xFFFD }
                Self.appendUTF8(scalar, to: out)
            default: out.append(e)
            }
        }
    }

    private func hex4(at i: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 4 | (Self.hexValue(base[i + $1]) ?? 0) }
    }

    static func appendUTF8(_ scalar: UInt32, to out: ByteBuffer) {
        switch scalar {
        case 0..<0x80: out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6)); out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12)); out.append(UInt8(0x80 | (scalar >> 6) & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18)); out.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
            out.append(UInt8(0x80 | (scalar >> 6) & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Matches `literal` (true, false, null) at the cursor.
    mutating func literal(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard index + length <= count else { return false }
        let text = literal.utf8Start
        for k in 0..<length where base[index + k] != text[k] { return false }
        index += length
        return true
    }

    /// Skips any JSON value, validating it.
    mutating func skipValue(depth: Int) -> Bool {
        guard depth <= ApplicationDecoder.maximumDepth else { return false }
        switch peek {
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") { index += 1; return true }
            while true {
                guard peek == UInt8(ascii: "\""), string() != nil else { return false }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return false }
                index += 1
                skipWhitespace()
                guard skipValue(depth: depth + 1) else { return false }
                skipWhitespace()
                if peek == UInt8(ascii: ",") { index += 1; skipWhitespace(); continue }
                guard peek == UInt8(ascii: "}") else { return false }
                index += 1
                return true
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") { index += 1; return true }
            while true {
                guard skipValue(depth: depth + 1) else { return false }
                skipWhitespace()
                if peek == UInt8(ascii: ",") { index += 1; skipWhitespace(); continue }
                guard peek == UInt8(ascii: "]") else { return false }
                index += 1
                return true
            }
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number() != nil
        }
    }

    private static let powersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    /// Reads a number at the cursor as the nearest double to its text; nil when malformed.
    /// Exact fast path when the digits fit in 53 bits and the power of ten is within 10^±22 (both operands
    /// exact, one correctly rounded operation); otherwise strtod, which rounds correctly.
    mutating func number() -> Double? {
        let start = index
        var negative = false
        if peek == UInt8(ascii: "-") { negative = true; index += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        let integerStart = index
        while index < count, base[index] &- 0x30 < 10 {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(base[index] &- 0x30); if mantissa > 0 { digits += 1 } } else { exponent += 1 }
            index += 1
        }
        let integerDigits = index - integerStart
        guard integerDigits > 0, !(integerDigits > 1 && base[integerStart] == UInt8(ascii: "0")) else { return nil }
        if peek == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < count, base[index] &- 0x30 < 10 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(base[index] &- 0x30); if mantissa > 0 { digits += 1 }; exponent -= 1 }
                index += 1
            }
            guard index > fractionStart else { return nil }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { exponentNegative = peek == UInt8(ascii: "-"); index += 1 }
            let exponentStart = index
            var value = 0
            while index < count, base[index] &- 0x30 < 10 {
                if value < 100_000 { value = value * 10 + Int(base[index] &- 0x30) }
                index += 1
            }
            guard index > exponentStart else { return nil }
            exponent += exponentNegative ? -value : value
        }
        if digits < 19, mantissa <= 1 << 53, (-22...22).contains(exponent) {
            var value = Double(mantissa)
            value = exponent < 0 ? value / Self.powersOfTen[-exponent] : value * Self.powersOfTen[exponent]
            return negative ? -value : value
        }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        return slowNumber(from: start)
    }

    private func slowNumber(from start: Int) -> Double {
        let length = index - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for k in 0..<length { buffer[k] = CChar(bitPattern: base[start + k]) }
            buffer[length] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }
}
