#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RuleEngine
import RuleFiles
import RuleLanguage

/// Writing to the standard streams without Foundation's buffering surprises.
enum Console {
    static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    @discardableResult
    static func write(_ bytes: [UInt8], to fd: Int32 = 1) -> Bool {
        bytes.withUnsafeBytes { write($0, to: fd) }
    }

    static func out(_ text: String) { write(Array((text + "\n").utf8), to: 1) }
    static func err(_ text: String) { write(Array((text + "\n").utf8), to: 2) }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Compiles the rules folder, printing diagnostics to stderr; nil (and diagnostics printed) on errors.
    static func compileRules(_ directory: String, showWarnings: Bool = false) -> (CompiledPolicy, RuleSet)? {
        let (policy, diagnostics, ruleSet) = RuleFiles.compile(directory: directory)
        let sources = ruleSet?.sources ?? []
        for diagnostic in diagnostics where diagnostic.isError || showWarnings {
            err(diagnostic.render(sources: sources))
        }
        guard let policy, let ruleSet else {
            let count = diagnostics.filter(\.isError).count
            err("riskgate: the rules in '\(directory)' have \(count) error\(count == 1 ? "" : "s"); run 'riskgate check \(directory)'")
            return nil
        }
        return (policy, ruleSet)
    }
}
