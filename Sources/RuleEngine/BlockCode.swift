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
///
/// Truth values are coded differently here: a missing one is ½ instead of NaN (false 0, true 1 in both), so
/// that three-valued `and` is `min`, `or` is `max` and `not` is `1 - x`, one vector instruction each where
/// the NaN coding needs a dozen. Comparisons, `and`, `or`, `not`, `contains` (`hasBit`) and `in` a list of
/// numbers (`memberOf`) give truths; `exists` and constants are never missing, so they are both; everything
/// else is a number. Where a number is read as a truth (a boolean field, `in` an enum's values) or a truth as
/// a number, a `.truth` or `.number` instruction converts it, once. A unit's result needs no conversion: a
/// rule fires when it is 1 in either coding, and `select` takes either coding as its condition (see
/// `interpretBlock`).
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

    /// How a value codes missing: NaN (a number), ½ (a truth), or it is never missing.
    private enum Coding { case number, truth, both }

    /// Per register of the policy's code, the number of the value it holds at this point of that code.
    private var values: [Int]
    /// Per value number, the register of this code that holds it, and its coding.
    private var homes: [Int32]
    private var codings: [Coding]
    private var numbers: [Key: Int] = [:]
    /// Registers this code has written (the policy's code may write one twice).
    private var written: [Bool]

    init(_ policy: CompiledPolicy) {
        registerCount = policy.registerCount
        // Every register starts as a value of its own: a field, a list mask, a constant, the score, the grade.
        values = Array(0..<policy.registerCount)
        homes = (0..<policy.registerCount).map(Int32.init)
        // Constants are the registers whose first content is not missing.
        codings = policy.template.map { $0.isNaN ? .number : .both }
        written = Array(repeating: false, count: policy.registerCount)
        let code = policy.code
        checkRanges = policy.checkRanges.map { rewrite($0, of: code) }
        // The values block ends with each characteristic's value as a number, for the scorecard.
        let valuesStart = Int32(self.code.count)
        for pc in Int(policy.valuesRange.start)..<Int(policy.valuesRange.end) { rewrite(code[pc]) }
        characteristicValues = policy.characteristicValues.map { $0 >= 0 ? homes[coded(values[Int($0)], as: .number)] : $0 }
        valuesRange = CodeRange(start: valuesStart, end: Int32(self.code.count), result: -1)
        binConditions = policy.bins.map { $0.isCondition ? rewrite($0.condition, of: code) : $0.condition }
        // The scorecard writes the score and grade registers: values new to the units after it.
        for register in [Int(policy.scoreRegister), Int(policy.gradeRegister)] {
            values[register] = homes.count
            homes.append(Int32(register))
            codings.append(.number)
        }
        knockoutRanges = policy.knockoutRanges.map { rewrite($0, of: code) }
        routeRanges = policy.routeRanges.map { $0.map { rewrite($0, of: code) } }
    }

    /// Appends the instructions of `range` that compute something new, and returns where they are and the
    /// register that holds the unit's result.
    private mutating func rewrite(_ range: CodeRange, of code: [Instruction]) -> CodeRange {
        let start = Int32(self.code.count)
        for pc in Int(range.start)..<Int(range.end) { rewrite(code[pc]) }
        return CodeRange(start: start, end: Int32(self.code.count), result: homes[values[Int(range.result)]])
    }

    private mutating func rewrite(_ instruction: Instruction) {
        let op = instruction.op
        if op == .move {
            values[Int(instruction.dst)] = values[Int(instruction.a)]
            return
        }
        let (readsB, readsC) = Self.operands(op)
        let logic = op == .and || op == .or || op == .not
        // `select` reads its condition in either coding.
        let a = op == .select ? values[Int(instruction.a)] : coded(values[Int(instruction.a)], as: logic ? .truth : .number)
        let b = readsB ? coded(values[Int(instruction.b)], as: logic ? .truth : .number) : Int(instruction.b)
        let c = readsC ? coded(values[Int(instruction.c)], as: .number) : Int(instruction.c)
        let result: Coding
        switch op {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .and, .or, .not, .memberOf, .hasBit:
            result = .truth
        case .exists: result = .both
        default: result = .number
        }
        values[Int(instruction.dst)] = number(of: Key(op: op, a: a, b: b, c: c), coding: result,
                                              dst: instruction.dst, readsB: readsB, readsC: readsC)
    }

    /// The value `number` in `coding`: itself, or its conversion (computed once).
    private mutating func coded(_ number: Int, as coding: Coding) -> Int {
        guard codings[number] != coding, codings[number] != .both else { return number }
        let op: Instruction.Opcode = coding == .truth ? .truth : .number
        return self.number(of: Key(op: op, a: number, b: 0, c: 0), coding: coding, dst: nil, readsB: false, readsC: false)
    }

    /// The number of the value `key` computes: an earlier one's, or a new one computed by an instruction
    /// appended here, into `dst` (a register of the policy's code) unless this code wrote that already.
    private mutating func number(of key: Key, coding: Coding, dst: Int32?, readsB: Bool, readsC: Bool) -> Int {
        if let number = numbers[key] { return number }
        var register = Int32(registerCount)
        if let dst, !written[Int(dst)] {
            register = dst
        } else {
            registerCount += 1
            written.append(false)
        }
        written[Int(register)] = true
        let number = homes.count
        homes.append(register)
        codings.append(coding)
        numbers[key] = number
        code.append(Instruction(key.op, dst: register, a: homes[key.a],
                                b: readsB ? homes[key.b] : Int32(key.b), c: readsC ? homes[key.c] : Int32(key.c)))
        return number
    }

    /// Whether an opcode's `b` and `c` are registers (else immediates, or unused and 0).
    private static func operands(_ op: Instruction.Opcode) -> (b: Bool, c: Bool) {
        switch op {
        case .move, .negate, .not, .exists, .absolute, .floor, .ceiling, .round, .truth, .number: return (false, false)
        case .lookup, .memberOf, .hasBit: return (false, false)
        case .select: return (true, true)
        case .add, .subtract, .multiply, .divide, .remainder, .power, .equal, .notEqual, .less, .lessOrEqual,
             .greater, .greaterOrEqual, .and, .or, .coalesce, .minimum, .maximum, .roundScaled:
            return (true, false)
        }
    }
}
