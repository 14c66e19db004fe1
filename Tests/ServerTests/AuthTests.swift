import Foundation
import Testing
@testable import Server

// MARK: - A1 password storage

@Suite("A1 password storage (PasswordHasher)")
struct PasswordHasherTests {
    /// Splits `scrypt$N$r$p$salt$hash` into its six fields.
    private func fields(_ stored: String) -> [String] {
        stored.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
    }

    @Test func standardFormatAndCostFloor() async throws {
        let hasher = try PasswordHasher(parameters: .standard, concurrency: 1)
        let stored = try await hasher.hash("correct horse battery staple")
        let parts = fields(stored)
        try #require(parts.count == 6, "stored: \(stored)")
        #expect(Array(parts[0...3]) == ["scrypt", "131072", "8", "1"])
        let salt = try #require(Data(base64Encoded: parts[4]))
        let key = try #require(Data(base64Encoded: parts[5]))
        #expect(salt.count >= 16)
        #expect(key.count == 32)
        // The whole string is exactly the documented form, nothing before or after.
        #expect(stored == "scrypt$131072$8$1$\(salt.base64EncodedString())$\(key.base64EncodedString())")

        // The KDF cost floor (A1: 0.1–1 s on CI; only the lower bound is asserted, an upper bound would be flaky).
        let clock = ContinuousClock()
        var verified = false
        let elapsed = await clock.measure { verified = await hasher.verify("correct horse battery staple", against: stored) }
        #expect(verified)
        #expect(elapsed >= .milliseconds(100), "one verification at the standard parameters took \(elapsed)")
    }

    @Test func testOnlyFormat() async throws {
        let hasher = try PasswordHasher(parameters: .testOnly)
        let parts = fields(try await hasher.hash("pw"))
        try #require(parts.count == 6)
        #expect(Array(parts[0...3]) == ["scrypt", "1024", "8", "1"])
        #expect(Data(base64Encoded: parts[4])?.count == 16)
        #expect(Data(base64Encoded: parts[5])?.count == 32)
    }

    @Test func samePasswordHashesDifferently() async throws {
        let hasher = try PasswordHasher(parameters: .testOnly)
        let first = try await hasher.hash("the same password")
        let second = try await hasher.hash("the same password")
        #expect(first != second)
        #expect(fields(first)[4] != fields(second)[4], "the salts must differ")
        #expect(await hasher.verify("the same password", against: first))
        #expect(await hasher.verify("the same password", against: second))
    }

    @Test func verifiesOnlyTheRightPassword() async throws {
        let hasher = try PasswordHasher(parameters: .testOnly)
        let stored = try await hasher.hash("Tr0ub4dor&3 with spaces é")
        #expect(await hasher.verify("Tr0ub4dor&3 with spaces é", against: stored))
        #expect(await !hasher.verify("Tr0ub4dor&3 with spaces e", against: stored))
        #expect(await !hasher.verify("Tr0ub4dor&3 with spaces é ", against: stored))
        #expect(await !hasher.verify("", against: stored))
    }

    /// Unknown user / no password set: the decoy is checked and the answer is always false.
    @Test func nilStoredHashIsAlwaysFalse() async throws {
        let hasher = try PasswordHasher(parameters: .testOnly)
        #expect(await !hasher.verify("", against: nil))
        #expect(await !hasher.verify("anything at all", against: nil))
    }

    /// A hash made with other (valid) parameters verifies: the parameters are read from the stored string.
    @Test func parametersComeFromTheStoredString() async throws {
        let cheap = try PasswordHasher(parameters: .init(logN: 11, r: 4, p: 2))
        let stored = try await cheap.hash("pw-123")
        #expect(stored.hasPrefix("scrypt$2048$4$2$"))
        let other = try PasswordHasher(parameters: .testOnly)
        #expect(await other.verify("pw-123", against: stored))
        #expect(await !other.verify("pw-124", against: stored))
    }

    @Test(arguments: [
        "",
        "scrypt",
        "scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA==",  // five fields
        "scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA==$AAAA$extra",  // seven fields
        "bcrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA==$AAAA",  // another scheme
        "scrypt$1000$8$1$c2FsdHNhbHRzYWx0c2FsdA==$AAAA",  // N not a power of two
        "scrypt$1$8$1$c2FsdHNhbHRzYWx0c2FsdA==$AAAA",  // N too small
        "scrypt$1024$0$1$c2FsdHNhbHRzYWx0c2FsdA==$AAAA",  // r out of range
        "scrypt$1024$65$1$c2FsdHNhbHRzYWx0c2FsdA==$AAAA",  // r out of range
        "scrypt$1024$8$0$c2FsdHNhbHRzYWx0c2FsdA==$AAAA",  // p out of range
        "scrypt$1024$8$17$c2FsdHNhbHRzYWx0c2FsdA==$AAAA",  // p out of range
        "scrypt$abc$8$1$c2FsdHNhbHRzYWx0c2FsdA==$AAAA",  // N not a number
        "scrypt$1024$8$1$not base64!$AAAA",  // salt not base64
        "scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA==$@@@@",  // hash not base64
    ])
    func malformedStoredHashIsFalse(_ stored: String) async throws {
        let hasher = try PasswordHasher(parameters: .testOnly)
        #expect(await !hasher.verify("pw", against: stored))
    }

    /// A valid hash with one bit of the key flipped no longer verifies, nor does one cut short.
    @Test func tamperedHashIsFalse() async throws {
        let hasher = try PasswordHasher(parameters: .testOnly)
        let stored = try await hasher.hash("pw")
        var parts = fields(stored)
        var key = [UInt8](try #require(Data(base64Encoded: parts[5])))
        key[31] ^= 1
        parts[5] = Data(key).base64EncodedString()
        #expect(await !hasher.verify("pw", against: parts.joined(separator: "$")))
        parts[5] = Data(key.prefix(31)).base64EncodedString()
        #expect(await !hasher.verify("pw", against: parts.joined(separator: "$")))
    }

    // The concurrency cap (at most `concurrency` KDF runs at once) is not tested here: a wall-clock ratio was tried
    // and did not tell concurrency 1 from 2 on this shared 2-core machine (both passed a 1.6x bound), and inside a
    // full parallel run the baseline itself was distorted (7.7 s for a 4 MiB run). See the report.
}

// MARK: - A2 TOTP

@Suite("A2 TOTP (RFC 6238) and base32")
struct TOTPTests {
    static let sha1Seed = Array("12345678901234567890".utf8)
    static let sha256Seed = Array("12345678901234567890123456789012".utf8)
    static let sha512Seed = Array("1234567890123456789012345678901234567890123456789012345678901234".utf8)

    /// RFC 6238 Appendix B: time, then the 8-digit codes for SHA1, SHA256 and SHA512.
    @Test(arguments: [
        (59.0, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ])
    func rfc6238Vectors(_ time: Double, _ sha1: String, _ sha256: String, _ sha512: String) {
        let date = Date(timeIntervalSince1970: time)
        #expect(TOTP(secret: Self.sha1Seed, digits: 8, algorithm: .sha1).code(at: date) == sha1)
        #expect(TOTP(secret: Self.sha256Seed, digits: 8, algorithm: .sha256).code(at: date) == sha256)
        #expect(TOTP(secret: Self.sha512Seed, digits: 8, algorithm: .sha512).code(at: date) == sha512)
    }

    /// RFC 6238's time steps (T0 = 0, X = 30): 59 s is step 1, 1111111109 s is step 0x23523EC.
    @Test func steps() {
        let totp = TOTP(secret: Self.sha1Seed)
        #expect(totp.step(at: Date(timeIntervalSince1970: 59)) == 1)
        #expect(totp.step(at: Date(timeIntervalSince1970: 60)) == 2)
        #expect(totp.step(at: Date(timeIntervalSince1970: 1_111_111_109)) == 0x23523EC)
        #expect(totp.step(at: Date(timeIntervalSince1970: 20_000_000_000)) == 0x27BC86AA)
    }

    /// The 6-digit default is the last six digits of the 8-digit code (RFC 4226 truncation).
    @Test func sixDigitsByDefault() {
        let date = Date(timeIntervalSince1970: 59)
        #expect(TOTP(secret: Self.sha1Seed).code(at: date) == "287082")
        #expect(TOTP(secret: Self.sha1Seed).code(at: Date(timeIntervalSince1970: 1_111_111_109)) == "081804")
    }

    @Test func matchingStepAcceptsOneStepEitherSide() {
        let totp = TOTP(secret: Self.sha1Seed)
        let now = Date(timeIntervalSince1970: 1_111_111_111)
        let step = totp.step(at: now)
        #expect(totp.matchingStep(totp.code(step: step), at: now) == step)
        #expect(totp.matchingStep(totp.code(step: step - 1), at: now) == step - 1)
        #expect(totp.matchingStep(totp.code(step: step + 1), at: now) == step + 1)
        #expect(totp.matchingStep(totp.code(step: step - 2), at: now) == nil)
        #expect(totp.matchingStep(totp.code(step: step + 2), at: now) == nil)
        #expect(totp.matchingStep(totp.code(step: step - 20), at: now) == nil)
    }

    @Test(arguments: ["", "08180", "0818044", "08180a", "08 804", " 081804", "081804 ", "٠٨١٨٠٤", "０８１８０４", "-81804", "+81804"])
    func matchingStepRejectsMalformedCodes(_ code: String) {
        let totp = TOTP(secret: Self.sha1Seed)
        // "081804" is the right code at this time; none of these variants may match.
        let now = Date(timeIntervalSince1970: 1_111_111_109)
        #expect(totp.matchingStep("081804", at: now) != nil)
        #expect(totp.matchingStep(code, at: now) == nil)
    }

    /// RFC 4648 §10 vectors (no padding on output).
    @Test(arguments: [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI"), ("12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
    ])
    func base32Vectors(_ plain: String, _ encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: [
        ("MZXW6YQ=", "foob"), ("MY======", "f"), ("mzxw6ytboi", "foobar"), ("MzXw6YtBoI", "foobar"),
        ("MZXW 6YTB OI", "foobar"), ("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", "12345678901234567890"),
    ])
    func base32DecodesLenientForms(_ text: String, _ plain: String) {
        #expect(Base32.decode(text) == Array(plain.utf8))
    }

    @Test(arguments: ["MZXW1", "MZXW0", "MZ-XW", "MZXW6\t", "MZXW6\n", "MZXW6YQ=é"])
    func base32RefusesOtherCharacters(_ text: String) {
        #expect(Base32.decode(text) == nil)
    }

    @Test func base32RoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...41 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Base32.encode(bytes)
            #expect(text.count == (length * 8 + 4) / 5)
            #expect(Base32.decode(text) == bytes)
            #expect(Base32.decode(text.lowercased()) == bytes)
        }
        let secret = TOTP.newSecret()
        #expect(secret.count == 20)
        #expect(Base32.decode(Base32.encode(secret)) == secret)
    }

    @Test func otpauthURI() {
        let totp = TOTP(secret: Self.sha1Seed)
        #expect(totp.uri(account: "sam") ==
            "otpauth://totp/RiskGate:sam?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=RiskGate&algorithm=SHA1&digits=6&period=30")
    }
}

// MARK: - A3 login throttling

@Suite("A3 login throttling (LoginLimiter)")
struct LoginLimiterTests {
    let start = Date(timeIntervalSince1970: 1_750_000_000)

    private func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    @Test func backoffStartsAfterFiveFailuresAndDoubles() {
        let limiter = LoginLimiter()
        for _ in 0..<5 {
            #expect(limiter.delay(account: "sam", address: "a", at: at(0)) == nil)
            limiter.recordFailure(account: "sam", address: "a", at: at(0))
        }
        // After the 5th failure: 1 s, then 2, 4, 8, 16, 32, then the 60 s cap (2^6 = 64 > 60).
        var time = 0.0
        for expected in [1.0, 2, 4, 8, 16, 32, 60, 60, 60] {
            #expect(limiter.delay(account: "sam", address: "a", at: at(time)) == expected)
            // Half-way through the wait it is still refused, with the rest of the wait.
            #expect(limiter.delay(account: "sam", address: "a", at: at(time + expected / 2)) == expected / 2)
            time += expected
            #expect(limiter.delay(account: "sam", address: "a", at: at(time)) == nil)
            limiter.recordFailure(account: "sam", address: "a", at: at(time))
        }
    }

    @Test func maximumDelayIsConfigurable() {
        var policy = LoginLimiter.Policy()
        policy.maximumDelay = 10
        let limiter = LoginLimiter(policy: policy)
        for _ in 0..<9 { limiter.recordFailure(account: "sam", address: "a", at: at(0)) }
        // 9 failures: 2^(9-5) = 16, capped at 10.
        #expect(limiter.delay(account: "sam", address: "a", at: at(0)) == 10)
    }

    /// An attacker who always waits out the delay, for `hours` hours; returns the times of the accepted attempts.
    private func attack(_ limiter: LoginLimiter, hours: Double) -> [Double] {
        var accepted: [Double] = []
        var time = 0.0
        while time < hours * 3600 {
            if let wait = limiter.delay(account: "sam", address: "198.51.100.\(accepted.count % 200)", at: at(time)) {
                #expect(wait > 0)
                time += wait
            } else {
                limiter.recordFailure(account: "sam", address: "198.51.100.\(accepted.count % 200)", at: at(time))
                accepted.append(time)
            }
        }
        return accepted
    }

    /// With the default policy the backoff alone keeps an hour to 69 attempts: 5 free at 0 s, then waits of
    /// 1+2+4+8+16+32 s (the 11th at 63 s), then one every 60 s: the k-th at 123 + 60 (k − 12) s < 3600 → k ≤ 69.
    @Test func defaultPolicyAllowsAtMostOneHundredFailuresAnHour() {
        let accepted = attack(LoginLimiter(), hours: 1)
        #expect(accepted.count == 69)
        #expect(accepted.count <= 100)
        #expect(Array(accepted.prefix(12)) == [0, 0, 0, 0, 0, 1, 3, 7, 15, 31, 63, 123])
    }

    /// With a short backoff the hourly cap is what binds: exactly 100 in the first hour, and never more than
    /// 100 in any window of an hour over three hours.
    @Test func hourlyCapHoldsInEverySlidingHour() {
        var policy = LoginLimiter.Policy()
        policy.maximumDelay = 1
        let accepted = attack(LoginLimiter(policy: policy), hours: 3)
        #expect(accepted.filter { $0 < 3600 }.count == 100)
        var worst = 0
        for (index, first) in accepted.enumerated() {
            worst = max(worst, accepted[index...].prefix { $0 < first + 3600 }.count)
        }
        #expect(worst == 100)
        #expect(accepted.count > 200, "the cap frees up as the hour slides: \(accepted.count) in 3 h")
    }

    @Test func perAddressLimitAcrossAccounts() {
        let limiter = LoginLimiter()
        // 30 different accounts from one address within a minute: each account is below its own threshold.
        for index in 0..<30 {
            #expect(limiter.delay(account: "user\(index)", address: "203.0.113.9", at: at(Double(index))) == nil)
            limiter.recordFailure(account: "user\(index)", address: "203.0.113.9", at: at(Double(index)))
        }
        // The 31st attempt from that address waits until the first failure is a minute old, whatever the account.
        #expect(limiter.delay(account: "someone-new", address: "203.0.113.9", at: at(30)) == 30)
        #expect(limiter.delay(account: "user0", address: "203.0.113.9", at: at(59)) == 1)
        #expect(limiter.delay(account: "someone-new", address: "203.0.113.9", at: at(60)) == nil)
        // Another address is not affected.
        #expect(limiter.delay(account: "someone-new", address: "203.0.113.10", at: at(30)) == nil)
    }

    @Test func perAccountLimitAppliesFromEveryAddress() {
        let limiter = LoginLimiter()
        for index in 0..<5 { limiter.recordFailure(account: "sam", address: "10.0.0.\(index)", at: at(0)) }
        #expect(limiter.delay(account: "sam", address: "10.9.9.9", at: at(0)) == 1)
        #expect(limiter.delay(account: "other", address: "10.9.9.9", at: at(0)) == nil)
    }

    @Test func successResetsTheConsecutiveCount() {
        let limiter = LoginLimiter()
        for second in 0..<7 { limiter.recordFailure(account: "sam", address: "a", at: at(Double(second) * 100)) }
        #expect(limiter.delay(account: "sam", address: "a", at: at(600)) == 4)
        limiter.recordSuccess(account: "sam")
        #expect(limiter.delay(account: "sam", address: "a", at: at(600)) == nil)
        // Five more free failures before the backoff starts again at 1 s.
        for _ in 0..<5 {
            #expect(limiter.delay(account: "sam", address: "a", at: at(700)) == nil)
            limiter.recordFailure(account: "sam", address: "a", at: at(700))
        }
        #expect(limiter.delay(account: "sam", address: "a", at: at(700)) == 1)
    }

    /// Success clears the backoff but not the hourly count: 100 failures in the hour still lock the account.
    @Test func successDoesNotClearTheHourlyCap() {
        let limiter = LoginLimiter()
        for index in 0..<100 {
            limiter.recordFailure(account: "sam", address: "a\(index)", at: at(Double(index)))
            limiter.recordSuccess(account: "sam")
        }
        #expect(limiter.delay(account: "sam", address: "b", at: at(100)) == 3500)
        #expect(limiter.delay(account: "sam", address: "b", at: at(3600)) == nil)
    }
}
