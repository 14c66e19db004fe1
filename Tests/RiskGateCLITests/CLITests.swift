import Foundation
import Testing

/// The real `riskgate` binary, run as a user would.
@Suite struct CLITests {
    @Test func checkPassesOnTheReferenceRules() throws {
        let result = try riskgate(["check", "rules"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("ok: rules (4 files, 0 warnings) version sha256:"))
        #expect(result.stderr == "")
    }

    /// The executable runs on jemalloc (linked, not preloaded): asked to, jemalloc prints its statistics at exit.
    @Test func theExecutableAllocatesWithJemalloc() throws {
        let result = try riskgate(["check", "rules"], environment: ["MALLOC_CONF": "stats_print:true"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("___ Begin jemalloc statistics ___"))
        #expect(result.stderr.contains("--- End jemalloc statistics ---"))
    }

    @Test func checkFailsWithCompilerStyleErrors() throws {
        let folder = try temporaryRules(["a.yaml": """
        fields:
          amount: {type: number, required: true}
        knockouts:
          - {code: BIG, when: amount > 100}
        routing:
          - route: R1
            when: amont > 5
            outcome: approved
        """])
        let result = try riskgate(["check", folder])
        #expect(result.status == 1)
        #expect(result.stderr == """
        \(folder)/a.yaml:7:11: error: unknown name 'amont'; did you mean 'amount'?
            when: amont > 5
                  ^
        1 error, 0 warnings

        """)
    }

    @Test func scoreAnswersEveryLineInOrder() throws {
        let input = """
        {"application_id":"A-1","product":"personal","amount":10000,"term_months":36,"applicant":{"age":40,"annual_income":60000,"employment_status":"employed","employment_years":6,"credit_score":720}}
        garbage

        [1]
        """
        let result = try riskgate(["score", "--rules", "rules", "-"], stdin: input)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0] == #"{"application_id":"A-1","outcome":"approved","errors":[],"knockouts":[],"score":735,"grade":"A","reasons":[],"route":"R4","levels":[],"sla_hours":null}"#)
        #expect(lines[1] == #"{"application_id":null,"outcome":"invalid","errors":[{"code":"MALFORMED_JSON","field":null}],"knockouts":[],"score":null,"grade":null,"reasons":[],"route":null,"levels":[],"sla_hours":null}"#)
        #expect(lines[2] == lines[1])
        #expect(lines[3].hasPrefix(#"{"application_id":null,"outcome":"invalid","errors":[{"code":"REQUIRED","field":"application_id"}"#))
        #expect(lines[4] == "")
        #expect(result.stderr == "")
    }

    @Test func anOverlongLineGetsOneMalformedDecisionAndScoringGoesOn() throws {
        let long = "{\"x\":\"" + String(repeating: "a", count: 5000) + "\"}"
        let result = try riskgate(["score", "--max-line-bytes", "1024", "-"], stdin: long + "\n[]\n")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].contains("MALFORMED_JSON"))
        #expect(lines[1].contains(#""code":"REQUIRED""#))
    }

    @Test func scoreRefusesBrokenRulesWithExitStatus2() throws {
        let folder = try temporaryRules(["a.yaml": "fields: []\n"])
        let result = try riskgate(["score", "--rules", folder, "-"], stdin: "{}\n")
        #expect(result.status == 2)
        #expect(result.stdout == "")
        #expect(result.stderr.contains("riskgate: the rules in '\(folder)' have"))
    }

    @Test func testRunsTheSharedFixtures() throws {
        let result = try riskgate(["test", "--rules", "rules", "fixtures/fixtures.jsonl"])
        #expect(result.status == 0)
        #expect(result.stdout == "67 passed, 0 failed\n")
    }

    @Test func testPrintsADiffForEachFailure() throws {
        let folder = try temporaryRules(["cases.jsonl": """
        {"name":"wrong score","application":{"application_id":"FX-1","product":"personal","amount":10000,"term_months":36,"applicant":{"age":40,"annual_income":60000,"employment_status":"employed","employment_years":6,"credit_score":720}},"decision":{"outcome":"approved","score":700,"reasons":["X"]}}
        {"name":"right","application":{},"decision":{"outcome":"invalid"}}
        """])
        let result = try riskgate(["test", "--rules", "rules", "\(folder)/cases.jsonl"])
        #expect(result.status == 1)
        #expect(result.stdout == """
        FAIL \(folder)/cases.jsonl:1  wrong score
          score: expected 700, got 735
          reasons: expected ["X"], got []
        1 passed, 1 failed

        """)
    }

    @Test func testRunsYAMLTestsOfAnotherPolicy() throws {
        let result = try riskgate(["test", "--rules", "fixtures/policies/sme-lite"])
        #expect(result.status == 0)
        #expect(result.stdout == "7 passed, 0 failed\n")
    }

    @Test func explainShowsEveryStep() throws {
        let file = try temporaryRules(["app.json": #"{"application_id":"FX-9","product":"personal","amount":4000,"term_months":12,"applicant":{"age":45,"annual_income":15000,"employment_status":"unemployed","credit_score":530,"monthly_debt":200,"delinquencies_24m":3},"collateral_value":4210.53}"#])
        let result = try riskgate(["explain", "--rules", "rules", "\(file)/app.json"])
        #expect(result.status == 0)
        let text = result.stdout
        #expect(text.hasPrefix("Application FX-9: declined by route R1\n"))
        #expect(text.contains("  bureau         credit_score = 530"))
        #expect(text.contains("  score 425 → grade E\n"))
        #expect(text.contains("  1. LOW_BUREAU_SCORE\n  2. EMPLOYMENT_STATUS\n  3. HIGH_DTI\n"))
        #expect(text.contains("  R1  MATCH        grade == \"E\"  ⇒ declined\n"))
        #expect(text.contains(#"Decision {"application_id":"FX-9","outcome":"declined","errors":[],"knockouts":[],"score":425,"grade":"E","reasons":["LOW_BUREAU_SCORE","EMPLOYMENT_STATUS","HIGH_DTI"],"route":"R1","levels":[],"sla_hours":null}"#))
    }

    @Test func helpIsPinned() throws {
        let result = try riskgate(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout == """
        OVERVIEW: Loan risk scoring and approval: compile credit policy rules, score
        applications, and serve the approval queue.

        USAGE: riskgate <subcommand>

        OPTIONS:
          -h, --help              Show help information.

        SUBCOMMANDS:
          check                   Compile a rules folder and print its errors and
                                  warnings.
          score                   Score applications (JSON Lines) and print one
                                  decision per line, in input order.
          explain                 Explain the decision for one application: every
                                  check, bin, knock-out and route.
          test                    Run rule tests: JSONL fixtures or YAML test files,
                                  with a diff for every failure.
          intake                  Submit applications (JSON Lines) to the store; print
                                  one acknowledgement per line once durable.
          status                  Show an application's outcome so far, its level, who
                                  holds it, the SLA due time and its timeline.
          case                    Work the approval queue as a user: take, claim,
                                  approve, decline, escalate, return, release, comment,
                                  reassign.
          users                   Add, list, disable and reset users (approvers, intake
                                  systems, risk admins, auditors).
          audit                   Verify, export and checkpoint the tamper-evident
                                  audit trail.
          serve                   Serve the line protocol (docs/PROTOCOL.md) to
                                  approvers and intake systems.
          client                  Connect to a RiskGate server and work the approval
                                  queue interactively.
          totp                    Print the current TOTP code for a base32 secret (RFC
                                  6238, SHA-1, 6 digits, 30 s).

          See 'riskgate help <subcommand>' for detailed help.

        """)
    }

    @Test func badArgumentsAreRejected() throws {
        let result = try riskgate(["score", "--threads", "0"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("Error: --threads must be at least 1\n"))
    }
}
