/// Splits an expression into tokens, each with its offset (in Unicode scalars) into the expression text.
struct ExpressionLexer {
    enum Token: Equatable {
        case number(Double)
        case string(String)
        case identifier(String)
        case symbol(String)
        case end
    }

    struct Lexeme {
        var token: Token
        var offset: Int
    }

    struct Failure: Error {
        var message: String
        var offset: Int
    }

    static let symbols = ["**", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "(", ")", "[", "]", ","]

    static func tokenize(_ text: String) -> Result<[Lexeme], Failure> {
        let scalars = Array(text.unicodeScalars)
        var lexemes: [Lexeme] = []
        var i = 0
        func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") }
        func isIdentifierPart(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || (c >= "0" && c <= "9") }
        func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        while i < scalars.count {
            let c = scalars[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            let start = i
            if isDigit(c) || (c == "." && i + 1 < scalars.count && isDigit(scalars[i + 1])) {
                var literal = ""
                while i < scalars.count, isDigit(scalars[i]) || scalars[i] == "." || scalars[i] == "_" {
                    if scalars[i] != "_" { literal.unicodeScalars.append(scalars[i]) }
                    i += 1
                }
                if i < scalars.count, scalars[i] == "e" || scalars[i] == "E" {
                    var j = i + 1
                    if j < scalars.count, scalars[j] == "+" || scalars[j] == "-" { j += 1 }
                    if j < scalars.count, isDigit(scalars[j]) {
                        literal += String(String.UnicodeScalarView(scalars[i..<j]))
                        i = j
                        while i < scalars.count, isDigit(scalars[i]) { literal.unicodeScalars.append(scalars[i]); i += 1 }
                    }
                }
                guard let value = Double(literal), value.isFinite else {
                    return .failure(Failure(message: "malformed number '\(literal)'", offset: start))
                }
                if i < scalars.count, isIdentifierStart(scalars[i]) {
                    return .failure(Failure(message: "unexpected '\(scalars[i])' after number \(literal)", offset: i))
                }
                lexemes.append(Lexeme(token: .number(value), offset: start))
            } else if isIdentifierStart(c) {
                var name = ""
                while i < scalars.count, isIdentifierPart(scalars[i]) || (scalars[i] == "." && i + 1 < scalars.count && isIdentifierStart(scalars[i + 1])) {
                    name.unicodeScalars.append(scalars[i])
                    i += 1
                }
                lexemes.append(Lexeme(token: .identifier(name), offset: start))
            } else if c == "\"" || c == "'" {
                i += 1
                var value = ""
                while i < scalars.count, scalars[i] != c {
                    value.unicodeScalars.append(scalars[i])
                    i += 1
                }
                guard i < scalars.count else {
                    return .failure(Failure(message: "unterminated string", offset: start))
                }
                i += 1
                lexemes.append(Lexeme(token: .string(value), offset: start))
            } else if let symbol = symbols.first(where: { matches($0, scalars, at: i) }) {
                i += symbol.unicodeScalars.count
                lexemes.append(Lexeme(token: .symbol(symbol), offset: start))
            } else if c == "=" {
                if i + 1 < scalars.count, scalars[i + 1] == ">" || scalars[i + 1] == "<" {
                    return .failure(Failure(message: "'=\(scalars[i + 1])' is not an operator; write '\(scalars[i + 1])='", offset: start))
                }
                return .failure(Failure(message: "'=' is not an operator; compare with '=='", offset: start))
            } else if c == "&" || c == "|" || c == "!" {
                let word = c == "&" ? "and" : c == "|" ? "or" : "not"
                return .failure(Failure(message: "unexpected '\(c)'; write '\(word)'", offset: start))
            } else {
                return .failure(Failure(message: "unexpected character '\(c)'", offset: start))
            }
        }
        lexemes.append(Lexeme(token: .end, offset: scalars.count))
        return .success(lexemes)
    }

    private static func matches(_ symbol: String, _ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var i = index
        for s in symbol.unicodeScalars {
            guard i < scalars.count, scalars[i] == s else { return false }
            i += 1
        }
        return true
    }
}
