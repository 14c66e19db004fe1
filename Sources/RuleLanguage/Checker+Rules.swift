extension CheckerState {
    mutating func checkChecks() -> [CheckedCheck] {
        var result: [CheckedCheck] = []
        var seen: [String: SourceLocation] = [:]
        for declaration in ast.checks {
            let field = resolveFieldName(declaration.field, at: declaration.fieldLocation, what: "check field")
            let context = ExpressionContext(what: "check \(declaration.code)", allowsScore: false)
            guard let condition = typeCheck(declaration.condition, context), expect(condition, .boolean, "a check's 'when'"),
                  let field else { continue }
            let key = "\(declaration.code) \(fields[field].path)"
            if let first = seen[key] {
                error("check \(declaration.code) on '\(fields[field].path)' is declared twice", at: declaration.location,
                      notes: [.note("first declared here", at: first)])
                continue
            }
            seen[key] = declaration.location
            result.append(CheckedCheck(code: declaration.code, field: field, condition: condition, source: declaration.condition,
                                       reads: fieldReads(of: condition), message: declaration.message, location: declaration.location))
        }
        return result
    }

    mutating func checkKnockouts() -> [CheckedKnockout] {
        var result: [CheckedKnockout] = []
        var seen: [String: SourceLocation] = [:]
        for declaration in ast.knockouts {
            if let first = seen[declaration.code] {
                error("knock-out \(declaration.code) is declared twice", at: declaration.location, notes: [.note("first declared here", at: first)])
                continue
            }
            seen[declaration.code] = declaration.location
            let context = ExpressionContext(what: "knock-out \(declaration.code)", allowsScore: true)
            guard let condition = typeCheck(declaration.condition, context), expect(condition, .boolean, "a knock-out's 'when'") else { continue }
            result.append(CheckedKnockout(code: declaration.code, condition: condition, source: declaration.condition,
                                          message: declaration.message, location: declaration.location))
        }
        return result
    }

    mutating func checkGrades(hasScorecard: Bool) -> [CheckedGrade] {
        guard let declaration = ast.grades else { return [] }
        if ast.scorecard == nil {
            error("grades need a scorecard to grade", at: declaration.location)
        }
        var result: [CheckedGrade] = []
        var seen: [String: SourceLocation] = [:]
        for (index, band) in declaration.bands.enumerated() {
            if let first = seen[band.grade] {
                error("grade \(band.grade) is declared twice", at: band.location, notes: [.note("first declared here", at: first)])
            }
            seen[band.grade] = band.location
            let isLast = index == declaration.bands.count - 1
            if let minimum = band.minimumScore {
                if isLast { error("the last grade must have no min_score, so that it takes every lower score", at: band.location) }
                if let previous = result.last?.minimumScore, minimum >= previous {
                    error("grade \(band.grade)'s min_score \(Expression.format(minimum)) is not below grade \(result.last!.grade)'s \(Expression.format(previous)); it can never be given",
                          at: band.location)
                }
            } else if !isLast {
                error("grade \(band.grade) has no min_score, so the grades after it can never be given", at: band.location)
            }
            result.append(CheckedGrade(grade: band.grade, minimumScore: band.minimumScore, location: band.location))
        }
        if result.isEmpty { error("grades lists no grade", at: declaration.location) }
        return result
    }

    mutating func checkRouting() -> [CheckedRoute] {
        guard let declaration = ast.routing else {
            error("the ruleset has no routing table; add a 'routing' section ending with a catch-all route",
                  at: ast.fields.first?.location ?? SourceLocation(file: "rules", line: 1, column: 1))
            return []
        }
        var result: [CheckedRoute] = []
        var seen: [String: SourceLocation] = [:]
        for route in declaration.routes {
            if let first = seen[route.id] {
                error("route \(route.id) is declared twice", at: route.location, notes: [.note("first declared here", at: first)])
            }
            seen[route.id] = route.location
            var condition: TypedExpression?
            if let source = route.condition {
                let context = ExpressionContext(what: "route \(route.id)", allowsScore: true)
                guard let typed = typeCheck(source, context), expect(typed, .boolean, "a route's 'when'") else { continue }
                condition = typed
            }
            result.append(CheckedRoute(id: route.id, condition: condition, source: route.condition, outcome: route.outcome,
                                       levels: route.levels, slaHours: route.slaHours, location: route.location))
        }
        guard declaration.routes.count == result.count, !result.isEmpty else {
            if result.isEmpty, declaration.routes.isEmpty { error("the routing table has no routes", at: declaration.location) }
            return result
        }
        // A catch-all before the end is reported by the analysis below as making the later rows unreachable.
        func isCatchAll(_ route: CheckedRoute) -> Bool {
            guard let condition = route.condition else { return true }
            if case .constant(1) = condition.kind { return true }
            return false
        }
        if !result.contains(where: isCatchAll) {
            error("the routing table has no catch-all row: its last route needs no 'when' (or 'when: always')", at: result.last!.location)
        }
        for diagnostic in RouteAnalysis.unreachable(result) {
            diagnostics.append(diagnostic)
        }
        return result
    }
}
