@testable import RuleLanguage
import Testing

/// Whole-value patterns for string fields, as data: pattern, input, whether it matches; pattern and error.
@Suite struct PatternTests {
    static let matches: [(String, String, Bool)] = [
        ("[A-Za-z0-9_-]{1,64}", "FX-001", true),
        ("[A-Za-z0-9_-]{1,64}", "", false),
        ("[A-Za-z0-9_-]{1,64}", "FX 001", false),
        ("[A-Za-z0-9_-]{1,64}", String(repeating: "a", count: 64), true),
        ("[A-Za-z0-9_-]{1,64}", String(repeating: "a", count: 65), false),
        ("abc", "abc", true),
        ("abc", "abcd", false),
        ("abc", "ab", false),
        ("", "", true),
        ("", "a", false),
        ("\\d{5}", "12345", true),
        ("\\d{5}", "1234", false),
        ("\\d{5}", "123456", false),
        ("\\d{5}", "1234a", false),
        ("\\D+", "abc", true),
        ("\\D+", "ab1", false),
        ("\\w+@\\w+\\.com", "ann_1@bank.com", true),
        ("\\w+@\\w+\\.com", "ann@bank,com", false),
        ("\\W", "-", true),
        ("\\W", "a", false),
        ("\\s*x\\s*", " \t x\n", true),
        ("\\S+", "a b", false),
        ("[^ ]+", "abc", true),
        ("[^ ]+", "a c", false),
        ("[^0-9]", "x", true),
        ("[^0-9]", "7", false),
        ("a.c", "abc", true),
        ("a.c", "a\nc", false),
        ("a.c", "aéc", true),
        ("\\.", ".", true),
        ("\\.", "x", false),
        ("colou?r", "color", true),
        ("colou?r", "colour", true),
        ("colou?r", "colouur", false),
        ("ab*c", "ac", true),
        ("ab*c", "abbbbc", true),
        ("ab+c", "ac", false),
        ("ab+c", "abbc", true),
        ("a{3}", "aaa", true),
        ("a{3}", "aa", false),
        ("a{2,}", "a", false),
        ("a{2,}", "aaaaaaa", true),
        ("a{1,3}b", "aaab", true),
        ("a{1,3}b", "aaaab", false),
        ("a{0}b", "b", true),
        ("a*a*a*b", "aaab", true),
        ("[a-]", "-", true),
        ("[]a]", "]", true),
        ("[\\d.]+", "1.50", true),
        ("[\\]x]+", "]x]", true),
        ("[é-ü]", "ö", true),
        ("[é-ü]", "e", false),
        ("[\\€a]", "€", true),
        ("€{2}", "€€", true),
        ("\\+\\d{6,15}", "+4915112345678", true),
        ("\\+\\d{6,15}", "4915112345678", false),
        ("[A-Z]{2}\\d{2}[A-Z0-9]{1,30}", "DE89370400440532013000", true),
    ]

    @Test(arguments: matches)
    func matching(_ pattern: String, _ input: String, _ expected: Bool) throws {
        let compiled = try Pattern.parse(pattern).get()
        #expect(compiled.matches(input) == expected)
    }

    static let errors: [(String, String, Int)] = [
        ("(ab)", "groups and alternation ('(') are not supported in patterns; escape it as \\( to match it", 0),
        ("a|b", "groups and alternation ('|') are not supported in patterns; escape it as \\| to match it", 1),
        ("*a", "'*' has nothing to repeat", 0),
        ("a**", "'*' has nothing to repeat", 2),
        ("{2}", "'{' has nothing to repeat", 0),
        ("^abc", "patterns always match the whole value; remove '^' or escape it", 0),
        ("abc$", "patterns always match the whole value; remove '$' or escape it", 3),
        ("abc\\", "pattern ends with '\\'", 3),
        ("a\\q", "unknown escape '\\q'", 1),
        ("\\1", "unknown escape '\\1'", 0),
        ("[abc", "unterminated '['", 0),
        ("x[^]", "unterminated '['", 1),
        ("[z-a]", "range z-a is reversed", 1),
        ("ab[z-\\a]", "range z-a is reversed", 3),
        ("[\\D]", "negated escapes are not supported inside a class", 1),
        ("a{3,1}", "quantifier {3,1} has its maximum below its minimum", 0),
        ("a{,3}", "malformed quantifier; write {n}, {n,} or {n,m}", 1),
        ("a{3", "malformed quantifier; write {n}, {n,} or {n,m}", 1),
        ("a{x}", "malformed quantifier; write {n}, {n,} or {n,m}", 1),
        ("a{600}", "pattern expands to more than 512 positions", 0),
        ("ab{99999999999}", "pattern expands to more than 512 positions", 1),
    ]

    @Test(arguments: errors)
    func refusing(_ pattern: String, _ message: String, _ offset: Int) {
        switch Pattern.parse(pattern) {
        case .success: Issue.record("'\(pattern)' was accepted")
        case .failure(let error):
            #expect(error.message == message)
            #expect(error.offset == offset)
        }
    }

    /// Inputs that make a backtracking matcher take exponential time (`a?ⁿaⁿ` against `aⁿ` tries 2ⁿ paths;
    /// `a*a*…b` against a long run of a's without a b). The position-set simulation takes n × positions steps,
    /// so these finish in milliseconds; a backtracker would not finish at all.
    struct Adversarial: CustomTestStringConvertible, Sendable {
        var name: String
        var pattern: String
        var input: String
        var matches: Bool
        var testDescription: String { name }
    }

    static let adversarial: [Adversarial] = [
        Adversarial(name: "a?{40}a{40} on a{40}", pattern: String(repeating: "a?", count: 40) + String(repeating: "a", count: 40),
                    input: String(repeating: "a", count: 40), matches: true),
        Adversarial(name: "a?{40}a{40} on a{39}", pattern: String(repeating: "a?", count: 40) + String(repeating: "a", count: 40),
                    input: String(repeating: "a", count: 39), matches: false),
        Adversarial(name: "(a*){30}b on a{10000}", pattern: String(repeating: "a*", count: 30) + "b",
                    input: String(repeating: "a", count: 10_000), matches: false),
        Adversarial(name: "(\\w*){30}! on x{10000}?", pattern: String(repeating: "\\w*", count: 30) + "!",
                    input: String(repeating: "x", count: 10_000) + "?", matches: false),
        Adversarial(name: "[a-z]{1,200}[a-z]{1,200} on q{401}", pattern: "[a-z]{1,200}[a-z]{1,200}",
                    input: String(repeating: "q", count: 401), matches: false),
    ]

    /// The work is counted, not timed (a timed test fails on a busy machine): at most one step per pattern
    /// position per input character, where a backtracker would need exponentially many.
    @Test(arguments: adversarial)
    func adversarialInputsRunInLinearTime(_ row: Adversarial) throws {
        let compiled = try Pattern.parse(row.pattern).get()
        #expect(compiled.matches(row.input) == row.matches)
        let positions = compiled.elements.count + 1
        #expect(compiled.steps(row.input) <= positions * row.input.unicodeScalars.count)
    }

    /// Four times the input takes four times the steps, exactly: the set of live positions is the same at every
    /// character of a run of a's (a quadratic matcher would take 16 times).
    @Test func matchingWorkGrowsLinearly() throws {
        let compiled = try Pattern.parse(String(repeating: "a*", count: 20) + "b").get()
        let short = String(repeating: "a", count: 2_000), long = String(repeating: "a", count: 8_000)
        let shortSteps = compiled.steps(short), longSteps = compiled.steps(long)
        #expect(shortSteps > 2_000)
        #expect(longSteps == 4 * shortSteps)
    }
}

/// Patterns of one repeated set take a shortcut (every scalar in the set, length in bounds); these rows pin that
/// it agrees with the general matcher, including optional-before-mandatory shapes that must not take it.
@Suite struct PatternShortcutTests {
    @Test(arguments: [
        ("[a-c]{2,3}", "ab", true), ("[a-c]{2,3}", "abc", true), ("[a-c]{2,3}", "a", false), ("[a-c]{2,3}", "abca", false),
        ("[a-c]{2,3}", "abd", false), ("[0-9]+", "", false), ("[0-9]+", "0123456789", true), ("[0-9]*", "", true),
        ("a?a", "a", true), ("a?a", "aa", true), ("a?a", "aaa", false), ("[é]{1,2}", "éé", true), ("[é]{1,2}", "e", false),
        ("[A-Za-z0-9_-]{1,64}", String(repeating: "Az09_-", count: 10) + "Az09", true),
        ("[A-Za-z0-9_-]{1,64}", String(repeating: "a", count: 65), false),
    ])
    func agreesWithTheNFA(_ pattern: String, _ text: String, _ expected: Bool) throws {
        let compiled = try Pattern.parse(pattern).get()
        #expect(compiled.matches(text) == expected)
    }
}
