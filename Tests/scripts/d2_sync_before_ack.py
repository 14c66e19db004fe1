#!/usr/bin/env python3
"""D2: sync before ack, proven with strace.

100 submissions, one at a time (--window 1). Under `strace -f -y -e trace=fdatasync,fsync,write,pwrite64,pwritev`, each
acknowledgement written to standard output must come after an fsync/fdatasync of the *-wal file that follows
the last write to the WAL, i.e. the commit holding the application was synced before it was acknowledged.
Also checks that the store reports synchronous=2 at start-up (logged at info).
"""
import os
import re
import shutil
import subprocess
import sys

from common import RULES, application, binary, check, riskgate, workdir

if shutil.which("strace") is None:
    sys.exit("strace is not installed (apt-get install strace)")
work = workdir("d2")
db = os.path.join(work, "d2.sqlite")
riskgate("users", "add", "--db", db, "branch", "--role", "intake")
trace = os.path.join(work, "trace.txt")
payload = "".join(application(i, referred=i % 3 == 0) + "\n" for i in range(100))
result = subprocess.run(["strace", "-f", "-y", "-s", "64", "-o", trace, "-e", "trace=fdatasync,fsync,write,pwrite64,pwritev",
                         binary(), "intake", "--rules", RULES, "--db", db, "--as", "branch", "--window", "1", "-"],
                        input=payload, capture_output=True, text=True, env={**os.environ, "RISKGATE_LOG_LEVEL": "info"})
check(result.returncode == 0, "intake succeeded under strace")
check("store.synchronous=2" in result.stderr, "start-up logs synchronous=2")
acks = 0
wal_written = False   # a WAL write not yet followed by a WAL sync
synced = False        # a WAL sync since the last acknowledgement
violations = []
for line in open(trace):
    if re.search(r"(pwrite64|pwritev|write)\(\d+<[^>]*-wal>", line):
        wal_written, synced = True, False
    elif re.search(r"(fdatasync|fsync)\(\d+<[^>]*-wal>", line):
        if wal_written:
            synced = True
        wal_written = False
    elif re.search(r'write\(1<[^>]*>, "\{\\"line\\"', line):
        acks += 1
        if wal_written or not synced:
            violations.append(line.strip())
        synced = False
check(acks == 100, f"100 acknowledgements seen in the trace ({acks})")
check(not violations, "every acknowledgement follows a synced WAL commit" + (f"; first violation: {violations[0]}" if violations else ""))
