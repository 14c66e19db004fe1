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
        let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "∞", with: "inf")
        guard let open = text.first, let close = text.last, "[(".contains(open), "])".contains(close),
              case let parts = text.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false), parts.count == 2,
              let lower = Self.number(fromPlain: parts[0].trimmingCharacters(in: .whitespaces)),
              let upper = Self.number(fromPlain: parts[1].trimmingCharacters(in: .whitespaces)) else {
            error("\(what) '\(raw)' is not an interval; write e.g. \"[300, 580)\" ('[' includes, ')' excludes, inf for no limit)", at: node.location)
            return nil
        }
        return checked(Interval(lower: lower, lowerInclusive: open == "[", upper: upper, upperInclusive: close == "]"), node, what)
    }

    private mutating func checked(_ interval: Interval, _ node: YAMLNode, _ what: String) -> Interval? {
        if interval.isEmpty {
            error("\(what) \(interval) is empty", at: node.location)
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

    /// Maps an offset in a scalar's value to the file: one-line scalars by column, others by walking the
    /// source's non-blank characters in step with the value's (folding only changes whitespace).
    func locator(for node: YAMLNode, text: String) -> (Int) -> SourceLocation {
        guard case .scalar(_, let style) = node.kind else { return { _ in node.location } }
        let start = node.location
        let quoted = style == .singleQuoted || style == .doubleQuoted
        if !text.contains("\n"), style != .literal, style != .folded {
            return { offset in start.advanced(by: offset + (quoted ? 1 : 0)) }
        }
        let value = Array(text.unicodeScalars)
        let lines = self.lines
        return { offset in
            let wanted = value[..<min(offset, value.count)].filter { !$0.properties.isWhitespace }.count
            var line = start.line - 1
            var column = start.column - 1 + (quoted ? 1 : 0)
            if style == .literal || style == .folded { line += 1; column = 0 }
            var seen = 0
            while line < lines.count {
                while column < lines[line].count {
                    if !lines[line][column].properties.isWhitespace {
                        if seen == wanted { return SourceLocation(file: start.file, line: line + 1, column: column + 1) }
                        seen += 1
                    }
                    column += 1
                }
                line += 1
                column = 0
            }
            return start
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: WhitespaceSet) -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

enum WhitespaceSet { case whitespaces }
