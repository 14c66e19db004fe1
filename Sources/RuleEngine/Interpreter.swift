#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The register machine's inner loop. Hand-written over raw pointers because it is the product's speed:
/// no bounds checks, no allocation, no lookups by name (measured in benchmarks/).
@inline(__always)
func interpret(_ range: CodeRange, code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>, registers r: UnsafeMutablePointer<Double>) {
    var pc = Int(range.start)
    let end = Int(range.end)
    while pc < end {
        let i = code[pc]
        pc += 1
        let result = execute(i, pool: pool, registers: r, stride: 1)
        r[Int(i.dst)] = result
        if _slowPath(result == i.jumpWhen) { pc = Int(i.jump) }
    }
}

/// `BlockCode` over a block of `count` applications whose register k is at `r[k * width + lane]`: each
/// instruction runs for every application before the next (`BlockEvaluator`), one loop per opcode so that
/// the dispatch is paid once per block and the loops vectorize. Block code has no jumps, and codes a missing
/// truth value as ½ (see `BlockCode`): comparisons give 1, 0 or ½, `and` is `min`, `or` is `max`, `not` is
/// `1 - x`, and `select` reads a condition in either coding. `pow` goes through `powers`.
@inline(__always)
func interpretBlock(_ range: CodeRange, code: UnsafePointer<Instruction>, pool: UnsafePointer<Double>,
                    registers r: UnsafeMutablePointer<Double>, width w: Int, count n: Int, powers: PowerMemo) {
    for pc in Int(range.start)..<Int(range.end) {
        let i = code[pc]
        let d = r + Int(i.dst) * w, a = UnsafePointer(r + Int(i.a) * w)
        @inline(__always) func unary(_ f: (Double) -> Double) {
            for l in 0..<n { d[l] = f(a[l]) }
        }
        @inline(__always) func binary(_ f: (Double, Double) -> Double) {
            let b = UnsafePointer(r + Int(i.b) * w)
            for l in 0..<n { d[l] = f(a[l], b[l]) }
        }
        /// Four lanes at a time with SIMD types (the rest one by one), for opcodes whose plain loop LLVM leaves
        /// scalar and branchy, or vectorizes less tightly.
        @inline(__always) func pairs(_ f: (SIMD4<Double>, SIMD4<Double>) -> SIMD4<Double>, _ g: (Double, Double) -> Double) {
            let b = UnsafePointer(r + Int(i.b) * w)
            var l = 0
            while l &+ 4 <= n {
                let x = UnsafeRawPointer(a + l).loadUnaligned(as: SIMD4<Double>.self)
                let y = UnsafeRawPointer(b + l).loadUnaligned(as: SIMD4<Double>.self)
                UnsafeMutableRawPointer(d + l).storeBytes(of: f(x, y), as: SIMD4<Double>.self)
                l &+= 4
            }
            while l < n {
                d[l] = g(a[l], b[l])
                l &+= 1
            }
        }
        /// The same for opcodes of one operand.
        @inline(__always) func fours(_ f: (SIMD4<Double>) -> SIMD4<Double>, _ g: (Double) -> Double) {
            var l = 0
            while l &+ 4 <= n {
                let x = UnsafeRawPointer(a + l).loadUnaligned(as: SIMD4<Double>.self)
                UnsafeMutableRawPointer(d + l).storeBytes(of: f(x), as: SIMD4<Double>.self)
                l &+= 4
            }
            while l < n {
                d[l] = g(a[l])
                l &+= 1
            }
        }
        switch i.op {
        case .move: unary { $0 }
        case .add: binary(+)
        case .subtract: binary(-)
        case .multiply: binary(*)
        case .divide: binary(/)
        case .remainder: binary(fmod)
        case .power: binary { powers.power($0, $1) }
        case .negate: unary(-)
        case .equal: pairs({ Truth.compare($0, $1) { $0 .== $1 } }, { Truth.compare($0, $1) { $0 == $1 } })
        case .notEqual: pairs({ Truth.compare($0, $1, negated: true) { $0 .== $1 } }, { Truth.compare($0, $1) { $0 != $1 } })
        case .less: pairs({ Truth.compare($0, $1) { $0 .< $1 } }, { Truth.compare($0, $1) { $0 < $1 } })
        case .lessOrEqual: pairs({ Truth.compare($0, $1) { $0 .<= $1 } }, { Truth.compare($0, $1) { $0 <= $1 } })
        case .greater: pairs({ Truth.compare($0, $1) { $0 .> $1 } }, { Truth.compare($0, $1) { $0 > $1 } })
        case .greaterOrEqual: pairs({ Truth.compare($0, $1) { $0 .>= $1 } }, { Truth.compare($0, $1) { $0 >= $1 } })
        // No truth value is NaN, so these are the plain vector min and max.
        case .and: pairs({ $0.replacing(with: $1, where: $1 .< $0) }, { $1 < $0 ? $1 : $0 })
        case .or: pairs({ $0.replacing(with: $1, where: $1 .> $0) }, { $1 > $0 ? $1 : $0 })
        case .not: unary { 1 - $0 }
        case .select:
            let b = r + Int(i.b) * w, c = r + Int(i.c) * w
            for l in 0..<n { d[l] = Truth.select(a[l], b[l], c[l]) }
        case .exists: unary(Semantics.exists)
        case .coalesce: binary(Semantics.coalesce)
        case .minimum: binary(Semantics.minimum)
        case .maximum: binary(Semantics.maximum)
        case .absolute: unary(abs)
        case .floor: unary { $0.rounded(.down) }
        case .ceiling: unary { $0.rounded(.up) }
        case .round: unary { $0.rounded(.toNearestOrAwayFromZero) }
        case .roundScaled: binary(Semantics.roundScaled)
        case .lookup:
            // An ordinal is a whole number below 2^52: adding 2^52 leaves it in the low bits of the sum's
            // pattern, without the checked conversion to Int. Anything else (missing, negative, fractional,
            // huge) fails the round trip and takes `Semantics.lookup`, so the results are the same.
            let offset = Int(i.b)
            for l in 0..<n {
                let x = a[l]
                let k = Int(truncatingIfNeeded: (x + 0x1p52).bitPattern & 0xF_FFFF_FFFF_FFFF)
                d[l] = Double(k) == x ? pool[offset &+ k] : Semantics.lookup(x, pool: pool, offset: offset)
            }
        case .memberOf: unary { Truth.memberOf($0, pool: pool, start: Int(i.b), count: Int(i.c)) }
        case .hasBit: unary { Truth.hasBit($0, bit: Int(i.b)) }
        case .truth: fours({ $0.replacing(with: 0.5, where: $0 .!= $0) }, Truth.coded)
        case .number: fours({ $0.replacing(with: .nan, where: $0 .== 0.5) }, Truth.number)
        }
    }
}

/// One instruction's result; register k is `r[k * stride]`.
@inline(__always)
func execute(_ i: Instruction, pool: UnsafePointer<Double>, registers r: UnsafeMutablePointer<Double>, stride: Int) -> Double {
    let a = r[Int(i.a) * stride]
    switch i.op {
    case .move: return a
    case .add: return a + r[Int(i.b) * stride]
    case .subtract: return a - r[Int(i.b) * stride]
    case .multiply: return a * r[Int(i.b) * stride]
    case .divide: return a / r[Int(i.b) * stride]
    case .remainder: return fmod(a, r[Int(i.b) * stride])
    case .power: return pow(a, r[Int(i.b) * stride])
    case .negate: return -a
    case .equal: return compare(a, r[Int(i.b) * stride]) { $0 == $1 }
    case .notEqual: return compare(a, r[Int(i.b) * stride]) { $0 != $1 }
    case .less: return compare(a, r[Int(i.b) * stride]) { $0 < $1 }
    case .lessOrEqual: return compare(a, r[Int(i.b) * stride]) { $0 <= $1 }
    case .greater: return compare(a, r[Int(i.b) * stride]) { $0 > $1 }
    case .greaterOrEqual: return compare(a, r[Int(i.b) * stride]) { $0 >= $1 }
    case .and: return Semantics.and(a, r[Int(i.b) * stride])
    case .or: return Semantics.or(a, r[Int(i.b) * stride])
    case .not: return Semantics.not(a)
    case .select: return Semantics.select(a, r[Int(i.b) * stride], r[Int(i.c) * stride])
    case .exists: return Semantics.exists(a)
    case .coalesce: return Semantics.coalesce(a, r[Int(i.b) * stride])
    case .minimum: return Semantics.minimum(a, r[Int(i.b) * stride])
    case .maximum: return Semantics.maximum(a, r[Int(i.b) * stride])
    case .absolute: return abs(a)
    case .floor: return a.rounded(.down)
    case .ceiling: return a.rounded(.up)
    case .round: return a.rounded(.toNearestOrAwayFromZero)
    case .roundScaled: return Semantics.roundScaled(a, r[Int(i.b) * stride])
    case .lookup: return Semantics.lookup(a, pool: pool, offset: Int(i.b))
    case .memberOf: return Semantics.memberOf(a, pool: pool, start: Int(i.b), count: Int(i.c))
    case .hasBit: return Semantics.hasBit(a, bit: Int(i.b))
    case .truth: return Truth.coded(a)
    case .number: return Truth.number(a)
    }
}

/// What the opcodes beyond plain arithmetic mean, in one place for both interpreters. NaN is missing.
enum Semantics {
    @inline(__always) static func and(_ a: Double, _ b: Double) -> Double {
        (a == 0 || b == 0) ? 0 : (a.isNaN || b.isNaN) ? .nan : 1
    }

    @inline(__always) static func or(_ a: Double, _ b: Double) -> Double {
        (a == 1 || b == 1) ? 1 : (a.isNaN || b.isNaN) ? .nan : 0
    }

    @inline(__always) static func not(_ a: Double) -> Double { a.isNaN ? .nan : 1 - a }

    /// a is missing ? missing : (a == 1 ? b : c)
    @inline(__always) static func select(_ a: Double, _ b: Double, _ c: Double) -> Double {
        a.isNaN ? .nan : (a == 1 ? b : c)
    }

    @inline(__always) static func exists(_ a: Double) -> Double { a.isNaN ? 0 : 1 }

    @inline(__always) static func coalesce(_ a: Double, _ b: Double) -> Double { a.isNaN ? b : a }

    @inline(__always) static func minimum(_ a: Double, _ b: Double) -> Double {
        (a.isNaN || b.isNaN) ? .nan : (b < a ? b : a)
    }

    @inline(__always) static func maximum(_ a: Double, _ b: Double) -> Double {
        (a.isNaN || b.isNaN) ? .nan : (b > a ? b : a)
    }

    /// round(a × scale) / scale, `scale` being 10^digits.
    @inline(__always) static func roundScaled(_ a: Double, _ scale: Double) -> Double {
        (a * scale).rounded(.toNearestOrAwayFromZero) / scale
    }

    /// pool[offset + a]: table and enum-set lookups by ordinal.
    @inline(__always) static func lookup(_ a: Double, pool: UnsafePointer<Double>, offset: Int) -> Double {
        a.isNaN ? .nan : pool[offset + Int(a)]
    }

    /// Whether a is one of pool[start ..< start + count].
    @inline(__always) static func memberOf(_ a: Double, pool: UnsafePointer<Double>, start: Int, count: Int) -> Double {
        if a.isNaN { return .nan }
        for k in start..<(start + count) where pool[k] == a { return 1 }
        return 0
    }

    /// Whether bit `bit` is set in the mask a.
    @inline(__always) static func hasBit(_ a: Double, bit: Int) -> Double {
        a.isNaN ? .nan : ((UInt64(a) >> UInt64(bit)) & 1 == 1 ? 1 : 0)
    }
}

@inline(__always)
func compare(_ a: Double, _ b: Double, _ test: (Double, Double) -> Bool) -> Double {
    (a.isNaN || b.isNaN) ? .nan : (test(a, b) ? 1 : 0)
}

/// Truth values as `BlockCode` codes them: false 0, true 1, missing ½ (see `BlockCode`).
enum Truth {
    /// A truth value coded with NaN for missing (as the policy's code and `Evaluator` code it) coded with ½.
    @inline(__always) static func coded(_ a: Double) -> Double { a.isNaN ? 0.5 : a }

    /// The opposite of `coded`.
    @inline(__always) static func number(_ a: Double) -> Double { a == 0.5 ? .nan : a }

    /// `compare` with ½ for missing.
    @inline(__always) static func compare(_ a: Double, _ b: Double, _ test: (Double, Double) -> Bool) -> Double {
        (a.isNaN || b.isNaN) ? 0.5 : (test(a, b) ? 1 : 0)
    }

    /// A comparison on four lanes at once, with the results of `compare` lane by lane: 1 or 0, ½ when
    /// either operand is missing. `test` is an ordered comparison (false when an operand is NaN); `negated`
    /// gives its opposite for ordered operands (`!=` as not `==`). Computed on bit patterns: and, and, or.
    @inline(__always) static func compare(_ a: SIMD4<Double>, _ b: SIMD4<Double>, negated: Bool = false,
                                          _ test: (SIMD4<Double>, SIMD4<Double>) -> SIMDMask<SIMD4<Int64>>) -> SIMD4<Double> {
        let unknown = (a .!= a) .| (b .!= b)
        let holds = negated ? .!test(a, b) .& .!unknown : test(a, b)
        let zero = SIMD4<UInt64>(repeating: 0)
        let bits = zero.replacing(with: (1.0).bitPattern, where: holds) | zero.replacing(with: (0.5).bitPattern, where: unknown)
        return unsafeBitCast(bits, to: SIMD4<Double>.self)
    }

    /// `Semantics.memberOf` with ½ for missing.
    @inline(__always) static func memberOf(_ a: Double, pool: UnsafePointer<Double>, start: Int, count: Int) -> Double {
        a.isNaN ? 0.5 : Semantics.memberOf(a, pool: pool, start: start, count: count)
    }

    /// `Semantics.hasBit` with ½ for missing. A list mask below 2^52 is in the low bits of the pattern of
    /// mask + 2^52 (as in `lookup`), which saves the checked conversion; any other mask takes it.
    @inline(__always) static func hasBit(_ a: Double, bit: Int) -> Double {
        let k = (a + 0x1p52).bitPattern & 0xF_FFFF_FFFF_FFFF
        if Double(k) == a { return (k >> UInt64(truncatingIfNeeded: bit)) & 1 == 1 ? 1 : 0 }
        return a.isNaN ? 0.5 : Semantics.hasBit(a, bit: bit)
    }

    /// `Semantics.select` with a condition in either coding: 1 takes b, 0 takes c, anything else is missing.
    @inline(__always) static func select(_ a: Double, _ b: Double, _ c: Double) -> Double {
        a == 1 ? b : (a == 0 ? c : .nan)
    }
}
