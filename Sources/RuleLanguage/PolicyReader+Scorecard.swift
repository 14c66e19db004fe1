extension NodeReader {
    static let binTests = ["missing", "range", "equals", "when", "otherwise"]

    mutating func scorecard(_ node: YAMLNode) -> ScorecardDeclaration? {
        guard let keys = mapping(node, "scorecard", allowed: ["base", "reasons", "characteristics"], required: ["characteristics"]) else { return nil }
        let base = keys["base"].flatMap { integer($0, "scorecard base") }.map(Double.init) ?? 0
        var maximumReasons = 4
        if let reasons = keys["reasons"], let map = mapping(reasons, "reasons", allowed: ["max"], required: ["max"]) {
            maximumReasons = map["max"].flatMap { integer($0, "reasons max", minimum: 0) } ?? maximumReasons
        }
        let characteristics = (keys["characteristics"].flatMap { list($0, "characteristics") } ?? []).compactMap { characteristic($0) }
        return ScorecardDeclaration(base: base, maximumReasons: maximumReasons, characteristics: characteristics, location: node.location)
    }

    private mutating func characteristic(_ node: YAMLNode) -> CharacteristicDeclaration? {
        guard let keys = mapping(node, "characteristic", allowed: ["name", "value", "bins", "description"], required: ["name", "bins"]),
              let name = keys["name"].flatMap({ identifier($0, "characteristic name") }) else { return nil }
        let value = keys["value"].flatMap { expression($0, "value of characteristic '\(name)'") }
        let bins = (keys["bins"].flatMap { list($0, "bins") } ?? []).compactMap { bin($0, of: name) }
        return CharacteristicDeclaration(name: name, value: value, bins: bins, location: node.location)
    }

    private mutating func bin(_ node: YAMLNode, of characteristic: String) -> BinDeclaration? {
        guard let keys = mapping(node, "bin of '\(characteristic)'", allowed: Self.binTests + ["points", "reason"], required: ["points"]) else { return nil }
        let tests = Self.binTests.filter { keys[$0] != nil }
        guard tests.count == 1, let key = tests.first, let testNode = keys[key] else {
            error("a bin needs exactly one of \(Self.binTests.joined(separator: ", "))\(tests.isEmpty ? "" : "; found \(tests.joined(separator: " and "))")", at: node.location)
            return nil
        }
        let test: BinDeclaration.Test
        switch key {
        case "missing":
            guard boolean(testNode, "missing") == true else { return nil }
            test = .missing
        case "otherwise":
            guard boolean(testNode, "otherwise") == true else { return nil }
            test = .otherwise
        case "range":
            guard let interval = interval(testNode, "range") else { return nil }
            test = .range(interval)
        case "equals":
            guard case .scalar(let text, let style) = testNode.kind, !testNode.isNull else {
                error("equals must be a number or a text value", at: testNode.location)
                return nil
            }
            if style == .plain, let value = Self.number(fromPlain: text) {
                test = .equals(.number(value))
            } else if style == .plain, text == "true" || text == "false" {
                test = .equals(.boolean(text == "true"))
            } else {
                test = .equals(.string(text))
            }
        default:
            guard let condition = expression(testNode, "bin condition") else { return nil }
            test = .condition(condition)
        }
        guard let points = keys["points"].flatMap({ integer($0, "points") }) else { return nil }
        let reason = keys["reason"].flatMap { identifier($0, "reason code") }
        return BinDeclaration(test: test, points: Double(points), reason: reason, location: node.location)
    }

    mutating func grades(_ node: YAMLNode) -> GradesDeclaration? {
        guard let items = list(node, "grades") else { return nil }
        var bands: [(grade: String, minimumScore: Double?, location: SourceLocation)] = []
        for item in items {
            guard let keys = mapping(item, "grade", allowed: ["grade", "min_score"], required: ["grade"]),
                  let grade = keys["grade"].flatMap({ identifier($0, "grade") }) else { continue }
            bands.append((grade, keys["min_score"].flatMap { integer($0, "min_score") }.map(Double.init), item.location))
        }
        return GradesDeclaration(bands: bands, location: node.location)
    }

    mutating func routing(_ node: YAMLNode) -> RoutingDeclaration? {
        guard let items = list(node, "routing") else { return nil }
        let routes = items.compactMap { route($0) }
        return RoutingDeclaration(routes: routes, location: node.location)
    }

    private mutating func route(_ node: YAMLNode) -> RouteDeclaration? {
        let allowed = ["route", "when", "outcome", "levels", "sla_hours", "description"]
        guard let keys = mapping(node, "route", allowed: allowed, required: ["route", "outcome"]),
              let id = keys["route"].flatMap({ identifier($0, "route id") }),
              let outcomeNode = keys["outcome"], let outcomeName = string(outcomeNode, "outcome") else { return nil }
        guard let outcome = RouteOutcome(rawValue: outcomeName) else {
            let names = RouteOutcome.allCases.map(\.rawValue)
            error("unknown outcome '\(outcomeName)'\(Suggestion.hint(for: outcomeName, in: names, listing: "a route's outcome is \(names.joined(separator: ", "))"))",
                  at: outcomeNode.location)
            return nil
        }
        var condition: Expression?
        if let whenNode = keys["when"] {
            if case .scalar("always", .plain) = whenNode.kind {
                condition = nil
            } else {
                guard let parsed = expression(whenNode, "route condition") else { return nil }
                condition = parsed
            }
        }
        var levels: [Int] = []
        if let node = keys["levels"] {
            levels = (list(node, "levels") ?? []).compactMap { integer($0, "tier", minimum: 1) }
        }
        var sla: [Int] = []
        if let node = keys["sla_hours"] {
            if case .sequence(let items) = node.kind {
                sla = items.compactMap { integer($0, "sla_hours", minimum: 1) }
                if sla.count != levels.count {
                    error("sla_hours lists \(sla.count) value\(sla.count == 1 ? "" : "s") for \(levels.count) level\(levels.count == 1 ? "" : "s")", at: node.location)
                }
            } else if let hours = integer(node, "sla_hours", minimum: 1) {
                sla = Array(repeating: hours, count: levels.count)
            }
        }
        switch outcome {
        case .referred:
            // One message when both are missing: they are one fix, and two errors on one caret read as noise.
            let noLevels = keys["levels"] == nil || levels.isEmpty, noSLA = keys["sla_hours"] == nil
            if noLevels && noSLA {
                error("route \(id) is referred but lists no approval levels or sla_hours; add e.g. 'levels: [1]' and 'sla_hours: 24'", at: outcomeNode.location)
            } else if noLevels {
                error("route \(id) is referred but lists no approval levels; add e.g. 'levels: [1]'", at: outcomeNode.location)
            } else if noSLA {
                error("route \(id) is referred but sets no sla_hours; add e.g. 'sla_hours: 24' (hours per level)", at: outcomeNode.location)
            }
        case .approved, .declined:
            if let node = keys["levels"] { error("route \(id) is \(outcome.rawValue); only referred routes have levels", at: node.location) }
            if let node = keys["sla_hours"] { error("route \(id) is \(outcome.rawValue); only referred routes have sla_hours", at: node.location) }
        }
        return RouteDeclaration(id: id, condition: condition, outcome: outcome, levels: levels, slaHours: sla,
                                description: keys["description"].flatMap { string($0, "description") }, location: node.location)
    }
}
