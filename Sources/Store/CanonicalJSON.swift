import Foundation
import RuleLanguage

/// Deterministic JSON for hashed records: a flat object of strings, keys sorted, minimal escapes.
enum CanonicalJSON {
    static func object(_ fields: [String: String]) -> String {
        object(sorted: fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// The same text for fields already in key order (intake's records, whose keys are fixed): no dictionary,
    /// no sort, the bytes written into one buffer and turned into one string.
    static func object(sorted fields: [(String, String)]) -> String {
        assert(zip(fields, fields.dropFirst()).allSatisfy { $0.0 < $1.0 }, "keys must be sorted and distinct")
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 6 })
        out.append(0x7B) // {
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out.append(0x2C) } // ,
            quote(key, into: &out)
            out.append(0x3A) // :
            quote(value, into: &out)
        }
        out.append(0x7D) // }
        return String(decoding: out, as: UTF8.self)
    }

    static func string(_ text: String) -> String {
        JSONString.quote(text)
    }

    /// Appends the bytes of `JSONString.quote(text)`: the same escapes (`\"`, `\\`, `\n`, `\r`, `\t`, other
    /// control bytes as `\u00xx`), every other byte as it is (a Swift string is valid UTF-8, so copying its
    /// bytes is copying its scalars), with no per-scalar string building.
    static func quote(_ text: String, into out: inout [UInt8]) {
        var text = text
        out.append(0x22)
        text.withUTF8 { bytes in
            var plain = 0 // start of the bytes not yet copied
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<index]))
                plain = index + 1
                switch byte {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: out.append(contentsOf: [0x5C, 0x72])
                case 0x09: out.append(contentsOf: [0x5C, 0x74])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain...]))
        }
        out.append(0x22)
    }
}

/// UTC timestamps with milliseconds, e.g. `2026-11-22T20:31:00.123Z` (exact, so safe to hash). Written by hand:
/// it is on intake's hot path (two audit records per application) and `String(format:)` is slow.
public enum UTCTime {
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func put(_ value: Int, _ width: Int) {
            var digits = [UInt8](repeating: 0x30, count: width)
            var rest = value
            for index in stride(from: width - 1, through: 0, by: -1) {
                digits[index] = UInt8(0x30 + rest % 10)
                rest /= 10
            }
            out += digits
        }
        put(Int(parts.tm_year) + 1900, 4); out.append(0x2D)
        put(Int(parts.tm_mon) + 1, 2); out.append(0x2D)
        put(Int(parts.tm_mday), 2); out.append(0x54)
        put(Int(parts.tm_hour), 2); out.append(0x3A)
        put(Int(parts.tm_min), 2); out.append(0x3A)
        put(Int(parts.tm_sec), 2); out.append(0x2E)
        put(Int(milliseconds % 1000), 3); out.append(0x5A)
        return String(decoding: out, as: UTF8.self)
    }
}
