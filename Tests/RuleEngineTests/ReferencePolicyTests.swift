import Foundation
import RuleEngine
import Testing

/// Every case of the reference policy's fixtures, as its own test.
@Suite struct ReferencePolicyTests {
    static let fixtures = Fixture.load(repositoryRoot.appendingPathComponent("fixtures/fixtures.jsonl").path)

    @Test func fixturesAreLoaded() {
        #expect(Self.fixtures.count == 67)
    }

    @Test(arguments: fixtures)
    func decision(_ fixture: Fixture) throws {
        let evaluator = Evaluator(policy: referencePolicy)
        evaluator.evaluate(json: fixture.application)
        let actual = evaluator.decisionJSON
        let expected = try #require(jsonObject(fixture.decision))
        #expect(jsonObject(actual) == expected, "\(actual)")
    }

    @Test func outputKeysFollowTheContractOrder() {
        let evaluator = Evaluator(policy: referencePolicy)
        evaluator.evaluate(json: Self.fixtures[0].application)
        #expect(evaluator.decisionJSON == #"{"application_id":"FX-001","outcome":"approved","errors":[],"knockouts":[],"score":735,"grade":"A","reasons":[],"route":"R4","levels":[],"sla_hours":null}"#)
    }
}
