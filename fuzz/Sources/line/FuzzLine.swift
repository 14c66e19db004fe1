// Fuzz target `line`: input bytes → request lines (split at LF, a CR before it dropped, as the server's framing
// does) → LineProtocol's Request.parse, and every reply the server could build from the result.
// Checks, beyond "no crash, hang or ASan report":
//   - every reply line (OK with any payload, ERR with the parse error, EVENT) is exactly one line: it ends
//     with one LF and holds no other control byte — so nothing a client sends can split a reply (P6);
//   - parse is total and deterministic: a second parse of the same bytes gives the same result;
//   - a refusal has a code from the documented table and a non-empty message;
//   - SUBMIT keeps the JSON bytes exactly: they are the line's tail after the command word;
//   - a request id is 1–64 bytes, and every parsed command's wire name is in the HELP table.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LineProtocol

enum LineTarget {
    static let names = Set(CommandSpec.all.map(\.name))

    static func checkOneLine(_ text: String, _ what: String, input: UnsafeBufferPointer<UInt8>) {
        let bytes = Array(text.utf8)
        guard bytes.last == 0x0A, !bytes.dropLast().contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            Harness.fail("\(what) is not exactly one clean line: \(text.debugDescription)", input: input)
        }
    }

    static func check(_ line: [UInt8], input: UnsafeBufferPointer<UInt8>) {
        let result = Request.parse(line)
        guard Request.parse(line) == result else { Harness.fail("parse is not deterministic", input: input) }
        switch result {
        case .failure(let error):
            guard ErrorCode(rawValue: error.code.rawValue) != nil, !error.message.isEmpty else {
                Harness.fail("refusal without a documented code or message: \(error)", input: input)
            }
            checkOneLine(Reply.error(error).line, "ERR reply", input: input)
        case .success(let request):
            if let id = request.requestID, !(1...64).contains(id.utf8.count) {
                Harness.fail("request id of \(id.utf8.count) bytes", input: input)
            }
            guard names.contains(request.command.name) else {
                Harness.fail("command \(request.command.name) missing from HELP", input: input)
            }
            if case .submit(let json) = request.command, !line.ends(with: json) || json.isEmpty {
                Harness.fail("SUBMIT did not keep the JSON bytes exactly", input: input)
            }
        }
        // Replies that echo client text (payloads, messages, event kinds) stay one line whatever the text.
        let echoed = String(decoding: line, as: UTF8.self)
        checkOneLine(Reply.ok(echoed).line, "OK reply", input: input)
        checkOneLine(Reply.error(.badArgument, echoed).line, "ERR reply", input: input)
        checkOneLine(Reply.event(kind: echoed, json: echoed).line, "EVENT line", input: input)
        checkOneLine(Reply.error(.unknownCommand, Reply.quote(echoed)).line, "quoted echo", input: input)
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func lineFuzzTest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    var line: [UInt8] = []
    for byte in input {
        if byte == 0x0A {
            if line.last == 0x0D { line.removeLast() }
            LineTarget.check(line, input: input)
            line.removeAll(keepingCapacity: true)
        } else {
            line.append(byte)
        }
    }
    LineTarget.check(line, input: input)
    return 0
}
