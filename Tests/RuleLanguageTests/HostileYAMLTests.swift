import Foundation
import RuleEngine
import RuleFiles
import RuleLanguage
import Testing

/// RELIABILITY.md Y1–Y3: rule files built to exhaust time, memory or stack are refused early, with an error
/// that says where and why.
@Suite struct HostileYAMLTests {
    /// Y1: nine levels of nine aliases each, which a naive loader would expand to 9^9 ≈ 387 million strings.
    static let billionLaughs: String = {
        var lines = [#"a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        let names = "abcdefghi".map(String.init)
        for (previous, name) in zip(names, names.dropFirst()) {
            lines.append("\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    static func read(_ text: String, limits: YAMLReader.Limits = .standard) -> String {
        switch YAMLReader.read(Source(name: "hostile.yaml", text: text), limits: limits) {
        case .success: return "accepted"
        case .failure(let diagnostic): return diagnostic.description
        }
    }

    @Test func billionLaughsIsRefusedAtTheFirstAnchorQuickly() {
        #expect(Self.billionLaughs.utf8.count < 1024)
        #expect(Self.billionLaughs.split(separator: "\n").count == 9)
        var outcome = ""
        // The best of five runs, so that a busy machine running other tests in parallel does not fail it.
        let elapsed = (1...5).map { _ in ContinuousClock().measure { outcome = Self.read(Self.billionLaughs) } }.min()!
        #expect(outcome == "hostile.yaml:1:4: error: anchors (&a) are not allowed in rule files; write the value out")
        #expect(elapsed < .milliseconds(100))
    }

    @Test func billionLaughsThroughTheCompilerGivesOneError() {
        let sources = [Source(name: "laughs.yaml", text: Self.billionLaughs)]
        let (policy, diagnostics) = RuleCompiler.compile(sources: sources)
        #expect(policy == nil)
        #expect(diagnostics.map { $0.render(sources: sources) } == [
            """
            laughs.yaml:1:4: error: anchors (&a) are not allowed in rule files; write the value out
            a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
               ^
            """,
        ])
    }

    /// Without its anchors the bomb is only aliases; each is refused, never looked up.
    @Test func aliasesWithoutAnchorsAreRefused() {
        let aliasesOnly = Self.billionLaughs.split(separator: "\n").dropFirst()
            .map { $0.replacingOccurrences(of: #"&[a-i] "#, with: "", options: .regularExpression) }.joined(separator: "\n")
        #expect(Self.read(aliasesOnly) == "hostile.yaml:1:5: error: aliases (*a) are not allowed in rule files; write the value out")
    }

    /// The node budget holds for a file that is only small, flat nodes (no aliases needed).
    @Test func tooManyNodesAreRefused() {
        let text = "[" + String(repeating: "1,", count: 300_000) + "1]"
        #expect(text.utf8.count < YAMLReader.Limits.standard.maximumFileBytes)
        // The 200,001st node is the scalar at column 2 + 2 × 200,000.
        #expect(Self.read(text) == "hostile.yaml:1:400002: error: more than 200000 YAML nodes in one file")
    }

    // MARK: Y2 — nesting depth

    struct Nesting: CustomTestStringConvertible, Sendable {
        var name: String
        var depth: Int
        var text: @Sendable (Int) -> String
        /// The column of the 65th opening, the first one over the limit.
        var column: Int
        var testDescription: String { "\(name) \(depth)" }
    }

    static let nestings: [Nesting] = [10_000, 1_000_000].flatMap { depth in
        [
            Nesting(name: "flow [[[", depth: depth, text: { String(repeating: "[", count: $0) + String(repeating: "]", count: $0) }, column: 65),
            Nesting(name: "flow {a: {a:", depth: depth, text: { String(repeating: "{a: ", count: $0) + "1" + String(repeating: "}", count: $0) }, column: 4 * 64 + 1),
            // Block style by compact nested sequences, `- - - x`; indented mappings would need depth² bytes.
            Nesting(name: "block - - -", depth: depth, text: { String(repeating: "- ", count: $0) + "x\n" }, column: 2 * 64 + 1),
        ]
    }

    /// What reading gives under the standard limits, then with the size cap raised out of the way.
    static func depthOutcomes(_ nesting: Nesting) -> [String] {
        let text = nesting.text(nesting.depth)
        return [read(text), read(text, limits: YAMLReader.Limits(maximumFileBytes: 64 << 20))]
    }

    /// 1M levels are over 1 MiB, so under the standard limits the size cap answers first; with it raised,
    /// the depth cap answers, at the first opening over the limit.
    static func expectedDepthOutcomes(_ nesting: Nesting) -> [String] {
        let size = nesting.text(nesting.depth).utf8.count
        let depthError = "hostile.yaml:1:\(nesting.column): error: nesting deeper than 64 levels"
        let standard = size > YAMLReader.Limits.standard.maximumFileBytes
            ? "hostile.yaml:1:1: error: file is \(size) bytes; rule files are limited to 1048576 bytes" : depthError
        return [standard, depthError]
    }

    /// The test's own thread, synchronously.
    @Test(arguments: nestings)
    func deepNestingOnTheTestThread(_ nesting: Nesting) {
        #expect(Self.depthOutcomes(nesting) == Self.expectedDepthOutcomes(nesting))
    }

    /// A thread with a 256 KiB stack, far less than a main thread's 8 MiB: reading must not recurse per level.
    /// (Under swift-testing on Linux even a `@MainActor` test does not run on the process's main thread, so a
    /// small stack is the stricter stand-in.)
    @Test(arguments: nestings)
    func deepNestingOnASmallStack(_ nesting: Nesting) {
        #expect(Self.onThread(stackSize: 256 << 10) { Self.depthOutcomes(nesting) } == Self.expectedDepthOutcomes(nesting))
    }

    @Test(arguments: nestings)
    func deepNestingInsideATask(_ nesting: Nesting) async {
        let outcomes = await Task.detached { Self.depthOutcomes(nesting) }.value
        #expect(outcomes == Self.expectedDepthOutcomes(nesting))
    }

    @Test func sizesOfTheDeepFiles() {
        #expect(Self.nestings.map { $0.text($0.depth).utf8.count } == [20_000, 50_001, 20_002, 2_000_000, 5_000_001, 2_000_002])
    }

    /// Sixty-four levels are allowed; the limit is not off by one.
    @Test func nestingAtTheLimitIsAccepted() {
        #expect(Self.read(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) == "accepted")
        #expect(Self.read(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) == "hostile.yaml:1:65: error: nesting deeper than 64 levels")
    }

    /// Expressions have their own depth cap, so deep parentheses never reach the checker's recursion. The
    /// whole expression is one level, so the 64th '(' opens the 65th: the caret is on the 65th '(' (column 6 + 64).
    @Test func deepParenthesesInAnExpressionAreRefused() async {
        let expression = String(repeating: "(", count: 200) + "amount" + String(repeating: ")", count: 200)
        let text = "fields:\n  amount: {type: number, required: true}\nvalues:\n  x: \(expression)\n"
        let sources = [Source(name: "deep.yaml", text: text)]
        let diagnostics = await Task.detached { RuleCompiler.compile(sources: sources).1 }.value
        #expect(diagnostics.map(\.description) == ["deep.yaml:4:70: error: expression nested more than 64 levels deep"])
    }

    // MARK: Deep trees without deep YAML: operator chains and chains of values

    static func ruleset(values: String, route: String) -> String {
        "fields:\n  amount: {type: number, required: true}\nvalues:\n\(values)routing:\n  - route: R1\n    when: \(route)\n"
            + "    outcome: declined\n  - route: R2\n    outcome: approved\n"
    }

    static func compile(_ text: String) async -> (compiled: Bool, diagnostics: [String]) {
        let sources = [Source(name: "deep.yaml", text: text)]
        return await Task.detached {
            let (policy, diagnostics) = RuleCompiler.compile(sources: sources)
            return (policy != nil, diagnostics.map(\.description))
        }.value
    }

    /// `1+1+…` nests one level per operator with no parentheses: 30k of them fit in a 64 KiB scalar and
    /// overflowed the stack while checking. The token cap refuses the expression before a tree is built; the
    /// 501st token is the 250th `1`, at column 6 + 9 + 2 × 249.
    @Test func aLongOperatorChainIsRefused() async {
        let chain = Array(repeating: "1", count: 30_000).joined(separator: "+")
        let text = Self.ruleset(values: "  x: amount + \(chain)\n", route: "x > 5")
        #expect(text.utf8.count < YAMLReader.Limits.standard.maximumFileBytes)
        let result = await Self.compile(text)
        #expect(result.diagnostics == ["deep.yaml:4:513: error: expression is too long: more than 500 words, numbers and operators; split it into named values"])
    }

    /// Just under the cap, the 250-level tree compiles, engine included, on a task's stack.
    @Test func anOperatorChainUnderTheCapCompiles() async {
        let chain = Array(repeating: "1", count: 249).joined(separator: " + ")
        let result = await Self.compile(Self.ruleset(values: "  x: amount + \(chain)\n", route: "x > 5"))
        #expect(result.compiled)
        #expect(result.diagnostics == [])
    }

    /// `v0: v1 + 1`, `v1: v2 + 1`, … 20,000 values deep: checking v0 checks v1 first, and so on down. The
    /// check-depth cap (400 levels, two per value) stops at v200's `+` and reports once.
    @Test func aLongChainOfValuesIsRefused() async {
        let values = (0..<20_000).map { "  v\($0): v\($0 + 1) + 1\n" }.joined() + "  v20000: amount\n"
        let result = await Self.compile(Self.ruleset(values: values, route: "v0 > 5"))
        #expect(result.diagnostics == ["deep.yaml:204:14: error: too deeply nested to check: this expression and the values it reads go more than 400 levels deep; split it or shorten the chain of values"])
    }

    @Test func aChainOfTwoHundredValuesCompiles() async {
        let values = (0..<199).map { "  v\($0): v\($0 + 1) + 1\n" }.joined() + "  v199: amount\n"
        let result = await Self.compile(Self.ruleset(values: values, route: "v0 > 5"))
        #expect(result.compiled)
        #expect(result.diagnostics == [])
    }

    // MARK: Y3 — sizes

    @Test func a64MiBScalarIsRefusedByTheFileCapBeforeParsing() {
        let text = Self.text("name: ", repeating: "x", count: 64 << 20, then: "\n")
        #expect(Self.read(text) == "hostile.yaml:1:1: error: file is 67108871 bytes; rule files are limited to 1048576 bytes")
    }

    @Test func a100MiBFileIsRefusedBeforeParsing() {
        let text = Self.text("", repeating: "#", count: 100 << 20)
        #expect(text.utf8.count == 100 << 20)
        #expect(Self.read(text) == "hostile.yaml:1:1: error: file is 104857600 bytes; rule files are limited to 1048576 bytes")
    }

    /// Under the file cap, one scalar over the scalar cap is still refused, at the scalar.
    @Test func aScalarOverItsCapIsRefused() {
        let text = "policy:\n  name: " + String(repeating: "x", count: 100 << 10) + "\n"
        #expect(Self.read(text) == "hostile.yaml:2:9: error: scalar of 102400 bytes; the limit is 65536 bytes")
    }

    /// The file on disk is refused from its size alone: a sparse 100 MiB file is never read.
    @Test func ruleFilesRefusesAnOversizedFileBeforeReadingIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let big = folder.appendingPathComponent("big.yaml")
        #expect(FileManager.default.createFile(atPath: big.path, contents: nil))
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: 100 << 20)
        try handle.close()
        switch RuleFiles.load(directory: folder.path) {
        case .success: Issue.record("a 100 MiB rule file was accepted")
        case .failure(let diagnostic):
            #expect(diagnostic.description == "\(folder.path)/big.yaml:1:1: error: file is 104857600 bytes; rule files are limited to 1048576 bytes")
        }
    }

    /// One byte over the cap on disk is refused; exactly the cap is read (and then parsed).
    @Test func ruleFilesCapIsExact() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-cap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("rules.yaml")
        let limits = YAMLReader.Limits(maximumFileBytes: 64)
        try Data(String(repeating: "#", count: 64).utf8).write(to: file)
        #expect(throws: Never.self) { try RuleFiles.load(directory: folder.path, limits: limits).get() }
        try Data(String(repeating: "#", count: 65).utf8).write(to: file)
        #expect(RuleFiles.load(directory: folder.path, limits: limits).failureDescription
            == "\(folder.path)/rules.yaml:1:1: error: file is 65 bytes; rule files are limited to 64 bytes")
    }
}

extension HostileYAMLTests {
    /// `prefix`, then `count` copies of one ASCII byte, then `suffix`: built with one memset, where appending
    /// 100 million characters one by one takes seconds.
    static func text(_ prefix: String, repeating byte: Unicode.Scalar, count: Int, then suffix: String = "") -> String {
        let head = Array(prefix.utf8), tail = Array(suffix.utf8)
        return String(unsafeUninitializedCapacity: head.count + count + tail.count) { buffer in
            _ = buffer.initialize(from: head)
            buffer.baseAddress!.advanced(by: head.count).initialize(repeating: UInt8(byte.value), count: count)
            _ = UnsafeMutableBufferPointer(rebasing: buffer[(head.count + count)...]).initialize(from: tail)
            return head.count + count + tail.count
        }
    }

    final class Box<T>: @unchecked Sendable {
        var value: T?
    }

    /// Runs `body` on a new thread with the given stack size and waits for its result.
    static func onThread<T>(stackSize: Int, _ body: @escaping @Sendable () -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return box.value!
    }
}

extension Result where Failure == Diagnostic {
    var failureDescription: String? {
        if case .failure(let diagnostic) = self { return diagnostic.description }
        return nil
    }
}
