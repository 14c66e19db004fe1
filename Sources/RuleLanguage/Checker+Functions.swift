/// Calls: tables used as functions, and the built-in functions with their arities and argument types.
extension CheckerState {
    mutating func call(_ name: String, _ arguments: [Expression], at location: SourceLocation, _ context: ExpressionContext) -> TypedExpression? {
        if let table = tableByName[name] {
            guard arguments.count == 1 else {
                error("table \(name)(…) takes one key, found \(arguments.count)", at: location)
                return nil
            }
            guard let key = typeCheck(arguments[0], context) else { return nil }
            guard key.type == tables[table].keyType else {
                error("table '\(name)' is keyed by \(tables[table].keyType.phrase), but this is \(key.type.phrase)", at: arguments[0].location)
                return nil
            }
            usedTables.insert(table)
            let incomplete = tables[table].values.contains { $0.isNaN }
            return TypedExpression(.table(table, key), type: .number, mayBeMissing: key.mayBeMissing || incomplete, at: location)
        }
        // A table whose declaration failed was reported there; calling it is not a second mistake.
        if brokenTables.contains(name) { return nil }
        guard let function = TypedExpression.Function(rawValue: name) else {
            let known = TypedExpression.Function.allCases.map(\.rawValue) + Array(tableByName.keys)
            error("unknown function '\(name)'\(Suggestion.hint(for: name, in: known))", at: location)
            return nil
        }
        func arity(_ range: ClosedRange<Int>) -> Bool {
            if range.contains(arguments.count) { return true }
            let wanted = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound) or \(range.upperBound)"
            error("\(name)() takes \(wanted) argument\(range.upperBound == 1 ? "" : "s"), found \(arguments.count)", at: location)
            return false
        }
        switch function {
        case .contains:
            guard arity(2...2) else { return nil }
            guard case .name(let listName) = arguments[0].kind,
                  let field = fieldByPath[listName] ?? fieldByShortName[listName] ?? nil, fields[field].type == .list else {
                error("contains() takes a list field first, e.g. contains(documents, \"income_proof\")", at: arguments[0].location)
                return nil
            }
            guard case .string(let text) = arguments[1].kind else {
                error("contains() takes a text literal second", at: arguments[1].location)
                return nil
            }
            usedFields.insert(field)
            var bit = fields[field].listConstants.firstIndex(of: text)
            if bit == nil {
                guard fields[field].listConstants.count < 52 else {
                    error("at most 52 different texts can be tested in list '\(fields[field].path)'", at: arguments[1].location)
                    return nil
                }
                fields[field].listConstants.append(text)
                bit = fields[field].listConstants.count - 1
                if case .list(let items) = ast.fields[field].defaultValue, items.contains(text) {
                    fields[field].defaultMask |= 1 << UInt64(bit!)
                }
            }
            let missing = !fields[field].required && fields[field].defaultValue == nil
            return TypedExpression(.contains(field: field, bit: bit!), type: .boolean, mayBeMissing: missing, at: location)
        case .exists:
            guard arity(1...1) else { return nil }
            if case .name(let name) = arguments[0].kind, let field = fieldByPath[name] ?? fieldByShortName[name] ?? nil, fields[field].type == .string {
                usedFields.insert(field)
                let typed = TypedExpression(.field(field), type: .string, mayBeMissing: !fields[field].required, at: arguments[0].location)
                return TypedExpression(.call(.exists, [typed]), type: .boolean, mayBeMissing: false, at: location)
            }
            guard let typed = typeCheck(arguments[0], context) else { return nil }
            if !typed.mayBeMissing {
                warning("exists() is always true here: this value is never missing", at: location)
            }
            return TypedExpression(.call(.exists, [typed]), type: .boolean, mayBeMissing: false, at: location)
        case .len:
            guard arity(1...1) else { return nil }
            guard let typed = typeCheck(arguments[0], context), expect(typed, .list, "len()") else { return nil }
            return TypedExpression(.call(.len, [typed]), type: .number, mayBeMissing: typed.mayBeMissing, at: location)
        case .coalesce:
            guard arity(2...2) else { return nil }
            let typedArguments = arguments.map { typeCheck($0, context) }
            guard let a = typedArguments[0], let b = typedArguments[1] else { return nil }
            guard a.type == b.type, a.type != .list, a.type != .string else {
                error("coalesce() needs two values of the same type; found \(a.type.phrase) and \(b.type.phrase)", at: location)
                return nil
            }
            return TypedExpression(.call(.coalesce, [a, b]), type: a.type, mayBeMissing: a.mayBeMissing && b.mayBeMissing, at: location)
        case .min, .max, .abs, .round, .floor, .ceil:
            let range: ClosedRange<Int> = function == .min || function == .max ? 2...Int.max : function == .round ? 1...2 : 1...1
            guard arity(range) else { return nil }
            var typed: [TypedExpression] = []
            for argument in arguments {
                guard let t = typeCheck(argument, context), expect(t, .number, "\(name)()") else { return nil }
                typed.append(t)
            }
            if function == .round, typed.count == 2 {
                guard case .constant(let digits) = typed[1].kind, digits == digits.rounded(), (0...15).contains(digits) else {
                    error("round()'s second argument is a whole number of decimal places from 0 to 15", at: typed[1].location)
                    return nil
                }
            }
            return TypedExpression(.call(function, typed), type: .number, mayBeMissing: typed.contains(where: \.mayBeMissing), at: location)
        }
    }
}
