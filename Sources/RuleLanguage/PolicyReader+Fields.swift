extension NodeReader {
    static let fieldKeys = ["type", "required", "default", "values", "pattern", "range", "id", "description"]
    static let typeNames = ["string", "number", "integer", "boolean", "enum", "list"]

    mutating func fields(_ node: YAMLNode) -> [FieldDeclaration] {
        orderedPairs(node, "fields").compactMap { field($0) }
    }

    private mutating func field(_ pair: YAMLNode.Pair) -> FieldDeclaration? {
        guard let path = string(pair.key, "field name") else { return nil }
        let segments = path.split(separator: ".", omittingEmptySubsequences: false)
        guard !segments.isEmpty, segments.allSatisfy({ !$0.isEmpty && !$0.contains(where: { $0.isWhitespace }) }) else {
            error("field name '\(path)' must be a name or a dotted path such as applicant.age", at: pair.key.location)
            return nil
        }
        let what = "field '\(path)'"
        guard let keys = mapping(pair.value, what, allowed: Self.fieldKeys, required: ["type"]),
              let typeNode = keys["type"], let typeName = string(typeNode, "type") else { return nil }
        var type: FieldType
        switch typeName {
        case "string": type = .string
        case "number": type = .number
        case "integer": type = .integer
        case "boolean": type = .boolean
        case "list": type = .list
        case "enum":
            guard let valuesNode = keys["values"] else {
                error("\(what) is an enum but has no 'values'", at: typeNode.location)
                return nil
            }
            var values: [String] = []
            for item in list(valuesNode, "enum values") ?? [] {
                guard let value = string(item, "enum value") else { continue }
                if values.contains(value) { error("enum value '\(value)' is listed twice", at: item.location) }
                values.append(value)
            }
            if values.isEmpty { error("\(what) has no enum values", at: valuesNode.location) }
            type = .enumeration(values)
        default:
            error("unknown type '\(typeName)'\(Suggestion.hint(for: typeName, in: Self.typeNames, listing: "the types are \(Self.typeNames.joined(separator: ", "))"))",
                  at: typeNode.location)
            return nil
        }
        if keys["values"] != nil, typeName != "enum" {
            error("'values' only applies to enum fields", at: keys["values"]!.location)
        }
        let required = keys["required"].flatMap { boolean($0, "required") } ?? false
        var pattern: String?
        if let node = keys["pattern"] {
            if type != .string { error("'pattern' only applies to string fields", at: node.location) }
            pattern = string(node, "pattern")
            // Checked here, where the scalar's style is known, so the caret lands on the offending character
            // even inside quotes and escapes. On a field that cannot have a pattern, one error is enough.
            if type == .string, let text = pattern, case .failure(let failure) = Pattern.parse(text) {
                error("invalid pattern: \(failure.message)", at: locator(for: node, text: text)(failure.offset))
                pattern = nil
            }
        }
        var range: Interval?
        if let node = keys["range"] {
            if type != .number && type != .integer { error("'range' only applies to number and integer fields", at: node.location) }
            range = interval(node, "range")
        }
        var defaultValue: Literal?
        if let node = keys["default"] {
            if required { error("a required field cannot have a default", at: node.location) }
            defaultValue = literal(node, of: type, "default of \(what)")
            if case .number(let value)? = defaultValue, let range, !range.contains(value) {
                error("default \(Expression.format(value)) of \(what) is outside its range \(range)", at: node.location)
            }
        }
        let isIdentifier = keys["id"].flatMap { boolean($0, "id") } ?? false
        if isIdentifier, type != .string { error("the id field must be a string", at: keys["id"]!.location) }
        return FieldDeclaration(path: path, type: type, required: required, defaultValue: defaultValue,
                                pattern: pattern, patternLocation: keys["pattern"]?.location, range: range,
                                isIdentifier: isIdentifier, description: keys["description"].flatMap { string($0, "description") },
                                location: pair.key.location)
    }

    mutating func literal(_ node: YAMLNode, of type: FieldType, _ what: String) -> Literal? {
        switch type {
        case .number:
            return number(node, what).map(Literal.number)
        case .integer:
            return integer(node, what).map { .number(Double($0)) }
        case .boolean:
            return boolean(node, what).map(Literal.boolean)
        case .string:
            return string(node, what).map(Literal.string)
        case .enumeration(let values):
            guard let value = string(node, what) else { return nil }
            guard values.contains(value) else {
                error("\(what) is '\(value)', which is not one of its values (\(values.joined(separator: ", ")))\(Suggestion.hint(for: value, in: values))",
                      at: node.location)
                return nil
            }
            return .string(value)
        case .list:
            guard let items = list(node, what) else { return nil }
            return .list(items.compactMap { string($0, "list item") })
        }
    }
}
