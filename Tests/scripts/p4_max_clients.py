#!/usr/bin/env python3
"""P4: connections past --max-clients.

The server runs with --max-clients 50 and one logged-in admin session. Each round opens 100 more connections:
the first 49 are admitted (they answer PING), the excess get `ERR max-clients …` and are closed at once.
Pass, every round: exactly the excess is refused and closed; the server's fd count (/proc/PID/fd) stays
bounded (at most its idle count + 50 + a few) and returns to the idle count once the connections close; the
logged-in session keeps working (STATS, PING); the store verifies after SIGTERM.
Usage: p4_max_clients.py [ROUNDS | --full]    (default 5 rounds; --full: 50)
"""
import socket
import time

from common import check
from server_common import Server, size_argument

rounds = size_argument(5, 50, __doc__)
MAX, OPEN = 50, 100

server = Server("p4", ["--max-clients", str(MAX), "--idle-before-auth", "60"]).start()
admin = server.admin_client()
admin.ok("STATS")
time.sleep(0.5)
idle_fds = server.fd_count()
print(f"server fds with one session: {idle_fds}")
peak_fds = idle_fds
refusal_ms = []

for round_number in range(rounds):
    socks = []
    for _ in range(OPEN):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        socks.append(s)
    time.sleep(0.5)
    peak_fds = max(peak_fds, server.fd_count())
    refused, admitted, other = [], [], []
    for s in socks:
        s.setblocking(False)
        try:
            data = s.recv(4096)
        except BlockingIOError:
            admitted.append(s)
            continue
        if data.startswith(b"ERR max-clients"):
            s.settimeout(2)
            started = time.monotonic()
            try:
                rest = s.recv(4096)
            except (socket.timeout, ConnectionResetError):
                rest = b"?"
            refused.append((s, rest == b"", data))
            refusal_ms.append(1000 * (time.monotonic() - started))
        else:
            other.append((s, data))
    in_use = server.fd_count()
    peak_fds = max(peak_fds, in_use)
    check(len(admitted) == MAX - 1, f"round {round_number + 1}: {len(admitted)} admitted (max {MAX}, 1 taken by the admin)")
    check(len(refused) == OPEN - MAX + 1 and all(closed for _, closed, _ in refused),
          f"round {round_number + 1}: the {len(refused)} excess got ERR max-clients and were closed")
    check(not other, f"round {round_number + 1}: no other replies ({other[:1]})")
    if round_number == 0:
        print(f"  refusal: {refused[0][2]!r}")
    # The admitted ones work; the session still works while the server is full.
    pongs = 0
    for s in admitted:
        s.settimeout(5)
        s.sendall(b"PING\n")
        pongs += s.recv(100) == b"OK PONG\n"
    check(pongs == len(admitted), f"round {round_number + 1}: every admitted connection answers PING ({pongs})")
    check(isinstance(admin.ok("STATS"), dict) and admin.ok("PING") == "PONG", "the logged-in session works while full")
    check(in_use <= idle_fds + MAX + 8, f"fds in use {in_use} <= idle {idle_fds} + {MAX} + 8")
    for s in socks:
        s.close()
    deadline = time.monotonic() + 5
    while server.fd_count() > idle_fds + 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    check(server.fd_count() <= idle_fds + 2, f"round {round_number + 1}: fds back to {server.fd_count()} (idle {idle_fds})")

# With the excess gone, a new connection is admitted again.
fresh = server.connect()
check(fresh.ok("PING") == "PONG", "a new connection is admitted after the others closed")
fresh.close()
check(admin.ok("WHOAMI")["user"] == "admin", "the admin session is intact")
admin.close()
code, took = server.stop()
check(code == 0, f"SIGTERM: exit {code} after {took:.2f} s")
server.verify_store(check)
print(f"FIGURES p4: rounds={rounds} max_clients={MAX} opened_per_round={OPEN} idle_fds={idle_fds} peak_fds={peak_fds}")
