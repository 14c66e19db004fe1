import NIOCore
import NIOExtras
import NIOPosix
import Server

/// The client side of one connection, on its event loop: requests go out in order and each waits for its
/// reply (the server answers in request order), so a FIFO of callbacks pairs them up. `EVENT` lines are
/// skipped. Writes made from a reply callback are flushed once per read burst (`channelReadComplete`), so a
/// pipelined driver sends its next requests in as few syscalls as the replies arrive in.
/// Everything here runs on the channel's event loop; nothing is shared between connections.
final class LineClient: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    /// The reply line (without its LF), or nil when the connection ended first.
    typealias Callback = (ByteBuffer?) -> Void

    private var waiting = CircularBuffer<Callback>(initialCapacity: 1024)
    private var context: ChannelHandlerContext?
    private var unflushed = false
    private var closed = false

    /// Runs `body` on this connection's event loop after `delay` (an approver's think time).
    func after(_ delay: TimeAmount, _ body: @escaping () -> Void) {
        guard let context else { return }
        context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: delay, body)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func send(_ request: ByteBuffer, flush: Bool, reply: @escaping Callback) {
        guard let context, !closed else {
            reply(nil)
            return
        }
        waiting.append(reply)
        context.write(wrapOutboundOut(request), promise: nil)
        if flush {
            context.flush()
            unflushed = false
        } else {
            unflushed = true
        }
    }

    func flush() {
        guard unflushed, let context else { return }
        unflushed = false
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        if line.readableBytesView.starts(with: LineClient.eventPrefix) { return }
        guard let callback = waiting.popFirst() else { return }
        callback(line)
    }

    func channelReadComplete(context: ChannelHandlerContext) { flush() }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        while let callback = waiting.popFirst() { callback(nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    static let eventPrefix = Array("EVENT ".utf8)

    /// Connects to the server with a line decoder and this handler.
    static func connect(group: any EventLoopGroup, port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(ByteToMessageHandler(LineBasedFrameDecoder()), LineClient())
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }
}

extension Channel {
    /// One request and its reply, for setup (logins, users); the measured loops run on the event loop instead.
    func request(_ line: String) async throws -> String {
        let reply = try await eventLoop.flatSubmit { [self] () -> EventLoopFuture<ByteBuffer?> in
            let promise = eventLoop.makePromise(of: ByteBuffer?.self)
            do {
                let client = try pipeline.syncOperations.handler(type: LineClient.self)
                client.send(ByteBuffer(string: line + "\n"), flush: true) { promise.succeed($0) }
            } catch {
                promise.fail(error)
            }
            return promise.futureResult
        }.get()
        guard let reply else { throw BenchError("the connection closed before the reply to: \(line.prefix(60))") }
        return String(buffer: reply)
    }

    /// Runs a driver built on the event loop and returns its (Sendable) result.
    func run<Result: Sendable>(_ start: @escaping @Sendable (LineClient, EventLoopPromise<Result>) -> Void) async throws -> Result {
        try await eventLoop.flatSubmit { [self] () -> EventLoopFuture<Result> in
            let promise = eventLoop.makePromise(of: Result.self)
            do {
                start(try pipeline.syncOperations.handler(type: LineClient.self), promise)
            } catch {
                promise.fail(error)
            }
            return promise.futureResult
        }.get()
    }

    /// `AUTH user password [code]`, with a current TOTP code when a base32 secret is given.
    func login(_ user: String, password: String, totpSecret: String?) async throws {
        var line = "AUTH \(user) \(password)"
        if let totpSecret {
            guard let secret = Base32.decode(totpSecret) else { throw BenchError("bad TOTP secret for \(user)") }
            line += " " + TOTP(secret: secret).code(at: .now)
        }
        let reply = try await request(line)
        guard reply.hasPrefix("OK") else { throw BenchError("login of \(user) failed: \(reply)") }
    }
}

/// Finds `"key":"` in a reply and returns the string value after it (no escapes expected in these values).
func stringValue(_ key: [UInt8], in line: ByteBuffer) -> String? {
    line.withUnsafeReadableBytes { raw -> String? in
        let first = key[0], count = raw.count, width = key.count
        var index = 0
        while index + width <= count {
            if raw[index] == first {
                var matched = 1
                while matched < width, raw[index + matched] == key[matched] { matched += 1 }
                if matched == width {
                    let start = index + width
                    var end = start
                    while end < count, raw[end] != UInt8(ascii: "\"") { end += 1 }
                    guard end < count else { return nil }
                    return String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<end]), as: UTF8.self)
                }
            }
            index += 1
        }
        return nil
    }
}

func key(_ name: String) -> [UInt8] { Array("\"\(name)\":\"".utf8) }

/// `OK` or the error code of an `ERR <code> …` line.
func replyKind(_ line: ByteBuffer) -> (ok: Bool, code: String) {
    let view = line.readableBytesView
    if view.starts(with: [UInt8(ascii: "O"), UInt8(ascii: "K")]) { return (true, "OK") }
    let words = view.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: true)
    return (false, words.count > 1 ? String(decoding: words[1], as: UTF8.self) : String(decoding: view.prefix(40), as: UTF8.self))
}
