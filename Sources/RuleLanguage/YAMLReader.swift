import CYAML

/// Reads one rule file into `YAMLNode`s with libyaml's event API, refusing hostile input before it costs
/// anything: the text size is capped before parsing; anchors, aliases and tags are errors (nothing is ever
/// expanded); nesting is capped at `Limits.maximumDepth`; each scalar is capped at `Limits.maximumScalarBytes`.
public enum YAMLReader {
    public struct Limits: Sendable {
        public var maximumFileBytes: Int
        public var maximumScalarBytes: Int
        public var maximumDepth: Int
        public var maximumNodes: Int

        public init(maximumFileBytes: Int = 1 << 20, maximumScalarBytes: Int = 64 << 10, maximumDepth: Int = 64, maximumNodes: Int = 200_000) {
            self.maximumFileBytes = maximumFileBytes
            self.maximumScalarBytes = maximumScalarBytes
            self.maximumDepth = maximumDepth
            self.maximumNodes = maximumNodes
        }

        public static let standard = Limits()
    }

    /// The document's root node (nil for an empty file), or the first error that stopped reading.
    public static func read(_ source: Source, limits: Limits = .standard) -> Result<YAMLNode?, Diagnostic> {
        let start = SourceLocation(file: source.name, line: 1, column: 1)
        let size = source.text.utf8.count
        if size > limits.maximumFileBytes {
            return .failure(.error("file is \(size) bytes; rule files are limited to \(limits.maximumFileBytes) bytes", at: start))
        }
        var bytes = Array(source.text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            var builder = Builder(file: source.name, limits: limits)
            return builder.run(buffer)
        }
    }

    private struct Frame {
        var location: SourceLocation
        var isMapping: Bool
        var items: [YAMLNode] = []
    }

    private struct Builder {
        let file: String
        let limits: Limits
        var stack: [Frame] = []
        var root: YAMLNode?
        var nodes = 0
        var documents = 0

        init(file: String, limits: Limits) {
            self.file = file
            self.limits = limits
        }

        func location(_ mark: yaml_mark_t) -> SourceLocation {
            SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        }

        mutating func run(_ buffer: UnsafeMutableBufferPointer<UInt8>) -> Result<YAMLNode?, Diagnostic> {
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return .failure(.error("could not start the YAML parser", at: SourceLocation(file: file, line: 1, column: 1)))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    return .failure(parserError(parser, buffer))
                }
                defer { yaml_event_delete(&event) }
                switch handle(event) {
                case .failure(let diagnostic): return .failure(diagnostic)
                case .success(true): return .success(root)
                case .success(false): continue
                }
            }
        }

        func parserError(_ parser: yaml_parser_t, _ buffer: UnsafeMutableBufferPointer<UInt8>) -> Diagnostic {
            let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
            var message = "invalid YAML: \(problem)"
            if let context = parser.context { message += " \(String(cString: context))" }
            // A tab is the usual culprit, and the rendered line shows it as a space, so say so.
            if Self.byte(in: buffer, line: Int(parser.problem_mark.line), column: Int(parser.problem_mark.column)) == UInt8(ascii: "\t") {
                message += "; YAML is indented with spaces, not tabs"
            }
            return .error(message, at: location(parser.problem_mark))
        }

        /// The first byte of the character at a 0-based line and column (libyaml's marks count characters).
        static func byte(in buffer: UnsafeMutableBufferPointer<UInt8>, line: Int, column: Int) -> UInt8? {
            var index = 0, currentLine = 0
            while currentLine < line, index < buffer.count {
                if buffer[index] == UInt8(ascii: "\n") { currentLine += 1 }
                index += 1
            }
            var characters = 0
            while index < buffer.count, characters < column {
                index += 1
                while index < buffer.count, buffer[index] & 0xC0 == 0x80 { index += 1 }
                characters += 1
            }
            return index < buffer.count ? buffer[index] : nil
        }

        /// Returns true at the end of the stream.
        mutating func handle(_ event: yaml_event_t) -> Result<Bool, Diagnostic> {
            let here = location(event.start_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return .success(true)
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    return .failure(.error("a rule file holds one YAML document; found a second '---'", at: here))
                }
            case YAML_ALIAS_EVENT:
                let name = event.data.alias.anchor.map { String(cString: $0) } ?? "name"
                return .failure(.error("aliases (*\(name)) are not allowed in rule files; write the value out", at: here))
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                if let failure = refuseAnchorAndTag(anchor: scalar.anchor, tag: scalar.tag, plainImplicit: scalar.plain_implicit, at: here) {
                    return .failure(failure)
                }
                if Int(scalar.length) > limits.maximumScalarBytes {
                    return .failure(.error("scalar of \(scalar.length) bytes; the limit is \(limits.maximumScalarBytes) bytes", at: here))
                }
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self)
                let style: YAMLNode.ScalarStyle
                switch scalar.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: style = .literal
                case YAML_FOLDED_SCALAR_STYLE: style = .folded
                default: style = .plain
                }
                return add(YAMLNode(.scalar(text, style), at: here))
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                let tag = isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag
                if let failure = refuseAnchorAndTag(anchor: anchor, tag: tag, plainImplicit: 1, at: here) {
                    return .failure(failure)
                }
                if stack.count >= limits.maximumDepth {
                    return .failure(.error("nesting deeper than \(limits.maximumDepth) levels", at: here))
                }
                stack.append(Frame(location: here, isMapping: isMapping))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                if frame.isMapping {
                    var pairs: [YAMLNode.Pair] = []
                    var seen: [String: SourceLocation] = [:]
                    var index = 0
                    while index + 1 < frame.items.count {
                        let key = frame.items[index], value = frame.items[index + 1]
                        guard let name = key.scalar else {
                            return .failure(.error("mapping keys must be plain names, not \(key.kindName)", at: key.location))
                        }
                        if let first = seen[name] {
                            return .failure(.error("duplicate key '\(name)'", at: key.location,
                                                   notes: [.note("first defined here", at: first)]))
                        }
                        seen[name] = key.location
                        pairs.append(.init(key: key, value: value))
                        index += 2
                    }
                    return add(YAMLNode(.mapping(pairs), at: frame.location))
                }
                return add(YAMLNode(.sequence(frame.items), at: frame.location))
            default:
                break
            }
            return .success(false)
        }

        func refuseAnchorAndTag(anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?,
                                plainImplicit: Int32, at here: SourceLocation) -> Diagnostic? {
            if let anchor {
                let name = String(cString: anchor)
                return .error("anchors (&\(name)) are not allowed in rule files; write the value out", at: here)
            }
            if let tag {
                // libyaml hands over the resolved tag; show it as the analyst wrote it (`!!str`, not `tag:yaml.org,2002:str`).
                var name = String(cString: tag)
                if name.hasPrefix("tag:yaml.org,2002:") { name = "!!" + name.dropFirst("tag:yaml.org,2002:".count) }
                return .error("tags (\(name)) are not allowed in rule files; remove it, and quote the value if it must be text", at: here)
            }
            return nil
        }

        mutating func add(_ node: YAMLNode) -> Result<Bool, Diagnostic> {
            nodes += 1
            if nodes > limits.maximumNodes {
                return .failure(.error("more than \(limits.maximumNodes) YAML nodes in one file", at: node.location))
            }
            if stack.isEmpty {
                root = node
            } else {
                stack[stack.count - 1].items.append(node)
            }
            return .success(false)
        }
    }
}
