#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic stream of realistic loan applications for the reference policy's input schema (§1 of
/// shared/policy/retail-credit-policy.md), one compact JSON object per line, without the newline.
///
/// The same seed gives the same bytes on every run and machine (its own PRNG and integer formatting; no
/// `Double.description`, no `random(in:)`). The mix, by design:
/// - about 88% plausible applications drawn from per-product distributions (amount, term, income, bureau
///   score, debt, collateral, documents); the policy itself sorts them into approved, declined, referred,
///   and a few invalid ones (cross-field checks: product limits, income proof, age at maturity);
/// - about 9% with one deliberate field error (REQUIRED, null, TYPE, FORMAT, ENUM, RANGE, bad `documents`,
///   `applicant` not an object);
/// - about 1.5% edge shapes: `{}`, non-object JSON values;
/// - about 1.5% malformed JSON (truncated lines, trailing commas, single quotes).
/// Some lines carry unknown fields (channel, timestamps, a nested metadata object, escaped text) that the
/// decoder must validate and skip, a few have their keys in another order, and a few are pretty-printed.
public struct ApplicationMix {
    public enum Kind: String, CaseIterable, Sendable {
        case plausible, fieldError, edge, malformed
    }

    var random: SplitMix64
    public private(set) var serial = 0

    public init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    /// `count` lines, each without its newline.
    public static func lines(count: Int, seed: UInt64) -> [[UInt8]] {
        var mix = ApplicationMix(seed: seed)
        return (0..<count).map { _ in
            var line: [UInt8] = []
            mix.next(into: &line)
            return line
        }
    }

    /// Appends the next application (no newline) and returns what kind it is.
    @discardableResult
    public mutating func next(into out: inout [UInt8]) -> Kind {
        serial += 1
        let roll = random.unit()
        if roll < 0.015 {
            out.append(contentsOf: Self.edgeShapes[random.index(Self.edgeShapes.count)].utf8)
            return .edge
        }
        var members = plausibleMembers()
        var kind = Kind.plausible
        if roll < 0.105 {
            injectFieldError(into: &members)
            kind = .fieldError
        }
        if random.chance(0.3) { addUnknownFields(to: &members) }
        if random.chance(0.08) { shuffle(&members) }
        let pretty = random.chance(0.04)
        var line = Self.render(members, pretty: pretty)
        if roll > 0.985 {
            malform(&line)
            kind = .malformed
        }
        out.append(contentsOf: line)
        return kind
    }

    // MARK: Plausible applications

    /// A JSON member: key and raw JSON text of its value. `applicant` holds nested members.
    struct Member {
        var key: String
        var value: String
        var nested: [Member]?

        init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }

        init(_ key: String, nested: [Member]) {
            self.key = key
            value = ""
            self.nested = nested
        }
    }

    mutating func plausibleMembers() -> [Member] {
        let product = random.weighted([("personal", 45), ("auto", 25), ("mortgage", 15), ("sme", 15)])
        let status = random.weighted([("employed", 64), ("self_employed", 17), ("retired", 10), ("student", 5), ("unemployed", 4)])
        let age: Int
        switch status {
        case "student": age = random.int(18...30)
        case "retired": age = random.int(58...82)
        default: age = product == "mortgage" ? random.int(24...62) : random.int(19...70)
        }
        var income: Double
        switch status {
        case "student": income = random.logNormal(median: 12_000, sigma: 0.6)
        case "unemployed": income = random.chance(0.4) ? 0 : random.logNormal(median: 9_000, sigma: 0.7)
        case "retired": income = random.logNormal(median: 32_000, sigma: 0.45)
        default: income = random.logNormal(median: product == "sme" ? 120_000 : 58_000, sigma: 0.55)
        }
        if random.chance(0.01) { income = 0 }

        var amount: Int
        var term: Int
        let terms: [Int]
        let minimum: Int, step: Int
        switch product {
        case "personal":
            minimum = 1_000; step = 500
            amount = random.chance(0.01) ? random.int(100_001...150_000) : random.logUniform(1_000, 100_000, step: 500)
            if status == "unemployed" || status == "student", random.chance(0.8) { amount = random.logUniform(1_000, 8_000, step: 500) }
            terms = [12, 24, 36, 48, 60, 72, 84]
            term = random.chance(0.01) ? random.pick([96, 120]) : random.pick(terms)
        case "auto":
            minimum = 5_000; step = 100
            amount = random.chance(0.01) ? random.int(150_001...200_000) : random.logUniform(5_000, 150_000, step: 100)
            terms = [24, 36, 48, 60, 72, 84, 96]
            term = random.pick(terms)
        case "mortgage":
            minimum = 60_000; step = 1_000
            amount = random.logUniform(60_000, 1_500_000, step: 1_000)
            terms = [120, 180, 240, 300, 360]
            term = random.chance(0.01) ? 36 : random.pick([120, 180, 240, 300, 360, 360, 300])
        default:
            minimum = 10_000; step = 1_000
            amount = random.logUniform(10_000, 1_100_000, step: 1_000)
            terms = [12, 24, 36, 60, 84, 120]
            term = random.pick(terms)
        }
        // Most people ask for what they can afford: stretch the term, then scale the amount down to a
        // debt-to-income between 0.1 and 0.5 (§3); the rest keep an unaffordable request (DTI_EXCESSIVE).
        let debtShare = random.unit() * random.unit() * 0.6
        if income > 0, random.chance(0.85), Self.dti(product, amount, term, income, debtShare) > 0.5 {
            term = terms.first { $0 >= term && Self.dti(product, amount, $0, income, debtShare) <= 0.5 } ?? max(term, terms[terms.count - 1])
            let target = 0.1 + random.unit() * 0.4
            let current = Self.dti(product, amount, term, income, debtShare)
            if current > target, current > debtShare {
                let scaled = Double(amount) * max(0, target - debtShare) / (current - debtShare)
                amount = max(minimum, Int(scaled / Double(step)) * step)
            }
        }
        // Few ask for a loan that outlives them past 85 (AGE_AT_MATURITY).
        if age * 12 + term > 85 * 12, random.chance(0.85) {
            term = terms.last { age * 12 + $0 <= 85 * 12 } ?? term
        }
        var applicant: [Member] = [
            Member("age", String(age)),
            Member("annual_income", Self.money(income, cents: random.chance(0.25))),
            Member("employment_status", Self.quoted(status)),
        ]
        if status == "employed" || status == "self_employed" {
            if !random.chance(0.05) {
                let years = min(40, random.exponential(mean: 6))
                applicant.append(Member("employment_years", random.chance(0.5) ? String(Int(years)) : Self.decimal(years, places: 1)))
            }
        } else if random.chance(0.3) {
            applicant.append(Member("employment_years", "0"))
        }
        if !random.chance(0.08) {
            let score = Int(max(300, min(850, random.normal(mean: 690, sd: 75))).rounded())
            applicant.append(Member("credit_score", random.chance(0.02) ? "\(score).0" : String(score)))
        }
        if !random.chance(0.12) {
            let debt = income == 0 ? random.unit() * 400 : income / 12 * debtShare
            applicant.append(Member("monthly_debt", Self.money(debt, cents: random.chance(0.5))))
        }
        if !random.chance(0.2) {
            let delinquencies = random.weighted([(0, 80), (1, 12), (2, 5), (3, 2), (5, 1)])
            applicant.append(Member("delinquencies_24m", String(delinquencies)))
        }
        if !random.chance(0.3) {
            applicant.append(Member("bankruptcies_5y", random.chance(0.04) ? "1" : "0"))
        }

        var members: [Member] = [
            Member("application_id", Self.quoted(identifier())),
            Member("product", Self.quoted(product)),
            Member("amount", random.chance(0.1) ? "\(amount).\(random.int(10...99))" : String(amount)),
            Member("term_months", String(term)),
            Member("applicant", nested: applicant),
        ]
        let collateral: Double?
        switch product {
        case "auto": collateral = random.chance(0.02) ? nil : Double(amount) * (0.75 + random.unit() * 0.9)
        case "mortgage": collateral = random.chance(0.02) ? nil : Double(amount) / (0.45 + random.unit() * 0.55)
        case "sme": collateral = random.chance(0.3) ? Double(amount) * (0.5 + random.unit() * 1.5) : nil
        default: collateral = random.chance(0.03) ? Double(amount) * (1 + random.unit()) : nil
        }
        if let collateral { members.append(Member("collateral_value", Self.money(collateral, cents: false))) }
        if !random.chance(amount > 50_000 ? 0.01 : 0.1) {
            var documents = ["id"]
            if random.chance(amount > 50_000 ? 0.97 : 0.5) { documents.append("income_proof") }
            if random.chance(0.3) { documents.append("bank_statements") }
            if product == "mortgage" || product == "auto", random.chance(0.6) { documents.append("valuation_report") }
            if product == "sme", random.chance(0.7) { documents.append("company_accounts") }
            members.append(Member("documents", "[" + documents.map(Self.quoted).joined(separator: ",") + "]"))
        }
        return members
    }

    mutating func identifier() -> String {
        switch random.int(0...9) {
        case 0...5: return "APP-" + Self.padded(serial, width: 10)
        case 6...8:
            let hex = Array("0123456789abcdef")
            let groups = [8, 4, 4, 4, 12].map { count in String((0..<count).map { _ in hex[random.index(16)] }) }
            return groups.joined(separator: "-")
        default: return "br_\(random.int(1...99))_" + Self.padded(serial, width: 8)
        }
    }

    // MARK: Deliberate errors and noise

    mutating func injectFieldError(into members: inout [Member]) {
        let applicantIndex = members.firstIndex { $0.key == "applicant" }!
        func setTop(_ key: String, _ value: String?, _ members: inout [Member]) {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let value { members[index].value = value } else { members.remove(at: index) }
            } else if let value {
                members.append(Member(key, value))
            }
        }
        func setApplicant(_ key: String, _ value: String?, _ members: inout [Member]) {
            var nested = members[applicantIndex].nested!
            setTop(key, value, &nested)
            members[applicantIndex].nested = nested
        }
        switch random.int(0...21) {
        case 0: setTop(random.pick(["application_id", "product", "amount", "term_months"]), nil, &members)
        case 1: setApplicant(random.pick(["age", "annual_income", "employment_status"]), nil, &members)
        case 2: setTop(random.pick(["amount", "term_months", "product"]), "null", &members)
        case 3: setTop("amount", "\"" + String(random.int(1_000...90_000)) + "\"", &members)
        case 4: setTop("term_months", "\(random.int(6...100)).5", &members)
        case 5: setTop("product", Self.quoted(random.pick(["Personal", "boat", "", "AUTO", "student_loan"])), &members)
        case 6: setApplicant("employment_status", Self.quoted(random.pick(["contractor", "Employed", "part_time"])), &members)
        case 7: setApplicant("age", String(random.pick([0, 16, 17, 101, 130])), &members)
        case 8: setApplicant("credit_score", String(random.pick([0, 250, 299, 851, 999])), &members)
        case 9: setTop("application_id", Self.quoted(random.pick(["", "APP 0001", "APP#77", String(repeating: "X", count: 70)])), &members)
        case 10: setTop("application_id", Self.quoted("APP-\\u00e9-" + Self.padded(serial, width: 6)), &members)
        case 11: setTop("documents", random.pick(["\"income_proof\"", "[\"id\",null]", "[\"id\",42]", "{}"]), &members)
        case 12: members[applicantIndex] = Member("applicant", random.pick(["[]", "\"n/a\"", "null", "42"]))
        case 13: setTop("amount", random.pick(["true", "false", "[10000]"]), &members)
        case 14: setApplicant("monthly_debt", "-" + String(random.int(1...500)), &members)
        case 15: setTop("collateral_value", random.pick(["0", "-5000", "\"100000\""]), &members)
        case 16: setTop("amount", String(random.pick([0, 500, 999, 2_000_001, 5_000_000])), &members)
        case 17: setTop("term_months", String(random.pick([0, 3, 5, 361, 480])), &members)
        case 18: setApplicant("delinquencies_24m", random.pick(["-1", "1.5", "\"none\""]), &members)
        case 19: setApplicant("employment_years", random.pick(["-2", "\"five\"", "true"]), &members)
        case 20: setApplicant("annual_income", random.pick(["-1", "\"55000\"", "1e400"]), &members)
        default:
            setApplicant("bankruptcies_5y", random.pick(["2.5", "-1", "null"]), &members)
            setTop("term_months", "36.0", &members)
        }
    }

    mutating func addUnknownFields(to members: inout [Member]) {
        members.append(Member("channel", Self.quoted(random.pick(["web", "branch", "broker", "mobile"]))))
        if random.chance(0.6) {
            let day = Self.padded(random.int(1...28), width: 2), hour = Self.padded(random.int(0...23), width: 2)
            members.append(Member("submitted_at", Self.quoted("2026-0\(random.int(1...9))-\(day)T\(hour):14:07Z")))
        }
        if random.chance(0.4) {
            members.append(Member("metadata", "{\"source\":\"crm\",\"version\":3,\"flags\":[true,false,null],\"score_hint\":-1.5e-3}"))
        }
        if random.chance(0.3), let index = members.firstIndex(where: { $0.key == "applicant" }), var nested = members[index].nested {
            nested.insert(Member("name", random.pick(["\"Zo\\u00eb M\\u00fcller\"", "\"J. Smith\"", "\"Ana \\\"Nan\\\" Lima\"", "\"Łukasz Kowalski\""])), at: 0)
            members[index].nested = nested
        }
    }

    mutating func shuffle(_ members: inout [Member]) {
        for k in stride(from: members.count - 1, to: 0, by: -1) {
            members.swapAt(k, random.index(k + 1))
        }
    }

    mutating func malform(_ line: inout [UInt8]) {
        switch random.int(0...3) {
        case 0: line.removeLast(random.int(1...min(40, line.count - 1)))
        case 1: line.insert(UInt8(ascii: ","), at: line.count - 1)
        case 2: line = Array(String(decoding: line, as: UTF8.self).replacingAll("\"", with: "'").utf8)
        default: line.append(contentsOf: Array(" {\"x\":1}".utf8))
        }
    }

    static let edgeShapes = ["{}", "[]", "42", "\"application\"", "null", "{\"application_id\":\"APP-EMPTY\"}", "{ }", "[{\"product\":\"auto\"}]"]

    // MARK: Rendering

    static func render(_ members: [Member], pretty: Bool) -> [UInt8] {
        var out = "{"
        for (position, member) in members.enumerated() {
            if position > 0 { out += pretty ? ", " : "," }
            out += quoted(member.key) + (pretty ? ": " : ":")
            if let nested = member.nested {
                out += String(decoding: render(nested, pretty: pretty), as: UTF8.self)
            } else {
                out += member.value
            }
        }
        out += "}"
        return Array(out.utf8)
    }

    /// The policy's debt-to-income for a request (§3), with monthly debt `debtShare` of monthly income.
    static func dti(_ product: String, _ amount: Int, _ term: Int, _ income: Double, _ debtShare: Double) -> Double {
        let apr = ["personal": 0.12, "auto": 0.07, "mortgage": 0.05, "sme": 0.10][product] ?? 0.1
        let rate = apr / 12
        let installment = Double(amount) * rate / (1 - pow(1 + rate, -Double(term)))
        return debtShare + installment / (income / 12)
    }

    static func quoted(_ text: String) -> String { "\"" + text + "\"" }

    static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A non-negative amount as JSON: whole units, or with two decimals.
    static func money(_ value: Double, cents: Bool) -> String {
        cents ? decimal(value, places: 2) : String(Int(value.rounded()))
    }

    static func decimal(_ value: Double, places: Int) -> String {
        let scale = places == 1 ? 10 : 100
        let scaled = Int((value * Double(scale)).rounded())
        return "\(scaled / scale)." + padded(scaled % scale, width: places)
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}

/// SplitMix64: small, fast, and the same everywhere.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    mutating func index(_ count: Int) -> Int { Int(next() % UInt64(count)) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + index(range.count) }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    mutating func pick<T>(_ choices: [T]) -> T { choices[index(choices.count)] }

    mutating func weighted<T>(_ choices: [(T, Int)]) -> T {
        var roll = index(choices.reduce(0) { $0 + $1.1 })
        for (choice, weight) in choices {
            if roll < weight { return choice }
            roll -= weight
        }
        return choices[choices.count - 1].0
    }

    mutating func normal(mean: Double, sd: Double) -> Double {
        let u = max(unit(), 0x1p-53), v = unit()
        return mean + sd * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    mutating func logNormal(median: Double, sigma: Double) -> Double {
        median * exp(normal(mean: 0, sd: sigma))
    }

    mutating func exponential(mean: Double) -> Double {
        -mean * log(1 - unit())
    }

    /// Log-uniform between `low` and `high`, rounded to a multiple of `step`, kept within the bounds.
    mutating func logUniform(_ low: Int, _ high: Int, step: Int) -> Int {
        let value = exp(log(Double(low)) + unit() * (log(Double(high)) - log(Double(low))))
        return min(high, max(low, Int((value / Double(step)).rounded()) * step))
    }
}
