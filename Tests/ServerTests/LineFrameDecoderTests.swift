import NIOCore
import NIOEmbedded
import Testing
@testable import Server

/// The capped line framing, fed through `ByteToMessageHandler` on an `EmbeddedChannel`, often one byte at a time
/// (as swift-nio-extras' LineBasedFrameDecoderTest does).
@Suite("LineFrameDecoder")
struct LineFrameDecoderTests {
    private func channel(cap: LineCap) -> EmbeddedChannel {
        EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(cap: cap)))
    }

    private func write(_ channel: EmbeddedChannel, _ text: String) throws {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        try channel.writeInbound(buffer)
    }

    private func writeBytewise(_ channel: EmbeddedChannel, _ text: String) throws {
        for byte in text.utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
    }

    /// Every line read so far, as text.
    private func lines(_ channel: EmbeddedChannel) throws -> [String] {
        var out: [String] = []
        while let buffer = try channel.readInbound(as: ByteBuffer.self) {
            out.append(String(buffer: buffer))
        }
        return out
    }

    @Test(arguments: ["\n", "\r\n"])
    func oneByteAtATime(_ ending: String) throws {
        let channel = channel(cap: LineCap(64))
        for byte in "PING".utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            #expect(try lines(channel) == [], "nothing before the line ends")
        }
        if ending == "\r\n" {
            try write(channel, "\r")
            #expect(try lines(channel) == [], "a CR alone does not end a line")
        }
        try write(channel, "\n")
        #expect(try lines(channel) == ["PING"])
        try writeBytewise(channel, "AUTH sam pw 123456" + ending + "QUIT" + ending)
        #expect(try lines(channel) == ["AUTH sam pw 123456", "QUIT"])
        #expect(try channel.finish().isClean)
    }

    @Test func severalLinesInOneBuffer() throws {
        let channel = channel(cap: LineCap(64))
        try write(channel, "PING\nWHOAMI\r\nQUEUE 2\nSTAT")
        #expect(try lines(channel) == ["PING", "WHOAMI", "QUEUE 2"])
        try write(channel, "S\r\n")
        #expect(try lines(channel) == ["STATS"])
        #expect(try channel.finish().isClean)
    }

    @Test func emptyLines() throws {
        let channel = channel(cap: LineCap(64))
        try write(channel, "\n\r\nA\n\n")
        #expect(try lines(channel) == ["", "", "A", ""])
        #expect(try channel.finish().isClean)
    }

    /// Only the CR right before the LF is dropped; a CR elsewhere stays (the parser refuses it as a control byte).
    @Test func onlyTheFinalCRIsDropped() throws {
        let channel = channel(cap: LineCap(64))
        try write(channel, "A\rB\r\r\n")
        #expect(try lines(channel) == ["A\rB\r"])
        #expect(try channel.finish().isClean)
    }

    @Test(arguments: ["\n", "\r\n"])
    func lineExactlyAtTheCapIsAccepted(_ ending: String) throws {
        let channel = channel(cap: LineCap(8))
        try writeBytewise(channel, "12345678" + ending)
        #expect(try lines(channel) == ["12345678"])
        try write(channel, "abcdefgh" + ending + "ABCDEFGH" + ending)
        #expect(try lines(channel) == ["abcdefgh", "ABCDEFGH"])
        #expect(try channel.finish().isClean)
    }

    /// cap + 1 bytes may still be a full line plus the CR of its CRLF; the (cap + 2)th byte without LF is refused
    /// at once, without waiting for the line to end.
    @Test func longLineRefusedAsSoonAsTheCapIsPassed() throws {
        let channel = channel(cap: LineCap(8))
        try writeBytewise(channel, "123456789")
        #expect(try lines(channel) == [])
        let error = #expect(throws: LineFrameDecoder.LineTooLong.self) {
            try channel.writeInbound(ByteBuffer(bytes: [UInt8(ascii: "0")]))
        }
        #expect(error?.cap == 8)
        #expect(try lines(channel) == [])
        _ = try? channel.finish()
    }

    @Test(arguments: ["\n", "\r\n"])
    func capPlusOneWithItsEndingIsRefused(_ ending: String) throws {
        let channel = channel(cap: LineCap(8))
        #expect(throws: LineFrameDecoder.LineTooLong.self) {
            try write(channel, "123456789" + ending)
        }
        #expect(try lines(channel) == [])
        _ = try? channel.finish()
    }

    /// The lines before the long one are delivered; nothing after it is.
    @Test func linesBeforeALongLineAreDelivered() throws {
        let channel = channel(cap: LineCap(4))
        #expect(throws: LineFrameDecoder.LineTooLong.self) {
            try write(channel, "PING\nTOOLONG\nPING\n")
        }
        #expect(try lines(channel) == ["PING"])
        _ = try? channel.finish()
    }

    /// The cap grows after login: a raised `LineCap` lets longer lines through on the same channel.
    @Test func raisingTheCapLetsLongerLinesThrough() throws {
        let cap = LineCap(8)
        let channel = channel(cap: cap)
        try write(channel, "AUTH x\n")
        #expect(try lines(channel) == ["AUTH x"])
        cap.bytes = 32
        #expect(cap.bytes == 32)
        let long = String(repeating: "s", count: 32)
        try writeBytewise(channel, long + "\r\n")
        #expect(try lines(channel) == [long])
        #expect(throws: LineFrameDecoder.LineTooLong.self) {
            try write(channel, String(repeating: "t", count: 34))
        }
        _ = try? channel.finish()
    }

    /// A partial line without LF at EOF is dropped, not delivered as a request.
    @Test func partialLineAtEndOfInputIsDropped() throws {
        let channel = channel(cap: LineCap(64))
        try write(channel, "PING\nSTA")
        #expect(try lines(channel) == ["PING"])
        _ = try channel.finish()
        #expect(try lines(channel) == [])
    }
}
