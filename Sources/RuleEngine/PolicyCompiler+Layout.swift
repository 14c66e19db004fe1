import RuleLanguage

extension Emitter {
    /// Emits into the shared values block, where values are read from their registers.
    mutating func emitShared(_ expression: TypedExpression) -> Int32 {
        var none: [Int: Int32]? = nil
        return emit(expression, inlined: &none)
    }

    mutating func build() -> CompiledPolicy {
        let fields = policy.fields
        // Checks first: each inlines the values it reads, since checks run before the values block.
        let checkRanges = policy.checks.map { unit($0.condition, inlineValues: true) }
        var readStarts: [Int32] = [0], reads: [Int32] = []
        for check in policy.checks {
            reads += check.reads.map(Int32.init)
            readStarts.append(Int32(reads.count))
        }
        // The values block: every value in dependency order, then each characteristic's value.
        let valuesStart = Int32(code.count)
        for value in policy.values {
            valueRegisters.append(emitShared(value.expression))
        }
        let characteristics = policy.scorecard?.characteristics ?? []
        let characteristicRegisters: [Int32] = characteristics.map { characteristic in
            characteristic.value.map { emitShared($0) } ?? -1
        }
        let valuesRange = CodeRange(start: valuesStart, end: Int32(code.count), result: -1)
        let knockoutRanges = policy.knockouts.map { unit($0.condition) }

        var reasonCodes: [String] = []
        var bins: [Bin] = [], binStarts: [Int32] = [0]
        for characteristic in characteristics {
            for bin in characteristic.bins {
                var reason: Int32 = -1
                if let code = bin.reason {
                    if let index = reasonCodes.firstIndex(of: code) { reason = Int32(index) } else {
                        reason = Int32(reasonCodes.count)
                        reasonCodes.append(code)
                    }
                }
                var condition = CodeRange(start: 0, end: 0, result: 0)
                if case .condition(let expression, _) = bin.test { condition = unit(expression) }
                let compiled = Bin(bin.test, condition: condition, points: bin.points, reason: reason)
                bins.append(compiled)
            }
            binStarts.append(Int32(bins.count))
        }
        let routeRanges: [CodeRange?] = policy.routes.map { route in route.condition.map { unit($0) } }
        let outcomes: [Outcome] = policy.routes.map {
            switch $0.outcome {
            case .approved: return .approved
            case .declined: return .declined
            case .referred: return .referred
            }
        }
        var gradeMinimums = policy.grades.map { $0.minimumScore ?? -.infinity }
        if !gradeMinimums.isEmpty { gradeMinimums[gradeMinimums.count - 1] = -.infinity }

        let kinds: [FieldKind] = fields.map {
            switch $0.type {
            case .string: return .string
            case .number: return .number
            case .integer: return .integer
            case .boolean: return .boolean
            case .enumeration: return .enumeration
            case .list: return .list
            }
        }
        let texts: [[[UInt8]]] = fields.map { field in
            if case .enumeration(let values) = field.type { return values.map { Array($0.utf8) } }
            return field.listConstants.map { Array($0.utf8) }
        }
        let explanations = PolicyExplanations(policy: policy, reasonCodes: reasonCodes, valueRegisters: valueRegisters,
                                              characteristicRegisters: characteristicRegisters)
        return CompiledPolicy(
            registerCount: registerCount, template: template,
            fieldCount: fields.count, fieldKinds: kinds, fieldRequired: fields.map(\.required),
            fieldDefaults: fields.map { $0.defaultValue ?? .nan },
            fieldDefaultMasks: fields.map { $0.defaultValue == nil ? .nan : Double($0.defaultMask) },
            fieldRanges: fields.map(\.range), fieldPatterns: fields.map(\.pattern), fieldTexts: texts,
            identifierField: policy.identifierField ?? -1,
            code: code, pool: pool, valuesRange: valuesRange, checkRanges: checkRanges,
            checkFields: policy.checks.map { Int32($0.field) }, checkReadStarts: readStarts, checkReads: reads,
            knockoutRanges: knockoutRanges,
            hasScorecard: policy.scorecard != nil, base: policy.scorecard?.base ?? 0,
            maximumReasons: policy.scorecard?.maximumReasons ?? 0,
            characteristicValues: characteristicRegisters, characteristicMaximum: characteristics.map(\.maximumPoints),
            binStarts: binStarts, bins: bins, gradeMinimums: gradeMinimums,
            routeRanges: routeRanges, routeOutcomes: outcomes,
            scoreRegister: scoreRegister, gradeRegister: gradeRegister,
            explanations: explanations)
    }
}
