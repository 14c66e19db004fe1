#!/usr/bin/env python3
"""D1: SIGKILL `riskgate intake` at 5 random points during 10,000 submissions, then restart.

Pass: every acknowledged submission is present exactly once; nothing unacknowledged is half-written
(every stored application has its decision, every referral its case); the audit chain verifies;
PRAGMA integrity_check is ok; opening the database again takes under 5 s.
Usage: d1_kill_intake.py [COUNT] [KILLS]   (RISKGATE=path/to/binary to choose the build)
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

from common import RULES, application, binary, check, read_store, riskgate, workdir

count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
kills = int(sys.argv[2]) if len(sys.argv) > 2 else 5
random.seed(int(os.environ.get("SEED", "1")))
db = os.path.join(workdir("d1"), "d1.sqlite")
riskgate("users", "add", "--db", db, "branch", "--role", "intake")
lines = [(application(i, referred=i % 5 == 0) + "\n").encode() for i in range(count)]
acknowledged = set()


def run_intake(kill_after):
    process = subprocess.Popen([binary(), "intake", "--rules", RULES, "--db", db, "--as", "branch", "-"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def feed():
        try:
            for line in lines:
                process.stdin.write(line)
            process.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    def read():
        for raw in process.stdout:
            if not raw.endswith(b"\n"):
                break  # the last line, torn by the kill: not an acknowledgement
            ack = json.loads(raw)
            if "error" not in ack:
                acknowledged.add(ack["application_id"])

    writer, reader = threading.Thread(target=feed), threading.Thread(target=read)
    writer.start()
    reader.start()
    if kill_after is not None:
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
    process.wait()
    reader.join()
    writer.join()
    return process.returncode


for k in range(kills):
    before = len(acknowledged)
    code = run_intake(random.uniform(0.3, 2.0))
    print(f"run {k + 1}: killed (exit {code}); acknowledged so far {len(acknowledged)} (+{len(acknowledged) - before})")

started = time.monotonic()
riskgate("users", "list", "--db", db)
restart = time.monotonic() - started
code = run_intake(None)
check(code == 0, f"the last run completes (exit {code})")
check(len(acknowledged) == count, f"all {count} submissions acknowledged in the end")
check(restart < 5, f"reopening the database takes {restart:.2f} s (< 5 s)")

connection = read_store(db)
rows = connection.execute("SELECT id, count(*) FROM applications_by_number GROUP BY id").fetchall()
stored = {row[0]: row[1] for row in rows}
check(all(stored.get(i) == 1 for i in acknowledged), "every acknowledged application is stored exactly once")
check(set(stored) == acknowledged, "nothing else is stored")
orphans = connection.execute("""SELECT count(*) FROM applications_by_number a LEFT JOIN decisions_by_number d
                                ON d.application_id = a.id AND d.version = a.version WHERE d.application_id IS NULL""").fetchone()[0]
check(orphans == 0, "every stored application has its decision")
missing_cases = connection.execute("""SELECT count(*) FROM decisions_by_number d LEFT JOIN cases_by_number c ON c.id = d.application_id
                                      WHERE d.outcome = 'referred' AND c.id IS NULL""").fetchone()[0]
check(missing_cases == 0, "every referral has its case")
check(connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check is ok")
connection.close()
verify = riskgate("audit", "verify", "--db", db, check=False)
check(verify.returncode == 0, f"the audit chain verifies ({verify.stdout.strip()})")
