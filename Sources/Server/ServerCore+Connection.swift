import Foundation
import LineProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore

extension ServerCore {
    /// Serves one connection until it ends: reads lines, answers them in order, pushes events, enforces the
    /// limits. Catches everything, so one client can never take the server down.
    func serve(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, cap: LineCap) async {
        // Everything this connection does runs on its channel's event loop (see `EventLoopTaskExecutor`).
        let executor = EventLoopTaskExecutor(channel.channel.eventLoop)
        await withTaskExecutorPreference(executor) {
            await serve(channel, cap: cap, on: executor)
        }
    }

    private func serve(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, cap: LineCap, on executor: EventLoopTaskExecutor) async {
        // The client's IP (no port): failed logins are limited per address, not per connection.
        let address = channel.channel.remoteAddress?.ipAddress ?? "unix"
        guard admitConnection() else {
            logger.notice("connection refused: too many clients", metadata: ["client.address": "\(address)"])
            try? await channel.executeThenClose { inbound, outbound in
                let connection = Connection(channel: channel.channel, budget: 4096)
                connection.enqueue(.line(Reply.error(.maxClients, "the server has \(configuration.limits.maximumClients) connections; try again later").line))
                connection.enqueue(.abort(linger: .milliseconds(100)))
                await connection.drain(into: outbound)
                for try await _ in inbound {}
            }
            return
        }
        defer { connectionEnded() }
        let connection = Connection(channel: channel.channel, budget: configuration.limits.maximumPendingOutput)
        let id = ObjectIdentifier(connection)
        live.withLockedValue { $0[id] = connection }
        if isShuttingDown { connection.beginShutdown() }
        guard !isShuttingDown else {
            // Accepted just as shutdown began: say so and close (the task still owns the channel).
            try? await channel.executeThenClose { inbound, outbound in
                await connection.drain(into: outbound)
                for try await _ in inbound {}
            }
            live.withLockedValue { $0[id] = nil }
            return
        }
        var state = ConnectionState(id: id, address: address)
        state.deliver = { [connection] reply in connection.push(reply) }
        do {
            try await channel.executeThenClose { inbound, outbound in
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await connection.drain(into: outbound) }
                    await self.read(inbound, connection: connection, state: &state, cap: cap, executor: executor)
                    connection.finish()
                }
            }
        } catch {
            logger.debug("connection ended with an error", metadata: ["client.address": "\(address)", "error": "\(error)"])
        }
        live.withLockedValue { $0[id] = nil }
        _ = hub.unwatch(id, nil)
        sessions.detach(id)
        if let session = state.session, configuration.disconnectPolicy == .release || isShuttingDown,
           !sessions.hasOtherConnection(session, than: id) {
            await releaseClaims(of: session)
        }
    }

    private func read(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, connection: Connection, state: inout ConnectionState, cap: LineCap,
                      executor: EventLoopTaskExecutor) async {
        var submits: [PendingReply] = []
        do {
            for try await frame in inbound {
                // Reading pauses while the client is not reading its replies.
                await connection.waitForRoom()
                guard connection.begin() else {
                    // Shutting down: nothing more is started; the close is already queued behind earlier replies.
                    connection.enqueue(.line(Reply.error(.shuttingDown, "the server is shutting down; nothing was done").line))
                    continue
                }
                defer { if connection.end() { connection.terminate("the server is shutting down") } }
                let now = clock()
                connection.noteActivity(now, session: state.session)
                let request: Request
                switch Request.parse(Array(frame.readableBytesView)) {
                case .success(let parsed): request = parsed
                case .failure(let error):
                    if state.session == nil {
                        state.refusedBeforeAuth += 1
                        if state.refusedBeforeAuth >= configuration.limits.refusalsBeforeAuth { state.closeAfterReply = true }
                    }
                    connection.enqueue(.line(Reply.error(error).line))
                    if state.closeAfterReply { connection.enqueue(.close); return }
                    continue
                }
                // Consecutive SUBMITs run together (their commits are grouped); anything else waits for them.
                if case .submit(let json) = request.command, let session = state.session {
                    if submits.count >= configuration.limits.maximumPipelined { _ = await submits.removeFirst().line }
                    let reply = PendingReply()
                    submits.append(reply)
                    guard connection.enqueue(.pending(reply)) else { return }
                    if !submitWithoutTask(json, session: session, at: now, into: reply) {
                        var local = state
                        Task(executorPreference: executor) { reply.fulfil(await self.handle(request, state: &local).line) }
                    }
                    continue
                }
                for reply in submits { _ = await reply.line }
                submits.removeAll()
                let before = state.session
                let reply = await handle(request, state: &state)
                // Login, RESUME and LOGOUT change the session; only then do the cap and the registry change.
                if state.session !== before {
                    cap.bytes = state.session == nil ? configuration.limits.maximumLineBeforeAuth : configuration.limits.maximumLine
                    if let session = state.session {
                        sessions.attach(state.id, to: session) { [connection] reason in connection.terminate(reason) }
                    } else {
                        sessions.detach(state.id)
                    }
                }
                connection.noteActivity(clock(), session: state.session)
                guard connection.enqueue(.line(reply.line)) else { return }
                if state.closeAfterReply {
                    connection.enqueue(.close)
                    return
                }
            }
        } catch let error as LineFrameDecoder.LineTooLong {
            for reply in submits { _ = await reply.line }
            connection.enqueue(.line(Reply.error(.lineTooLong, "a line may have at most \(error.cap) bytes; closing").line))
            connection.enqueue(.abort(linger: .seconds(1)))
            logger.info("line too long", metadata: ["client.address": "\(state.address)", "limit": "\(error.cap)"])
            return
        } catch {
            logger.debug("read failed", metadata: ["client.address": "\(state.address)", "error": "\(error)"])
        }
        for reply in submits { _ = await reply.line }
    }

    /// The time limits of every live connection, checked by one loop for the whole server (not a timer per
    /// connection): a client that stopped reading, an expired session, idleness before login. Runs until cancelled.
    func enforceTimeLimits() async {
        let limits = configuration.limits
        let period = max(0.05, min(1, limits.idleBeforeAuth / 4, limits.sessionIdle / 4, limits.stalledOutput / 4))
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(period))
            guard !Task.isCancelled else { return }
            // Sessions use the server's clock (injectable); output stalls are measured in real time.
            let (now, wallClock) = (clock(), Date())
            for connection in live.withLockedValue({ Array($0.values) }) { check(connection, limits: limits, now: now, wallClock: wallClock) }
        }
    }

    /// One connection's time limits; a connection already ending is left alone.
    private func check(_ connection: Connection, limits: Limits, now: Date, wallClock: Date) {
        guard !connection.isEnding else { return }
        if connection.outputStall(at: wallClock) > limits.stalledOutput {
            logger.info("client stopped reading; disconnected", metadata: ["limit.seconds": "\(limits.stalledOutput)"])
            connection.abandon()
            return
        }
        let (last, session) = connection.activity
        if let session {
            if let reason = session.expiry(at: now, limits: sessionLimits) {
                sessions.end(session, reason: reason)
                connection.terminate(reason)
            }
        } else if !connection.isBusy, now.timeIntervalSince(last) >= limits.idleBeforeAuth {
            // A login being checked is not idleness (password hashing can queue behind others on a busy server).
            connection.terminate("idle before login")
        }
    }

    /// Shutdown, step one: every connection stops reading new requests.
    func stopReading() {
        for connection in live.withLockedValue({ Array($0.values) }) { connection.beginShutdown() }
    }

    /// Shutdown, last resort: connections still open after the grace period are closed.
    func closeAll() {
        for connection in live.withLockedValue({ Array($0.values) }) { connection.channel.close(promise: nil) }
    }
}
