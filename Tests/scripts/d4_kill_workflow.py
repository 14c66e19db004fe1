#!/usr/bin/env python3
"""D4: SIGKILL `riskgate case` at random moments during claim, approve, decline and escalate (20+ runs).

Each run starts one action as one of 8 approvers and kills it after a random delay, so some actions die before,
during or after their transaction. Pass: every case is in exactly one valid state; every decided case has
exactly one decision record and one audit record per decided level; no level is decided twice; every
acknowledged action is in the history; PRAGMA integrity_check is ok; the audit chain verifies. Restart policy:
claims survive a crash and are kept until their lease expires.
Usage: d4_kill_workflow.py [RUNS]
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

from common import RULES, application, binary, check, read_store, riskgate, workdir

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
random.seed(int(os.environ.get("SEED", "4")))
db = os.path.join(workdir("d4"), "d4.sqlite")
riskgate("users", "add", "--db", db, "branch", "--role", "intake")
approvers = [f"a{i}" for i in range(8)]
for name in approvers:
    riskgate("users", "add", "--db", db, name, "--tier", "3", "--role", "approver")
payload = "".join(application(i, referred=True) + "\n" for i in range(60))
riskgate("intake", "--rules", RULES, "--db", db, "--as", "branch", "-", input=payload)

tokens = {}          # approver -> (case, token) of a claim we saw acknowledged
acknowledged = []    # (approver, action, case)


def attempt(args, kill_after):
    process = subprocess.Popen([binary(), "case", *args, "--db", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate()
    return process.returncode, out.strip()


# The first runs are not killed: they measure how long an action takes here, so that later kills land before,
# during and after the transaction.
durations = []
killed = 0
for run in range(runs):
    who = random.choice(approvers)
    if who in tokens and random.random() < 0.8:
        case, token = tokens.pop(who)
        kind = random.choice(["approve", "approve", "decline", "escalate"])
        args = {"approve": ["approve", case, token], "decline": ["decline", case, token, "--reason", "D4_TEST"],
                "escalate": ["escalate", case, token, "--tier", "3", "--note", "drill"]}[kind]
    else:
        kind, args = "take", ["take"]
    calibrating = len(durations) < 5
    kill_after = None if calibrating else random.uniform(0.5, 1.6) * sorted(durations)[len(durations) // 2]
    started = time.monotonic()
    code, out = attempt([*args[:1], "--as", who, *args[1:]], kill_after)
    if calibrating:
        durations.append(time.monotonic() - started)
    if code == 0 and out:
        reply = json.loads(out)
        acknowledged.append((who, reply["action"], reply["case_id"]))
        if reply.get("token"):
            tokens[who] = (reply["case_id"], reply["token"])
    elif code < 0:
        killed += 1
    print(f"run {run + 1}: {who} {kind}: {'killed' if code < 0 else 'exit ' + str(code)}")

check(killed > 0, f"{killed} of {runs} actions were killed mid-flight")
connection = read_store(db)
q = lambda sql: connection.execute(sql).fetchall()
states = q("SELECT status, count(*) FROM cases_by_number GROUP BY status")
check(all(s in ("queued", "claimed", "returned", "approved", "declined") for s, _ in states), f"every case is in one valid state {dict(states)}")
decided = q("SELECT id, status FROM cases_by_number WHERE status IN ('approved', 'declined')")
records = dict(q("SELECT case_id, count(*) FROM case_decisions_by_number GROUP BY case_id"))
check(all(records.get(case) == 1 for case, _ in decided) and len(records) == len(decided),
      f"each of the {len(decided)} decided cases has exactly one decision record")
levels = dict(q("SELECT case_id || ':' || level, count(*) FROM case_levels_by_number WHERE outcome IS NOT NULL GROUP BY case_id, level"))
audits = q("SELECT subject, count(*) FROM audit WHERE action IN ('case.approve', 'case.decline') GROUP BY subject")
decided_levels = dict(q("SELECT case_id, count(*) FROM case_levels_by_number WHERE outcome IS NOT NULL GROUP BY case_id"))
check(all(count == 1 for count in levels.values()), "no level is decided twice")
check(dict(audits) == decided_levels, "one audit record per decided level")
history = {(actor, action, case) for actor, action, case in q("SELECT actor, action, application_id FROM history_by_number")}
check(all(entry in history for entry in acknowledged), f"all {len(acknowledged)} acknowledged actions are in the history")
claimed = q("SELECT count(*) FROM cases_by_number WHERE status = 'claimed' AND lease_token IS NOT NULL")[0][0]
print(f"restart policy: {claimed} claims survived the crashes and are kept until their lease expires")
check(q("PRAGMA integrity_check")[0][0] == "ok", "integrity_check is ok")
connection.close()
verify = riskgate("audit", "verify", "--db", db, check=False)
check(verify.returncode == 0, f"the audit chain verifies ({verify.stdout.strip()})")
