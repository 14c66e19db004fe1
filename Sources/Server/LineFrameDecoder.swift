import LineProtocol
import NIOConcurrencyHelpers
import NIOCore

/// The per-connection line cap, which grows once the connection logs in (1 KiB before, 16 KiB after).
final class LineCap: Sendable {
    private let value: NIOLockedValueBox<Int>

    init(_ bytes: Int) {
        value = NIOLockedValueBox(bytes)
    }

    var bytes: Int {
        get { value.withLockedValue { $0 } }
        set { value.withLockedValue { $0 = newValue } }
    }
}

/// Splits the byte stream at LF (dropping a CR before it) and refuses any line longer than the cap as soon as the
/// cap is passed, without waiting for its end (NIO's `LineBasedFrameDecoder` has no cap of its own).
///
///     buffer:  | line 1 \n | line 2 \r\n | partial line 3 ...
///              ^ reader                  ^ `scanned` bytes searched already, no LF in them
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct LineTooLong: Error {
        var cap: Int
    }

    let cap: LineCap
    private var scanned = 0

    init(cap: LineCap) {
        self.cap = cap
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let limit = cap.bytes
        if let newline = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            let content = length > 0 && view[newline - 1] == UInt8(ascii: "\r") ? length - 1 : length
            guard content <= limit else { throw tooLong(context, limit) }
            let line = buffer.readSlice(length: content)!
            buffer.moveReaderIndex(forwardBy: length - content + 1)
            scanned = 0
            context.fireChannelRead(wrapInboundOut(line))
            return .continue
        }
        scanned = view.count
        // One byte of slack for a CR that may precede the LF still to come.
        guard view.count <= limit + 1 else { throw tooLong(context, limit) }
        return .needMoreData
    }

    /// Stops reading the socket here, on the event loop, before the error travels to the connection's task:
    /// otherwise every read until that task closes the connection (P1: 113 KiB of a pushed MiB on a busy
    /// machine) would be taken from a client that is being disconnected for sending too much.
    private func tooLong(_ context: ChannelHandlerContext, _ limit: Int) -> LineTooLong {
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        return LineTooLong(cap: limit)
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A final line without LF is not a request; drop it.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
