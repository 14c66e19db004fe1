import RuleLanguage

extension Evaluator {
    /// A readable report of the last evaluation: each field and check, each value, each knock-out, each
    /// characteristic's bin and points, the reasons, the route and why. Produced from the registers the fast
    /// path left behind, so explaining costs nothing until asked for.
    public func explanation() -> String {
        let e = policy.explanations
        let p = e.policy
        var out: [String] = []
        let verdict = route >= 0 ? "\(outcome) by route \(p.routes[Int(route)].id)" : "\(outcome)"
        out.append("Application \(identifierPresent ? String(decoding: identifier, as: UTF8.self) : "(no application id)"): \(verdict)")
        if let name = p.name { out.append("Policy: \(name)") }
        if malformed {
            out += ["", "The input is not valid JSON (\(p.errorCodes.malformedJSON)); nothing else was checked."]
            return out.joined(separator: "\n")
        }
        out += ["", "Validation (field checks in declaration order, then cross-field checks)"]
        var rows: [[String]] = []
        for (index, field) in p.fields.enumerated() {
            rows.append(["  " + field.path, describeField(index), failed[index] ? "FAILED" : "ok", schemaNote(field)])
        }
        for (index, check) in p.checks.enumerated() {
            let blocked = check.reads.filter { failed[$0] }.map { p.fields[$0].path }
            let status: String
            if !blocked.isEmpty {
                status = "skipped (\(blocked.joined(separator: ", ")) failed)"
            } else {
                status = errors.contains(Int32(index)) ? "FAILED" : "passed"
            }
            rows.append(["  check \(check.code)", "on \(p.fields[check.field].path)", status,
                         "fails when \(check.source)" + (check.message.map { " — \($0)" } ?? "")])
        }
        out += table(rows)
        if outcome == .invalid {
            out += ["", "Invalid: \(errors.count) error\(errors.count == 1 ? "" : "s"); nothing further is evaluated."]
            return out.joined(separator: "\n")
        }
        if !p.values.isEmpty {
            out += ["", "Values"]
            out += table(p.values.enumerated().map { index, value in
                ["  " + value.name, "= " + describe(registers[Int(e.valueRegisters[index])], as: value.expression.type), value.source.description]
            })
        }
        if let scorecard = p.scorecard {
            out += ["", "Scorecard (base \(Expression.format(scorecard.base)))"]
            out += table(scorecard.characteristics.enumerated().map { index, characteristic in
                describeCharacteristic(index, characteristic)
            })
            let band = grade >= 0 ? p.grades[Int(grade)] : nil
            let gradeNote = band.map { " → grade \($0.grade)\($0.minimumScore.map { " (min_score \(Expression.format($0)))" } ?? "")" } ?? ""
            out.append("  score \(format(score))\(gradeNote)")
            out += ["", "Reasons (most points lost first, at most \(scorecard.maximumReasons))"]
            if reasons.isEmpty { out.append("  none") }
            for (rank, reason) in reasons.enumerated() { out.append("  \(rank + 1). \(e.reasonCodes[Int(reason)])") }
        }
        if !p.knockouts.isEmpty {
            out += ["", "Knock-outs"]
            out += table(p.knockouts.enumerated().map { index, knockout in
                ["  " + knockout.code, knockouts.contains(Int32(index)) ? "HIT" : "no",
                 knockout.source.description + (knockout.message.map { " — \($0)" } ?? "")]
            })
        }
        out += ["", "Routing (the first route that matches decides)"]
        if !knockouts.isEmpty {
            out.append("  not routed: knocked out (\(knockouts.map { p.knockouts[Int($0)].code }.joined(separator: ", "))) → declined")
        } else {
            out += table(p.routes.enumerated().map { index, route in
                let status = index < matchedRoute ? "no" : index == matchedRoute ? "MATCH" : "not reached"
                var why = route.source?.description ?? "always"
                if index == matchedRoute {
                    why += "  ⇒ \(route.outcome.rawValue)"
                    if !route.levels.isEmpty {
                        why += " to tier\(route.levels.count > 1 ? "s" : "") \(route.levels.map(String.init).joined(separator: " then ")), SLA \(route.slaHours.map(String.init).joined(separator: "/")) h"
                    }
                }
                return ["  " + route.id, status, why]
            })
        }
        return out.joined(separator: "\n")
    }

    /// The index of the route that decided, or past every route when none did.
    private var matchedRoute: Int { route >= 0 ? Int(route) : Int.max }

    private func format(_ value: Double) -> String {
        value.isNaN ? "missing" : Expression.format(value)
    }

    /// A register's value as its type reads: true/false, an enum's name, or a number.
    private func describe(_ value: Double, as type: ValueType) -> String {
        guard !value.isNaN else { return "missing" }
        switch type {
        case .boolean: return value == 1 ? "true" : "false"
        case .enumeration(let names): return Int(value) < names.count ? names[Int(value)] : format(value)
        default: return format(value)
        }
    }

    private func describeField(_ index: Int) -> String {
        let field = policy.explanations.policy.fields[index]
        switch fieldStates[index] {
        case .absent:
            if field.required { return "absent" }
            return field.defaultValue == nil ? "absent → missing" : "absent → default \(describeValue(index, registers[index]))"
        case .typeError: return "wrong type (\(field.type))"
        case .formatError: return "does not match the pattern"
        case .enumError: return "not one of its values"
        case .present:
            if failed[index] { return "out of range" }
            if index == policy.identifierField { return "\"\(String(decoding: identifier, as: UTF8.self))\"" }
            return describeValue(index, registers[index])
        }
    }

    private func describeValue(_ index: Int, _ value: Double) -> String {
        let field = policy.explanations.policy.fields[index]
        switch field.type {
        case .enumeration(let values): return value.isNaN ? "missing" : values[Int(value)]
        case .boolean: return value.isNaN ? "missing" : value == 1 ? "true" : "false"
        case .list: return value.isNaN ? "missing" : "\(Expression.format(value)) item\(value == 1 ? "" : "s")"
        case .string: return "present"
        case .number, .integer: return format(value)
        }
    }

    private func schemaNote(_ field: CheckedField) -> String {
        var notes = [field.required ? "required" : "optional", "\(field.type)"]
        if let range = field.range { notes.append("range \(range)") }
        if let pattern = field.pattern { notes.append("pattern \(pattern)") }
        return notes.joined(separator: ", ")
    }

    private func describeCharacteristic(_ index: Int, _ characteristic: CheckedCharacteristic) -> [String] {
        let register = Int(policy.explanations.characteristicRegisters[index])
        let subject = characteristic.source.map { source in
            "\(source) = \(register >= 0 ? describe(registers[register], as: characteristic.value?.type ?? .number) : "?")"
        } ?? ""
        let matched = Int(matchedBins[index])
        guard matched >= 0 else { return ["  " + characteristic.name, subject, "no bin matched", "+0"] }
        let bin = characteristic.bins[matched - Int(policy.binStarts[index])]
        let test: String
        switch bin.test {
        case .missing: test = "bin missing"
        case .range(let interval): test = "bin \(interval)"
        case .equals(let value):
            if case .enumeration(let values)? = characteristic.value?.type { test = "bin = \(values[Int(value)])" } else { test = "bin = \(Expression.format(value))" }
        case .condition(_, let source): test = "bin when \(source)"
        case .otherwise: test = "bin otherwise"
        }
        let lost = characteristic.maximumPoints - bin.points
        let reason = bin.reason.map { ", reason \($0)" } ?? ""
        let points = bin.points < 0 ? Expression.format(bin.points) : "+" + Expression.format(bin.points)
        return ["  " + characteristic.name, subject, test, points,
                "(max \(Expression.format(characteristic.maximumPoints)), lost \(Expression.format(lost))\(reason))"]
    }

    /// Left-aligned columns, two spaces apart.
    private func table(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(to: widths[column])
            }.joined(separator: "  ")
        }
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
