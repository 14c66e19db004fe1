/// YAML → `PolicyAST`. A ruleset is a folder of files; each may hold any of the top-level sections.
/// List sections (`fields`, `tables`, `values`, `checks`, `knockouts`) add up across files in the order
/// given; `policy`, `scorecard`, `grades` and `routing` may each appear in one file only.
public enum PolicyReader {
    public static let sections = ["policy", "fields", "tables", "values", "checks", "knockouts", "scorecard", "grades", "routing"]

    /// Reads every source; all problems are reported, not just the first.
    public static func read(_ sources: [Source], limits: YAMLReader.Limits = .standard) -> (PolicyAST, [Diagnostic]) {
        var ast = PolicyAST()
        var diagnostics: [Diagnostic] = []
        var singletons: [String: SourceLocation] = [:]
        for source in sources {
            let root: YAMLNode
            switch YAMLReader.read(source, limits: limits) {
            case .failure(let diagnostic):
                diagnostics.append(diagnostic)
                continue
            case .success(nil):
                diagnostics.append(.warning("rule file is empty", at: SourceLocation(file: source.name, line: 1, column: 1)))
                continue
            case .success(let node?):
                root = node
            }
            var reader = NodeReader(source: source)
            guard case .mapping(let pairs) = root.kind else {
                reader.error("a rule file must be a mapping of sections (\(sections.joined(separator: ", "))), found \(root.kindName)", at: root.location)
                diagnostics += reader.diagnostics
                continue
            }
            for pair in pairs {
                let key = pair.key.scalar ?? ""
                if ["policy", "scorecard", "grades", "routing"].contains(key) {
                    if let first = singletons[key] {
                        reader.error("section '\(key)' is already defined", at: pair.key.location, notes: [.note("first defined here", at: first)])
                        continue
                    }
                    singletons[key] = pair.key.location
                }
                switch key {
                case "policy": ast.settings = reader.settings(pair.value)
                case "fields": ast.fields += reader.fields(pair.value)
                case "tables": ast.tables += reader.tables(pair.value)
                case "values": ast.values += reader.values(pair.value)
                case "checks": ast.checks += reader.checks(pair.value)
                case "knockouts": ast.knockouts += reader.knockouts(pair.value)
                case "scorecard": ast.scorecard = reader.scorecard(pair.value)
                case "grades": ast.grades = reader.grades(pair.value)
                case "routing": ast.routing = reader.routing(pair.value)
                default:
                    reader.error("unknown section '\(key)'\(Suggestion.hint(for: key, in: sections))", at: pair.key.location)
                }
            }
            diagnostics += reader.diagnostics
        }
        return (ast, diagnostics)
    }
}

extension NodeReader {
    static let errorCodeNames = ["required", "type", "format", "enum", "range", "malformed_json"]

    mutating func settings(_ node: YAMLNode) -> Settings? {
        guard let keys = mapping(node, "policy", allowed: ["name", "description", "error_codes"]) else { return nil }
        var codes: [String: String] = [:]
        if let node = keys["error_codes"], let map = mapping(node, "error_codes", allowed: Self.errorCodeNames) {
            for (name, value) in map {
                if let code = identifier(value, "error code for \(name)") { codes[name] = code }
            }
        }
        return Settings(name: keys["name"].flatMap { string($0, "policy name") }, errorCodes: codes, location: node.location)
    }

    /// Pairs of a mapping in file order (the section's declaration order matters).
    mutating func orderedPairs(_ node: YAMLNode, _ what: String) -> [YAMLNode.Pair] {
        guard case .mapping(let pairs) = node.kind else {
            error("\(what) must be a mapping of names to definitions, found \(node.kindName)", at: node.location)
            return []
        }
        return pairs
    }

    mutating func tables(_ node: YAMLNode) -> [TableDeclaration] {
        orderedPairs(node, "tables").compactMap { pair in
            guard let name = expressionName(pair.key, "table name"),
                  let keys = mapping(pair.value, "table '\(name)'", allowed: ["key", "values", "default"], required: ["key", "values"]),
                  let keyNode = keys["key"], let key = string(keyNode, "table key"), let valuesNode = keys["values"] else { return nil }
            var entries: [(key: String, value: Double, location: SourceLocation)] = []
            for entry in orderedPairs(valuesNode, "values of table '\(name)'") {
                if let value = number(entry.value, "table value") {
                    entries.append((entry.key.scalar ?? "", value, entry.key.location))
                }
            }
            let defaultValue = keys["default"].flatMap { number($0, "table default") }
            return TableDeclaration(name: name, key: key, keyLocation: keyNode.location, entries: entries,
                                    defaultValue: defaultValue, location: pair.key.location)
        }
    }

    mutating func values(_ node: YAMLNode) -> [ValueDeclaration] {
        orderedPairs(node, "values").compactMap { pair in
            guard let name = expressionName(pair.key, "value name"),
                  let expression = expression(pair.value, "value '\(name)'") else { return nil }
            return ValueDeclaration(name: name, expression: expression, location: pair.key.location)
        }
    }

    mutating func checks(_ node: YAMLNode) -> [CheckDeclaration] {
        (list(node, "checks") ?? []).compactMap { item in
            guard let keys = mapping(item, "check", allowed: ["code", "field", "when", "message"], required: ["code", "field", "when"]),
                  let code = keys["code"].flatMap({ identifier($0, "check code") }),
                  let fieldNode = keys["field"], let field = string(fieldNode, "check field"),
                  let condition = keys["when"].flatMap({ expression($0, "check condition") }) else { return nil }
            return CheckDeclaration(code: code, field: field, fieldLocation: fieldNode.location, condition: condition,
                                    message: keys["message"].flatMap { string($0, "message") }, location: item.location)
        }
    }

    mutating func knockouts(_ node: YAMLNode) -> [KnockoutDeclaration] {
        (list(node, "knockouts") ?? []).compactMap { item in
            guard let keys = mapping(item, "knock-out", allowed: ["code", "when", "message"], required: ["code", "when"]),
                  let code = keys["code"].flatMap({ identifier($0, "knock-out code") }),
                  let condition = keys["when"].flatMap({ expression($0, "knock-out condition") }) else { return nil }
            return KnockoutDeclaration(code: code, condition: condition,
                                       message: keys["message"].flatMap { string($0, "message") }, location: item.location)
        }
    }
}
