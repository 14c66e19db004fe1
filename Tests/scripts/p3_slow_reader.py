#!/usr/bin/env python3
"""P3: a subscriber that never reads.

An intake user submits referred applications (tier-1 cases, so events for `WATCH QUEUE 1`) all along, and 4 probe
clients time PING and STATS round trips all along. Rounds alternate a baseline window (no slow reader) with a
slow-reader window: an approver logs in with a small receive buffer, sends `WATCH QUEUE 1`, then pipelines
requests and never reads — HELP (about 5 KB of reply each, so its output outruns the kernel's socket buffers,
which Linux grows to megabytes) with some STATS. Alternating the windows keeps the comparison fair while the
database grows and the machine's load drifts.
Pass: the server closes each slow reader's connection (its pending output passed the 1 MiB budget) within 30 s;
the server's RSS stays within its RSS after the first baseline window + 64 MiB (the RSS at the end is reported:
it also grows with the database's cache, so it is no measure of the slow reader); the
probes' PING and STATS p99 latency during the slow-reader windows is under 2x their p99 in the baseline windows
(plus 1 ms of timer noise); PING answers afterwards; the store verifies after SIGTERM.
Usage: p3_slow_reader.py [ROUNDS | --full]    (default 3 rounds of 3 s windows; --full: 10 rounds)
"""
import socket
import threading
import time

from common import check
from server_common import (Server, application_with_id, next_totp, percentile, pipeline, size_argument)

rounds = size_argument(3, 10, __doc__)
WINDOW = 3.0
PROBES = 4
server = Server("p3").start()
admin = server.admin_client()
server.add_user(admin, "branch", 0, "intake")
server.add_user(admin, "prober", 0, "auditor")
for r in range(rounds):
    server.add_user(admin, f"slow{r}", 1, "approver")
admin.close()

phase = ["gap"]             # which window the probes' samples belong to
samples = {"base": {"PING": [], "STATS": []}, "slow": {"PING": [], "STATS": []}}
samples_lock = threading.Lock()
stop = threading.Event()


def submit_load():
    client = server.login("branch")

    def requests():
        i = 0
        while True:
            app_id = f"P3-{i:06d}"
            yield app_id, "SUBMIT " + application_with_id(i, app_id, referred=True)
            i += 1
            time.sleep(0.005)          # a steady stream of events (up to 200 a second), not a flood

    pipeline(client, requests(), window=8, stop=stop)
    client.close()


def probe():
    client = server.login("prober")
    while not stop.is_set():
        for command in ("PING", "STATS"):
            current = phase[0]
            started = time.perf_counter()
            client.ok(command)
            took = time.perf_counter() - started
            if current != "gap" and phase[0] == current:
                with samples_lock:
                    samples[current][command].append(took)
    client.close()


def server_side_established(client_port):
    """Whether the server still has an ESTABLISHED socket to our port (/proc/net/tcp, state 01)."""
    wanted_local, wanted_remote = f"{server.port:04X}", f"{client_port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[1].endswith(":" + wanted_local) and parts[2].endswith(":" + wanted_remote):
                        return parts[3] == "01"
        except FileNotFoundError:
            continue
    return False


def slow_reader(name):
    """Logs in, watches the tier-1 queue, pipelines requests without reading; returns (seconds until the server
    closed it or None, requests sent, peak RSS)."""
    creds = server.users[name]
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.settimeout(10)
    sock.sendall(f"AUTH {name} {creds['password']} {next_totp(name, creds['totp_secret'])}\n".encode())
    reply = b""
    while not reply.endswith(b"\n"):
        reply += sock.recv(1)
    check(reply.startswith(b"OK "), f"the slow reader {name} logged in")
    sock.sendall(b"WATCH QUEUE 1\n")
    local_port = sock.getsockname()[1]
    started = time.monotonic()
    state = {"sent": 0, "done": False}

    def flood():
        sock.settimeout(2)
        try:
            while not state["done"]:
                sock.sendall(b"HELP\n" * 60 + b"STATS\n" * 4)
                state["sent"] += 64
                time.sleep(0.005)
        except OSError:
            pass

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    peak, closed_after = server.rss_kib(), None
    while time.monotonic() - started < 30:
        peak = max(peak, server.rss_kib())
        if not server_side_established(local_port):
            closed_after = time.monotonic() - started
            break
        time.sleep(0.05)
    state["done"] = True
    flooder.join(5)
    sock.close()
    return closed_after, state["sent"], peak


threads = [threading.Thread(target=submit_load)] + [threading.Thread(target=probe) for _ in range(PROBES)]
for t in threads:
    t.start()
time.sleep(1)
rss_baseline = None
rss_peak = 0
results = []
for r in range(rounds):
    phase[0] = "base"
    time.sleep(WINDOW)
    if rss_baseline is None:
        rss_baseline = server.rss_kib()     # after a window of load: SQLite's cache and the queues have warmed up
    phase[0] = "slow"
    window_started = time.monotonic()
    closed_after, sent, peak = slow_reader(f"slow{r}")
    rss_peak = max(rss_peak, peak)
    time.sleep(max(0.0, WINDOW - (time.monotonic() - window_started)))
    phase[0] = "gap"
    results.append((closed_after, sent))
    print(f"round {r + 1}: the slow reader sent {sent} requests without reading; the server closed it after "
          f"{'never' if closed_after is None else f'{closed_after:.2f} s'}; RSS peak {peak} KiB")
    time.sleep(0.5)
stop.set()
for t in threads:
    t.join(30)
time.sleep(1)
rss_after = server.rss_kib()
p99 = {kind: {command: percentile(values, 99) for command, values in samples[kind].items()} for kind in samples}
for kind, label in (("base", "baseline windows"), ("slow", "slow-reader windows")):
    print(f"{label}: PING p50 {percentile(samples[kind]['PING'], 50) * 1000:.2f} ms p99 {p99[kind]['PING'] * 1000:.2f} ms "
          f"({len(samples[kind]['PING'])} samples); STATS p50 {percentile(samples[kind]['STATS'], 50) * 1000:.2f} ms "
          f"p99 {p99[kind]['STATS'] * 1000:.2f} ms")
print(f"RSS: baseline {rss_baseline} KiB, peak {rss_peak} KiB, at the end {rss_after} KiB")
check(all(closed is not None and closed <= 30 for closed, _ in results),
      f"the server disconnected every slow reader within 30 s ({[None if c is None else round(c, 2) for c, _ in results]})")
check(rss_peak - rss_baseline < 64 * 1024, f"RSS peak {rss_peak} KiB within baseline {rss_baseline} KiB + 64 MiB")
probe_client = server.login("prober")
check(probe_client.ok("PING") == "PONG", "the server answers PING afterwards")
probe_client.close()
code, took = server.stop()
check(code == 0, f"SIGTERM: exit {code} after {took:.2f} s")
server.verify_store(check)
disconnects = [c for c, _ in results if c is not None]
print(f"FIGURES p3: rounds={rounds} ping_p99_base_ms={p99['base']['PING'] * 1000:.2f} ping_p99_slow_ms={p99['slow']['PING'] * 1000:.2f} "
      f"stats_p99_base_ms={p99['base']['STATS'] * 1000:.2f} stats_p99_slow_ms={p99['slow']['STATS'] * 1000:.2f} "
      f"disconnect_max_s={max(disconnects, default=float('nan')):.2f} rss_baseline_kib={rss_baseline} rss_peak_kib={rss_peak} "
      f"rss_end_kib={rss_after}")
for command in ("PING", "STATS"):
    limit = 2 * p99["base"][command] + 0.001
    check(p99["slow"][command] < limit,
          f"{command} p99 with a slow reader {p99['slow'][command] * 1000:.2f} ms < 2 x baseline {p99['base'][command] * 1000:.2f} ms + 1 ms")
