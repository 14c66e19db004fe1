#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ApplicationMix

/// generate-applications [--count N] [--seed S] [--output FILE]
/// Writes N applications of the benchmark mix as JSON Lines (stdout by default), deterministic for a seed,
/// and a one-line summary of the mix on stderr.
func say(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress!, $0.count) }
}

var count = 200_000
var seed: UInt64 = 42
var outputPath: String?
var arguments = CommandLine.arguments.dropFirst()
func usage() -> Never {
    say("usage: generate-applications [--count N] [--seed S] [--output FILE]\n")
    exit(2)
}
while let argument = arguments.popFirst() {
    switch argument {
    case "--count": guard let value = arguments.popFirst().flatMap({ Int($0) }), value >= 0 else { usage() }; count = value
    case "--seed": guard let value = arguments.popFirst().flatMap({ UInt64($0) }) else { usage() }; seed = value
    case "--output": guard let value = arguments.popFirst() else { usage() }; outputPath = value
    default: usage()
    }
}

let fd: Int32 = outputPath.map { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) } ?? 1
guard fd >= 0 else {
    say("generate-applications: cannot open \(outputPath!): \(String(cString: strerror(errno)))\n")
    exit(1)
}

func flush(_ buffer: inout [UInt8]) {
    buffer.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                say("generate-applications: write failed: \(String(cString: strerror(errno)))\n")
                exit(1)
            }
            offset += written
        }
    }
    buffer.removeAll(keepingCapacity: true)
}

var mix = ApplicationMix(seed: seed)
var buffer: [UInt8] = []
buffer.reserveCapacity(1 << 20)
var kinds: [ApplicationMix.Kind: Int] = [:]
for _ in 0..<count {
    kinds[mix.next(into: &buffer), default: 0] += 1
    buffer.append(0x0A)
    if buffer.count >= 1 << 20 { flush(&buffer) }
}
flush(&buffer)
if fd != 1 { close(fd) }
let summary = ApplicationMix.Kind.allCases.map { "\($0.rawValue) \(kinds[$0, default: 0])" }.joined(separator: ", ")
say("generated \(count) applications (seed \(seed)): \(summary)\n")
