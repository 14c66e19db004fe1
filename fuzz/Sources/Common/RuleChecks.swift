// The checks shared by the `rules` and `expressions` targets: compile a rule set, then, if it compiled,
// run sample applications through it.
import RuleLanguage
import RuleEngine

enum RuleChecks {
    /// Compiles `sources`. A failed compile must say why (an error diagnostic) and a successful one must have
    /// none; diagnostics render. When the rules compile, a deterministic eighth of the sample applications
    /// (chosen by the input's length, so a saved input reproduces on its own) and one malformed line are
    /// evaluated: each decision must be valid JSON in the §7 shape, and explanation() must not crash.
    /// Returns the policy, if any.
    @discardableResult
    static func compileAndCheck(_ sources: [Source], input: UnsafeBufferPointer<UInt8>, context: String) -> CompiledPolicy? {
        let (policy, diagnostics) = RuleCompiler.compile(sources: sources)
        // Rendering re-splits the file per diagnostic; a few are enough to exercise it.
        for diagnostic in diagnostics.prefix(8) {
            _ = diagnostic.render(sources: sources)
        }
        if policy == nil, !diagnostics.hasErrors, Harness.checking("diagnostics") {
            Harness.fail("\(context): compile failed without an error diagnostic: \(diagnostics.map(\.description))", input: input)
        }
        if policy != nil, diagnostics.hasErrors, Harness.checking("diagnostics") {
            Harness.fail("\(context): compile succeeded despite errors: \(diagnostics.filter(\.isError).map(\.description))", input: input)
        }
        guard let policy else { return nil }
        let evaluator = Evaluator(policy: policy)
        var decision: [UInt8] = []
        decision.reserveCapacity(1024)
        let samples = Harness.applications
        for index in stride(from: input.count % 8, to: samples.count, by: 8) {
            samples[index].withUnsafeBytes { _ = evaluator.evaluate(json: $0) }
            decision.removeAll(keepingCapacity: true)
            evaluator.writeDecision(to: &decision)
            Harness.checkDecision(decision, input: input, context: "\(context), sample application \(index + 1)")
            if index < 24 { _ = evaluator.explanation() }
        }
        Array("{\"".utf8).withUnsafeBytes { _ = evaluator.evaluate(json: $0) }
        decision.removeAll(keepingCapacity: true)
        evaluator.writeDecision(to: &decision)
        Harness.checkDecision(decision, input: input, context: "\(context), malformed application")
        _ = evaluator.explanation()
        return policy
    }
}
