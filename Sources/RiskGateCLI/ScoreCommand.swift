import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import RuleEngine

/// `riskgate score [--rules DIR] [FILE.jsonl | -]`: one decision per line, in input order, on every core.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score applications (JSON Lines) and print one decision per line, in input order.",
        discussion: """
        Reads FILE (or standard input with '-' or no file). Every input line gets exactly one output line: a \
        line that is not valid JSON gets an "invalid" decision with a MALFORMED_JSON error. Lines longer than \
        --max-line-bytes are answered the same way. Uses every core unless --threads says otherwise.
        """
    )

    @OptionGroup var options: RulesOptions

    @Argument(help: ArgumentHelp("Applications, one JSON object per line ('-' for standard input).", valueName: "file"))
    var file: String = "-"

    @Option(help: "Scoring threads (default: one per core).")
    var threads: Int?

    @Option(help: "The longest line accepted, in bytes.")
    var maxLineBytes: Int = 1 << 20

    @Flag(help: "Never print progress on standard error.")
    var quiet = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if maxLineBytes < 1024 { throw ValidationError("--max-line-bytes must be at least 1024") }
    }

    func run() throws {
        guard let (policy, _) = Console.compileRules(options.rules) else { throw ExitCode(2) }
        let fd: Int32 = file == "-" ? 0 : open(file, O_RDONLY)
        guard fd >= 0 else {
            Console.err("riskgate: cannot open '\(file)': \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        defer { if fd != 0 { close(fd) } }
        let lanes = threads ?? max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var reader = LineChunkReader(fd: fd, maximumLine: maxLineBytes)
        let scorer = BatchScorer(policy: policy, lanes: lanes, maximumLineBytes: maxLineBytes)
        let progress = !quiet && Console.stderrIsTerminal ? Progress() : nil
        var output: [UInt8] = []
        output.reserveCapacity(LineChunkReader.chunkSize)
        var total = 0
        while true {
            output.removeAll(keepingCapacity: true)
            let more = try reader.next { piece in
                switch piece {
                case .lines(let chunk): total += scorer.score(chunk: chunk, into: &output)
                case .overlongLine:
                    scorer.writeMalformed(into: &output)
                    total += 1
                }
            }
            guard Console.write(output) else {
                if errno == EPIPE { return }
                Console.err("riskgate: cannot write output: \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
            progress?.update(total)
            if !more { break }
        }
        progress?.finish(total)
    }
}

/// Reads a file descriptor in large chunks cut at line boundaries, carrying a partial last line over.
struct LineChunkReader {
    static let chunkSize = 8 << 20

    enum Piece {
        case lines(UnsafeRawBufferPointer)
        case overlongLine
    }

    let fd: Int32
    let maximumLine: Int
    var buffer: [UInt8]
    var filled = 0
    var skippingOverlong = false
    var finished = false

    init(fd: Int32, maximumLine: Int) {
        self.fd = fd
        self.maximumLine = maximumLine
        buffer = Array(repeating: 0, count: max(Self.chunkSize, maximumLine * 2))
    }

    /// Reads more and hands complete lines to `body`; returns false after the last piece.
    mutating func next(_ body: (Piece) throws -> Void) throws -> Bool {
        guard !finished else { return false }
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            var n: Int
            repeat { n = read(fd, raw.baseAddress! + filled, raw.count - filled) } while n < 0 && errno == EINTR
            return n
        }
        if count < 0 {
            Console.err("riskgate: read error: \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        filled += count
        let atEnd = count == 0
        try buffer.withUnsafeBytes { raw in
            var start = 0
            if skippingOverlong {
                guard let newline = memchr(raw.baseAddress!, 0x0A, filled) else {
                    filled = 0
                    if atEnd { skippingOverlong = false }
                    return
                }
                start = raw.baseAddress!.distance(to: UnsafeRawPointer(newline)) + 1
                skippingOverlong = false
            }
            var end = filled
            if !atEnd {
                while end > start, raw[end - 1] != 0x0A { end -= 1 }
            }
            if end > start { try body(.lines(UnsafeRawBufferPointer(rebasing: raw[start..<end]))) }
            let rest = filled - end
            if !atEnd, rest >= maximumLine {
                try body(.overlongLine)
                skippingOverlong = true
                filled = 0
                return
            }
            if rest > 0 { memmove(UnsafeMutableRawPointer(mutating: raw.baseAddress!), raw.baseAddress! + end, rest) }
            filled = rest
        }
        if atEnd { finished = true }
        return !finished
    }
}

/// A progress line on stderr, redrawn at most four times a second.
final class Progress {
    let started = DispatchTime.now()
    var lastDraw = DispatchTime.now()

    func update(_ total: Int) {
        let now = DispatchTime.now()
        guard now.uptimeNanoseconds - lastDraw.uptimeNanoseconds > 250_000_000 else { return }
        lastDraw = now
        draw(total, now)
    }

    func finish(_ total: Int) {
        draw(total, DispatchTime.now())
        Console.write(Array("\n".utf8), to: 2)
    }

    private func draw(_ total: Int, _ now: DispatchTime) {
        let seconds = max(0.001, Double(now.uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
        Console.write(Array("\rscored \(total) applications (\(Int(Double(total) / seconds))/s)".utf8), to: 2)
    }
}
