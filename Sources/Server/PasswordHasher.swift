import Crypto
import CryptoExtras
import Foundation
import NIOPosix
import Workflow

/// Password storage: `scrypt$N$r$p$salt$hash` (salt and hash in base64; 16-byte salt, 32-byte hash).
///
/// scrypt at N=2^17, r=8, p=1 is the OWASP ASVS level-2 floor: about 0.4 s and 128 MiB per run here, so runs go
/// through a pool of `concurrency` threads — at most that many at once (memory ≤ concurrency × 128 MiB) and never on
/// the event loops or Swift's cooperative threads.
public final class PasswordHasher: Sendable {
    public struct Parameters: Sendable, Hashable {
        public var logN: Int
        public var r: Int
        public var p: Int

        /// The ASVS level-2 floor. Production always uses at least this.
        public static let standard = Parameters(logN: 17, r: 8, p: 1)
        /// Cheap parameters for tests only (`--insecure-fast-kdf`); never for real passwords.
        public static let testOnly = Parameters(logN: 10, r: 8, p: 1)

        public init(logN: Int, r: Int, p: Int) {
            self.logN = logN
            self.r = r
            self.p = p
        }
    }

    public let parameters: Parameters
    private let pool: NIOThreadPool
    /// A hash of a random password with the same parameters, verified against for unknown users so that their
    /// answer takes as long as a real check.
    private let decoy: String

    public init(parameters: Parameters = .standard, concurrency: Int = 2) throws {
        self.parameters = parameters
        pool = NIOThreadPool(numberOfThreads: max(1, concurrency))
        pool.start()
        decoy = try PasswordHasher.hash(Token.make(bytes: 18), parameters: parameters)
    }

    deinit { try? pool.syncShutdownGracefully() }

    public func hash(_ password: String) async throws -> String {
        let parameters = parameters
        return try await pool.runIfActive { try PasswordHasher.hash(password, parameters: parameters) }
    }

    /// Checks a password against a stored hash; with no hash (unknown user, no password set) it checks the decoy
    /// and answers false, taking the same time.
    public func verify(_ password: String, against stored: String?) async -> Bool {
        let target = stored ?? decoy
        let result = (try? await pool.runIfActive { PasswordHasher.verify(password, against: target) }) ?? false
        return stored != nil && result
    }

    static func hash(_ password: String, parameters: Parameters) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = try derive(password, salt: salt, logN: parameters.logN, r: parameters.r, p: parameters.p)
        return "scrypt$\(1 << parameters.logN)$\(parameters.r)$\(parameters.p)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
              n > 1, n.nonzeroBitCount == 1, (1...64).contains(r), (1...16).contains(p),
              let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])),
              let key = try? derive(password, salt: [UInt8](salt), logN: n.trailingZeroBitCount, r: r, p: p) else { return false }
        // Constant-time comparison.
        return key.count == expected.count && zip(key, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32,
                                           rounds: 1 << logN, blockSize: r, parallelism: p)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Secrets from the system CSPRNG.
enum Token {
    /// `bytes` random bytes as lowercase hex (16 bytes = 128 bits for session tokens).
    static func make(bytes: Int = 16) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
        }.joined()
    }
}

/// A new user's (or a reset user's) one-time password, its hash, and a TOTP secret when the user's roles need a
/// second factor (approvers and risk admins).
public struct IssuedCredentials: Sendable {
    public var password: String
    public var passwordHash: String
    public var totp: TOTP?

    public var totpSecret: String? { totp.map { Base32.encode($0.secret) } }

    public static func needsSecondFactor(_ roles: Set<Role>) -> Bool {
        roles.contains(.approver) || roles.contains(.riskAdmin)
    }

    public static func issue(for roles: Set<Role>, hasher: PasswordHasher) async throws -> IssuedCredentials {
        let password = Token.make(bytes: 12)
        return IssuedCredentials(password: password, passwordHash: try await hasher.hash(password),
                                 totp: needsSecondFactor(roles) ? TOTP(secret: TOTP.newSecret()) : nil)
    }
}
