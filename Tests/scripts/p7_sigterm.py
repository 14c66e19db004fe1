#!/usr/bin/env python3
"""P7: SIGTERM under load.

8 intake clients pipeline SUBMITs (64 in flight each); an approver holds two claims on a connection that stays
open. After a moment of load the server gets SIGTERM. Pass, every run: new connections are refused within
0.5 s; every reply that arrives is `OK` or `ERR shutting-down`, each a whole line; no submission the server
stored is left without its reply (an in-flight command finishes and answers); the process exits 0 within
10 s; every acknowledged submission is stored exactly once (and has its decision); the approver's claims are
released (their cases are 'queued' again); PRAGMA integrity_check is ok and `riskgate audit verify` passes.
Usage: p7_sigterm.py [RUNS | --full]    (default 2 runs; --full: 10), SEED=… for other load durations
"""
import json
import os
import random
import signal
import socket
import threading
import time

from common import check
from server_common import Server, application_with_id, parse_ok, pipeline, size_argument

runs = size_argument(2, 10, __doc__)
random.seed(int(os.environ.get("SEED", "7")))
CLIENTS = 8
server = Server("p7")
# The server also exports signed audit checkpoints; the one written at shutdown must cover the last record.
checkpoints = os.path.join(server.dir, "checkpoints.jsonl")
server.extra += ["--audit-checkpoints", checkpoints, "--checkpoint-interval", "0.5"]
server.start()
admin = server.admin_client()
for c in range(CLIENTS):
    server.add_user(admin, f"branch{c}", 0, "intake")
for run in range(runs):
    server.add_user(admin, f"appr{run}", 1, "approver")
admin.close()

acknowledged = {}          # application id -> count of OK replies
stored_unanswered = []
figures = []
for run in range(runs):
    if run:
        server.start()
    # Two cases for the approver to hold.
    intake = server.login("branch0")
    held_cases = []
    for k in range(2):
        app_id = f"P7R{run}-CASE-{k}"
        reply = intake.ok("SUBMIT " + application_with_id(k, app_id, referred=True))
        check(reply.get("case_status") == "queued", f"{app_id} opens a case")
        acknowledged[app_id] = acknowledged.get(app_id, 0) + 1
    intake.close()
    approver = server.login(f"appr{run}")
    for k in range(2):
        held_cases.append(approver.ok(f"CLAIM P7R{run}-CASE-{k}")["case_id"])
    check(sorted(held_cases) == [f"P7R{run}-CASE-0", f"P7R{run}-CASE-1"], f"the approver holds {held_cases}")

    clients = [server.login(f"branch{c}") for c in range(CLIENTS)]
    results = [None] * CLIENTS
    stop = threading.Event()

    def load(c):
        def requests():
            i = 0
            while True:
                app_id = f"P7R{run}C{c}-{i:06d}"
                yield app_id, "SUBMIT " + application_with_id(i, app_id, referred=i % 5 == 0)
                i += 1
        results[c] = pipeline(clients[c], requests(), window=64, stop=stop)

    threads = [threading.Thread(target=load, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(random.uniform(0.8, 2.0))
    pid = server.pid
    signalled = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    # Probe the listener until it refuses.
    refused_after = None
    while time.monotonic() - signalled < 3:
        try:
            probe = socket.create_connection(("127.0.0.1", server.port), timeout=0.2)
            probe.close()
        except (ConnectionRefusedError, socket.timeout, OSError):
            refused_after = time.monotonic() - signalled
            break
        time.sleep(0.01)
    try:
        code = server.process.wait(15)
    except Exception:
        server.process.kill()
        code = None
    exit_after = time.monotonic() - signalled
    stop.set()
    for t in threads:
        t.join(30)
    # The approver's connection: it ends (with or without a final event).
    approver.wait_closed(2)
    approver.close()
    for client in clients:
        client.close()

    resets = sum(1 for client in clients if client.reset)
    replies = {"ok": 0, "shutting-down": 0, "other": []}
    unanswered = 0
    errors = []
    for answered, missing, error in results:
        unanswered += len(missing)
        if error is not None:
            errors.append(error)
        for key, line in answered:
            if line.startswith(b"OK"):
                parse_ok(line)
                replies["ok"] += 1
                acknowledged[key] = acknowledged.get(key, 0) + 1
            elif line.startswith(b"ERR shutting-down"):
                replies["shutting-down"] += 1
            else:
                replies["other"].append(line)
        lost = [key for key in missing if server.query("SELECT count(*) FROM applications_by_number WHERE id = ?", key)[0][0]]
        if lost:
            print(f"  a client got {len(answered)} replies (last {answered[-1][0] if answered else None}), then the connection ended; "
                  f"{len(lost)} of its {len(missing)} unanswered submissions are stored: {lost[:3]}…")
        stored_unanswered.extend(lost)
    print(f"run {run + 1}: SIGTERM after load; listener refused after {refused_after if refused_after is None else f'{refused_after * 1000:.0f} ms'}; "
          f"exit {code} after {exit_after:.2f} s; replies: {replies['ok']} OK, {replies['shutting-down']} ERR shutting-down, "
          f"{len(replies['other'])} other; {unanswered} sent but unanswered; {resets} of {CLIENTS} connections ended by a reset; read errors: {errors[:2]}")
    check(refused_after is not None and refused_after <= 0.5, f"run {run + 1}: new connections refused within 0.5 s ({refused_after})")
    check(code == 0, f"run {run + 1}: exit status 0 (got {code})")
    check(exit_after <= 10, f"run {run + 1}: exited within 10 s ({exit_after:.2f} s)")
    check(not replies["other"], f"run {run + 1}: every reply is OK or ERR shutting-down ({replies['other'][:2]})")
    check(not errors, f"run {run + 1}: every reply arrived as a whole line before the connection closed ({errors[:2]})")
    check(replies["ok"] > 0, f"run {run + 1}: submissions were acknowledged under load ({replies['ok']})")
    check(not stored_unanswered, f"run {run + 1}: no stored submission is left without its reply ({stored_unanswered[:5]})")
    states = dict(server.query(f"SELECT id, status FROM cases_by_number WHERE id IN ('{held_cases[0]}', '{held_cases[1]}')"))
    check(all(states.get(case) == "queued" for case in held_cases), f"run {run + 1}: the held claims were released at shutdown ({states})")
    figures.append((refused_after, exit_after, replies["ok"], replies["shutting-down"], unanswered))

rows = dict(server.query("SELECT id, count(*) FROM applications_by_number GROUP BY id"))
check(all(rows.get(app_id) == 1 for app_id in acknowledged), f"each of the {len(acknowledged)} acknowledged submissions is stored exactly once")
check(all(n == 1 for n in acknowledged.values()), "no submission was acknowledged twice")
orphans = server.query("""SELECT count(*) FROM applications_by_number a LEFT JOIN decisions_by_number d
                          ON d.application_id = a.id AND d.version = a.version WHERE d.application_id IS NULL""")[0][0]
check(orphans == 0, "every stored application has its decision")
missing_cases = server.query("""SELECT count(*) FROM decisions_by_number d LEFT JOIN cases_by_number c ON c.id = d.application_id
                                WHERE d.outcome = 'referred' AND c.id IS NULL""")[0][0]
check(missing_cases == 0, "every referral has its case")
server.verify_store(check)
with open(checkpoints) as handle:
    exported = [json.loads(line) for line in handle if line.strip()]
head = server.query("SELECT max(seq) FROM audit")[0][0]
check(len(exported) >= runs and exported[-1]["seq"] == head,
      f"the checkpoint exported at the last shutdown covers the last audit record ({len(exported)} checkpoints, last {exported[-1]['seq'] if exported else None}, head {head})")
code, text = server.audit_verify("--checkpoints", checkpoints)
check(code == 0 and f"{len(exported)} checkpoints" in text, f"riskgate audit verify --checkpoints: exit {code}: {text}")
worst_refuse = max(f[0] for f in figures)
worst_exit = max(f[1] for f in figures)
print(f"FIGURES p7: runs={runs} listener_refused_max_ms={worst_refuse * 1000:.0f} exit_max_s={worst_exit:.2f} "
      f"acked_total={sum(f[2] for f in figures)} shutting_down_total={sum(f[3] for f in figures)} unanswered_total={sum(f[4] for f in figures)}")
