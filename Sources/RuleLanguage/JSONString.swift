/// A JSON string literal for any text: quotes, backslashes and control characters escaped, the rest as is.
/// Shared by rule tests (YAML → JSON), the store's canonical records and the command line.
public enum JSONString {
    public static func quote(_ text: String) -> String {
        // Most texts (codes, hashes, names) need no escape: one scan of the bytes, one concatenation.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + text + "\"" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
