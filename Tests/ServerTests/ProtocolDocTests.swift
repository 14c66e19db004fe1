import Foundation
@testable import Server
import Testing

/// The example sessions in docs/PROTOCOL.md run against a live server, line by line, so the document stays true.
/// In a `C:` line, `<password>`, `<code>` and `<token>` become the user's password, a fresh TOTP code and the
/// last claim token; in an `S:` line, `…` matches any text.
struct ProtocolDocTests {
    @Test func exampleSessionsRunAsDocumented() async throws {
        let text = try String(contentsOfFile: LiveServer.repository + "/docs/PROTOCOL.md", encoding: .utf8)
        let blocks = text.components(separatedBy: "```session\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(blocks.count == 3)
        let live = try await LiveServer.start()
        var passwords = ["admin": live.admin.password]
        var secrets = ["admin": live.admin.totp.secret]
        var token = ""
        for (index, block) in blocks.enumerated() {
            let client = try await live.connect()
            var user = ""
            for line in block.split(separator: "\n").map(String.init) {
                if line.hasPrefix("C: ") {
                    var request = String(line.dropFirst(3))
                    if request.hasPrefix("AUTH ") { user = String(request.split(separator: " ")[1]) }
                    request = request.replacingOccurrences(of: "<password>", with: passwords[user] ?? "?")
                    request = request.replacingOccurrences(of: "<code>", with: TOTP(secret: secrets[user] ?? []).code(at: Date()))
                    request = request.replacingOccurrences(of: "<token>", with: token)
                    try await client.send(request + "\n")
                } else if line.hasPrefix("S: ") {
                    let expected = String(line.dropFirst(3))
                    let actual = try await client.reply().reply ?? "<closed>"
                    #expect(ProtocolDocTests.matches(actual, expected), "session \(index + 1):\n  expected \(expected)\n  got      \(actual)")
                    if actual.hasPrefix("OK {"), let object = try? LineClient.object(actual) {
                        if let value = object["token"] as? String { token = value }
                        if let name = object["user"] as? String, let password = object["password"] as? String {
                            passwords[name] = password
                            secrets[name] = Base32.decode(object["totp_secret"] as? String ?? "")
                        }
                    }
                }
            }
            await client.close()
        }
        try await live.stop()
    }

    /// `…` in the expected line matches any run of characters.
    static func matches(_ actual: String, _ pattern: String) -> Bool {
        let parts = pattern.components(separatedBy: "…")
        guard actual.hasPrefix(parts[0]), actual.hasSuffix(parts[parts.count - 1]) else { return false }
        var rest = actual.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.count >= parts[parts.count - 1].count || parts.count == 1
    }
}
