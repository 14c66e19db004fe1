/// Resolves names, checks types and lints a `PolicyAST`, producing a `CheckedPolicy` when there are no errors.
/// Every problem is reported in one run.
public enum Checker {
    public static func check(_ ast: PolicyAST) -> (CheckedPolicy?, [Diagnostic]) {
        var checker = CheckerState(ast: ast)
        let policy = checker.run()
        let diagnostics = checker.diagnostics
        return (diagnostics.hasErrors ? nil : policy, diagnostics)
    }
}

/// Where in a ruleset an expression stands, which decides the names it may read.
struct ExpressionContext {
    var what: String
    /// Knock-outs and routing may read `score` and `grade`; validation and values may not.
    var allowsScore: Bool
}

struct CheckerState {
    static let reservedNames: Set<String> = ["score", "grade", "missing"]

    /// What a reserved word means, to say why it cannot name a field or value; nil when the name is free.
    static func reservedMeaning(_ name: String) -> String? {
        switch name {
        case "score": return "it is the scorecard's total"
        case "grade": return "it is the grade given from the score"
        case "missing": return "it means an absent value"
        default: return ExpressionParser.keywords.contains(name) ? "it is a word of the expression language" : nil
        }
    }

    let ast: PolicyAST
    var diagnostics: [Diagnostic] = []
    var fields: [CheckedField] = []
    var fieldByPath: [String: Int] = [:]
    /// The last segment of each path, when it names one field only (nil when ambiguous).
    var fieldByShortName: [String: Int?] = [:]
    var tables: [CheckedTable] = []
    var tableByName: [String: Int] = [:]
    var valueDeclarationByName: [String: Int] = [:]
    /// Per declared value: nil until checked; its index in `values` once checked.
    var valueOrder: [Int?] = []
    /// Values being checked, outermost first: a name found here is a dependency cycle.
    var valueStack: [Int] = []
    /// Values whose check already failed: their errors are reported once, and their uses stay silent.
    var failedValues: Set<Int> = []
    /// Calls of `typeCheck` under way. Values read values, so this grows along a chain of values as well as
    /// down one expression; the cap keeps a hostile chain (`v1: v2 + 1`, `v2: v3 + 1`, … 20k times) from
    /// overflowing the stack. A debug build spends up to 9 KiB of stack per level, so 400 levels stay under 4 MiB.
    var checkDepth = 0
    var reportedTooDeep = false
    static let maximumCheckDepth = 400
    /// Tables whose declaration failed, so that calls to them do not also report an unknown function.
    var brokenTables: Set<String> = []
    var values: [CheckedValue] = []
    var valueFieldReads: [[Int]] = []
    var usedFields: Set<Int> = []
    var usedValues: Set<Int> = []
    var usedTables: Set<Int> = []
    var gradeNames: [String] = []

    init(ast: PolicyAST) {
        self.ast = ast
    }

    mutating func error(_ message: String, at location: SourceLocation, notes: [Diagnostic] = []) {
        diagnostics.append(.error(message, at: location, notes: notes))
    }

    mutating func warning(_ message: String, at location: SourceLocation) {
        diagnostics.append(.warning(message, at: location))
    }

    mutating func run() -> CheckedPolicy {
        var codes = ErrorCodes()
        if let custom = ast.settings?.errorCodes {
            codes.required = custom["required"] ?? codes.required
            codes.type = custom["type"] ?? codes.type
            codes.format = custom["format"] ?? codes.format
            codes.enumeration = custom["enum"] ?? codes.enumeration
            codes.range = custom["range"] ?? codes.range
            codes.malformedJSON = custom["malformed_json"] ?? codes.malformedJSON
        }
        declareFields()
        gradeNames = ast.grades?.bands.map(\.grade) ?? []
        declareTables()
        declareValues()
        for index in ast.values.indices { _ = checkValue(index) }
        let checks = checkChecks()
        let knockouts = checkKnockouts()
        let scorecard = checkScorecard()
        let grades = checkGrades(hasScorecard: scorecard != nil)
        let routes = checkRouting()
        // After an error, what is used is not known (a misspelt name uses nothing), so unused-name warnings
        // would only repeat the error in other words.
        if !diagnostics.hasErrors { lintUnused() }
        let identifiers = fields.indices.filter { ast.fields[$0].isIdentifier }
        if identifiers.count > 1 {
            error("only one field can be the id; '\(fields[identifiers[0]].path)' already is",
                  at: fields[identifiers[1]].location)
        }
        return CheckedPolicy(name: ast.settings?.name, errorCodes: codes, fields: fields, tables: tables, values: values,
                             checks: checks, knockouts: knockouts, scorecard: scorecard, grades: grades, routes: routes,
                             identifierField: identifiers.first)
    }

    /// Type-checks value `index` (and, first, the values it reads), returning its position in evaluation order.
    mutating func checkValue(_ index: Int) -> Int? {
        if let done = valueOrder[index] { return done }
        let declaration = ast.values[index]
        if valueStack.contains(index) || failedValues.contains(index) { return nil }
        valueStack.append(index)
        defer { valueStack.removeLast() }
        guard let typed = typeCheck(declaration.expression, ExpressionContext(what: "value '\(declaration.name)'", allowsScore: false)) else {
            failedValues.insert(index)
            return nil
        }
        if let order = valueOrder[index] { return order }
        let position = values.count
        values.append(CheckedValue(name: declaration.name, expression: typed, source: declaration.expression, location: declaration.location))
        valueFieldReads.append(fieldReads(of: typed))
        valueOrder[index] = position
        return position
    }

    /// Resolves a field by full path or unique last segment, with a did-you-mean on failure.
    mutating func resolveFieldName(_ name: String, at location: SourceLocation, what: String) -> Int? {
        if let index = fieldByPath[name] ?? fieldByShortName[name] ?? nil { return index }
        if case .some(.none) = fieldByShortName[name] {
            let paths = fields.filter { $0.segments.last == name }.map(\.path)
            error("'\(name)' is ambiguous (\(paths.joined(separator: ", "))); write the full path", at: location)
            return nil
        }
        let candidates = fields.map(\.path) + fields.compactMap { $0.segments.count > 1 ? $0.segments.last : nil }
        error("\(what) '\(name)' is not a declared field\(Suggestion.hint(for: name, in: candidates))", at: location)
        return nil
    }

    /// Fields an expression reads, directly or through values, in first-read order.
    func fieldReads(of expression: TypedExpression) -> [Int] {
        var result: [Int] = []
        func visit(_ node: TypedExpression) {
            switch node.kind {
            case .field(let index): if !result.contains(index) { result.append(index) }
            case .contains(let field, _): if !result.contains(field) { result.append(field) }
            case .value(let index): for field in valueFieldReads[index] where !result.contains(field) { result.append(field) }
            default: node.operands.forEach(visit)
            }
        }
        visit(expression)
        return result
    }

    private mutating func lintUnused() {
        for (index, field) in fields.enumerated() where !usedFields.contains(index) && !ast.fields[index].isIdentifier {
            warning("field '\(field.path)' is never used by a check, value, knock-out, scorecard or route", at: field.location)
        }
        for (index, declaration) in ast.values.enumerated() where valueOrder[index] != nil && !usedValues.contains(valueOrder[index]!) {
            warning("value '\(declaration.name)' is never used", at: declaration.location)
        }
        for (index, table) in tables.enumerated() where !usedTables.contains(index) {
            warning("table '\(table.name)' is never used", at: table.location)
        }
    }
}
