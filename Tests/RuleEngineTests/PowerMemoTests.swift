#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import RuleEngine
import Testing

/// `PowerMemo` must give `pow`'s own result, bit for bit, whether it hits, misses, or two operand pairs
/// share an entry.
@Suite struct PowerMemoTests {
    @Test func givesPowsResultsBitForBit() {
        let memo = PowerMemo.allocate()
        defer { memo.deallocate() }
        // Entries start as pow(+0, +0).
        #expect(memo.power(0, 0) == 1)
        var random = SplitMix(state: 42)
        let special: [Double] = [0, -0.0, 1, -1, 0.5, 2, -2, .infinity, -.infinity, .nan, -.nan, 1e-300, 1e300,
                                 .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1.01, 0.99]
        // Few pairs, drawn again and again (hits), among many drawn once (misses that evict them).
        let rates = (0..<6).map { _ in 1 + Double(random.next(1000)) / 12_000 }
        let terms = (0..<12).map { _ in -Double(6 * (1 + random.next(60))) }
        for round in 0..<200_000 {
            let a: Double, b: Double
            switch round % 4 {
            case 0: (a, b) = (special[random.next(special.count)], special[random.next(special.count)])
            case 1: (a, b) = (Double(bitPattern: random.next()), Double(bitPattern: random.next()))
            default: (a, b) = (rates[random.next(rates.count)], terms[random.next(terms.count)])
            }
            let expected = pow(a, b).bitPattern, actual = memo.power(a, b).bitPattern
            #expect(actual == expected, "pow(\(a), \(b))")
            if actual != expected { return }
        }
    }
}
