#!/usr/bin/env python3
"""Regenerates the committed seed corpus (fuzz/corpus/) from rules/*.yaml and the fixtures.

    python3 fuzz/make-seeds.py

rules/: each reference rule file, all of them concatenated into one file, the rule files of docs/examples and
fixtures/diagnostics, and hand-made variants aimed at the
reader's defences (anchors, aliases, tags, billion laughs, deep nesting, several documents, flow style, long
scalars) and at the checker (bad expressions, patterns, ranges, duplicate names, cycles, unknown keys).
expressions/: a selector byte and an expression, from the rules and docs/examples, plus edge cases.
applications/: one file per distinct application in fixtures/applications.jsonl and fixtures/fixtures.jsonl,
plus a few edge cases (BOM, escapes, deep nesting, huge numbers, duplicate keys).
Existing files with other names are left alone (corpus entries added by hand or merged from fuzz/out/).
"""
import glob, json, os, re, sys

try:
    import yaml  # PyYAML, only to pull expressions out of rule files for the expressions corpus
except ImportError:
    yaml = None

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def rules_seeds():
    out = os.path.join(FUZZ, "corpus", "rules")
    names = sorted(n for n in os.listdir(os.path.join(ROOT, "rules"))
                   if n.endswith((".yaml", ".yml")) and ".test." not in n)
    texts = {}
    for n in names:
        with open(os.path.join(ROOT, "rules", n)) as f:
            texts[n] = f.read()
        write(out, "ref-" + n, texts[n])
    write(out, "ref-all-in-one.yaml", "\n".join(texts[n] for n in names))
    scoring = texts.get("scoring.yaml", "")
    routing = texts.get("routing.yaml", "")
    inputs = texts.get("input.yaml", "")
    validation = texts.get("validation.yaml", "")

    variants = {
        # Reader defences (RELIABILITY.md Y1-Y3).
        "yaml-anchor-alias.yaml": "fields:\n  amount: &num\n    type: number\n  other: *num\n",
        "yaml-anchor-scalar.yaml": "values:\n  x: &e amount * 2\n  y: *e\n",
        "yaml-merge-key.yaml": "base: &b {type: number}\nfields:\n  amount:\n    <<: *b\n    required: true\n",
        "yaml-billion-laughs.yaml": "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
                      f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(8)),
        "yaml-tags.yaml": "fields:\n  amount:\n    type: !!str number\n    range: !custom [1, 2]\n",
        "yaml-directives.yaml": "%YAML 1.1\n%TAG ! tag:example.com,2000:\n---\npolicy: {name: x}\n...\n",
        "yaml-two-documents.yaml": "policy:\n  name: one\n---\npolicy:\n  name: two\n",
        "yaml-deep-flow.yaml": "fields: " + "[" * 200 + "]" * 200 + "\n",
        "yaml-deep-block.yaml": "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "v\n",
        "yaml-deep-mapping-flow.yaml": "values: " + "{a: " * 100 + "1" + "}" * 100 + "\n",
        "yaml-complex-key.yaml": "fields:\n  ? [a, b]\n  : {type: number}\n  ? {x: 1}\n  : 2\n",
        "yaml-duplicate-keys.yaml": "fields:\n  amount: {type: number}\n  amount: {type: integer}\n",
        "yaml-block-scalars.yaml": "values:\n  a: |\n    amount +\n    1\n  b: >-\n    amount\n    * 2\n  c: |+\n    amount\n\n",
        "yaml-quoted.yaml": "values:\n  \"a\\tb\": 'it''s'\n  c: \"\\u00e9\\x41\\N\\_\\L\\P\"\n",
        "yaml-crlf-bom.yaml": "\ufeffpolicy:\r\n  name: crlf\r\nfields:\r\n  amount:\r\n    type: number\r\n",
        "yaml-flow-everything.yaml": "{policy: {name: flow}, fields: {amount: {type: number, required: true}},"
                                     " routing: [{route: R1, outcome: approved}]}\n",
        "yaml-long-scalar.yaml": "policy:\n  name: " + "x" * 5000 + "\n",
        "yaml-not-a-mapping.yaml": "- fields\n- routing\n",
        "yaml-scalar-root.yaml": "just a scalar\n",
        "yaml-empty.yaml": "",
        "yaml-comment-only.yaml": "# nothing here\n",
        "yaml-null-values.yaml": "policy: ~\nfields: null\nrouting:\n",
        "yaml-bad-indent.yaml": "fields:\n  amount:\n   type: number\n    required: true\n",
        "yaml-unterminated.yaml": "fields: {amount: [1, 2\nvalues: \"abc\n",
        "yaml-tab-indent.yaml": "fields:\n\tamount:\n\t\ttype: number\n",
        "yaml-unicode.yaml": "policy:\n  name: \"r\u00e8gle \U0001F600 \u202e\"\nfields:\n  \u00e9:\n    type: number\n",
        # Checker and compiler (whole rule sets, on top of the reference files they stand in for).
        "rules-minimal.yaml": "fields:\n  amount:\n    type: number\n    required: true\nrouting:\n  - route: R1\n    outcome: approved\n",
        "rules-minimal-scorecard.yaml": "fields:\n  x: {type: number, required: true}\nscorecard:\n  base: 0\n"
            "  characteristics:\n    - name: c\n      value: x\n      bins:\n        - {range: \"[-inf, inf]\", points: 1}\n"
            "grades:\n  - {grade: A}\nrouting:\n  - {route: R1, outcome: approved}\n",
        "rules-error-codes.yaml": "policy:\n  name: codes\n  error_codes: {required: MISSING, type: WRONG_TYPE, format: BAD, enum: BAD_ENUM,"
                                  " range: OUT, malformed_json: JUNK}\n",
        "rules-bad-expressions.yaml": "values:\n  a: amount +\n  b: (amount\n  c: amount = 1\n  d: amount && 1\n"
                                       "  e: 1e999999\n  f: unknown_field * 2\n  g: min()\n  h: max(amount)\n"
                                       "  i: if amount then 1\n  j: \"text\" + 1\n  k: amount ** ** 2\n  l: 1_000.5_0\n",
        "rules-cycle.yaml": "values:\n  a: b + 1\n  b: a + 1\n  c: c\n",
        "rules-functions.yaml": "values:\n  a: min(amount, 1, 2)\n  b: max(amount)\n  c: abs(-amount)\n  d: round(amount)\n"
                                 "  e: floor(amount / 3)\n  f: ceil(amount % 7)\n  g: len(documents)\n"
                                 "  h: coalesce(credit_score, 600)\n  i: if exists(credit_score) then 1 else 0\n"
                                 "  j: contains(documents, \"id\")\n  k: apr(product)\n  l: 0 / 0\n  m: -amount ** 0.5\n",
        "rules-patterns.yaml": "fields:\n  a: {type: string, pattern: \"[\"}\n  b: {type: string, pattern: \"a{2,1}\"}\n"
                                "  c: {type: string, pattern: \"(a|b)\"}\n  d: {type: string, pattern: \"[^\\\\d\\\\w\\\\s]{0,512}\"}\n"
                                "  e: {type: string, pattern: \"x{99999}\"}\n  f: {type: string, pattern: \"[z-a]\"}\n"
                                "  g: {type: string, pattern: \".*.*.*.*\"}\n  i: {type: string, pattern: '\\q[\\D]\\.\\-'}\n  h: {type: string, pattern: \"\\u00e9+[\\u0100-\\U0010FFFF]?\"}\n",
        "rules-ranges.yaml": "fields:\n  a: {type: number, range: \"[1, 0]\"}\n  b: {type: number, range: \"(inf, -inf)\"}\n"
                              "  c: {type: integer, range: [1]}\n  d: {type: number, range: \"[nan, 1]\"}\n"
                              "  e: {type: number, range: \"[1e308, 1e309)\"}\n  f: {type: integer, range: \"(0.5, 0.6)\"}\n",
        "rules-field-types.yaml": "fields:\n  a: {type: enum, values: []}\n  b: {type: enum, values: [x, x]}\n"
                                   "  c: {type: list, default: [a, b]}\n  d: {type: boolean, default: maybe}\n"
                                   "  e: {type: mystery}\n  f.g.h.i: {type: number}\n  f.g: {type: number}\n"
                                   "  \"\": {type: number}\n  x..y: {type: number}\n  z: {type: integer, default: 1.5}\n",
        "rules-ids.yaml": "fields:\n  a: {type: string, id: true}\n  b: {type: string, id: true}\n  c: {type: number, id: true}\n",
        "rules-routing-edge.yaml": "routing:\n  - route: R1\n    outcome: referred\n    levels: []\n    sla_hours: -1\n"
                                      "  - route: R1\n    outcome: approved\n  - route: \"R<script>\"\n    outcome: maybe\n"
                                      "    levels: [1, 2, 3, 4, 5, 99999999999]\n    sla_hours: 1e9\n",
        "rules-scorecard-edge.yaml": "scorecard:\n  base: -1e308\n  reasons: {max: 0}\n  characteristics:\n"
                                        "    - name: a\n      bins: []\n    - name: a\n      value: nope\n"
                                        "      bins:\n        - {equals: x, points: 1e308}\n        - {otherwise: true, points: -1e308}\n"
                                        "grades:\n  - {grade: A, min_score: 1}\n  - {grade: A, min_score: 2}\n",
        "rules-check-edge.yaml": "checks:\n  - code: X\n    field: nothere\n    when: true\n  - code: lower case\n"
                                    "    field: amount\n    when: amount\n  - {code: Y, field: amount, when: \"amount in []\"}\n"
                                    "  - {code: Z, field: product, when: \"product in [\\\"personal\\\", \\\"nope\\\"]\"}\n",
        "rules-knockouts-only.yaml": "knockouts:\n  - {code: K1, when: amount > 1}\n  - {code: K1, when: \"true\"}\n"
                                        "  - {code: K2, when: not not not exists(collateral_value)}\n",
        "rules-tables.yaml": "tables:\n  t:\n    key: product\n    values: {personal: 1}\n  u:\n    key: amount\n"
                               "    values: {a: 1}\n  apr:\n    key: product\n    values: {personal: 0.1, auto: 0.2, mortgage: 0.3, sme: 0.4}\n",
    }
    for name, text in variants.items():
        write(out, name, text)

    # Mutations of the real files, so the fuzzer starts close to a valid, deep rule set.
    mutations = {
        "mut-scoring-no-grades.yaml": re.sub(r"\ngrades:.*", "\n", scoring, flags=re.S),
        "mut-scoring-bins-swapped.yaml": scoring.replace("[300, 580)", "[580, 300)"),
        "mut-scoring-missing-value.yaml": scoring.replace("value: credit_score", "value: credit_scor"),
        "mut-scoring-self-ref.yaml": scoring.replace("ltv: amount / collateral_value", "ltv: ltv / collateral_value"),
        "mut-routing-no-default.yaml": routing.rsplit("  - route: R7", 1)[0],
        "mut-routing-unreachable.yaml": routing.replace("when: grade == \"E\"\n", ""),
        "mut-input-types.yaml": inputs.replace("type: integer", "type: number").replace("type: enum", "type: string"),
        "mut-input-required-default.yaml": inputs.replace("required: true", "required: true\n    default: 1"),
        "mut-validation-bad-field.yaml": validation.replace("field: amount", "field: applicant"),
        "mut-validation-anchor.yaml": validation.replace("  - code: PRODUCT_LIMIT\n    field: amount", "  - &c code: PRODUCT_LIMIT\n    field: amount", 1),
    }
    for name, text in mutations.items():
        write(out, name, text)

    # Every rule file of the documented examples and of the diagnostics fixtures (each case's files
    # concatenated too, so multi-file cases stay together in one input).
    for pattern, tag in (("docs/examples/**/*.yaml", "doc"), ("fixtures/diagnostics/*/*.yaml", "diag")):
        cases = {}
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            if ".test." in path:
                continue
            rel = os.path.relpath(path, ROOT)
            case = os.path.dirname(rel)
            with open(path, "rb") as f:
                cases.setdefault(case, []).append(f.read())
        for case, texts in cases.items():
            name = tag + "-" + re.sub(r"[^A-Za-z0-9]+", "-", case.split("/", 2)[-1]).strip("-")
            write(out, name + ".yaml", b"\n".join(texts))


def expression_seeds():
    """fuzz/corpus/expressions: a selector byte ('0'..'6' slot, +7 for a literal block) then an expression."""
    out = os.path.join(FUZZ, "corpus", "expressions")
    numeric, boolean = [], []
    if yaml is not None:
        paths = [p for p in glob.glob(os.path.join(ROOT, "rules", "*.yaml")) if ".test." not in p]
        paths += [p for p in glob.glob(os.path.join(ROOT, "docs", "examples", "**", "*.yaml"), recursive=True) if ".test." not in p]
        for path in sorted(paths):
            try:
                with open(path) as f:
                    doc = yaml.safe_load(f)
            except Exception:
                continue
            if not isinstance(doc, dict):
                continue

            def walk(node):
                if isinstance(node, dict):
                    for key, value in node.items():
                        if key == "when" and isinstance(value, str):
                            boolean.append(value)
                        elif key == "value" and isinstance(value, str):
                            numeric.append(value)
                        else:
                            walk(value)
                elif isinstance(node, list):
                    for item in node:
                        walk(item)

            walk(doc)
            values = doc.get("values")
            if isinstance(values, dict):
                numeric.extend(str(v) for v in values.values() if isinstance(v, (str, int, float)))
    numeric += ["amount / 12", "min(amount, 5, -1e308) ** 0.5", "if exists(credit_score) then credit_score else 0",
                "coalesce(credit_score, collateral_value, 1)", "len(documents) % 0", "-(-(-amount))", "1e309",
                "apr(product) * (1 + rate) ** term_months", "(" * 60 + "1" + ")" * 60, "abs(floor(ceil(round(-0.5))))",
                "amount " + "+ 1 " * 300, "1_0.5_5", "2 ** 1024", "0 / 0", "max()", "apr(\"personal\")",
                "round(amount, 2)", "round(amount, 16)", "round(amount, -1)", "coalesce(credit_score, product)",
                "apr(product, amount)", "apr(amount)", "len(documents, 1)", "min(amount)", "abs()", "floor(1, 2)",
                "if amount in [1000, 2000, 3000.5] then 1 else 0", "if credit_score in [700] then 2 else 3",
                "amount % 7 + -term_months ** -2", "apr(product) / (1 - (1 + rate) ** (-term_months))"]
    boolean += ["true", "not not not false", "amount > 1 and amount < 2 or not exists(collateral_value)",
                "product in [\"personal\", \"auto\"]", "product not in []", "contains(documents, \"x\")",
                "amount == amount", "1 < 2 < 3", "grade == \"A\"", "score > 700", "product == \"nope\"",
                "if amount > 1 then true else false", "\"a\" == product", "amount = 1", "amount && 1",
                "employment_status in [\"employed\", \"retired\"] and employment_years >= 2",
                "\u00e9 > 1", "amount\u0000 > 1", "amount >\n 1", "(" * 200 + "true" + ")" * 200,
                "amount in [1000, 2000, 1e9]", "term_months not in [12, 24, 36]", "credit_score in []",
                "contains(documents, 1)", "contains(amount, \"x\")", "contains(documents)", "exists(1)",
                "exists(amount, product)", "coalesce(credit_score, 500) > 600", "round(amount, 2) == 10000.01",
                "grade in [\"A\", \"Z\"]", "product == \"personal\" == true", "not amount",
                "employment_status < \"retired\"", "documents == documents", "application_id == \"x\""]
    seen = set()
    count = 0
    for slot_list, expressions in (((0, 5, 6), numeric), ((1, 2, 3, 4), boolean)):
        for i, expression in enumerate(expressions):
            slot = slot_list[i % len(slot_list)]
            for literal in (False, True) if "\n" in expression else (False,):
                data = bytes([ord("0") + slot + (7 if literal else 0)]) + expression.strip().encode()
                if data in seen:
                    continue
                seen.add(data)
                count += 1
                write(out, f"expr-{count:03d}.txt", data)


def application_seeds():
    out = os.path.join(FUZZ, "corpus", "applications")
    seen = []
    with open(os.path.join(ROOT, "fixtures", "applications.jsonl"), "rb") as f:
        for line in f.read().split(b"\n"):
            if line.strip() and line not in seen:
                seen.append(line)
    with open(os.path.join(ROOT, "fixtures", "fixtures.jsonl"), "rb") as f:
        for line in f.read().split(b"\n"):
            if not line.strip():
                continue
            try:
                app = json.loads(line)["application"]
            except (ValueError, KeyError, TypeError):
                continue
            raw = json.dumps(app, separators=(",", ":"), ensure_ascii=False).encode()
            if raw not in seen:
                seen.append(raw)
    for i, line in enumerate(seen, 1):
        write(out, f"fixture-{i:03d}.json", line)
    base = b'{"application_id":"E-1","product":"auto","amount":30000,"term_months":60,"collateral_value":40000,' \
           b'"applicant":{"age":30,"annual_income":50000,"employment_status":"self_employed","employment_years":1,' \
           b'"credit_score":640,"monthly_debt":100,"delinquencies_24m":1,"bankruptcies_5y":0},"documents":["id"]}'
    edge = {
        "edge-bom.json": b"\xef\xbb\xbf" + base,
        "edge-escapes.json": b'{"application_id":"E\\u002d2","product":"\\u0070ersonal","amount":1e4,"term_months":3.6e1,'
                             b'"applicant":{"age":40,"annual_income":6E4,"employment_status":"employed","employment_years":6,'
                             b'"credit_score":720},"documents":["\\ud83d\\ude00","\\ud800","income_proof"]}',
        "edge-duplicates.json": b'{"application_id":"A","application_id":"B","amount":1,"amount":2000,"applicant":{"age":1},'
                                b'"applicant":{"age":50}}',
        "edge-deep.json": b'{"x":' + b"[" * 127 + b"]" * 127 + b',"applicant":{"extra":' + b"{\"a\":" * 125 + b"1" + b"}" * 125 + b"}}",
        "edge-too-deep.json": b'{"x":' + b"[" * 128 + b"]" * 128 + b"}",
        "edge-numbers.json": b'{"application_id":"N","product":"sme","amount":-0.0,"term_months":12.0,'
                             b'"applicant":{"age":18.000000000000001,"annual_income":1e400,"employment_status":"retired",'
                             b'"credit_score":850.5,"monthly_debt":123456789012345678901234567890,"delinquencies_24m":-1}}',
        "edge-wrong-types.json": b'{"application_id":12,"product":["personal"],"amount":"10000","term_months":true,'
                                 b'"applicant":[],"documents":"id","collateral_value":{}}',
        "edge-id-format.json": b'{"application_id":"bad id\\n\\u001b[31m","product":"personal"}',
        "edge-whitespace.json": b' \t\r\n{ "application_id" : "W" , "documents" : [ ] } \r\n',
        "edge-not-object.json": b'[1,2,3]',
        "edge-scalar.json": b'"just a string"',
        "edge-trailing.json": b'{"application_id":"T"} x',
        "edge-invalid-utf8.json": b'{"application_id":"\xc0\xaf","product":"\xed\xa0\x80"}',
        "edge-control-char.json": b'{"application_id":"a\tb"}',
    }
    for name, data in edge.items():
        write(out, name, data)
    # For the wide policy (fuzz/policies/wide): booleans, nested and non-ASCII keys, the 52-text list.
    wide = {
        "wide-full.json": {"application_id": "AB-123", "kind": "日本", "flag": True, "strict_flag": False, "n": 12.5,
                           "i": 40, "deep": {"a": {"b": {"c": {"d": 3}, "e": "y"}}, "name": "x"}, "clé": {"ü": 4},
                           "free_text": "anything \u2028 at all", "tags": [f"t{k:02d}" for k in range(0, 60, 3)],
                           "other_list": ["x"]},
        "wide-types.json": {"application_id": "AB-1", "kind": "b c", "flag": "true", "strict_flag": 1, "i": 1.5,
                            "deep": {"a": {"b": {"c": {"d": "3"}}}}, "tags": ["t01", 2], "other_list": {}},
        "wide-minimal.json": {"application_id": "ZZ-9", "kind": "é"},
        "wide-strict.json": {"application_id": "XY-42", "kind": "a", "strict_flag": True, "tags": ["t51", "t50"]},
    }
    for name, value in wide.items():
        write(out, name, json.dumps(value, ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    rules_seeds()
    expression_seeds()
    application_seeds()
    print("seeds written to", os.path.join(FUZZ, "corpus"), file=sys.stderr)
