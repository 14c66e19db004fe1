/// A YAML node with the place it starts, as read from a rule file. Anchors, aliases and tags are refused
/// when reading, so the tree is exactly what the file spells out.
public struct YAMLNode: Sendable, Hashable {
    public enum ScalarStyle: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    public struct Pair: Sendable, Hashable {
        public var key: YAMLNode
        public var value: YAMLNode
    }

    public indirect enum Kind: Sendable, Hashable {
        case scalar(String, ScalarStyle)
        case mapping([Pair])
        case sequence([YAMLNode])
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The scalar's text, or nil for a mapping or sequence.
    public var scalar: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    /// A plain scalar that YAML would read as null (`~`, `null`, or nothing at all).
    public var isNull: Bool {
        if case .scalar(let text, .plain) = kind { return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL" }
        return false
    }

    /// A short name for the node's kind, for "expected a mapping, found a sequence".
    public var kindName: String {
        switch kind {
        case .scalar: return isNull ? "nothing" : "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}
