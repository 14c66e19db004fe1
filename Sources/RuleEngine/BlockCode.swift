/// A policy's code rewritten for `BlockEvaluator`, where every unit runs straight through (no jumps) and the
/// units run in one fixed order: the checks, the values, the scorecard's condition bins, then (after the
/// scorecard has written the score and grade registers) the knock-outs and the routes. A block stops early
/// at most, so everything an earlier unit computed is there when a later one runs, and an instruction that
/// computes what an earlier one already did — `product == "personal"` in a check, a knock-out and a route,
/// a value a check inlined and the values block computes again — is dropped: its readers read the earlier
/// result (common subexpressions by value numbering over the straight-line code).
///
/// Each kept instruction writes a register nothing else in this code writes (the short-circuit `and`/`or`,
/// which overwrites its left operand's register, gets a new one), so a result once computed stays in its
/// register for the rest of the block. `Evaluator` keeps the policy's own code, whose jumps skip work.
struct BlockCode {
    var code: [Instruction] = []
    /// The policy's registers and the ones added here (missing at first, like every temporary).
    var registerCount: Int
    var valuesRange = CodeRange(start: 0, end: 0, result: -1)
    var checkRanges: [CodeRange] = []
    var knockoutRanges: [CodeRange] = []
    /// Per bin, its condition's code (bins without a condition keep theirs, which is never run).
    var binConditions: [CodeRange] = []
    /// Per characteristic, the register of its value (or -1): the policy's may be one this code never writes.
    var characteristicValues: [Int32] = []
    var routeRanges: [CodeRange?] = []

    /// An operation on the numbers of the values it reads (or an instruction's immediates).
    private struct Key: Hashable {
        var op: Instruction.Opcode
        var a: Int, b: Int, c: Int
    }

    /// Per register of the policy's code, the number of the value it holds at this point of that code.
    private var values: [Int]
    /// Per value number, the register of this code that holds it.
    private var homes: [Int32]
    private var numbers: [Key: Int] = [:]
    /// Registers this code has written (the policy's code may write one twice).
    private var written: [Bool]

    init(_ policy: CompiledPolicy) {
        registerCount = policy.registerCount
        // Every register starts as a value of its own: a field, a list mask, a constant, the score, the grade.
        values = Array(0..<policy.registerCount)
        homes = (0..<policy.registerCount).map(Int32.init)
        written = Array(repeating: false, count: policy.registerCount)
        let code = policy.code
        checkRanges = policy.checkRanges.map { rewrite($0, of: code) }
        valuesRange = rewrite(policy.valuesRange, of: code)
        characteristicValues = policy.characteristicValues.map { $0 >= 0 ? homes[values[Int($0)]] : $0 }
        binConditions = policy.bins.map { $0.isCondition ? rewrite($0.condition, of: code) : $0.condition }
        // The scorecard writes the score and grade registers: values new to the units after it.
        for register in [Int(policy.scoreRegister), Int(policy.gradeRegister)] {
            values[register] = homes.count
            homes.append(Int32(register))
        }
        knockoutRanges = policy.knockoutRanges.map { rewrite($0, of: code) }
        routeRanges = policy.routeRanges.map { $0.map { rewrite($0, of: code) } }
    }

    /// Appends the instructions of `range` that compute something new, and returns where they are and the
    /// register that holds the unit's result. The values block's result is -1 (it has none).
    private mutating func rewrite(_ range: CodeRange, of code: [Instruction]) -> CodeRange {
        let start = Int32(self.code.count)
        for pc in Int(range.start)..<Int(range.end) { rewrite(code[pc]) }
        let result = range.result >= 0 ? homes[values[Int(range.result)]] : range.result
        return CodeRange(start: start, end: Int32(self.code.count), result: result)
    }

    private mutating func rewrite(_ instruction: Instruction) {
        let op = instruction.op
        if op == .move {
            values[Int(instruction.dst)] = values[Int(instruction.a)]
            return
        }
        let (readsB, readsC) = Self.operands(op)
        let key = Key(op: op, a: values[Int(instruction.a)],
                      b: readsB ? values[Int(instruction.b)] : Int(instruction.b),
                      c: readsC ? values[Int(instruction.c)] : Int(instruction.c))
        if let number = numbers[key] {
            values[Int(instruction.dst)] = number
            return
        }
        var dst = instruction.dst
        if written[Int(dst)] {
            dst = Int32(registerCount)
            registerCount += 1
            written.append(false)
        }
        written[Int(dst)] = true
        let number = homes.count
        homes.append(dst)
        numbers[key] = number
        values[Int(instruction.dst)] = number
        code.append(Instruction(op, dst: dst, a: homes[key.a],
                                b: readsB ? homes[key.b] : instruction.b,
                                c: readsC ? homes[key.c] : instruction.c))
    }

    /// Whether an opcode's `b` and `c` are registers (else immediates, or unused and 0).
    private static func operands(_ op: Instruction.Opcode) -> (b: Bool, c: Bool) {
        switch op {
        case .move, .negate, .not, .exists, .absolute, .floor, .ceiling, .round: return (false, false)
        case .lookup, .memberOf, .hasBit: return (false, false)
        case .select: return (true, true)
        case .add, .subtract, .multiply, .divide, .remainder, .power, .equal, .notEqual, .less, .lessOrEqual,
             .greater, .greaterOrEqual, .and, .or, .coalesce, .minimum, .maximum, .roundScaled:
            return (true, false)
        }
    }
}
