import Foundation
import NIOConcurrencyHelpers
import RuleEngine
import RuleFiles
import RuleLanguage
import Store

/// The ruleset in force and the intake that applies it; `RELOAD` swaps both at once. Submissions already
/// handed to the old intake finish under the old ruleset, and their decisions name it.
final class ActiveRules: Sendable {
    /// A class: every SUBMIT reads `current`, and copying a struct holding the compiled policy retained and
    /// released each of its many fields.
    final class Current: Sendable {
        let policy: CompiledPolicy
        let version: String
        let intake: Intake

        init(policy: CompiledPolicy, version: String, intake: Intake) {
            self.policy = policy
            self.version = version
            self.intake = intake
        }
    }

    private let state: NIOLockedValueBox<Current>

    init(_ current: Current) {
        state = NIOLockedValueBox(current)
    }

    var current: Current { state.withLockedValue { $0 } }

    func replace(with next: Current) {
        state.withLockedValue { $0 = next }
    }
}

/// Compiling and checking a ruleset before it may be activated (Y4).
public enum RulesCheck {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Compiles `directory`, then runs its YAML tests and every regression file; all must pass.
    static func compile(directory: String, regression: [String]) -> Result<(CompiledPolicy, String, Int), Failure> {
        let (policy, diagnostics, ruleSet) = RuleFiles.compile(directory: directory)
        guard let policy, let ruleSet else {
            let errors = diagnostics.filter { $0.severity == .error }
            return .failure(Failure(description: "\(errors.count) error(s); first: \(errors.first?.description ?? "unknown")"))
        }
        var count = 0
        for path in ruleSet.testFiles + regression {
            switch RuleTests.load(path: path) {
            case .failure(let error):
                return .failure(Failure(description: "cannot load tests \(path): \(error)"))
            case .success(let cases):
                let failures = RuleTests.run(cases, policy: policy)
                if let first = failures.first {
                    return .failure(Failure(description: "\(failures.count) of \(cases.count) tests in \(path) fail; first: \(first.testCase.name) at \(first.testCase.location): \(first.differences.first ?? "")"))
                }
                count += cases.count
            }
        }
        return .success((policy, ruleSet.version, count))
    }
}
