/// Typed access to YAML nodes that records a diagnostic, with the node's position, for every mismatch.
struct NodeReader {
    let source: Source
    private let lines: [[Unicode.Scalar]]
    var diagnostics: [Diagnostic] = []

    init(source: Source) {
        self.source = source
        self.lines = source.text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
    }

    mutating func error(_ message: String, at location: SourceLocation, notes: [Diagnostic] = []) {
        diagnostics.append(.error(message, at: location, notes: notes))
    }

    /// The pairs of a mapping whose keys must come from `allowed`; unknown keys get a did-you-mean.
    /// Keys in `required` must be present. Returns nil (after a diagnostic) when the node is not a mapping.
    mutating func mapping(_ node: YAMLNode, _ what: String, allowed: [String], required: [String] = []) -> [String: YAMLNode]? {
        guard case .mapping(let pairs) = node.kind else {
            error("\(what) must be a mapping, found \(node.kindName)", at: node.location)
            return nil
        }
        var result: [String: YAMLNode] = [:]
        for pair in pairs {
            let key = pair.key.scalar ?? ""
            if allowed.contains(key) {
                result[key] = pair.value
            } else {
                error("unknown key '\(key)' in \(what)\(Suggestion.hint(for: key, in: allowed))", at: pair.key.location)
            }
        }
        for key in required where result[key] == nil {
            error("\(what) is missing '\(key)'", at: node.location)
        }
        return result
    }

    mutating func list(_ node: YAMLNode, _ what: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.kind else {
            error("\(what) must be a list, found \(node.kindName)", at: node.location)
            return nil
        }
        return items
    }

    mutating func string(_ node: YAMLNode, _ what: String) -> String? {
        guard case .scalar(let text, _) = node.kind, !node.isNull else {
            error("\(what) must be a text value, found \(node.kindName)", at: node.location)
            return nil
        }
        return text
    }

    /// A code or id: letters, digits, `_`, `-` and `.`, starting with a letter.
    mutating func identifier(_ node: YAMLNode, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        let scalars = Array(text.unicodeScalars)
        let valid = !scalars.isEmpty && scalars.count <= 64 && scalars[0].properties.isAlphabetic && scalars[0].isASCII
            && scalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == ".") }
        if !valid {
            error("\(what) '\(text)' must start with a letter and hold only letters, digits, '_', '-' or '.' (at most 64)", at: node.location)
            return nil
        }
        return text
    }

    /// A name that expressions can use: a letter or '_' first, then letters, digits and '_' (at most 64).
    mutating func expressionName(_ node: YAMLNode, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        let scalars = Array(text.unicodeScalars)
        func isLetter(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c.properties.isAlphabetic || c == "_") }
        guard let first = scalars.first, isLetter(first), scalars.count <= 64,
              scalars.allSatisfy({ isLetter($0) || ("0"..."9").contains($0) }) else {
            let hint = text.contains("-") ? "; '-' would read as a minus sign, use '_'" : ""
            error("\(what) '\(text)' must start with a letter or '_' and hold only letters, digits and '_' (at most 64)\(hint)", at: node.location)
            return nil
        }
        return text
    }

    static func number(fromPlain text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", "inf", "+inf", "+.inf": return .infinity
        case "-.inf", "-.Inf", "-inf": return -.infinity
        default: break
        }
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        guard let first = cleaned.unicodeScalars.first, first == "-" || first == "+" || first == "." || ("0"..."9").contains(first) else { return nil }
        return Double(cleaned)
    }

    mutating func number(_ node: YAMLNode, _ what: String) -> Double? {
        if case .scalar(let text, .plain) = node.kind, let value = Self.number(fromPlain: text) { return value }
        error("\(what) must be a number, found \(describe(node))", at: node.location)
        return nil
    }

    mutating func integer(_ node: YAMLNode, _ what: String, minimum: Int = Int.min) -> Int? {
        guard let value = number(node, what) else { return nil }
        guard value == value.rounded(), abs(value) < 1e15, Int(value) >= minimum else {
            error("\(what) must be a whole number\(minimum == Int.min ? "" : " of at least \(minimum)"), found \(describe(node))", at: node.location)
            return nil
        }
        return Int(value)
    }

    mutating func boolean(_ node: YAMLNode, _ what: String) -> Bool? {
        if case .scalar(let text, .plain) = node.kind {
            if text == "true" { return true }
            if text == "false" { return false }
        }
        error("\(what) must be true or false, found \(describe(node))", at: node.location)
        return nil
    }

    func describe(_ node: YAMLNode) -> String {
        if case .scalar(let text, _) = node.kind, !node.isNull { return "'\(text.prefix(40))'" }
        return node.kindName
    }

    /// `[lo, hi)` / `(lo, hi]` as a string, or a two-item list `[lo, hi]` (both ends included).
    mutating func interval(_ node: YAMLNode, _ what: String) -> Interval? {
        if case .sequence(let items) = node.kind {
            guard items.count == 2, let lower = number(items[0], "\(what) lower bound"), let upper = number(items[1], "\(what) upper bound") else {
                if items.count != 2 { error("\(what) must have two bounds, e.g. \"[300, 580)\"", at: node.location) }
                return nil
            }
            return checked(Interval(lower: lower, lowerInclusive: true, upper: upper, upperInclusive: true), node, what)
        }
        guard case .scalar(let raw, _) = node.kind else {
            error("\(what) must be an interval such as \"[300, 580)\", found \(node.kindName)", at: node.location)
            return nil
        }
        let text = raw.trimmed().replacingOccurrences(of: "∞", with: "inf")
        guard let open = text.first, let close = text.last, "[(".contains(open), "])".contains(close),
              case let parts = text.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false), parts.count == 2,
              let lower = Self.number(fromPlain: parts[0].trimmed()),
              let upper = Self.number(fromPlain: parts[1].trimmed()) else {
            error("\(what) '\(raw)' is not an interval; write e.g. \"[300, 580)\" ('[' includes, ')' excludes, inf for no limit)", at: node.location)
            return nil
        }
        return checked(Interval(lower: lower, lowerInclusive: open == "[", upper: upper, upperInclusive: close == "]"), node, what)
    }

    private mutating func checked(_ interval: Interval, _ node: YAMLNode, _ what: String) -> Interval? {
        if interval.isEmpty {
            let why = interval.lower > interval.upper ? "its lower bound is above its upper bound" : "it holds no value"
            error("\(what) \(interval) is empty: \(why)", at: node.location)
            return nil
        }
        return interval
    }

    /// Parses a scalar as an expression, mapping positions inside it back to the file.
    mutating func expression(_ node: YAMLNode, _ what: String) -> Expression? {
        guard case .scalar(let text, _) = node.kind, !node.isNull else {
            error("\(what) must be an expression, found \(node.kindName)", at: node.location)
            return nil
        }
        if text.allSatisfy(\.isWhitespace) {
            error("\(what) is empty", at: node.location)
            return nil
        }
        let locate = locator(for: node, text: text)
        switch ExpressionParser.parse(text, locate: locate) {
        case .success(let expression): return expression
        case .failure(let diagnostic):
            diagnostics.append(diagnostic)
            return nil
        }
    }

    /// Maps an offset in a scalar's value to the file. The value's non-blank characters are matched, in order,
    /// with the source's: folding a scalar across lines changes only whitespace, and a quoted scalar's escapes
    /// (`\"`, `\\`, `''`) stand for one value character each. Built once per scalar, so every token of a long
    /// expression is located in constant time; the end of the value is just after its last character.
    func locator(for node: YAMLNode, text: String) -> (Int) -> SourceLocation {
        guard case .scalar(_, let style) = node.kind else { return { _ in node.location } }
        let start = node.location
        let value = Array(text.unicodeScalars)
        var solidBefore: [Int] = []
        solidBefore.reserveCapacity(value.count + 1)
        var solid = 0
        for scalar in value {
            solidBefore.append(solid)
            if !scalar.properties.isWhitespace { solid += 1 }
        }
        solidBefore.append(solid)
        let places = Self.places(of: solid, in: lines, from: start, style: style)
        return { offset in
            let clamped = min(max(offset, 0), value.count)
            let index = solidBefore[clamped]
            if clamped == value.count {
                return index > 0 && index <= places.count ? places[index - 1].advanced(by: 1) : start
            }
            return index < places.count ? places[index] : start
        }
    }

    /// Where the first `count` non-blank value characters of a scalar starting at `start` are written.
    static func places(of count: Int, in lines: [[Unicode.Scalar]], from start: SourceLocation, style: YAMLNode.ScalarStyle) -> [SourceLocation] {
        var result: [SourceLocation] = []
        result.reserveCapacity(count)
        var line = start.line - 1, column = start.column - 1
        switch style {
        case .singleQuoted, .doubleQuoted: column += 1
        case .literal, .folded: line += 1; column = 0
        case .plain: break
        }
        while line < lines.count, result.count < count {
            let text = lines[line]
            while column < text.count, result.count < count {
                let scalar = text[column]
                var width = 1
                var counts = !scalar.properties.isWhitespace
                if style == .doubleQuoted, scalar == "\\" {
                    let next: Unicode.Scalar? = column + 1 < text.count ? text[column + 1] : nil
                    switch next {
                    case nil: counts = false // an escaped line break
                    case "x": width = 4
                    case "u": width = 6
                    case "U": width = 10
                    default: width = 2
                    }
                    if let next, "tnr _NLP\t".unicodeScalars.contains(next) { counts = false }
                } else if style == .singleQuoted, scalar == "'", column + 1 < text.count, text[column + 1] == "'" {
                    width = 2
                }
                if counts { result.append(SourceLocation(file: start.file, line: line + 1, column: column + 1)) }
                column += width
            }
            line += 1
            column = 0
        }
        return result
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space (the pure core does without Foundation).
    func trimmed() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

