import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `riskgate serve` child process in a fresh temporary folder: TCP port 0 (the kernel picks a free one),
/// `--insecure-fast-kdf` (so that creating and logging in hundreds of users is quick), stdout and stderr in
/// files there. Reads the banner for the port and the first-start administrator's credentials.
final class ServerProcess {
    let folder: String
    let process: Process
    let port: Int
    let adminPassword: String
    let adminSecret: String

    var pid: Int32 { process.processIdentifier }

    init(binary: String, rules: String, extraArguments: [String]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("server-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stdoutPath = folder + "/stdout.txt", stderrPath = folder + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.arguments = ["serve", "--rules", rules, "--db", folder + "/riskgate.sqlite", "--host", "127.0.0.1",
                             "--port", "0", "--insecure-fast-kdf"] + extraArguments
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()

        // The banner ends with "Stop with Ctrl-C"; compiling the rules and running their tests comes first.
        let deadline = Date().addingTimeInterval(120)
        var text = ""
        while true {
            text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            if text.contains("Stop with Ctrl-C") { break }
            if !process.isRunning || Date() > deadline {
                let errors = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                if process.isRunning { process.terminate() }
                throw BenchError("riskgate serve did not start:\n\(text)\n\(errors)")
            }
            usleep(20_000)
        }
        func field(_ prefix: String) -> String? {
            text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }
                .map { String($0.trimmingCharacters(in: .whitespaces).dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) }
        }
        // "riskgate: listening on [IPv4]127.0.0.1/127.0.0.1:PORT"
        guard let listening = field("riskgate: listening on"), let colon = listening.lastIndex(of: ":"),
              let port = Int(listening[listening.index(after: colon)...]) else {
            throw BenchError("no TCP port in the banner:\n\(text)")
        }
        guard let password = field("password:"), let secret = field("TOTP secret:") else {
            throw BenchError("no first-start administrator credentials in the banner:\n\(text)")
        }
        self.port = port
        adminPassword = password
        adminSecret = secret
    }

    /// User + system CPU seconds the server has used so far (/proc/PID/stat, fields 14 and 15).
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After "pid (comm)": state is field 3, so utime (14) and stime (15) are at offsets 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGTERM (graceful shutdown), wait, and remove the folder unless asked to keep it.
    func stop(keep: Bool) {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        if keep {
            print("kept the server's folder: \(folder)")
        } else {
            try? FileManager.default.removeItem(atPath: folder)
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// User + system CPU seconds of this process.
func clientCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The 1-, 5- and 15-minute load averages, as `uptime` shows them.
func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
}

func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
