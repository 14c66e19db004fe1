#!/usr/bin/env python3
"""D4 through the server: 8 approver clients work cases (NEXT, then APPROVE, DECLINE or ESCALATE) while
`riskgate serve` is killed with SIGKILL at a random moment, RUNS times; then a last run drains the queue.

Cases: tier-1 referrals (one level) and R2 referrals (tier 2 then tier 3, four eyes). Each run logs in 8 fresh
approvers (tier 3, distinct users; the server must give a multi-level case's second level to someone else). The
server runs with --lease 4, so claims orphaned by a kill are kept until their lease expires (the documented
restart policy), then taken by the next run. Pass: every case ends in exactly one valid state and, after the
drain, decided; each decided case has exactly one decision record (case_decisions) matching its last level; one
case.approve/case.decline audit record per decided level; no level decided twice; no user decided two levels
of one case; every acknowledged action is in the history; a claim acknowledged before a kill was not taken by
someone else before its lease expired; PRAGMA integrity_check is ok; `riskgate audit verify` passes.
Usage: d4_kill_server.py [RUNS | --full]    (default 5 killed runs; --full: 20), SEED=…
"""
import json
import os
import random
import threading
import time

from common import check
from server_common import Server, ServerError, application_with_id, size_argument

runs = size_argument(5, 20, __doc__)
random.seed(int(os.environ.get("SEED", "4")))
APPROVERS = 8
LEASE = 4.0
CASES = 40 * runs + 80

server = Server("d4", ["--lease", str(LEASE)]).start()
admin = server.admin_client()
server.add_user(admin, "branch", 0, "intake")
for run in range(runs + 1):
    for a in range(APPROVERS):
        server.add_user(admin, f"r{run}a{a}", 3, "approver")
admin.close()

# fixtures FX-062: route R2, tier 2 then tier 3
TWO_LEVEL = {"product": "mortgage", "amount": 600000, "term_months": 360,
             "applicant": {"age": 50, "annual_income": 250000, "employment_status": "employed", "employment_years": 12,
                           "credit_score": 720, "monthly_debt": 300, "delinquencies_24m": 0, "bankruptcies_5y": 0},
             "documents": ["id", "income_proof"], "collateral_value": 900000}
intake = server.login("branch")
case_ids = []
for i in range(CASES):
    two_level = i % 3 == 0
    body = json.loads(application_with_id(i, f"D4-{i:05d}", referred=True))
    if two_level:
        body = dict(TWO_LEVEL, application_id=f"D4-{i:05d}")
    reply = intake.ok("SUBMIT " + json.dumps(body, separators=(",", ":")))
    check(reply.get("case_status") == "queued", f"D4-{i:05d} opens a case") if i < 1 or (two_level and i < 4) else None
    if reply.get("case_status") == "queued":
        case_ids.append(reply["application_id"])
intake.close()
levels = dict(server.query("SELECT id, level_count FROM cases_by_number"))
print(f"{CASES} submissions opened {len(levels)} cases ({sum(1 for n in levels.values() if n == 2)} with two levels)")
check(len(levels) == len(case_ids) and sum(1 for n in levels.values() if n == 2) > 0, "the cases include two-level ones")

acknowledged = []          # (user, action, case)
claims = []                # (user, case, token, acknowledged at)
ack_lock = threading.Lock()


def approver(name, stop, rng):
    try:
        client = server.login(name, timeout=20)
    except (OSError, ConnectionError, ServerError):
        return
    idle_rounds = 0
    try:
        while not stop.is_set():
            try:
                claim = client.ok("NEXT")
            except ServerError as error:
                if error.code == "not-found":
                    idle_rounds += 1
                    if idle_rounds > 40 and stop.drain:
                        return
                    time.sleep(0.1)
                    continue
                raise
            idle_rounds = 0
            case, token = claim["case_id"], claim["token"]
            with ack_lock:
                acknowledged.append((name, "claim", case))
                claims.append((name, case, token, time.time()))
            roll = rng.random()
            if roll < 0.55 or claim["tier"] >= 3:
                kind, line = "approve", f"APPROVE {case} {token}"
            elif roll < 0.8:
                kind, line = "decline", f"DECLINE {case} {token} D4_TEST"
            else:
                kind, line = "escalate", f"ESCALATE {case} {token} {claim['tier'] + 1} drill"
            try:
                outcome = client.ok(line)
            except ServerError as error:
                # A refusal changes nothing; note it (lease-expired can happen to slow clients).
                with ack_lock:
                    acknowledged.append((name, "refused-" + error.code, case))
                continue
            with ack_lock:
                acknowledged.append((name, kind, case))
    except (OSError, ConnectionError):
        return
    finally:
        client.close()


class Stop(threading.Event):
    drain = False


for run in range(runs + 1):
    if run:
        server.start()
    draining = run == runs
    stop = Stop()
    stop.drain = draining
    threads = [threading.Thread(target=approver, args=(f"r{run}a{a}", stop, random.Random(run * 100 + a)))
               for a in range(APPROVERS)]
    before = len(acknowledged)
    for t in threads:
        t.start()
    if draining:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            open_cases = server.query("SELECT count(*) FROM cases_by_number WHERE status NOT IN ('approved', 'declined')")[0][0]
            if open_cases == 0:
                break
            time.sleep(0.25)
        stop.set()
        for t in threads:
            t.join(30)
        code, took = server.stop()
        check(code == 0, f"the drain run ends with SIGTERM, exit {code} after {took:.2f} s")
    else:
        time.sleep(random.uniform(0.3, 1.5))
        server.kill()
        stop.set()
        for t in threads:
            t.join(30)
    print(f"run {run + 1}: {'drained' if draining else 'killed'} after {len(acknowledged) - before} acknowledged actions")

q = server.query
states = dict(q("SELECT status, count(*) FROM cases_by_number GROUP BY status"))
check(set(states) <= {"queued", "claimed", "returned", "approved", "declined"}, f"every case is in one valid state {states}")
check(set(states) <= {"approved", "declined"}, f"after the drain every case is decided {states}")
decided = dict(q("SELECT id, status FROM cases_by_number WHERE status IN ('approved', 'declined')"))
records = q("SELECT case_id, outcome, count(*) FROM case_decisions_by_number GROUP BY case_id")
check(len(records) == len(decided) and all(n == 1 and decided.get(case) == outcome for case, outcome, n in records),
      f"each of the {len(decided)} decided cases has exactly one decision record, matching its state")
level_counts = q("SELECT case_id, level, count(*) FROM case_levels_by_number WHERE outcome IS NOT NULL GROUP BY case_id, level")
check(all(n == 1 for _, _, n in level_counts), "no level is decided twice")
four_eyes = q("SELECT case_id, decided_by, count(*) FROM case_levels_by_number WHERE decided_by IS NOT NULL GROUP BY case_id, decided_by HAVING count(*) > 1")
check(not four_eyes, f"no user decided two levels of one case ({four_eyes[:3]})")
decided_levels = dict(q("SELECT case_id, count(*) FROM case_levels_by_number WHERE outcome IS NOT NULL GROUP BY case_id"))
audits = dict(q("SELECT subject, count(*) FROM audit WHERE action IN ('case.approve', 'case.decline') GROUP BY subject"))
check(audits == decided_levels, f"one audit record per decided level ({sum(audits.values())} records, {sum(decided_levels.values())} levels)")
last_level = q("""SELECT d.case_id FROM case_decisions_by_number d JOIN case_levels_by_number l ON l.case_id = d.case_id
                  WHERE l.outcome IS NOT NULL AND l.level = (SELECT max(level) FROM case_levels_by_number WHERE case_id = d.case_id AND outcome IS NOT NULL)
                  AND (l.outcome != d.outcome OR l.decided_by != d.decided_by)""")
check(not last_level, f"each decision record matches the level that decided it ({last_level[:3]})")
two_level_approved = q("""SELECT count(*) FROM cases_by_number c WHERE c.level_count = 2 AND c.status = 'approved'
                          AND (SELECT count(DISTINCT decided_by) FROM case_levels_by_number WHERE case_id = c.id AND outcome = 'approved') != 2""")[0][0]
check(two_level_approved == 0, "every approved two-level case was approved at both levels by two different approvers")
history = {(actor, action, case) for actor, action, case in q("SELECT actor, action, application_id FROM history_by_number")}
done = [entry for entry in acknowledged if not entry[1].startswith("refused-")]
missing = [entry for entry in done if entry not in history]
check(not missing, f"all {len(done)} acknowledged actions are in the history ({missing[:3]})")
# Restart policy: a claim acknowledged before a kill is kept until its lease expires — nobody else claims that
# case before then.
claim_rows = q("SELECT application_id, actor, at FROM history_by_number WHERE action = 'claim' ORDER BY id")
by_case = {}
for case, actor, at in claim_rows:
    by_case.setdefault(case, []).append((actor, at))
early = []
for case, entries in by_case.items():
    for (first, at1), (second, at2) in zip(entries, entries[1:]):
        if first != second and at2 < at1 + LEASE - 0.5:
            # Taken over before the lease ran out: only fine if the first holder released or acted in between.
            acted = q("""SELECT count(*) FROM history_by_number WHERE application_id = ? AND actor = ? AND at >= ? AND at <= ?
                         AND action != 'claim'""", case, first, at1, at2)[0][0]
            if not acted:
                early.append((case, first, second, round(at2 - at1, 2)))
check(not early, f"no claim was taken over before its lease expired ({early[:3]})")
refused = [entry for entry in acknowledged if entry[1].startswith("refused-")]
print(f"{len(done)} acknowledged actions, {len(refused)} refused ({sorted(set(e[1] for e in refused))})")
server.verify_store(check)
print(f"FIGURES d4: killed_runs={runs} cases={len(case_ids)} acknowledged_actions={len(done)} refused={len(refused)} states={states}")
