#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Results of `pow` by the bit patterns of both operands, so that a block pays for `pow` only for operands it
/// has not seen lately: `pow` costs ~120 instructions a call, a hit ~12. The operands of a power in a
/// policy are usually few (an annuity's rate from a table by product, a term in whole months), but nothing
/// depends on it: a miss calls `pow` and replaces the entry, so every result is `pow`'s own, bit for bit.
///
/// Direct-mapped, `entries` of four words: a's bits, b's bits, the result's bits, unused (one 32-byte line
/// each). Every entry starts as pow(+0, +0) = 1, a true entry, so no entry needs a valid flag.
/// Owned by one `BlockEvaluator`: not thread-safe.
struct PowerMemo {
    static let entryBits = 8
    let entries: UnsafeMutablePointer<SIMD4<UInt64>>

    static func allocate() -> PowerMemo {
        let entries = UnsafeMutablePointer<SIMD4<UInt64>>.allocate(capacity: 1 << entryBits)
        entries.initialize(repeating: SIMD4(0, 0, (1.0).bitPattern, 0), count: 1 << entryBits)
        return PowerMemo(entries: entries)
    }

    func deallocate() { entries.deallocate() }

    @inline(__always)
    func power(_ a: Double, _ b: Double) -> Double {
        let x = a.bitPattern, y = b.bitPattern
        // Fibonacci hashing of both patterns; the top bits are the best mixed.
        let slot = Int(truncatingIfNeeded: (((x &* 0x9E37_79B9_7F4A_7C15) ^ y) &* 0xBF58_476D_1CE4_E5B9) >> UInt64(64 - Self.entryBits))
        let entry = entries[slot]
        if _fastPath(entry[0] == x && entry[1] == y) { return Double(bitPattern: entry[2]) }
        return miss(a, b, slot)
    }

    @inline(never)
    private func miss(_ a: Double, _ b: Double, _ slot: Int) -> Double {
        let result = pow(a, b)
        entries[slot] = SIMD4(a.bitPattern, b.bitPattern, result.bitPattern, 0)
        return result
    }
}
