import RuleLanguage

/// Decodes one JSON application straight into an evaluator's registers and field states. Hand-written, not
/// Foundation's JSONDecoder, because it is the product's speed: one pass over the bytes, no intermediate
/// objects, no allocation, keys matched against the schema's precomputed UTF-8 (measured in benchmarks/).
///
/// Strict RFC 8259 JSON: a line that is not one valid JSON text is rejected (→ `MALFORMED_JSON`), including
/// invalid UTF-8, control characters in strings, and nesting deeper than `maximumDepth`. Unknown keys are
/// skipped (but still validated); a repeated key counts once, the last one winning.
final class ApplicationDecoder {
    static let maximumDepth = 128

    /// One JSON object level of the schema: its keys and, per key, a field (>= 0) or a nested level (-(n+1)).
    struct Level {
        var keys: [[UInt8]] = []
        var targets: [Int32] = []
    }

    let levels: [Level]
    let kinds: [FieldKind]
    let texts: [[[UInt8]]]
    let patterns: [Pattern?]
    let identifierField: Int
    /// Unescaped text of the current key or string (only used when the JSON text has escapes).
    let scratch = ByteBuffer()
    /// `levels` flattened for key matching without reference counting (copying a `Level` and its key arrays
    /// retained and released them for every key of every application): all keys' bytes in one block; per key its
    /// start, length and target; per level its first key and key count.
    let keyBlob: UnsafeMutableBufferPointer<UInt8>
    let keyTable: UnsafeMutableBufferPointer<(start: Int32, length: Int32, target: Int32)>
    let levelTable: UnsafeMutableBufferPointer<(first: Int32, count: Int32)>

    init(policy: CompiledPolicy) {
        var levels = [Level()]
        for (field, path) in policy.explanations.policy.fields.map(\.segments).enumerated() {
            var level = 0
            for (depth, segment) in path.enumerated() {
                let key = Array(segment.utf8)
                let isLeaf = depth == path.count - 1
                if let existing = levels[level].keys.firstIndex(of: key) {
                    level = Int(-levels[level].targets[existing] - 1)
                    continue
                }
                levels[level].keys.append(key)
                if isLeaf {
                    levels[level].targets.append(Int32(field))
                } else {
                    levels[level].targets.append(-Int32(levels.count) - 1)
                    levels.append(Level())
                    level = levels.count - 1
                }
            }
        }
        self.levels = levels
        let blob = levels.flatMap { $0.keys.flatMap { $0 } }
        keyBlob = .allocate(capacity: max(1, blob.count))
        _ = keyBlob.initialize(from: blob)
        var table: [(start: Int32, length: Int32, target: Int32)] = []
        var ranges: [(first: Int32, count: Int32)] = []
        var offset: Int32 = 0
        for level in levels {
            ranges.append((Int32(table.count), Int32(level.keys.count)))
            for (key, target) in zip(level.keys, level.targets) {
                table.append((offset, Int32(key.count), target))
                offset += Int32(key.count)
            }
        }
        keyTable = .allocate(capacity: max(1, table.count))
        _ = keyTable.initialize(from: table)
        levelTable = .allocate(capacity: ranges.count)
        _ = levelTable.initialize(from: ranges)
        kinds = policy.fieldKinds
        texts = policy.fieldTexts
        patterns = policy.fieldPatterns
        identifierField = policy.identifierField
    }

    deinit {
        keyBlob.deallocate()
        keyTable.deallocate()
        levelTable.deallocate()
    }

    /// Returns false when the text is not valid JSON.
    func decode(_ json: UnsafeRawBufferPointer, into evaluator: Evaluator) -> Bool {
        let fieldCount = evaluator.policy.fieldCount
        evaluator.identifierPresent = false
        evaluator.identifier.removeAll(keepingCapacity: true)
        let states = evaluator.fieldStates.base, registers = evaluator.registers.base
        for k in 0..<fieldCount {
            states[k] = .absent
            registers[k] = .nan
            registers[fieldCount + k] = .nan
        }
        guard let base = json.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        var scanner = JSONScanner(base: base, count: json.count)
        if scanner.count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { scanner.index = 3 }
        scanner.skipWhitespace()
        var context = DecodeContext(decoder: self, evaluator: evaluator, states: states,
                                    registers: registers, fieldCount: fieldCount)
        let ok: Bool
        if scanner.peek == UInt8(ascii: "{") {
            ok = context.object(&scanner, level: 0, depth: 1)
        } else {
            ok = scanner.skipValue(depth: 1)
        }
        guard ok else { return false }
        scanner.skipWhitespace()
        return scanner.index == scanner.count
    }
}

/// The decoder's state while reading one application.
struct DecodeContext {
    let decoder: ApplicationDecoder
    let evaluator: Evaluator
    let states: UnsafeMutablePointer<FieldState>
    let registers: UnsafeMutablePointer<Double>
    let fieldCount: Int

    mutating func object(_ s: inout JSONScanner, level: Int, depth: Int) -> Bool {
        guard depth <= ApplicationDecoder.maximumDepth else { return false }
        s.index += 1
        s.skipWhitespace()
        if s.peek == UInt8(ascii: "}") { s.index += 1; return true }
        while true {
            guard s.peek == UInt8(ascii: "\""), let key = s.string() else { return false }
            let target = match(key, &s, level: level)
            s.skipWhitespace()
            guard s.peek == UInt8(ascii: ":") else { return false }
            s.index += 1
            s.skipWhitespace()
            if target >= 0 {
                guard value(&s, field: Int(target), depth: depth + 1) else { return false }
            } else if target < -1, s.peek == UInt8(ascii: "{") {
                guard object(&s, level: Int(-target - 2), depth: depth + 1) else { return false }
            } else {
                guard s.skipValue(depth: depth + 1) else { return false }
            }
            s.skipWhitespace()
            if s.peek == UInt8(ascii: ",") {
                s.index += 1
                s.skipWhitespace()
                continue
            }
            guard s.peek == UInt8(ascii: "}") else { return false }
            s.index += 1
            return true
        }
    }

    /// The target of a key at this level: a field (>= 0), a nested level -(n+2), or -1 for unknown.
    private func match(_ key: JSONScanner.StringToken, _ s: inout JSONScanner, level: Int) -> Int32 {
        let bytes = bytes(key, &s)
        let range = decoder.levelTable[level]
        var index = Int(range.first)
        let end = index + Int(range.count)
        while index < end {
            let entry = decoder.keyTable[index]
            if Int(entry.length) == bytes.count,
               memoryEqual(UnsafeBufferPointer(rebasing: decoder.keyBlob[Int(entry.start)..<Int(entry.start) + bytes.count]), bytes) {
                return entry.target >= 0 ? entry.target : entry.target - 1
            }
            index += 1
        }
        return -1
    }

    /// The string's bytes: straight from the input, or unescaped into the decoder's scratch buffer.
    func bytes(_ token: JSONScanner.StringToken, _ s: inout JSONScanner) -> UnsafeBufferPointer<UInt8> {
        guard token.escaped else { return UnsafeBufferPointer(start: s.base + token.start, count: token.length) }
        decoder.scratch.count = 0
        s.unescape(token, into: decoder.scratch)
        return decoder.scratch.contents
    }
}

@inline(__always)
func memoryEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var k = 0
    while k < a.count {
        if a[k] != b[k] { return false }
        k += 1
    }
    return true
}

/// A growable byte buffer with a stable address, reused across applications.
final class ByteBuffer {
    private(set) var pointer: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int = 1024) {
        self.capacity = capacity
        pointer = .allocate(capacity: capacity)
    }

    deinit { pointer.deallocate() }

    var contents: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: pointer, count: count) }

    @inline(__always)
    func append(_ byte: UInt8) {
        if count == capacity { grow() }
        pointer[count] = byte
        count += 1
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
        bigger.update(from: pointer, count: count)
        pointer.deallocate()
        pointer = bigger
        capacity *= 2
    }
}
