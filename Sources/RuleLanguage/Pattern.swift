/// A whole-string pattern for string fields, e.g. `[A-Za-z0-9_-]{1,64}`: a sequence of literals, `.`,
/// classes (`[a-z]`, `[^ ]`, `\d`, `\w`, `\s`) with quantifiers (`?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}`).
/// Groups and alternation are not part of the language. Matching simulates the pattern's NFA over a set of
/// positions, so it runs in time linear in the input whatever the pattern (no catastrophic backtracking).
public struct Pattern: Sendable, Hashable, CustomStringConvertible {
    struct CharacterSet: Sendable, Hashable {
        var ascii: (UInt64, UInt64) = (0, 0)
        var ranges: [ClosedRange<UInt32>] = []
        var negated = false

        static func == (a: CharacterSet, b: CharacterSet) -> Bool {
            a.ascii.0 == b.ascii.0 && a.ascii.1 == b.ascii.1 && a.ranges == b.ranges && a.negated == b.negated
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(ascii.0); hasher.combine(ascii.1); hasher.combine(ranges); hasher.combine(negated)
        }

        mutating func insert(_ range: ClosedRange<UInt32>) {
            var low = range.lowerBound
            while low <= range.upperBound, low < 128 {
                if low < 64 { ascii.0 |= 1 << UInt64(low) } else { ascii.1 |= 1 << UInt64(low - 64) }
                low += 1
            }
            if range.upperBound >= 128 { ranges.append(max(128, range.lowerBound)...range.upperBound) }
        }

        func contains(_ value: UInt32) -> Bool {
            let hit: Bool
            if value < 64 { hit = ascii.0 & (1 << UInt64(value)) != 0 }
            else if value < 128 { hit = ascii.1 & (1 << UInt64(value - 64)) != 0 }
            else { hit = ranges.contains { $0.contains(value) } }
            return hit != negated
        }
    }

    /// One expanded position: a set to match, and whether it may be skipped or repeated.
    struct Element: Sendable, Hashable {
        var set: CharacterSet
        var optional: Bool
        var repeats: Bool
    }

    public let source: String
    let elements: [Element]
    /// Flat per-position tables for the matcher's inner loop (no struct copies, no reference counting).
    private let asciiLow: [UInt64]
    private let asciiHigh: [UInt64]
    private let negated: [Bool]
    private let repeats: [Bool]
    /// Optional positions chain: starting at p also reaches p+1 … closureEnd[p] (a contiguous range).
    private let closureEnd: [Int]
    /// When every position has the same set (`[A-Za-z0-9_-]{1,64}`, `\d+`, …), matching is just "every
    /// scalar in the set, and the length within bounds": no NFA at all. Application ids take this path.
    private let singleSet: (set: CharacterSet, minimum: Int, maximum: Int)?

    init(source: String, elements: [Element]) {
        self.source = source
        self.elements = elements
        asciiLow = elements.map { $0.set.ascii.0 }
        asciiHigh = elements.map { $0.set.ascii.1 }
        negated = elements.map { $0.set.negated }
        repeats = elements.map(\.repeats)
        var ends = [Int](repeating: elements.count, count: elements.count + 1)
        for position in stride(from: elements.count - 1, through: 0, by: -1) {
            ends[position] = elements[position].optional ? ends[position + 1] : position
        }
        closureEnd = ends
        if let first = elements.first, elements.allSatisfy({ $0.set == first.set }) {
            let minimum = elements.filter { !$0.optional }.count
            let maximum = elements.contains(where: \.repeats) ? Int.max : elements.count
            // Optional positions must all come after the mandatory ones for the count rule to hold.
            let ordered = !zip(elements, elements.dropFirst()).contains { $0.optional && !$1.optional }
            singleSet = ordered ? (first.set, minimum, maximum) : nil
        } else {
            singleSet = nil
        }
    }

    public var description: String { source }

    /// Two patterns are the same when they are written the same.
    public static func == (a: Pattern, b: Pattern) -> Bool { a.source == b.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    public static let maximumPositions = 512

    /// Parses a pattern; the error message says what is wrong and at which character offset.
    public static func parse(_ text: String) -> Result<Pattern, PatternError> {
        var parser = PatternParser(scalars: Array(text.unicodeScalars))
        do {
            return .success(Pattern(source: text, elements: try parser.parse()))
        } catch let error as PatternError {
            return .failure(error)
        } catch {
            return .failure(PatternError(message: "\(error)", offset: 0))
        }
    }

    /// Whether the whole of `utf8` (valid UTF-8) matches.
    public func matches(utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        simulate(utf8, steps: nil)
    }

    /// How many (position, character) pairs matching `text` examines: what its running time is proportional to,
    /// for tests that the matcher stays linear without timing it.
    func steps(_ text: String) -> Int {
        var copy = text, steps = 0
        _ = copy.withUTF8 { simulate($0, steps: &steps) }
        return steps
    }

    private func simulate(_ utf8: UnsafeBufferPointer<UInt8>, steps: UnsafeMutablePointer<Int>?) -> Bool {
        if let single = singleSet {
            steps?.pointee += utf8.count
            return matchesSingleSet(single.set, single.minimum, single.maximum, utf8)
        }
        let count = elements.count
        let words = count / 64 + 1
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words * 2) { buffer in
            let current = UnsafeMutableBufferPointer(rebasing: buffer[0..<words])
            let next = UnsafeMutableBufferPointer(rebasing: buffer[words..<(2 * words)])
            current.update(repeating: 0)
            insertClosure(0, into: current)
            var index = 0
            while index < utf8.count {
                let scalar = Pattern.decode(utf8, at: &index)
                next.update(repeating: 0)
                var any = false
                for word in 0..<words {
                    var bits = current[word]
                    while bits != 0 {
                        let position = word << 6 | bits.trailingZeroBitCount
                        bits &= bits - 1
                        steps?.pointee += 1
                        guard position < count, accepts(position, scalar) else { continue }
                        any = true
                        insertClosure(repeats[position] ? position : position + 1, into: next)
                    }
                }
                guard any else { return false }
                _ = current.update(fromContentsOf: next)
            }
            return current[count >> 6] & (1 << UInt64(count & 63)) != 0
        }
    }

    private func matchesSingleSet(_ set: CharacterSet, _ minimum: Int, _ maximum: Int, _ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        var scalars = 0
        while index < utf8.count {
            guard set.contains(Pattern.decode(utf8, at: &index)) else { return false }
            scalars += 1
            if scalars > maximum { return false }
        }
        return scalars >= minimum
    }

    @inline(__always)
    private func accepts(_ position: Int, _ scalar: UInt32) -> Bool {
        if scalar < 64 { return (asciiLow[position] & (1 << UInt64(scalar)) != 0) != negated[position] }
        if scalar < 128 { return (asciiHigh[position] & (1 << UInt64(scalar - 64)) != 0) != negated[position] }
        return elements[position].set.contains(scalar)
    }

    public func matches(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { matches(utf8: $0) }
    }

    /// Sets positions `start … closureEnd[start]` (the start and the optional positions after it).
    private func insertClosure(_ start: Int, into set: UnsafeMutableBufferPointer<UInt64>) {
        let last = closureEnd[start]
        var position = start
        while position <= last {
            let word = position >> 6
            let first = position & 63
            let end = min(63, last - (word << 6))
            let width = end - first + 1
            let mask: UInt64 = width == 64 ? .max : ((1 << UInt64(width)) - 1) << UInt64(first)
            set[word] |= mask
            position = (word + 1) << 6
        }
    }

    @inline(__always)
    static func decode(_ utf8: UnsafeBufferPointer<UInt8>, at index: inout Int) -> UInt32 {
        let lead = UInt32(utf8[index])
        index += 1
        if lead < 0x80 { return lead }
        var extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1
        var value = lead & (lead >= 0xF0 ? 0x07 : lead >= 0xE0 ? 0x0F : 0x1F)
        while extra > 0, index < utf8.count {
            value = value << 6 | (UInt32(utf8[index]) & 0x3F)
            index += 1
            extra -= 1
        }
        return value
    }
}

public struct PatternError: Error, Sendable {
    public var message: String
    public var offset: Int
}

struct PatternParser {
    let scalars: [Unicode.Scalar]
    var index = 0

    mutating func parse() throws -> [Pattern.Element] {
        var elements: [Pattern.Element] = []
        while index < scalars.count {
            let start = index
            let set = try atom()
            let (minimum, maximum) = try quantifier()
            if let maximum, maximum < minimum {
                throw PatternError(message: "quantifier {\(minimum),\(maximum)} has its maximum below its minimum", offset: start)
            }
            let copies = maximum ?? minimum
            if elements.count + max(copies, minimum + 1) > Pattern.maximumPositions {
                throw PatternError(message: "pattern expands to more than \(Pattern.maximumPositions) positions", offset: start)
            }
            for _ in 0..<minimum { elements.append(.init(set: set, optional: false, repeats: false)) }
            if let maximum {
                for _ in minimum..<maximum { elements.append(.init(set: set, optional: true, repeats: false)) }
            } else {
                elements.append(.init(set: set, optional: true, repeats: true))
            }
        }
        return elements
    }

    private mutating func atom() throws -> Pattern.CharacterSet {
        let c = scalars[index]
        index += 1
        var set = Pattern.CharacterSet()
        switch c {
        case ".": set.negated = true; set.insert(10...10)
        case "[": return try characterClass()
        case "\\": return try escape()
        case "(", ")", "|":
            throw PatternError(message: "groups and alternation ('\(c)') are not supported in patterns; escape it as \\\(c) to match it", offset: index - 1)
        case "*", "+", "?", "{":
            throw PatternError(message: "'\(c)' has nothing to repeat", offset: index - 1)
        case "^", "$":
            throw PatternError(message: "patterns always match the whole value; remove '\(c)' or escape it", offset: index - 1)
        default: set.insert(c.value...c.value)
        }
        return set
    }

    private mutating func escape() throws -> Pattern.CharacterSet {
        guard index < scalars.count else { throw PatternError(message: "pattern ends with '\\'", offset: index - 1) }
        let c = scalars[index]
        index += 1
        var set = Pattern.CharacterSet()
        switch c {
        case "d": set.insert(48...57)
        case "D": set.insert(48...57); set.negated = true
        case "w": set.insert(48...57); set.insert(65...90); set.insert(97...122); set.insert(95...95)
        case "W": set.insert(48...57); set.insert(65...90); set.insert(97...122); set.insert(95...95); set.negated = true
        case "s": [9, 10, 11, 12, 13, 32].forEach { set.insert($0...$0) }
        case "S": [9, 10, 11, 12, 13, 32].forEach { set.insert($0...$0) }; set.negated = true
        default:
            guard !c.properties.isAlphabetic && !("0"..."9").contains(c) else {
                throw PatternError(message: "unknown escape '\\\(c)'", offset: index - 2)
            }
            set.insert(c.value...c.value)
        }
        return set
    }

    private mutating func characterClass() throws -> Pattern.CharacterSet {
        let start = index - 1
        var set = Pattern.CharacterSet()
        if index < scalars.count, scalars[index] == "^" { set.negated = true; index += 1 }
        var first = true
        while index < scalars.count, scalars[index] != "]" || first {
            first = false
            let lowIndex = index
            let low = scalars[index]
            index += 1
            if low == "\\" {
                let escaped = try escape()
                guard !escaped.negated else {
                    throw PatternError(message: "negated escapes are not supported inside a class", offset: index - 2)
                }
                // An escaped character outside ASCII (`\€`) lives in `ranges`, not the ASCII bitmap.
                set.ascii.0 |= escaped.ascii.0
                set.ascii.1 |= escaped.ascii.1
                set.ranges += escaped.ranges
                continue
            }
            if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                var high = scalars[index + 1]
                index += 2
                if high == "\\", index < scalars.count { high = scalars[index]; index += 1 }
                guard low.value <= high.value else {
                    throw PatternError(message: "range \(low)-\(high) is reversed", offset: lowIndex)
                }
                set.insert(low.value...high.value)
            } else {
                set.insert(low.value...low.value)
            }
        }
        guard index < scalars.count else { throw PatternError(message: "unterminated '['", offset: start) }
        index += 1
        return set
    }

    private mutating func quantifier() throws -> (Int, Int?) {
        guard index < scalars.count else { return (1, 1) }
        switch scalars[index] {
        case "?": index += 1; return (0, 1)
        case "*": index += 1; return (0, nil)
        case "+": index += 1; return (1, nil)
        case "{":
            let start = index
            index += 1
            let minimum = number()
            var maximum: Int? = minimum
            if index < scalars.count, scalars[index] == "," {
                index += 1
                maximum = number()
            }
            guard let minimum, index < scalars.count, scalars[index] == "}" else {
                throw PatternError(message: "malformed quantifier; write {n}, {n,} or {n,m}", offset: start)
            }
            index += 1
            return (minimum, maximum)
        default: return (1, 1)
        }
    }

    private mutating func number() -> Int? {
        var value: Int?
        while index < scalars.count, let digit = Int(String(scalars[index])), ("0"..."9").contains(scalars[index]) {
            value = min((value ?? 0) * 10 + digit, 100_000)
            index += 1
        }
        return value
    }
}
