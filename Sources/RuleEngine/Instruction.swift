/// One step of the evaluator's register machine: `registers[dst] = op(registers[a], registers[b], …)`.
/// Every value is a `Double`; NaN is *missing*. Booleans are 0 and 1; enums are ordinals.
/// Comparisons and logic follow three-valued (Kleene) logic: a comparison with a missing operand is
/// missing, `missing and false` is false, `missing or true` is true, and a rule whose condition ends up
/// missing does not fire.
///
/// `and` and `or` short-circuit: the last instruction of the left operand writes the combined result's
/// register and, when its result equals `jumpWhen` (0 before `and`, 1 before `or`), jumps past the right
/// operand to `jump`, since that result already decides. Every other instruction has `jumpWhen` NaN, which
/// equals nothing.
@frozen
public struct Instruction: Sendable, Hashable {
    public enum Opcode: UInt8, Sendable {
        case move
        case add, subtract, multiply, divide, remainder, power, negate
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
        case and, or, not
        /// dst = a is missing ? missing : (a == 1 ? b : c)
        case select
        case exists
        case coalesce
        case minimum, maximum, absolute, floor, ceiling, round
        /// dst = round(a × 10^b-constant) / 10^b-constant; `b` is a register holding the scale 10^digits.
        case roundScaled
        /// dst = pool[b + Int(a)]: table and enum-set lookups by ordinal.
        case lookup
        /// dst = a is one of pool[b ..< b + c]
        case memberOf
        /// dst = whether bit `b` is set in the mask register `a`.
        case hasBit
        /// Only in `BlockCode`, which codes a missing truth value as ½: dst = a is missing (NaN) ? ½ : a.
        case truth
        /// Only in `BlockCode`: dst = a is ½ ? missing (NaN) : a.
        case number
    }

    public var op: Opcode
    public var dst: Int32
    public var a: Int32
    public var b: Int32
    public var c: Int32
    /// Where to continue when the result equals `jumpWhen` (see above).
    public var jump: Int32 = 0
    public var jumpWhen: Double = .nan

    public init(_ op: Opcode, dst: Int32, a: Int32 = 0, b: Int32 = 0, c: Int32 = 0) {
        self.op = op
        self.dst = dst
        self.a = a
        self.b = b
        self.c = c
    }
}

/// A contiguous run of instructions whose last result is left in `result`.
public struct CodeRange: Sendable, Hashable {
    public var start: Int32
    public var end: Int32
    public var result: Int32

    public init(start: Int32, end: Int32, result: Int32) {
        self.start = start
        self.end = end
        self.result = result
    }
}
