#!/usr/bin/env python3
"""D1 through the server: SIGKILL `riskgate serve` at 5 random points during COUNT submissions from 8 intake
clients pipelining SUBMIT at full rate, restart it each time, resubmit until every submission is acknowledged.

Kill points are random fractions of COUNT acknowledgements (so they land mid-load whatever the speed), plus a
random few milliseconds. Pass: every submission is acknowledged in the end; every acknowledged submission is
stored exactly once (one row, version 1); nothing is half-written (every stored application has its decision,
every referral its case, one intake audit record each); every restart is listening in under 5 s; PRAGMA
integrity_check is ok; `riskgate audit verify` passes.
Usage: d1_kill_server.py [COUNT | --full] [KILLS]    (default 2,000 submissions; --full: 10,000; 5 kills), SEED=…
"""
import os
import random
import sys
import threading
import time

from common import check
from server_common import Server, application_with_id, pipeline, size_argument

count = size_argument(2000, 10_000, __doc__)
kills = int(sys.argv[2]) if len(sys.argv) > 2 else 5
random.seed(int(os.environ.get("SEED", "1")))
CLIENTS = 8

server = Server("d1").start()
admin = server.admin_client()
for c in range(CLIENTS):
    server.add_user(admin, f"branch{c}", 0, "intake")
admin.close()

submissions = {c: {} for c in range(CLIENTS)}       # client -> {id: line}, in submission order
for i in range(count):
    app_id = f"D1-{i:06d}"
    submissions[i % CLIENTS][app_id] = "SUBMIT " + application_with_id(i, app_id, referred=i % 5 == 0)
pending = {c: dict(submissions[c]) for c in range(CLIENTS)}
acknowledged = {}          # id -> disposition of the first OK
refusals = []
ack_lock = threading.Lock()
thresholds = sorted(random.uniform(0.05, 0.9) * count for _ in range(kills))
restarts = []
run = 0

while any(pending.values()):
    run += 1
    if run > 1:
        server.start()
        restarts.append(server.ready_after)
    killing = run <= kills
    threshold = thresholds[run - 1] if killing else None
    stop = threading.Event()
    start_acked = len(acknowledged)

    def on_reply(key, line):
        with ack_lock:
            if line.startswith(b"OK "):
                if key not in acknowledged:
                    disposition = line.split(b'"disposition":"', 1)[1].split(b'"', 1)[0].decode()
                    acknowledged[key] = disposition
            else:
                refusals.append((key, line))

    def client_run(c):
        try:
            client = server.login(f"branch{c}", timeout=30)
        except (OSError, ConnectionError):
            return
        items = list(pending[c].items())
        pipeline(client, iter(items), window=64, stop=stop, on_reply=on_reply)
        client.close()

    threads = [threading.Thread(target=client_run, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    killed_at = None
    if killing:
        while len(acknowledged) < threshold and any(t.is_alive() for t in threads):
            time.sleep(0.001)
        time.sleep(random.uniform(0, 0.02))
        killed_at = len(acknowledged)
        server.kill()
    for t in threads:
        t.join(120)
    if not killing:
        code, took = server.stop()
        check(code == 0, f"the last run ends with SIGTERM, exit {code} after {took:.2f} s")
    for c in range(CLIENTS):
        for key in [k for k in pending[c] if k in acknowledged]:
            del pending[c][key]
    print(f"run {run}: {'killed at ' + str(killed_at) + ' acks' if killing else 'completed'}; acknowledged so far "
          f"{len(acknowledged)} (+{len(acknowledged) - start_acked}); pending {sum(map(len, pending.values()))}"
          + (f"; restart listening after {restarts[-1]:.2f} s" if run > 1 else ""))
    check(not refusals, f"run {run}: no submission was refused ({refusals[:2]})")
    check(run <= kills + 3, "the submissions complete within 3 runs after the last kill")

check(len(acknowledged) == count, f"all {count} submissions acknowledged in the end")
duplicates = sum(1 for d in acknowledged.values() if d == "duplicate")
print(f"{duplicates} submissions were stored before a kill but acknowledged only on resubmission ('duplicate')")
rows = server.query("SELECT id, count(*), max(version) FROM applications_by_number GROUP BY id")
stored = {row[0]: row[1] for row in rows}
check(all(stored.get(i) == 1 for i in acknowledged), "every acknowledged application is stored exactly once")
check(all(row[2] == 1 for row in rows), "every stored application is version 1 (no resubmission made a new version)")
check(set(stored) == set(acknowledged), f"nothing else is stored ({len(stored)} rows)")
orphans = server.query("""SELECT count(*) FROM applications_by_number a LEFT JOIN decisions_by_number d
                          ON d.application_id = a.id AND d.version = a.version WHERE d.application_id IS NULL""")[0][0]
check(orphans == 0, "every stored application has its decision")
missing_cases = server.query("""SELECT count(*) FROM decisions_by_number d LEFT JOIN cases_by_number c ON c.id = d.application_id
                                WHERE d.outcome = 'referred' AND c.id IS NULL""")[0][0]
check(missing_cases == 0, "every referral has its case")
referred = server.query("SELECT count(*) FROM decisions_by_number WHERE outcome = 'referred'")[0][0]
cases = server.query("SELECT count(*) FROM cases_by_number")[0][0]
check(cases == referred, f"{cases} cases for {referred} referrals")
audit = server.query("""SELECT action, subject, count(*) FROM audit WHERE subject LIKE 'D1-%'
                        AND action IN ('application.submit', 'application.decide', 'case.open') GROUP BY action, subject""")
per_action = {}
for action, subject, n in audit:
    per_action.setdefault(action, {})[subject] = n
for action, expected in (("application.submit", count), ("application.decide", count), ("case.open", referred)):
    found = per_action.get(action, {})
    check(len(found) == expected and all(n == 1 for n in found.values()),
          f"one {action} audit record per application ({len(found)} of {expected})")
check(all(r < 5 for r in restarts), f"every restart listens in under 5 s (max {max(restarts):.2f} s)")
server.verify_store(check)
print(f"FIGURES d1: submissions={count} kills={kills} runs={run} restart_max_s={max(restarts):.2f} "
      f"restart_mean_s={sum(restarts) / len(restarts):.2f} duplicates_on_resubmit={duplicates}")
