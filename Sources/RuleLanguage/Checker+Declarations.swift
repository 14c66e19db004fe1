/// Declarations: fields, tables and values get their slots and names before any expression is checked,
/// so that expressions may refer to names declared later or in another file.
extension CheckerState {
    mutating func declareFields() {
        if ast.fields.isEmpty {
            error("the ruleset declares no input fields; add a 'fields' section", at: ast.routing?.location ?? SourceLocation(file: "rules", line: 1, column: 1))
        }
        for declaration in ast.fields {
            if let first = fieldByPath[declaration.path] {
                error("field '\(declaration.path)' is declared twice", at: declaration.location,
                      notes: [.note("first declared here", at: fields[first].location)])
                continue
            }
            let segments = declaration.path.split(separator: ".").map(String.init)
            if let clash = fields.first(where: { $0.segments.starts(with: segments) || segments.starts(with: $0.segments) }) {
                error("field '\(declaration.path)' clashes with '\(clash.path)': one cannot be both a value and an object",
                      at: declaration.location, notes: [.note("declared here", at: clash.location)])
                continue
            }
            if let meaning = Self.reservedMeaning(declaration.path) {
                error("'\(declaration.path)' is a reserved name (\(meaning)); rename the field", at: declaration.location)
            }
            var pattern: Pattern?
            if let text = declaration.pattern {
                switch Pattern.parse(text) {
                case .success(let parsed): pattern = parsed
                case .failure(let failure):
                    let at = declaration.patternLocation ?? declaration.location
                    error("invalid pattern: \(failure.message)", at: at.advanced(by: failure.offset + 1))
                }
            }
            var defaultValue: Double?
            // A number default outside the field's range is reported by the reader, at the default itself.
            switch declaration.defaultValue {
            case .number(let value): defaultValue = value
            case .boolean(let value): defaultValue = value ? 1 : 0
            case .string(let text):
                if case .enumeration(let values) = declaration.type, let ordinal = values.firstIndex(of: text) {
                    defaultValue = Double(ordinal)
                } else {
                    error("a string field cannot have a default; only its absence can be tested", at: declaration.location)
                }
            case .list(let items): defaultValue = Double(items.count)
            case nil: break
            }
            let index = fields.count
            fieldByPath[declaration.path] = index
            let short = segments.last!
            if short != declaration.path {
                if Self.reservedNames.contains(short) {
                    // `score` and `grade` name the scorecard's results; the field keeps its full path only.
                    warning("write '\(declaration.path)' in full in expressions: '\(short)' alone means the scorecard's \(short)",
                            at: declaration.location)
                } else {
                    fieldByShortName[short] = fieldByShortName[short] == nil ? index : .some(nil)
                }
            }
            fields.append(CheckedField(path: declaration.path, segments: segments, type: declaration.type,
                                       required: declaration.required, defaultValue: defaultValue, defaultMask: 0,
                                       pattern: pattern, range: declaration.range, listConstants: [],
                                       location: declaration.location, description: declaration.description))
        }
    }

    mutating func declareTables() {
        for declaration in ast.tables {
            if tableByName[declaration.name] != nil || fieldByPath[declaration.name] != nil {
                error("'\(declaration.name)' is already declared", at: declaration.location)
                continue
            }
            guard let keyField = resolveFieldName(declaration.key, at: declaration.keyLocation, what: "table key") else {
                brokenTables.insert(declaration.name)
                continue
            }
            guard case .enumeration(let keys) = fields[keyField].valueType else {
                error("table '\(declaration.name)' must be keyed by an enum field; '\(declaration.key)' is \(fields[keyField].valueType.phrase)",
                      at: declaration.keyLocation)
                brokenTables.insert(declaration.name)
                continue
            }
            var entries = [Double](repeating: declaration.defaultValue ?? .nan, count: keys.count)
            var seen = Set<Int>()
            var misspelt = false
            for entry in declaration.entries {
                guard let ordinal = keys.firstIndex(of: entry.key) else {
                    error("'\(entry.key)' is not a value of \(declaration.key) (\(keys.joined(separator: ", ")))\(Suggestion.hint(for: entry.key, in: keys))",
                          at: entry.location)
                    misspelt = true
                    continue
                }
                seen.insert(ordinal)
                entries[ordinal] = entry.value
            }
            // A misspelt key is already an error, and it is usually the entry this warning would call absent.
            let absent = keys.indices.filter { !seen.contains($0) }.map { keys[$0] }
            if !absent.isEmpty, declaration.defaultValue == nil, !misspelt {
                warning("table '\(declaration.name)' has no entry for \(absent.joined(separator: ", ")), so it gives a missing value there; add \(absent.count == 1 ? "the entry" : "the entries") or a 'default'",
                        at: declaration.location)
            }
            tableByName[declaration.name] = tables.count
            tables.append(CheckedTable(name: declaration.name, values: entries, keyType: .enumeration(keys), location: declaration.location))
        }
    }

    mutating func declareValues() {
        valueOrder = Array(repeating: nil, count: ast.values.count)
        for (index, declaration) in ast.values.enumerated() {
            let name = declaration.name
            if let first = valueDeclarationByName[name] {
                error("value '\(name)' is declared twice", at: declaration.location,
                      notes: [.note("first declared here", at: ast.values[first].location)])
                continue
            }
            if let field = fieldByPath[name] ?? fieldByShortName[name] ?? nil {
                error("value '\(name)' has the same name as field '\(fields[field].path)'; rename one", at: declaration.location)
                continue
            }
            let clash = Self.reservedMeaning(name).map { "is a reserved name (\($0))" }
                ?? (tableByName[name] != nil ? "already names a table" : TypedExpression.Function(rawValue: name) != nil ? "is a function's name" : nil)
            if let clash {
                error("'\(name)' \(clash); rename the value", at: declaration.location)
                continue
            }
            valueDeclarationByName[name] = index
        }
    }
}
