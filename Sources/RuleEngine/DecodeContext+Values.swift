import RuleLanguage

extension DecodeContext {
    /// Reads the value of a schema field, recording its state; false only when the JSON is malformed.
    /// `null` counts as absent. A value of the wrong JSON type is skipped and marks the field TYPE.
    mutating func value(_ s: inout JSONScanner, field: Int, depth: Int) -> Bool {
        registers[field] = .nan
        registers[fieldCount + field] = .nan
        if s.peek == UInt8(ascii: "n") {
            states[field] = .absent
            if field == decoder.identifierField { evaluator.identifierPresent = false }
            return s.literal("null")
        }
        switch decoder.kinds[field] {
        case .number, .integer:
            guard s.peek == UInt8(ascii: "-") || s.peek &- 0x30 < 10 else { return typeMismatch(&s, field, depth) }
            guard let number = s.number() else { return false }
            if !number.isFinite || (decoder.kinds[field] == .integer && number != number.rounded(.towardZero)) {
                states[field] = .typeError
            } else {
                states[field] = .present
                registers[field] = number
            }
        case .boolean:
            if s.peek == UInt8(ascii: "t") || s.peek == UInt8(ascii: "f") {
                let truth = s.peek == UInt8(ascii: "t")
                guard s.literal(truth ? "true" : "false") else { return false }
                states[field] = .present
                registers[field] = truth ? 1 : 0
            } else {
                return typeMismatch(&s, field, depth)
            }
        case .string:
            guard s.peek == UInt8(ascii: "\"") else { return typeMismatch(&s, field, depth) }
            guard let token = s.string() else { return false }
            let text = bytes(token, &s)
            let matches = decoder.patterns[field]?.matches(utf8: text) ?? true
            states[field] = matches ? .present : .formatError
            registers[field] = 1
            if field == decoder.identifierField {
                evaluator.identifier.removeAll(keepingCapacity: true)
                evaluator.identifier.append(contentsOf: text)
                evaluator.identifierPresent = true
            }
        case .enumeration:
            guard s.peek == UInt8(ascii: "\"") else { return typeMismatch(&s, field, depth) }
            guard let token = s.string() else { return false }
            let text = bytes(token, &s)
            states[field] = .enumError
            for (ordinal, candidate) in decoder.texts[field].enumerated() where candidate.count == text.count {
                if candidate.withUnsafeBufferPointer({ memoryEqual($0, text) }) {
                    states[field] = .present
                    registers[field] = Double(ordinal)
                    break
                }
            }
        case .list:
            guard s.peek == UInt8(ascii: "[") else { return typeMismatch(&s, field, depth) }
            return list(&s, field: field, depth: depth)
        }
        return true
    }

    private mutating func typeMismatch(_ s: inout JSONScanner, _ field: Int, _ depth: Int) -> Bool {
        states[field] = .typeError
        if field == decoder.identifierField { evaluator.identifierPresent = false }
        return s.skipValue(depth: depth)
    }

    /// A list of strings: its length, and a bit per tested text that it holds. Any non-string item is TYPE.
    private mutating func list(_ s: inout JSONScanner, field: Int, depth: Int) -> Bool {
        guard depth <= ApplicationDecoder.maximumDepth else { return false }
        s.index += 1
        s.skipWhitespace()
        var count = 0.0
        var mask: UInt64 = 0
        var wrongItem = false
        if s.peek == UInt8(ascii: "]") {
            s.index += 1
        } else {
            while true {
                if s.peek == UInt8(ascii: "\"") {
                    guard let token = s.string() else { return false }
                    let text = bytes(token, &s)
                    for (bit, candidate) in decoder.texts[field].enumerated() where candidate.count == text.count {
                        if candidate.withUnsafeBufferPointer({ memoryEqual($0, text) }) { mask |= 1 << UInt64(bit) }
                    }
                    count += 1
                } else {
                    wrongItem = true
                    guard s.skipValue(depth: depth + 1) else { return false }
                }
                s.skipWhitespace()
                if s.peek == UInt8(ascii: ",") { s.index += 1; s.skipWhitespace(); continue }
                guard s.peek == UInt8(ascii: "]") else { return false }
                s.index += 1
                break
            }
        }
        if wrongItem {
            states[field] = .typeError
        } else {
            states[field] = .present
            registers[field] = count
            registers[fieldCount + field] = Double(mask)
        }
        return true
    }
}
