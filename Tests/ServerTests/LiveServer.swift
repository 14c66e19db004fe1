import Foundation
import LineProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RuleFiles
@testable import Server
import Store
import Testing

/// A real server on an ephemeral loopback port (and optionally a Unix socket) over a SQLite file in a fresh
/// folder, for end-to-end tests through real sockets.
final class LiveServer: Sendable {
    let server: RiskGateServer
    let core: ServerCore
    let folder: String
    let port: Int
    let unixPath: String?
    let admin: (password: String, totp: TOTP)
    private let running: Task<Void, any Error>

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func start(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) async throws -> LiveServer {
        let folder = NSTemporaryDirectory() + "riskgate-live-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let rules = repository + "/rules"
        var configuration = ServerConfiguration(rulesDirectory: rules)
        configuration.port = 0
        configuration.passwordParameters = .testOnly
        configuration.unixSocket = folder + "/rg.sock"
        adjust(&configuration)
        let prepared = try ServerRules.load(directory: rules, regression: []).get()
        let store = try Store(path: folder + "/db.sqlite")
        var logger = Logger(label: "riskgate.test")
        logger.logLevel = .critical
        let core = try await ServerCore(store: store, policy: prepared.policy, rulesetVersion: prepared.version, configuration: configuration, logger: logger)
        let admin = try await core.bootstrapAdministrator()!
        let server = RiskGateServer(core: core)
        let running = Task { try await server.run() }
        var addresses: [SocketAddress] = []
        for await bound in server.listening {
            addresses = bound
            break
        }
        let port = addresses.compactMap(\.port).first ?? -1
        return LiveServer(server: server, core: core, folder: folder, port: port, unixPath: configuration.unixSocket, admin: admin, running: running)
    }

    private init(server: RiskGateServer, core: ServerCore, folder: String, port: Int, unixPath: String?,
                 admin: (password: String, totp: TOTP), running: Task<Void, any Error>) {
        self.server = server
        self.core = core
        self.folder = folder
        self.port = port
        self.unixPath = unixPath
        self.admin = admin
        self.running = running
    }

    /// Graceful shutdown, then the store closes.
    func stop() async throws {
        server.shutdown()
        try await running.value
        try core.store.close()
    }

    /// The database after `stop()`, opened again (as a restart would).
    func reopen() throws -> Store {
        try Store(path: folder + "/db.sqlite")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func connect() async throws -> LineClient {
        try await LineClient.connect(port: port)
    }

    /// Logs in as the administrator on a new connection.
    func adminClient() async throws -> LineClient {
        let client = try await connect()
        let reply = try await client.call("AUTH admin \(admin.password) \(admin.totp.code(at: Date()))")
        #expect(reply.hasPrefix("OK {\"user\":\"admin\""), "admin login: \(reply)")
        return client
    }

    /// Creates a user over the protocol and returns a logged-in connection for it.
    func user(_ name: String, tier: Int, roles: String, admin: LineClient) async throws -> LineClient {
        let created = try await admin.call("USER ADD \(name) \(tier) \(roles)")
        let fields = try LineClient.object(created)
        let client = try await connect()
        var login = "AUTH \(name) \(fields["password"] as? String ?? "")"
        if let secret = fields["totp_secret"] as? String, let bytes = Base32.decode(secret) {
            login += " " + TOTP(secret: bytes).code(at: Date())
        }
        let reply = try await client.call(login)
        #expect(reply.hasPrefix("OK {\"user\":\"\(name)\""), "login of \(name): \(reply)")
        return client
    }
}

/// A line client over a real socket: sends lines, and collects every line the server sends, in order.
final class LineClient: Sendable {
    let channel: any Channel
    private let inbox: Inbox

    final class Inbox: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state = NIOLockedValueBox<(lines: [String], closed: Bool)>(([], false))

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let line = String(buffer: unwrapInboundIn(data))
            state.withLockedValue { $0.lines.append(line) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.closed = true }
        }
    }

    static func connect(port: Int) async throws -> LineClient {
        try await connect { try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).channelInitializer($0).connect(host: "127.0.0.1", port: port).get() }
    }

    static func connect(unixPath: String) async throws -> LineClient {
        try await connect { try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).channelInitializer($0).connect(unixDomainSocketPath: unixPath).get() }
    }

    private static func connect(_ open: (@escaping @Sendable (any Channel) -> EventLoopFuture<Void>) async throws -> any Channel) async throws -> LineClient {
        let inbox = Inbox()
        let channel = try await open { channel in
            channel.eventLoop.makeCompletedFuture {
                // The client keeps CR bytes (LineBasedFrameDecoder would strip them) so tests can see any that leak.
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RawLineDecoder(), maximumBufferSize: 64 << 20))
                try channel.pipeline.syncOperations.addHandler(inbox)
            }
        }
        return LineClient(channel: channel, inbox: inbox)
    }

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(string: text)).get()
    }

    func send(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    /// The next line from the server (reply or event), or nil if the connection closed / nothing came in time.
    func next(timeout: Double = 10) async throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let (line, closed) = inbox.state.withLockedValue { state -> (String?, Bool) in
                state.lines.isEmpty ? (nil, state.closed) : (state.lines.removeFirst(), state.closed)
            }
            if let line { return line }
            if closed { return nil }
            try await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    /// The next reply (OK/ERR), with the events met on the way.
    func reply(timeout: Double = 10) async throws -> (reply: String?, events: [String]) {
        var events: [String] = []
        while let line = try await next(timeout: timeout) {
            if line.hasPrefix("EVENT ") { events.append(line) } else { return (line, events) }
        }
        return (nil, events)
    }

    /// Sends one request and returns its reply (events before it are dropped).
    func call(_ line: String) async throws -> String {
        try await send(line + "\n")
        return try await reply().reply ?? "<closed>"
    }

    var isClosed: Bool { inbox.state.withLockedValue { $0.closed && $0.lines.isEmpty } }

    /// Waits until the server has closed the connection.
    func waitClosed(timeout: Double = 10) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if inbox.state.withLockedValue({ $0.closed }) { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    func close() async {
        try? await channel.close()
    }

    /// The JSON object of an `OK {…}` reply.
    static func object(_ reply: String) throws -> [String: Any] {
        guard reply.hasPrefix("OK {") || reply.hasPrefix("EVENT "),
              let start = reply.firstIndex(of: "{"),
              let object = try JSONSerialization.jsonObject(with: Data(reply[start...].utf8)) as? [String: Any] else {
            throw LiveServerError(message: "not an OK object: \(reply)")
        }
        return object
    }
}

struct LiveServerError: Error {
    var message: String
}

/// Splits at LF only, keeping everything else (a CR included) in the line.
struct RawLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return .needMoreData }
        let line = buffer.readSlice(length: newline - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

/// Reference-policy applications for the tests.
enum Applications {
    /// Routed R2: two levels, tier 2 then tier 3.
    static func twoLevel(_ id: String) -> String {
        #"{"application_id":"\#(id)","product":"mortgage","amount":600000,"term_months":360,"applicant":{"age":50,"annual_income":250000,"employment_status":"employed","employment_years":12,"credit_score":720,"monthly_debt":300,"delinquencies_24m":0,"bankruptcies_5y":0},"documents":["id","income_proof"],"collateral_value":900000}"#
    }

    /// Routed R7: one level at tier 1.
    static func tierOne(_ id: String) -> String {
        #"{"application_id":"\#(id)","product":"personal","amount":10000,"term_months":36,"applicant":{"age":40,"annual_income":60000,"employment_status":"employed","employment_years":6,"credit_score":520,"monthly_debt":300,"delinquencies_24m":0,"bankruptcies_5y":0},"documents":["id","income_proof"]}"#
    }
}
