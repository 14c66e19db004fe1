import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import Server

/// `riskgate client`: an interactive client for approvers. Lines typed are sent as they are (see docs/PROTOCOL.md);
/// replies print as indented JSON on a terminal, events marked with `»`. It remembers the claim token of every case
/// taken with NEXT or CLAIM, so `APPROVE APP-1` works without typing the token.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Connect to a RiskGate server and work the approval queue interactively.",
        discussion: """
        With --user, asks for the password and (for approvers and admins) a TOTP code, then logs in. \
        Type HELP for the commands. End with QUIT or Ctrl-D. When standard input is not a terminal, lines are \
        sent as they come and replies are printed raw, one per line, so the client also works in scripts.
        """
    )

    @Option(help: "Server host.") var host: String = "127.0.0.1"
    @Option(help: "Server port.") var port: Int = 7878
    @Option(name: .customLong("unix"), help: ArgumentHelp("Connect to this Unix socket instead.", valueName: "path")) var unixSocket: String?
    @Option(help: "Log in as this user (asks for the password and code).") var user: String?

    func run() async throws {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await connect()
        } catch {
            Console.err("riskgate: cannot connect to \(unixSocket ?? "\(host):\(port)"): \(error)")
            throw ExitCode(2)
        }
        let interactive = isatty(0) == 1 && isatty(1) == 1
        let tokens = NIOLockedValueBox<[String: String]>([:])
        var login: String?
        if let user {
            let password = ClientCommand.ask("Password for \(user): ", secret: true)
            let code = ClientCommand.ask("TOTP code (empty if none): ", secret: false)
            login = "AUTH \(user) \(ClientCommand.quote(password))" + (code.isEmpty ? "" : " \(code)")
        }
        let lines = ClientCommand.standardInput()
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await buffer in inbound {
                        let line = String(buffer: buffer)
                        ClientCommand.remember(line, in: tokens)
                        Console.out(interactive ? ClientCommand.pretty(line) : line)
                    }
                }
                if let login { try await outbound.write(ByteBuffer(string: login + "\n")) }
                if interactive { Console.out("Connected. Type HELP for the commands, QUIT to leave.") }
                for await line in lines {
                    let expanded = ClientCommand.withToken(line, tokens: tokens.withLockedValue { $0 })
                    try await outbound.write(ByteBuffer(string: expanded + "\n"))
                    if expanded.uppercased() == "QUIT" { break }
                }
                try? await outbound.write(ByteBuffer(string: "QUIT\n"))
                try await group.next()
                group.cancelAll()
            }
        }
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: 64 << 20))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        if let unixSocket { return try await bootstrap.connect(unixDomainSocketPath: unixSocket, channelInitializer: initializer) }
        return try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
    }

    /// Standard input, line by line, read on its own thread so no Swift concurrency thread blocks on it.
    static func standardInput() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let thread = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        thread.start()
        return stream
    }

    static func ask(_ prompt: String, secret: Bool) -> String {
        if secret, isatty(0) == 1, let typed = getpass(prompt) { return String(cString: typed) }
        FileHandle.standardError.write(Data(prompt.utf8))
        return readLine() ?? ""
    }

    static func quote(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// Keeps the claim token of each case taken, and forgets it once the case leaves the holder's hands.
    static func remember(_ line: String, in tokens: NIOLockedValueBox<[String: String]>) {
        guard line.hasPrefix("OK {"), let data = line.dropFirst(3).data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let caseID = object["case_id"] as? String else { return }
        tokens.withLockedValue { tokens in
            if let token = object["token"] as? String {
                tokens[caseID] = token
            } else if let action = object["action"] as? String, ["approve", "decline", "escalate", "return", "release"].contains(action) {
                tokens[caseID] = nil
            }
        }
    }

    /// `APPROVE APP-1` → `APPROVE APP-1 <token>` when the client holds that case's token.
    static func withToken(_ line: String, tokens: [String: String]) -> String {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2, ["APPROVE", "DECLINE", "ESCALATE", "RETURN", "RELEASE", "TOUCH"].contains(words[0].uppercased()),
              let token = tokens[String(words[1])], words.count < 3 || words[2] != token else { return line }
        var parts = words.map(String.init)
        parts.insert(token, at: 2)
        return parts.joined(separator: " ")
    }

    static func pretty(_ line: String) -> String {
        let (head, payload): (String, Substring)
        if line.hasPrefix("OK ") {
            (head, payload) = ("OK", line.dropFirst(3))
        } else if line.hasPrefix("EVENT "), let space = line.dropFirst(6).firstIndex(of: " ") {
            (head, payload) = ("» " + line[line.index(line.startIndex, offsetBy: 6)..<space], line[line.index(after: space)...])
        } else {
            return line
        }
        guard let data = payload.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data),
              JSONSerialization.isValidJSONObject(object),
              let text = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            return line
        }
        return head + " " + String(decoding: text, as: UTF8.self)
    }
}

/// `riskgate totp SECRET`: the current TOTP code for a base32 secret (what an authenticator app shows).
struct TOTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "totp",
        abstract: "Print the current TOTP code for a base32 secret (RFC 6238, SHA-1, 6 digits, 30 s).")

    @Argument(help: "The base32 secret given when the user was created.") var secret: String

    func run() throws {
        guard let bytes = Base32.decode(secret), !bytes.isEmpty else { throw ValidationError("the secret is not base32") }
        Console.out(TOTP(secret: bytes).code(at: Date()))
    }
}
