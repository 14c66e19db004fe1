import Crypto
import Foundation
import RuleEngine
import RuleLanguage

/// A ruleset folder as read from disk: its rule sources in name order and their content hash (the version
/// every decision refers to).
public struct RuleSet: Sendable {
    public var directory: String
    public var sources: [Source]
    /// Test files (`*.test.yaml`) found beside the rules.
    public var testFiles: [String]
    /// `sha256:` and the hex SHA-256 over every rule file's name and bytes, in name order.
    public var version: String
}

/// Reads rule folders; the only place rule files touch the disk.
public enum RuleFiles {
    /// Reads `*.yaml`/`*.yml` in `directory` (not recursing; `*.test.yaml` are tests). A file over the size cap
    /// is refused before it is read, as is a folder with no rule files.
    public static func load(directory: String, limits: YAMLReader.Limits = .standard) -> Result<RuleSet, Diagnostic> {
        let manager = FileManager.default
        let display = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let folder = SourceLocation(file: display, line: 1, column: 1)
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .failure(.error("no rules folder at '\(display)'", at: folder))
        }
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            return .failure(.error("cannot list '\(display)': \(error.localizedDescription)", at: folder))
        }
        var sources: [Source] = []
        var tests: [String] = []
        var hash = SHA256()
        for name in names where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = display + "/" + name
            if name.hasSuffix(".test.yaml") || name.hasSuffix(".test.yml") {
                tests.append(path)
                continue
            }
            let start = SourceLocation(file: path, line: 1, column: 1)
            let size = ((try? manager.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
            if size > limits.maximumFileBytes {
                return .failure(.error("file is \(size) bytes; rule files are limited to \(limits.maximumFileBytes) bytes", at: start))
            }
            guard let data = manager.contents(atPath: path) else {
                return .failure(.error("cannot read '\(path)'", at: start))
            }
            guard let text = String(data: data, encoding: .utf8) else {
                return .failure(.error("rule files must be UTF-8 text", at: start))
            }
            hash.update(data: Data(name.utf8) + Data([0]) + data + Data([0]))
            sources.append(Source(name: path, text: text))
        }
        if sources.isEmpty {
            return .failure(.error("no rule files (*.yaml) in '\(display)'", at: folder))
        }
        let version = "sha256:" + hash.finalize().map { String(format: "%02x", $0) }.joined()
        return .success(RuleSet(directory: display, sources: sources, testFiles: tests, version: version))
    }

    /// Loads and compiles a rules folder.
    public static func compile(directory: String) -> (policy: CompiledPolicy?, diagnostics: [Diagnostic], ruleSet: RuleSet?) {
        switch load(directory: directory) {
        case .failure(let diagnostic):
            return (nil, [diagnostic], nil)
        case .success(let ruleSet):
            let (policy, diagnostics) = RuleCompiler.compile(sources: ruleSet.sources)
            return (policy, diagnostics, ruleSet)
        }
    }
}
