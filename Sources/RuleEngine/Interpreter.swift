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
        let a = r[Int(i.a)]
        let result: Double
        switch i.op {
        case .move: result = a
        case .add: result = a + r[Int(i.b)]
        case .subtract: result = a - r[Int(i.b)]
        case .multiply: result = a * r[Int(i.b)]
        case .divide: result = a / r[Int(i.b)]
        case .remainder: result = fmod(a, r[Int(i.b)])
        case .power: result = pow(a, r[Int(i.b)])
        case .negate: result = -a
        case .equal: result = compare(a, r[Int(i.b)]) { $0 == $1 }
        case .notEqual: result = compare(a, r[Int(i.b)]) { $0 != $1 }
        case .less: result = compare(a, r[Int(i.b)]) { $0 < $1 }
        case .lessOrEqual: result = compare(a, r[Int(i.b)]) { $0 <= $1 }
        case .greater: result = compare(a, r[Int(i.b)]) { $0 > $1 }
        case .greaterOrEqual: result = compare(a, r[Int(i.b)]) { $0 >= $1 }
        case .and:
            let b = r[Int(i.b)]
            result = (a == 0 || b == 0) ? 0 : (a.isNaN || b.isNaN) ? .nan : 1
        case .or:
            let b = r[Int(i.b)]
            result = (a == 1 || b == 1) ? 1 : (a.isNaN || b.isNaN) ? .nan : 0
        case .not: result = a.isNaN ? .nan : 1 - a
        case .select: result = a.isNaN ? .nan : (a == 1 ? r[Int(i.b)] : r[Int(i.c)])
        case .exists: result = a.isNaN ? 0 : 1
        case .coalesce: result = a.isNaN ? r[Int(i.b)] : a
        case .minimum:
            let b = r[Int(i.b)]
            result = (a.isNaN || b.isNaN) ? .nan : (b < a ? b : a)
        case .maximum:
            let b = r[Int(i.b)]
            result = (a.isNaN || b.isNaN) ? .nan : (b > a ? b : a)
        case .absolute: result = abs(a)
        case .floor: result = a.rounded(.down)
        case .ceiling: result = a.rounded(.up)
        case .round: result = a.rounded(.toNearestOrAwayFromZero)
        case .roundScaled:
            let scale = r[Int(i.b)]
            result = (a * scale).rounded(.toNearestOrAwayFromZero) / scale
        case .lookup: result = a.isNaN ? .nan : pool[Int(i.b) + Int(a)]
        case .memberOf:
            if a.isNaN {
                result = .nan
            } else {
                var hit = 0.0
                var k = Int(i.b)
                let last = k + Int(i.c)
                while k < last {
                    if pool[k] == a { hit = 1; break }
                    k += 1
                }
                result = hit
            }
        case .hasBit: result = a.isNaN ? .nan : ((UInt64(a) >> UInt64(i.b)) & 1 == 1 ? 1 : 0)
        }
        r[Int(i.dst)] = result
        if _slowPath(result == i.jumpWhen) { pc = Int(i.jump) }
    }
}

@inline(__always)
private func compare(_ a: Double, _ b: Double, _ test: (Double, Double) -> Bool) -> Double {
    (a.isNaN || b.isNaN) ? .nan : (test(a, b) ? 1 : 0)
}
