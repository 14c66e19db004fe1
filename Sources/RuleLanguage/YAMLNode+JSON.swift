extension YAMLNode {
    /// The node as JSON text, for YAML rule tests whose applications are written in YAML. Plain scalars that
    /// read as null, true, false or a number become those; everything else is a string.
    public var jsonText: String {
        switch kind {
        case .mapping(let pairs):
            return "{" + pairs.map { JSONString.quote($0.key.scalar ?? "") + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        case .sequence(let items):
            return "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .scalar(let text, let style):
            guard style == .plain else { return JSONString.quote(text) }
            if isNull { return "null" }
            if text == "true" || text == "false" { return text }
            if YAMLNode.isJSONNumber(text) { return text }
            if let value = NodeReader.number(fromPlain: text), value.isFinite { return "\(value)" }
            return JSONString.quote(text)
        }
    }

    static func isJSONNumber(_ text: String) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        func digits() -> Int {
            var n = 0
            while let c = scalars.first, ("0"..."9").contains(c) { scalars.removeFirst(); n += 1 }
            return n
        }
        if scalars.first == "-" { scalars.removeFirst() }
        let leadingZero = scalars.first == "0"
        let integer = digits()
        guard integer > 0, !(leadingZero && integer > 1) else { return false }
        if scalars.first == "." {
            scalars.removeFirst()
            guard digits() > 0 else { return false }
        }
        if scalars.first == "e" || scalars.first == "E" {
            scalars.removeFirst()
            if scalars.first == "+" || scalars.first == "-" { scalars.removeFirst() }
            guard digits() > 0 else { return false }
        }
        return scalars.isEmpty
    }
}
