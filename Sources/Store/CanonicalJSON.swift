import Foundation
import RuleLanguage

/// Deterministic JSON for hashed records: a flat object of strings, keys sorted, minimal escapes.
enum CanonicalJSON {
    static func object(_ fields: [String: String]) -> String {
        var out = "{"
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            out += string(key) + ":" + string(fields[key]!)
        }
        return out + "}"
    }

    static func string(_ text: String) -> String {
        JSONString.quote(text)
    }
}

/// UTC timestamps with milliseconds, e.g. `2026-11-22T20:31:00.123Z` (exact, so safe to hash). Written by hand:
/// it is on intake's hot path (two audit records per application) and `String(format:)` is slow.
enum UTCTime {
    static func format(_ date: Date) -> String {
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
