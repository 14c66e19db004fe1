"""Shared helpers for the durability scripts (test tooling; the product never runs Python)."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = os.path.join(ROOT, "rules")


def binary():
    path = os.environ.get("RISKGATE", os.path.join(ROOT, ".build", "debug", "riskgate"))
    if not os.access(path, os.X_OK):
        sys.exit(f"no riskgate binary at {path}; build it first (swift build --product riskgate)")
    return path


def workdir(name):
    return tempfile.mkdtemp(prefix=f"riskgate-{name}-")


def riskgate(*args, check=True, **kwargs):
    return subprocess.run([binary(), *args], check=check, capture_output=True, text=True, **kwargs)


def application(i, referred=False):
    """A reference-policy application; referred ones (grade C, route R7) open a tier-1 case."""
    if referred:
        applicant = {"age": 40, "annual_income": 20000, "employment_status": "employed", "employment_years": 2,
                     "credit_score": 580, "monthly_debt": 0, "delinquencies_24m": 1}
    else:
        applicant = {"age": 30 + i % 40, "annual_income": 40000 + (i % 97) * 1000, "employment_status": "employed",
                     "employment_years": 1 + i % 9, "credit_score": 600 + i % 200, "monthly_debt": i % 700}
    return json.dumps({"application_id": f"APP-{i:06d}", "product": "personal", "amount": 5000 + (i % 40) * 1000,
                       "term_months": 36, "applicant": applicant, "documents": ["id", "income_proof"]},
                      separators=(",", ":"))


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}")
        sys.exit(1)
    print(f"ok: {message}")


# The store keys its rows by an integer per application number (`application_numbers`); these views show them by
# number, as the checks read them. Temporary: they live in this connection only, and the file stays read-only.
# (table, the name the number takes in its view)
NUMBERED_TABLES = (("applications", "id"), ("decisions", "application_id"), ("cases", "id"),
                   ("case_levels", "case_id"), ("case_decisions", "case_id"), ("history", "application_id"))


def read_store(path):
    """A read-only connection to a store file, with the `*_by_number` views."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    for table, number in NUMBERED_TABLES:
        connection.execute(f"""CREATE TEMP VIEW {table}_by_number AS SELECT n.number AS {number}, t.* FROM main.{table} t
                               JOIN main.application_numbers n ON n.key = t.application""")
    return connection
