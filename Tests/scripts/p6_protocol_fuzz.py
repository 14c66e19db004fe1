#!/usr/bin/env python3
"""P6: protocol fuzz over real sockets, before and after login, on many connections.

Workers open connections (anonymous, or logged in as intake, auditor, approver or admin — the privileged ones by
RESUME of a session made at start) and send batches of generated lines: random bytes, NUL, invalid UTF-8,
CR/LF inside arguments, huge numbers, long tokens, JSON quoting edge cases, mutated SUBMIT bodies, command words
with random arguments, request ids. A monitor PINGs the server every second on a fresh connection.
Pass: the process stays alive and PING answers throughout; every line the server sends ends with exactly one LF
and holds no CR or other control byte (whole lines only: nothing is cut off at a clean close); every request
line gets at most one reply and no reply takes over 15 s; the server's stderr holds no raw CR and every log line
is a whole log record; after SIGTERM (exit 0) PRAGMA integrity_check is ok and `riskgate audit verify` passes.
Usage: p6_protocol_fuzz.py [SECONDS | --full]    (default 60 s; --full: 600 s), SEED=…, WORKERS=… (default 8)
"""
import json
import os
import random
import re
import socket
import threading
import time

from common import application, check
from server_common import ProtocolViolation, Server, ServerError, size_argument

seconds = size_argument(60.0, 600.0, __doc__)
seed = int(os.environ.get("SEED", str(int(time.time()))))
workers = int(os.environ.get("WORKERS", "8"))
print(f"fuzzing for {seconds:.0f} s with {workers} workers, SEED={seed}")

# Debug logging, so that every log line that can carry client input (user names, errors, addresses) is written.
server = Server("p6", ["--idle-before-auth", "5", "--max-clients", "2000"], env={"RISKGATE_LOG_LEVEL": "debug"}).start()
admin = server.admin_client()
INTAKE = [f"fz-intake{i}" for i in range(4)]
for name in INTAKE:
    server.add_user(admin, name, 0, "intake")
server.add_user(admin, "fz-auditor", 0, "auditor")
server.add_user(admin, "fz-approver", 2, "approver")
server.add_user(admin, "fz-reviewer", 1, "approver")
# A few cases so that the workflow commands find something.
seeder = server.login(INTAKE[0])
for i in range(20):
    seeder.ok("SUBMIT " + application(900_000 + i, referred=True))
seeder.close()
tokens = {}                # role -> session token, for RESUME
token_lock = threading.Lock()
keepalive = []
for name in [INTAKE[1], "fz-auditor", "fz-approver", "fz-reviewer"]:
    client = server.login(name)
    tokens[name] = client.ok("WHOAMI")["session"]
    keepalive.append(client)
tokens["admin"] = admin.ok("WHOAMI")["session"]
keepalive.append(admin)

COMMANDS = ["PING", "QUIT", "HELP", "AUTH", "TOTP", "RESUME", "LOGOUT", "WHOAMI", "PASSWORD", "SUBMIT", "STATUS",
            "QUEUE", "NEXT", "CLAIM", "SHOW", "TOUCH", "RELEASE", "APPROVE", "DECLINE", "ESCALATE", "RETURN",
            "COMMENT", "REASSIGN", "WATCH", "UNWATCH", "INBOX", "STATS", "RELOAD", "USER"]
# Words the fuzz never uses as arguments: real users (a random USER DISABLE or PASSWORD must not lock us out).
PROTECTED = {"admin", *INTAKE, "fz-auditor", "fz-approver", "fz-reviewer"}
INVALID_UTF8 = [b"\xff", b"\xfe\xff", b"\xc0\x80", b"\xc3", b"\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                b"\xe2\x82", b"\xf0\x9f\x98", b"caf\xe9", b"\xf8\x88\x80\x80\x80"]
HUGE = ["99999999999999999999999999", "-1", "-0", "1e309", "0x7fffffffffffffff", "18446744073709551616",
        "9223372036854775808", "NaN", "Infinity", "000000000001", "1.5", "+3", "４"]
QUOTED = ['"a b"', '"\\u0000"', '"\\u000d\\u000a"', '"\\ud800"', '"\\n"', '"\\r"', '"unterminated', '"\\"', '"\\x41"',
          '"\\u00e9t\\u00e9"', '""', '"a"b', '"\\uZZZZ"', '"\\u007f"', '"\\/"']


def word(rng):
    kind = rng.random()
    if kind < 0.3:
        return rng.choice(HUGE).encode()
    if kind < 0.45:
        return rng.choice(QUOTED).encode()
    if kind < 0.55:
        return bytes(rng.choice(b"abcXYZ019-_#*\"\\\r\x00\t\x7f ") for _ in range(rng.randint(1, 12)))
    if kind < 0.6:
        return b"T" * rng.choice([64, 65, 200, 1023, 1024, 1025, 4000, 16000, 16385])
    if kind < 0.7:
        return rng.choice(INVALID_UTF8) + b"x"
    if kind < 0.8:
        return rng.choice([b"APP-900001", b"APP-900002", b"CASE", b"QUEUE", b"INBOX", b"ADD", b"LIST", b"DISABLE", b"RESET",
                           b"approver", b"intake,auditor", b"risk_admin", b"0", b"1", b"3", b"0123456789abcdef" * 2])
    name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 10)))
    return (name + "x" if name in PROTECTED else name).encode()


def mutated_json(rng):
    body = json.loads(application(rng.randint(0, 10**6), referred=rng.random() < 0.3))
    choice = rng.random()
    if choice < 0.15:
        body["application_id"] = rng.choice(["a\nb", "a\rb", "\u0000", "x" * 70, "", None, 12, "é", "\ud7ff", "<script>"])
    elif choice < 0.3:
        body["amount"] = rng.choice([1e308, -1, 10**40, "5000", None, [], {}, 0.1, -0.0])
    elif choice < 0.4:
        body["applicant"] = rng.choice([None, [], "x", {"age": 10**30}])
    elif choice < 0.5:
        return b"[" * rng.randint(1, 8000) + b"]" * rng.randint(0, 10)
    elif choice < 0.6:
        return b'{"application_id":"A","a":' + b'{"a":' * 3000 + b"1" + b"}" * 3000 + b"}"
    elif choice < 0.7:
        text = json.dumps(body).encode()
        cut = rng.randint(0, len(text))
        return text[:cut] + bytes([rng.randint(0, 255)]) + text[cut + 1:]
    elif choice < 0.8:
        return json.dumps(body).encode()[: rng.randint(0, 80)]
    elif choice < 0.85:
        return b'{"application_id":"DUP","application_id":"DUP2","amount":1,"amount":2}'
    elif choice < 0.9:
        return ('{"application_id":"U' + "\\u0000\\r\\n\\ud800\\udfff\\\"" + '"}').encode()
    return json.dumps(body).encode()


def fuzz_line(rng):
    kind = rng.random()
    if kind < 0.08:
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 300)))
    if kind < 0.12:
        return b"\x00" * rng.randint(1, 5) + b"PING"
    if kind < 0.16:
        return rng.choice([b"", b"\r", b" ", b"\t", b"#", b"#id", b"#" + b"i" * 65 + b" PING", b"\xef\xbb\xbfPING", b"PING\rPING"])
    if kind < 0.3:
        return b"SUBMIT " + mutated_json(rng)
    command = rng.choice(COMMANDS)
    if rng.random() < 0.2:
        command = rng.choice([command.lower(), command.title(), command + "X", command[:-1], "\u00c9" + command])
    parts = [command.encode()]
    if rng.random() < 0.15:
        parts.insert(0, b"#" + word(rng))
    for _ in range(rng.choice([0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 8, 40])):
        parts.append(word(rng))
    separator = rng.choice([b" ", b" ", b" ", b"\t", b"  ", b" \r "])
    return separator.join(parts)


stats = {"connections": 0, "lines": 0, "replies": 0, "closed_by_server": 0, "resets": 0, "logged_in": 0}
stats_lock = threading.Lock()
failures = []
deadline = time.monotonic() + seconds


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}")


def count(key, n=1):
    with stats_lock:
        stats[key] += n


def session_for(rng, client):
    """Logs the connection in (or not). Returns a label."""
    roll = rng.random()
    if roll < 0.35:
        return "anonymous"
    name = rng.choice([INTAKE[1], INTAKE[1], "fz-auditor", "fz-approver", "fz-reviewer", "admin"] if roll < 0.9 else [INTAKE[1]])
    with token_lock:
        token = tokens.get(name)
    reply = client.request(f"RESUME {token}") if token else None
    if reply is not None and reply.startswith(b"OK"):
        count("logged_in")
        return name
    if name in INTAKE or name == "fz-auditor":
        # The session was ended by a fuzzed LOGOUT: log in again (no second factor for these roles).
        try:
            client.ok(f"AUTH {name} {server.users[name]['password']}")
            with token_lock:
                tokens[name] = client.ok("WHOAMI")["session"]
            count("logged_in")
            return name
        except (ServerError, ConnectionError):
            pass
    return "anonymous"


def worker(index):
    rng = random.Random(seed * 1000 + index)
    while time.monotonic() < deadline and not failures:
        try:
            client = server.connect(timeout=15)
        except OSError as error:
            fail(f"worker {index}: cannot connect: {error}")
            return
        count("connections")
        try:
            label = session_for(rng, client)
            batch = [fuzz_line(rng) for _ in range(rng.randint(1, 30))]
            if label == "anonymous":
                batch = [line[:1100] for line in batch]
            data = b"".join(line + b"\n" for line in batch)
            expected = data.count(b"\n")
            count("lines", expected)
            try:
                if rng.random() < 0.1:
                    for k in range(0, len(data), 7):
                        client.send_raw(data[k:k + 7])
                else:
                    client.send_raw(data)
            except OSError:
                pass
            if rng.random() < 0.05:
                client.close()          # abrupt close with replies pending
                continue
            got = 0
            while got < expected:
                line = client.read_line(timeout=15)
                if line is None:
                    count("closed_by_server")
                    if client.reset:
                        count("resets")
                    break
                if line.startswith(b"EVENT "):
                    continue
                if not (line.startswith(b"OK") or line.startswith(b"ERR ")):
                    fail(f"worker {index}: not a reply line: {line[:200]!r}")
                got += 1
            count("replies", got)
            if got > expected:
                fail(f"worker {index}: {got} replies to {expected} lines")
        except ProtocolViolation as violation:
            fail(f"worker {index}: {violation}")
        except (socket.timeout, TimeoutError):
            fail(f"worker {index}: no reply within 15 s (server alive: {server.alive()})")
        except OSError:
            pass
        finally:
            client.close()


ping_latencies = []


def monitor():
    while time.monotonic() < deadline and not failures:
        if not server.alive():
            fail(f"the server died (exit {server.process.poll()}): {server.stderr_tail()}")
            return
        try:
            started = time.monotonic()
            client = server.connect(timeout=10)
            reply = client.request("PING", timeout=10)
            client.close()
            ping_latencies.append(time.monotonic() - started)
            if reply != b"OK PONG\n":
                fail(f"PING on a fresh connection answered {reply!r}")
        except (OSError, ProtocolViolation) as error:
            fail(f"PING on a fresh connection failed: {error!r} (alive: {server.alive()})")
        time.sleep(1)


threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)] + [threading.Thread(target=monitor)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"fuzzed: {stats}; fresh-connection PING max {max(ping_latencies, default=0) * 1000:.0f} ms over {len(ping_latencies)} probes")
check(not failures, f"no failures during the fuzz ({len(failures)}: {failures[:3]})")
check(server.alive(), "the server is alive at the end")
probe = server.connect()
check(probe.ok("PING") == "PONG", "PING answers at the end")
probe.close()
for client in keepalive:
    client.close()
rss = server.rss_kib()
code, took = server.stop()
check(code == 0, f"SIGTERM: exit {code} after {took:.2f} s")
log = server.stderr_text()
check(b"\r" not in log, f"no raw CR in the server's stderr log ({len(log)} bytes)")
record = re.compile(rb"^(\d{4}-\d\d-\d\dT\S+ \w+ |riskgate[: ]|Stop with|$)")
strays = [line for line in log.split(b"\n") if not record.match(line)]
check(not strays, f"every stderr line is a whole log record ({strays[:3]})")
server.verify_store(check)
print(f"FIGURES p6: seconds={seconds:.0f} seed={seed} connections={stats['connections']} lines={stats['lines']} "
      f"replies={stats['replies']} closed_by_server={stats['closed_by_server']} resets={stats['resets']} rss_end_kib={rss}")
