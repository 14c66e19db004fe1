import RuleLanguage

/// The front door of the rule engine: rule texts in, a compiled policy and diagnostics out. The caller reads
/// the files; the result is immutable and safe to share between threads.
public enum RuleCompiler {
    public static func compile(sources: [Source], limits: YAMLReader.Limits = .standard) -> (CompiledPolicy?, [Diagnostic]) {
        let (ast, readDiagnostics) = PolicyReader.read(sources, limits: limits)
        if readDiagnostics.hasErrors {
            return (nil, readDiagnostics.sortedForDisplay())
        }
        let (checked, checkDiagnostics) = Checker.check(ast)
        let diagnostics = (readDiagnostics + checkDiagnostics).sortedForDisplay()
        guard let checked else { return (nil, diagnostics) }
        return (compile(checked), diagnostics)
    }

    /// Lays out registers and emits code for a checked policy.
    public static func compile(_ policy: CheckedPolicy) -> CompiledPolicy {
        var emitter = Emitter(policy: policy)
        return emitter.build()
    }
}

struct Emitter {
    let policy: CheckedPolicy
    var registerCount: Int
    var constants: [UInt64: Int32] = [:]
    var template: [Double]
    var code: [Instruction] = []
    var pool: [Double] = []
    var tableOffsets: [Int32] = []
    var valueRegisters: [Int32] = []
    let scoreRegister: Int32
    let gradeRegister: Int32

    init(policy: CheckedPolicy) {
        self.policy = policy
        let fields = policy.fields.count
        registerCount = 2 * fields + 2
        scoreRegister = Int32(2 * fields)
        gradeRegister = Int32(2 * fields + 1)
        template = Array(repeating: .nan, count: registerCount)
        for table in policy.tables {
            tableOffsets.append(Int32(pool.count))
            pool += table.values
        }
    }

    mutating func temporary() -> Int32 {
        template.append(.nan)
        registerCount += 1
        return Int32(registerCount - 1)
    }

    mutating func constant(_ value: Double) -> Int32 {
        if let register = constants[value.bitPattern] { return register }
        let register = temporary()
        template[Int(register)] = value
        constants[value.bitPattern] = register
        return register
    }

    mutating func instruction(_ op: Instruction.Opcode, _ a: Int32, _ b: Int32 = 0, _ c: Int32 = 0) -> Int32 {
        let dst = temporary()
        code.append(Instruction(op, dst: dst, a: a, b: b, c: c))
        return dst
    }

    /// Emits one self-contained unit; with `inlineValues`, values it reads are computed inside it (checks run
    /// before the values block).
    mutating func unit(_ expression: TypedExpression, inlineValues: Bool = false) -> CodeRange {
        let start = Int32(code.count)
        var inlined: [Int: Int32]? = inlineValues ? [:] : nil
        if inlineValues {
            // Every value the unit reads first, unconditionally: a value first computed inside a
            // short-circuited operand would be stale wherever the unit reads it again.
            for index in Self.valuesRead(by: expression) {
                _ = emit(TypedExpression(.value(index), type: expression.type, mayBeMissing: true, at: expression.location), inlined: &inlined)
            }
        }
        let result = emit(expression, inlined: &inlined)
        return CodeRange(start: start, end: Int32(code.count), result: result)
    }

    mutating func emit(_ e: TypedExpression, inlined: inout [Int: Int32]?) -> Int32 {
        switch e.kind {
        case .constant(let value): return constant(value)
        case .field(let index): return Int32(index)
        case .value(let index):
            guard inlined != nil else { return valueRegisters[index] }
            if let register = inlined?[index] { return register }
            let register = emit(policy.values[index].expression, inlined: &inlined)
            inlined?[index] = register
            return register
        case .score: return scoreRegister
        case .grade: return gradeRegister
        case .table(let table, let key):
            let k = emit(key, inlined: &inlined)
            return instruction(.lookup, k, tableOffsets[table])
        case .unary(.negate, let operand): return instruction(.negate, emit(operand, inlined: &inlined))
        case .unary(.not, let operand): return instruction(.not, emit(operand, inlined: &inlined))
        case .binary(let op, let lhs, let rhs) where op == .and || op == .or:
            let before = code.count
            let a = emit(lhs, inlined: &inlined)
            // Short-circuit when the left operand ends in an instruction of its own whose register nothing
            // else reads: that instruction writes the result and may jump past the right operand.
            guard code.count > before, code[code.count - 1].dst == a, inlined?.values.contains(a) != true else {
                return instruction(Self.opcode(op), a, emit(rhs, inlined: &inlined))
            }
            let decider = code.count - 1
            let b = emit(rhs, inlined: &inlined)
            code.append(Instruction(Self.opcode(op), dst: a, a: a, b: b))
            code[decider].jumpWhen = op == .and ? 0 : 1
            code[decider].jump = Int32(code.count)
            return a
        case .binary(let op, let lhs, let rhs):
            let a = emit(lhs, inlined: &inlined), b = emit(rhs, inlined: &inlined)
            return instruction(Self.opcode(op), a, b)
        case .conditional(let condition, let then, let otherwise):
            let c = emit(condition, inlined: &inlined), a = emit(then, inlined: &inlined), b = emit(otherwise, inlined: &inlined)
            return instruction(.select, c, a, b)
        case .enumMembership(let operand, let ordinals, let negated):
            guard case .enumeration(let values) = operand.type else { preconditionFailure("checked enum membership") }
            let offset = Int32(pool.count)
            pool += values.indices.map { ordinals.contains($0) != negated ? 1 : 0 }
            return instruction(.lookup, emit(operand, inlined: &inlined), offset)
        case .numberMembership(let operand, let numbers, let negated):
            let offset = Int32(pool.count)
            pool += numbers
            let member = instruction(.memberOf, emit(operand, inlined: &inlined), offset, Int32(numbers.count))
            return negated ? instruction(.not, member) : member
        case .contains(let field, let bit):
            return instruction(.hasBit, Int32(policy.fields.count + field), Int32(bit))
        case .call(let function, let arguments):
            let registers = arguments.map { emit($0, inlined: &inlined) }
            switch function {
            case .exists: return instruction(.exists, registers[0])
            case .len: return registers[0]
            case .coalesce: return instruction(.coalesce, registers[0], registers[1])
            case .abs: return instruction(.absolute, registers[0])
            case .floor: return instruction(.floor, registers[0])
            case .ceil: return instruction(.ceiling, registers[0])
            case .round:
                guard registers.count == 2, case .constant(let digits) = arguments[1].kind else { return instruction(.round, registers[0]) }
                var scale = 1.0
                for _ in 0..<Int(digits) { scale *= 10 }
                return instruction(.roundScaled, registers[0], constant(scale))
            case .min, .max:
                var result = registers[0]
                for next in registers.dropFirst() { result = instruction(function == .min ? .minimum : .maximum, result, next) }
                return result
            case .contains: preconditionFailure("contains is resolved by the checker")
            }
        }
    }

    /// The values an expression reads directly, in first-read order.
    static func valuesRead(by expression: TypedExpression) -> [Int] {
        var found: [Int] = []
        func walk(_ e: TypedExpression) {
            if case .value(let index) = e.kind {
                if !found.contains(index) { found.append(index) }
            } else {
                e.operands.forEach(walk)
            }
        }
        walk(expression)
        return found
    }

    static func opcode(_ op: Expression.BinaryOperator) -> Instruction.Opcode {
        switch op {
        case .add: return .add
        case .subtract: return .subtract
        case .multiply: return .multiply
        case .divide: return .divide
        case .remainder: return .remainder
        case .power: return .power
        case .equal: return .equal
        case .notEqual: return .notEqual
        case .less: return .less
        case .lessOrEqual: return .lessOrEqual
        case .greater: return .greater
        case .greaterOrEqual: return .greaterOrEqual
        case .and: return .and
        case .or: return .or
        }
    }
}
