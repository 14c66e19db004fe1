import Foundation
import LineProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `riskgate serve`: the line protocol on TCP and, optionally, a Unix socket, as a service-lifecycle `Service`.
/// Graceful shutdown (SIGTERM/SIGINT): the listeners close at once, connections stop reading, in-flight requests
/// finish (later lines get `ERR shutting-down`), held claims are released, then `run()` returns and the caller
/// closes the store.
public final class RiskGateServer: Service, Sendable {
    public let core: ServerCore
    private let group: any EventLoopGroup
    private let listeners = NIOLockedValueBox<[any Channel]>([])
    private let bound = NIOLockedValueBox<[SocketAddress]>([])
    private let ready: AsyncStream<[SocketAddress]>.Continuation
    /// Yields the bound addresses once listening (tests use port 0 and read the real port here).
    public let listening: AsyncStream<[SocketAddress]>

    public init(core: ServerCore, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.core = core
        self.group = group
        (listening, ready) = AsyncStream.makeStream(of: [SocketAddress].self, bufferingPolicy: .bufferingNewest(1))
    }

    public var addresses: [SocketAddress] { bound.withLockedValue { $0 } }

    public func run() async throws {
        let configuration = core.configuration
        var channels: [NIOAsyncChannel<Accepted, Never>] = []
        if let host = configuration.host {
            channels.append(try await bootstrap().bind(host: host, port: configuration.port) { self.childChannel($0) })
        }
        if let path = configuration.unixSocket {
            channels.append(try await bootstrap().bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { self.childChannel($0) })
        }
        let addresses = channels.compactMap { $0.channel.localAddress }
        listeners.withLockedValue { $0 = channels.map(\.channel) }
        bound.withLockedValue { $0 = addresses }
        ready.yield(addresses)
        core.logger.notice("listening", metadata: ["server.addresses": "\(addresses.map(\.description))"])

        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { limits in
                limits.addTask { await self.core.enforceTimeLimits() }
                await serve(channels)
                limits.cancelAll()
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
        await core.releaseAllClaims()
        ready.finish()
        core.logger.notice("stopped")
    }

    /// Accepts on every listener until they close, and serves each connection; returns when all have ended.
    private func serve(_ channels: [NIOAsyncChannel<Accepted, Never>]) async {
        await withDiscardingTaskGroup { group in
            for listener in channels {
                group.addTask {
                    do {
                        try await listener.executeThenClose { inbound in
                            try await withThrowingDiscardingTaskGroup { connections in
                                for try await connection in inbound {
                                    connections.addTask { await self.core.serve(connection.channel, cap: connection.cap) }
                                }
                            }
                        }
                    } catch {
                        self.core.logger.error("listener failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Closes the listeners, stops every connection reading, and closes stragglers after the grace period.
    public func shutdown() {
        core.logger.notice("shutting down: listeners closed, finishing in-flight requests")
        core.beginShutdown()
        for channel in listeners.withLockedValue({ $0 }) { channel.close(promise: nil) }
        core.stopReading()
        let core = self.core
        Task {
            try? await Task.sleep(for: .seconds(core.configuration.shutdownGrace))
            core.closeAll()
        }
    }

    private func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Bounds what the kernel holds for a client that does not read (on top of the 1 MiB output budget).
            .childChannelOption(.socketOption(.so_sndbuf), value: 256 * 1024)
    }

    struct Accepted: Sendable {
        var channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        var cap: LineCap
    }

    struct ShuttingDown: Error {}

    private func childChannel(_ channel: any Channel) -> EventLoopFuture<Accepted> {
        // Once shutdown has begun the accept loop may no longer take children; a wrapped child nobody takes would
        // trap in NIO (apple/swift-nio#2637), so new connections are refused before they are wrapped.
        guard !core.isShuttingDown else { return channel.eventLoop.makeFailedFuture(ShuttingDown()) }
        return channel.eventLoop.makeCompletedFuture {
            let cap = LineCap(core.configuration.limits.maximumLineBeforeAuth)
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(LineFrameDecoder(cap: cap), maximumBufferSize: core.configuration.limits.maximumLine + 2))
            // Outbound half-closure: finishing the writer flushes what it holds, then sends a FIN.
            let wrapped = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            return Accepted(channel: wrapped, cap: cap)
        }
    }
}
