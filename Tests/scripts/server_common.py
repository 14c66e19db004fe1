"""Helpers for the scenario scripts that drive the real `riskgate serve` over real sockets (test tooling only).

    server = Server("p1").start()          # temp dir, free port, --insecure-fast-kdf, admin credentials parsed
    admin = server.admin_client()          # logged in as admin (TOTP computed here, RFC 6238)
    creds = server.add_user(admin, "branch", 0, "intake")
    c = server.login("branch")             # a new connection, logged in
    c.ok("PING")                           # -> "PONG"; raises ServerError on ERR
    server.stop()                          # SIGTERM, waits; server.verify_store() -> integrity_check + audit verify

Every reply line read through `Client` is checked: it ends with exactly one LF and holds no CR (P6).
"""
import atexit
import base64
import hashlib
import hmac
import json
import os
import re
import resource
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time

from common import RULES, binary, read_store, riskgate, workdir


class ServerError(Exception):
    """An `ERR <code> <message>` reply."""

    def __init__(self, line):
        text = line.decode("utf-8", "replace").rstrip("\n")
        parts = text.split(" ", 2)
        self.code = parts[1] if len(parts) > 1 else ""
        self.message = parts[2] if len(parts) > 2 else ""
        self.line = text
        super().__init__(text)


class ProtocolViolation(Exception):
    """The server sent something the protocol forbids (a CR, a line without its LF, …)."""


# ---------------------------------------------------------------------------------------------------- TOTP
def totp_code(secret_b32, step):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


_last_step = {}            # user -> last TOTP step used (the server accepts each step once per user)
_last_step_lock = threading.Lock()


def next_totp(user, secret):
    """A code the server will accept: the current step, or the next one (±1 step is accepted) when the current
    one was used already; waits for the clock when both were."""
    while True:
        now = int(time.time() // 30)
        with _last_step_lock:
            step = max(now, _last_step.get(user, -1) + 1)
            if step <= now + 1:
                _last_step[user] = step
                return totp_code(secret, step)
        time.sleep(0.5)


# ---------------------------------------------------------------------------------------------------- client
class Client:
    """One connection speaking the line protocol, with timeouts. Events (`EVENT …`) are kept aside."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0, name=""):
        self.name = name
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buffer = bytearray()
        self.events = []
        self.closed_by_peer = False
        self.reset = False

    # sending
    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.sock.sendall(line + b"\n")

    # reading
    def read_line(self, timeout=None, check=True):
        """The next line (bytes, with its LF); None at EOF. Raises socket.timeout after `timeout`."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            newline = self.buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self.buffer[:newline + 1])
                del self.buffer[:newline + 1]
                if check:
                    check_reply_line(line)
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout(f"no reply within {timeout or self.timeout} s")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                # A reset (the server closed with our bytes unread) may cut its last line: not the server's doing.
                self.closed_by_peer = self.reset = True
                self.buffer.clear()
                return None
            if not chunk:
                self.closed_by_peer = True
                if self.buffer:
                    raise ProtocolViolation(f"the connection ended inside a line (no LF): {bytes(self.buffer[:200])!r}")
                return None
            self.buffer += chunk

    def reply(self, timeout=None):
        """The next reply, skipping (and keeping) events; None at EOF."""
        while True:
            line = self.read_line(timeout)
            if line is None or not line.startswith(b"EVENT "):
                return line
            self.events.append(line)

    def request(self, line, timeout=None):
        self.send(line)
        return self.reply(timeout)

    def ok(self, line, timeout=None):
        """Sends one request; returns the OK payload (parsed JSON when it is JSON); raises ServerError on ERR."""
        reply = self.request(line, timeout)
        return parse_ok(reply, line)

    def wait_closed(self, timeout=5.0):
        """True when the server closes the connection within `timeout` (lines still arriving are read and dropped)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.read_line(deadline - time.monotonic(), check=False) is None:
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, ProtocolViolation):
            return True
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_ok(reply, request=""):
    if reply is None:
        raise ConnectionError(f"the connection closed before the reply to {str(request)[:60]!r}")
    if reply.startswith(b"ERR "):
        raise ServerError(reply)
    if not (reply == b"OK\n" or reply.startswith(b"OK ")):
        raise ProtocolViolation(f"not a reply: {reply[:200]!r}")
    payload = reply[3:].rstrip(b"\n").decode()
    if payload[:1] in ("{", "["):
        return json.loads(payload)
    return payload


def check_reply_line(line):
    """Every line from the server ends with exactly one LF and holds no CR, NUL or other control byte but HT."""
    if not line.endswith(b"\n"):
        raise ProtocolViolation(f"a line without its LF: {line[:200]!r}")
    body = line[:-1]
    if b"\r" in body:
        raise ProtocolViolation(f"a raw CR in a reply line: {line[:200]!r}")
    bad = [b for b in body if (b < 0x20 and b != 0x09) or b == 0x7F]
    if bad:
        raise ProtocolViolation(f"control byte 0x{bad[0]:02x} in a reply line: {line[:200]!r}")


# ---------------------------------------------------------------------------------------------------- server
class Server:
    """`riskgate serve` in a temp dir. Keeps the admin credentials and the port across restarts."""

    def __init__(self, name, extra=(), db=None, env=None):
        self.dir = workdir(name)
        self.db = db or os.path.join(self.dir, f"{name}.sqlite")
        self.extra = list(extra)
        self.env = dict(env or {})
        self.port = 0
        self.process = None
        self.admin_password = None
        self.admin_secret = None
        self.users = {}          # name -> {"password": …, "totp_secret": …}
        self.stdout_lines = []
        self.log_path = os.path.join(self.dir, "server.stderr.log")
        self.starts = 0
        atexit.register(self._cleanup)

    def _cleanup(self):
        """A failed check exits the script: never leave a server running behind it."""
        if self.alive():
            self.process.kill()
            self.process.wait()

    # lifecycle
    def start(self, timeout=60.0):
        """Starts the server and waits for `listening on`; returns self. Restarts reuse the port."""
        args = [binary(), "serve", "--db", self.db, "--rules", RULES, "--port", str(self.port), "--insecure-fast-kdf",
                *self.extra]
        env = dict(os.environ, SWIFT_BACKTRACE="enable=no", **self.env)
        log = open(self.log_path, "ab")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, env=env)
        log.close()
        self.starts += 1
        listening = threading.Event()
        lines = []
        self.stdout_lines.append(lines)

        def pump(stream, lines):
            for raw in stream:
                text = raw.decode("utf-8", "replace").rstrip("\n")
                lines.append(text)
                if "listening on" in text and "127.0.0.1" in text:
                    listening.set()
            listening.set()

        threading.Thread(target=pump, args=(self.process.stdout, lines), daemon=True).start()
        if not listening.wait(timeout) or self.process.poll() is not None:
            self.process.kill()
            raise RuntimeError(f"the server did not start (exit {self.process.poll()}):\n" + "\n".join(lines)
                               + "\n" + self.stderr_tail())
        self.ready_after = time.monotonic() - self.started_at
        # The banner: password and secret lines come after the listening line; wait for "Stop with".
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(l.startswith("Stop with") for l in lines):
            time.sleep(0.01)
        for text in lines:
            m = re.search(r"listening on .*127\.0\.0\.1:(\d+)", text)
            if m:
                self.port = int(m.group(1))
            m = re.match(r"\s+password:\s+(\S+)", text)
            if m:
                self.admin_password = m.group(1)
            m = re.match(r"\s+TOTP secret:\s+(\S+)", text)
            if m:
                self.admin_secret = m.group(1)
        if not self.admin_password or not self.admin_secret:
            raise RuntimeError("no admin credentials in the server banner:\n" + "\n".join(lines))
        return self

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=15.0):
        """SIGTERM; returns (exit code, seconds to exit). Kills it if it does not exit in `timeout`."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
            return None, time.monotonic() - started
        return code, time.monotonic() - started

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait()

    # /proc figures
    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def stderr_text(self):
        with open(self.log_path, "rb") as log:
            return log.read()

    def stderr_tail(self, lines=20):
        return b"\n".join(self.stderr_text().splitlines()[-lines:]).decode("utf-8", "replace")

    # sessions and users
    def connect(self, timeout=10.0, name=""):
        return Client(self.port, timeout=timeout, name=name)

    def admin_client(self):
        client = self.connect(name="admin")
        client.ok(f"AUTH admin {self.admin_password} {next_totp('admin', self.admin_secret)}")
        return client

    def add_user(self, admin, name, tier, roles):
        created = admin.ok(f"USER ADD {name} {tier} {roles}")
        self.users[name] = created
        return created

    def login(self, name, timeout=10.0):
        """A new connection logged in as `name` (created with add_user)."""
        creds = self.users[name]
        client = self.connect(timeout=timeout, name=name)
        line = f"AUTH {name} {creds['password']}"
        if creds.get("totp_secret"):
            line += " " + next_totp(name, creds["totp_secret"])
        client.ok(line)
        return client

    # the store, with the server stopped
    def integrity(self):
        connection = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return connection.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            connection.close()

    def audit_verify(self, *extra):
        result = riskgate("audit", "verify", "--db", self.db, *extra, check=False)
        return result.returncode, (result.stdout + result.stderr).strip()

    def query(self, sql, *args):
        """Rows of a read-only query; the `*_by_number` views of common.read_store are there."""
        connection = read_store(self.db)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def verify_store(self, check):
        """integrity_check ok and `riskgate audit verify` exit 0 (the server must be stopped)."""
        check(not self.alive(), "the server is stopped before the store is checked")
        result = self.integrity()
        check(result == "ok", f"PRAGMA integrity_check: {result}")
        code, text = self.audit_verify()
        check(code == 0, f"riskgate audit verify exit {code}: {text}")


# ---------------------------------------------------------------------------------------------------- misc
def raise_fd_limit(wanted):
    """Raises RLIMIT_NOFILE for this process (and the servers it starts) to `wanted` or the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def size_argument(default, full, usage):
    """`script.py` -> default; `script.py --full` -> full; `script.py N` -> N."""
    if len(sys.argv) > 1:
        if sys.argv[1] in ("-h", "--help"):
            print(usage)
            sys.exit(0)
        if sys.argv[1] == "--full":
            return full
        return type(default)(sys.argv[1])
    return default


# ---------------------------------------------------------------------------------------------------- load
def pipeline(client, requests, window=64, stop=None, on_reply=None):
    """Sends `requests` (an iterable of (key, line)) on one connection, keeping at most `window` unanswered, and
    reads the replies in request order. Stops when the iterable ends, `stop` (an Event) is set, or the connection
    ends. Returns (answered: [(key, reply line)], unanswered: [key sent without a reply], error or None)."""
    slots = threading.Semaphore(window)
    sent = []                  # keys in send order
    sent_lock = threading.Lock()
    done_sending = threading.Event()
    failure = []

    def sender():
        try:
            for key, line in requests:
                while not slots.acquire(timeout=0.1):
                    if (stop is not None and stop.is_set()) or failure:
                        return
                if (stop is not None and stop.is_set()) or failure:
                    return
                with sent_lock:
                    sent.append(key)
                client.send(line)
        except OSError as error:
            failure.append(error)
        finally:
            done_sending.set()

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    answered = []
    error = None
    while True:
        with sent_lock:
            outstanding = len(sent) - len(answered)
        if outstanding == 0 and done_sending.is_set():
            with sent_lock:
                if len(sent) == len(answered):
                    break
        if outstanding == 0:
            time.sleep(0.001)
            continue
        try:
            line = client.reply(timeout=30)
        except (socket.timeout, TimeoutError, OSError, ProtocolViolation) as failed:
            error = failed
            break
        if line is None:
            break
        with sent_lock:
            key = sent[len(answered)]
        answered.append((key, line))
        if on_reply is not None:
            on_reply(key, line)
        slots.release()
    failure.append("stopped")
    thread.join(5)
    with sent_lock:
        unanswered = sent[len(answered):]
    return answered, unanswered, error


def application_with_id(i, app_id, referred=False):
    """common.application(i) with another application id (ids must match [A-Za-z0-9_-]{1,64})."""
    from common import application
    body = json.loads(application(i, referred))
    body["application_id"] = app_id
    return json.dumps(body, separators=(",", ":"))
