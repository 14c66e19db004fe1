/// "Did you mean …?" for unknown keys and names, by edit distance.
enum Suggestion {
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let word = Array(word.lowercased().unicodeScalars)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(word, Array(candidate.lowercased().unicodeScalars))
            let limit = max(1, min(3, candidate.unicodeScalars.count / 3))
            guard distance <= limit else { continue }
            if best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        if let best { return best.0 }
        // A shortened word ('int', 'bool') is far from its full form by edit distance but plainly meant it.
        guard word.count >= 3 else { return nil }
        return candidates.filter { $0.lowercased().unicodeScalars.starts(with: word) }.min { $0.count < $1.count }
    }

    /// ` (did you mean 'x'?)` or nothing.
    static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// `; did you mean 'x'? The types are …` or `; the types are …`, for a closed set worth listing.
    static func hint(for word: String, in candidates: some Sequence<String>, listing: String) -> String {
        guard let best = closest(to: word, in: candidates) else { return "; " + listing }
        return "; did you mean '\(best)'? " + listing.prefix(1).uppercased() + listing.dropFirst()
    }

    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
