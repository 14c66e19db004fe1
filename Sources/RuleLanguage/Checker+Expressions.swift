extension CheckerState {
    /// Types an expression and resolves its names; nil after reporting errors.
    mutating func typeCheck(_ expression: Expression, _ context: ExpressionContext) -> TypedExpression? {
        let at = expression.location
        checkDepth += 1
        defer { checkDepth -= 1 }
        guard checkDepth <= CheckerState.maximumCheckDepth else {
            if !reportedTooDeep {
                error("too deeply nested to check: this expression and the values it reads go more than \(CheckerState.maximumCheckDepth) levels deep; split it or shorten the chain of values",
                      at: at)
                reportedTooDeep = true
            }
            return nil
        }
        switch expression.kind {
        case .number(let value):
            return TypedExpression(.constant(value), type: .number, mayBeMissing: false, at: at)
        case .boolean(let value):
            return TypedExpression(.constant(value ? 1 : 0), type: .boolean, mayBeMissing: false, at: at)
        case .string(let text):
            error("a text literal (\"\(text)\") can only be compared with an enum, listed after 'in', or passed to contains()", at: at)
            return nil
        case .name(let name):
            return resolve(name, at: at, context)
        case .call(let name, let arguments):
            return call(name, arguments, at: at, context)
        case .unary(.negate, let operand):
            guard let typed = typeCheck(operand, context), expect(typed, .number, "'-'") else { return nil }
            return TypedExpression(.unary(.negate, typed), type: .number, mayBeMissing: typed.mayBeMissing, at: at)
        case .unary(.not, let operand):
            guard let typed = typeCheck(operand, context), expect(typed, .boolean, "'not'") else { return nil }
            return TypedExpression(.unary(.not, typed), type: .boolean, mayBeMissing: typed.mayBeMissing, at: at)
        case .binary(let op, let lhs, let rhs):
            return binary(op, lhs, rhs, at: at, context)
        case .conditional(let condition, let then, let otherwise):
            let typedCondition = typeCheck(condition, context)
            let typedThen = typeCheck(then, context), typedElse = typeCheck(otherwise, context)
            guard let c = typedCondition, let a = typedThen, let b = typedElse, expect(c, .boolean, "the condition of 'if'") else { return nil }
            guard a.type == b.type else {
                error("the branches of 'if' have different types: \(a.type.phrase) and \(b.type.phrase)", at: otherwise.location)
                return nil
            }
            return TypedExpression(.conditional(c, a, b), type: a.type, mayBeMissing: c.mayBeMissing || a.mayBeMissing || b.mayBeMissing, at: at)
        case .membership(let operand, let list, let negated):
            return membership(operand, list, negated: negated, at: at, context)
        }
    }

    mutating func expect(_ typed: TypedExpression, _ type: ValueType, _ what: String) -> Bool {
        if typed.type == type { return true }
        error("\(what) needs \(type.phrase), but this is \(typed.type.phrase)", at: typed.location)
        return false
    }

    private mutating func resolve(_ name: String, at location: SourceLocation, _ context: ExpressionContext) -> TypedExpression? {
        if name == "score" || name == "grade" {
            guard context.allowsScore else {
                error("'\(name)' is only known after scoring; \(context.what) cannot read it (knock-outs and routes can)", at: location)
                return nil
            }
            if name == "score" {
                guard ast.scorecard != nil else { error("'score' needs a scorecard section", at: location); return nil }
                return TypedExpression(.score, type: .number, mayBeMissing: false, at: location)
            }
            guard !gradeNames.isEmpty else { error("'grade' needs a grades section", at: location); return nil }
            return TypedExpression(.grade, type: .enumeration(gradeNames), mayBeMissing: false, at: location)
        }
        if let declaration = valueDeclarationByName[name] {
            if let start = valueStack.firstIndex(of: declaration) {
                let cycle = (valueStack[start...] + [declaration]).map { ast.values[$0].name }
                error("value '\(name)' depends on itself: \(cycle.joined(separator: " → "))", at: location)
                return nil
            }
            guard let position = checkValue(declaration) else { return nil }
            usedValues.insert(position)
            let value = values[position]
            return TypedExpression(.value(position), type: value.expression.type, mayBeMissing: value.expression.mayBeMissing, at: location)
        }
        if tableByName[name] != nil {
            error("table '\(name)' is used like a function: \(name)(key)", at: location)
            return nil
        }
        if let index = fieldByPath[name] ?? fieldByShortName[name] ?? nil {
            usedFields.insert(index)
            let field = fields[index]
            if field.type == .string {
                error("string field '\(field.path)' can only be tested with exists(); declare it as an enum to compare its values", at: location)
                return nil
            }
            let missing = !field.required && field.defaultValue == nil
            return TypedExpression(.field(index), type: field.valueType, mayBeMissing: missing, at: location)
        }
        let candidates = Array(valueDeclarationByName.keys) + fields.map(\.path) + fields.compactMap { $0.segments.count > 1 ? $0.segments.last : nil }
        if case .some(.none) = fieldByShortName[name] {
            _ = resolveFieldName(name, at: location, what: "name")
            return nil
        }
        error("unknown name '\(name)'\(Suggestion.hint(for: name, in: candidates))", at: location)
        return nil
    }

    private mutating func binary(_ op: Expression.BinaryOperator, _ lhs: Expression, _ rhs: Expression,
                                 at location: SourceLocation, _ context: ExpressionContext) -> TypedExpression? {
        if op == .equal || op == .notEqual {
            if case .string(let text) = rhs.kind { return compareEnum(lhs, text, rhs.location, negated: op == .notEqual, at: location, context) }
            if case .string(let text) = lhs.kind { return compareEnum(rhs, text, lhs.location, negated: op == .notEqual, at: location, context) }
        }
        let typedLeft = typeCheck(lhs, context), typedRight = typeCheck(rhs, context)
        guard let a = typedLeft, let b = typedRight else { return nil }
        let missing = a.mayBeMissing || b.mayBeMissing
        if op.isArithmetic {
            guard expect(a, .number, "'\(op.rawValue)'"), expect(b, .number, "'\(op.rawValue)'") else { return nil }
            return TypedExpression(.binary(op, a, b), type: .number, mayBeMissing: missing, at: location)
        }
        if op == .and || op == .or {
            guard expect(a, .boolean, "'\(op.rawValue)'"), expect(b, .boolean, "'\(op.rawValue)'") else { return nil }
            return TypedExpression(.binary(op, a, b), type: .boolean, mayBeMissing: missing, at: location)
        }
        if op == .equal || op == .notEqual {
            guard a.type == b.type, a.type != .list else {
                var hint = ""
                if case .enumeration(let values) = a.type == .number ? b.type : a.type, a.type == .number || b.type == .number {
                    hint = "; an enum is compared with one of its values in quotes, e.g. == \"\(values[0])\""
                }
                error("cannot compare \(a.type.phrase) with \(b.type.phrase) using '\(op.rawValue)'\(hint)", at: location)
                return nil
            }
        } else {
            guard expect(a, .number, "'\(op.rawValue)'"), expect(b, .number, "'\(op.rawValue)'") else { return nil }
        }
        return TypedExpression(.binary(op, a, b), type: .boolean, mayBeMissing: missing, at: location)
    }

    /// `product == "personal"`: the literal must be one of the enum's values, and becomes its ordinal.
    private mutating func compareEnum(_ operand: Expression, _ text: String, _ textLocation: SourceLocation, negated: Bool,
                                      at location: SourceLocation, _ context: ExpressionContext) -> TypedExpression? {
        guard let typed = typeCheck(operand, context) else { return nil }
        guard case .enumeration(let values) = typed.type else {
            error("only enums can be compared with a text literal; this is \(typed.type.phrase)", at: operand.location)
            return nil
        }
        guard let ordinal = ordinal(of: text, in: values, at: textLocation, typed) else { return nil }
        let constant = TypedExpression(.constant(Double(ordinal)), type: typed.type, mayBeMissing: false, at: textLocation)
        return TypedExpression(.binary(negated ? .notEqual : .equal, typed, constant), type: .boolean, mayBeMissing: typed.mayBeMissing, at: location)
    }

    mutating func ordinal(of text: String, in values: [String], at location: SourceLocation, _ operand: TypedExpression) -> Int? {
        if let ordinal = values.firstIndex(of: text) { return ordinal }
        let subject: String
        switch operand.kind {
        case .field(let index): subject = fields[index].path
        case .grade: subject = "grade"
        default: subject = "this enum"
        }
        error("\"\(text)\" is not a value of \(subject) (\(values.joined(separator: ", ")))\(Suggestion.hint(for: text, in: values))", at: location)
        return nil
    }

    private mutating func membership(_ operand: Expression, _ list: [Expression], negated: Bool,
                                     at location: SourceLocation, _ context: ExpressionContext) -> TypedExpression? {
        guard let typed = typeCheck(operand, context) else { return nil }
        switch typed.type {
        case .enumeration(let values):
            var ordinals: [Int] = []
            for item in list {
                guard case .string(let text) = item.kind else {
                    error("the list after 'in' must hold text values of the enum", at: item.location)
                    return nil
                }
                guard let ordinal = ordinal(of: text, in: values, at: item.location, typed) else { return nil }
                ordinals.append(ordinal)
            }
            return TypedExpression(.enumMembership(typed, ordinals: ordinals, negated: negated), type: .boolean, mayBeMissing: typed.mayBeMissing, at: location)
        case .number:
            var numbers: [Double] = []
            for item in list {
                guard case .number(let value) = item.kind else {
                    error("the list after 'in' must hold numbers here", at: item.location)
                    return nil
                }
                numbers.append(value)
            }
            return TypedExpression(.numberMembership(typed, numbers, negated: negated), type: .boolean, mayBeMissing: typed.mayBeMissing, at: location)
        default:
            error("'in' needs an enum or a number on its left; this is \(typed.type.phrase) (use contains(list, \"x\") for lists)", at: operand.location)
            return nil
        }
    }
}
