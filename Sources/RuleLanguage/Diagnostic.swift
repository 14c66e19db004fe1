/// A compiler message about a rule file: `file:line:col: error: message`.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning, note
    }

    public var severity: Severity
    public var message: String
    public var location: SourceLocation
    /// Follow-up notes, e.g. where a clashing declaration stands.
    public var notes: [Diagnostic]

    public init(_ severity: Severity, _ message: String, at location: SourceLocation, notes: [Diagnostic] = []) {
        self.severity = severity
        self.message = message
        self.location = location
        self.notes = notes
    }

    public static func error(_ message: String, at location: SourceLocation, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(.error, message, at: location, notes: notes)
    }

    public static func warning(_ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(.warning, message, at: location)
    }

    public static func note(_ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(.note, message, at: location)
    }

    public var isError: Bool { severity == .error }

    /// One line, no source excerpt: `rules/routing.yaml:14:9: error: …`.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }

    /// Like a compiler: the message, the source line, and a caret under the column; then the notes.
    public func render(sources: [Source]) -> String {
        var out = description
        if let text = sources.first(where: { $0.name == location.file })?.text,
           let line = Diagnostic.line(location.line, of: text) {
            let shown = String(line.unicodeScalars.map { $0 == "\t" ? " " : Character($0) })
            let caretColumn = max(1, min(location.column, line.unicodeScalars.count + 1))
            out += "\n" + shown + "\n" + String(repeating: " ", count: caretColumn - 1) + "^"
        }
        for note in notes {
            out += "\n" + note.render(sources: sources)
        }
        return out
    }

    static func line(_ number: Int, of text: String) -> Substring? {
        guard number >= 1 else { return nil }
        var current = 1
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == number { return line.hasSuffix("\r") ? line.dropLast() : line }
            current += 1
        }
        return nil
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error (warnings alone do not stop compilation).
    public var hasErrors: Bool { contains(where: \.isError) }

    /// In order of position (file, line, column), errors and warnings together as a compiler prints them;
    /// diagnostics at the same place keep the order they were found in.
    public func sortedForDisplay() -> [Diagnostic] {
        enumerated().sorted { a, b in
            if a.element.location != b.element.location { return a.element.location < b.element.location }
            return a.offset < b.offset
        }.map(\.element)
    }
}
