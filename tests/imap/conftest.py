"""Protocol-test harness: a real `quire serve` on ephemeral loopback ports.

Every test gets its own server and data directory, copied from a template
made once per run (users alice, bob, carol already added), so tests never
see each other's mail and start in milliseconds. At teardown the server is
stopped with SIGTERM; a non-zero exit or any sanitizer report in its log
fails the test.
"""
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

from imapclient import RawClient, tls_context  # noqa: F401 (re-exported)

QUIRE = os.environ.get("QUIRE_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "quire")
QUIRE = os.path.abspath(QUIRE)

# A command put in front of `quire serve` (not the other subcommands), e.g.
#   QUIRE_WRAPPER="valgrind --error-exitcode=99 --leak-check=full"
# (what `make check-valgrind` sets). A wrapped server is slower, so start
# and stop get more time; the wrapper's non-zero exit fails the test.
WRAPPER = shlex.split(os.environ.get("QUIRE_WRAPPER", ""))
SLOWDOWN = 10 if WRAPPER else 1

USERS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}

BASE_OPTIONS = {
    "imap_listen": "127.0.0.1:0",
    "imaps_listen": "127.0.0.1:0",
    "workers": "2",
    "auth_fail_delay_ms": "10",
    "auth_fail_delay_max_ms": "50",
}

# Which store backend the suite runs against: QUIRE_STORE=sqlite (default)
# or postgresql. For postgresql each pytest worker starts a private
# PostgreSQL (pg_cluster below) and every data directory gets its own
# database, cloned from a template that holds the test users.
STORE = os.environ.get("QUIRE_STORE", "sqlite")
PG_BIN = os.environ.get("QUIRE_PG_BIN", "/usr/lib/postgresql/15/bin")


class PgCluster:
    """A private PostgreSQL on a Unix socket in its own temporary folder,
    run as an unprivileged user when we are root (PostgreSQL refuses root),
    stopped at the end of the session."""

    def __init__(self):
        self.top = tempfile.mkdtemp(prefix="quire-pg-")
        self.data = os.path.join(self.top, "data")
        self.prefix = []
        if os.getuid() == 0:
            os.chmod(self.top, 0o755)
            shutil.chown(self.top, "nobody")
            self.prefix = ["runuser", "-u", "nobody", "--"]
        self.dbs = {}
        self.counter = 0

    def run(self, args):
        subprocess.run(self.prefix + args, check=True, capture_output=True,
                       timeout=120)

    def start(self):
        self.run([PG_BIN + "/initdb", "-D", self.data, "-A", "trust",
                  "-U", "quire", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        self.resume()
        return self

    def resume(self):
        """Starts the (initialised) cluster, e.g. again after halt()."""
        self.run([PG_BIN + "/pg_ctl", "-D", self.data, "-w", "-l",
                  os.path.join(self.top, "log"), "-o",
                  "-k %s -c listen_addresses= -c fsync=off "
                  "-c max_connections=300 -c full_page_writes=off" % self.top,
                  "start"])

    def halt(self, mode="fast"):
        """Stops the cluster, keeping its data: the database goes away
        under running servers (mode "immediate" is a crash)."""
        self.run([PG_BIN + "/pg_ctl", "-D", self.data, "-m", mode,
                  "-w", "stop"])

    def stop(self):
        try:
            self.halt()
        finally:
            shutil.rmtree(self.top, ignore_errors=True)

    def conninfo(self, db):
        return "host=%s user=quire dbname=%s" % (self.top, db)

    def psql(self, sql):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                        self.conninfo("postgres"), "-c", sql], check=True,
                       capture_output=True, timeout=60)

    def new_db(self, template=None):
        self.counter += 1
        name = "q%d" % self.counter
        self.psql("CREATE DATABASE %s%s" % (
            name, " TEMPLATE " + template if template else ""))
        return name


PG = None
PG_TEMPLATE_DB = None


# Left in the template data directory, so its copies (make_server, and the
# tests that copy it themselves) get a clone of the template database with
# the test users, while a fresh data directory gets an empty one whatever
# ran before on this worker.
PG_TEMPLATE_MARK = ".quire-test-pg-template"


def store_options(data_dir):
    """The -o options that point quire at data_dir's store."""
    if STORE != "postgresql":
        return {}
    key = os.path.realpath(data_dir)
    if key not in PG.dbs:
        copied = os.path.exists(os.path.join(data_dir, PG_TEMPLATE_MARK))
        PG.dbs[key] = PG.new_db(PG_TEMPLATE_DB if copied else None)
    return {"store": "postgresql", "pg_conninfo": PG.conninfo(PG.dbs[key])}


@pytest.fixture(scope="session", autouse=True)
def pg_cluster():
    global PG
    if STORE != "postgresql":
        yield None
        return
    PG = PgCluster().start()
    yield PG
    PG.stop()
    PG = None


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "WARNING: ThreadSanitizer",
                   "definitely lost in", "Invalid read of", "Invalid write of",
                   "uninitialised value", "Invalid free()")


def serve_command(data_dir, options=None):
    """The argv of a `quire serve` on data_dir with options (a dict), on
    the store the suite runs against; for tests that start the process
    themselves instead of through Server."""
    cmd = [QUIRE, "serve", "-o", "data_dir=" + data_dir]
    merged = store_options(data_dir)
    merged.update(options or {})
    for key, value in merged.items():
        cmd += ["-o", "%s=%s" % (key, value)]
    return cmd


def quire(args, data_dir, options=None, stdin=None, check=True):
    """Runs a quire subcommand against data_dir and returns the result."""
    cmd = [QUIRE] + args + ["-o", "data_dir=" + data_dir]
    merged = store_options(data_dir)
    merged.update(options or {})
    for key, value in merged.items():
        cmd += ["-o", "%s=%s" % (key, value)]
    res = subprocess.run(cmd, input=stdin, capture_output=True, timeout=60)
    if check and res.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (
            " ".join(args), res.returncode, res.stderr.decode(errors="replace")))
    return res


class Server:
    """One running `quire serve`; ports are read from its log."""

    def __init__(self, data_dir, options=None):
        self.data_dir = data_dir
        self.options = dict(BASE_OPTIONS)
        self.options.update(store_options(data_dir))
        self.options.update(options or {})
        self.proc = None
        self.log_path = os.path.join(data_dir, "server.log")
        self.port = None
        self.tls_port = None
        # extra listeners ("lmtp", "metrics"): name -> "HOST:PORT" or
        # "unix:/path", as logged
        self.listeners = {}

    def start(self):
        cmd = WRAPPER + [QUIRE, "serve", "-o", "data_dir=" + self.data_dir]
        for key, value in self.options.items():
            cmd += ["-o", "%s=%s" % (key, value)]
        self.log = open(self.log_path, "ab")
        self.log_offset = self.log.tell()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        deadline = time.time() + 20 * SLOWDOWN
        want_tls = bool(self.options.get("imaps_listen"))
        while time.time() < deadline:
            text = self.read_log()
            m = re.search(r"listening imap (\S+):(\d+)", text)
            t = re.search(r"listening imaps (\S+):(\d+)", text)
            extra = [k for k in ("lmtp", "metrics") if self.options.get(k + "_listen")]
            found = dict(re.findall(r"listening (lmtp|metrics) (\S+)", text))
            if m and (t or not want_tls) and all(k in found for k in extra):
                self.port = int(m.group(2))
                self.tls_port = int(t.group(2)) if t else None
                self.listeners = found
                return self
            if self.proc.poll() is not None:
                raise AssertionError("quire serve exited: " + text)
            time.sleep(0.02)
        raise AssertionError("quire serve did not start: " + self.read_log())

    def read_log(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.log_offset)
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20 * SLOWDOWN)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("quire serve did not stop on SIGTERM")
        rc = self.proc.returncode
        self.proc = None
        self.log.close()
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def raw(self, tls=False, timeout=10):
        port = self.tls_port if tls else self.port
        return RawClient("127.0.0.1", port, tls=tls, timeout=timeout)

    def imap(self, user=None):
        """An imaplib client; logged in when user is given."""
        import imaplib
        m = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        if user:
            m.login(user, USERS[user])
        return m

    def imap_ssl(self, user=None):
        import imaplib
        m = imaplib.IMAP4_SSL("127.0.0.1", self.tls_port,
                              ssl_context=tls_context(), timeout=10)
        if user:
            m.login(user, USERS[user])
        return m

    def listener_port(self, name):
        """Port of an extra TCP listener, e.g. "lmtp" or "metrics"."""
        return int(self.listeners[name].rsplit(":", 1)[1])

    def quire(self, args, stdin=None, check=True):
        return quire(args, self.data_dir, stdin=stdin, check=check)


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory):
    """A data directory with the test users and a TLS pair, made once."""
    if not os.path.exists(QUIRE):
        pytest.exit("build/quire is missing: run make first")
    d = str(tmp_path_factory.mktemp("template"))
    if STORE == "postgresql":
        global PG_TEMPLATE_DB
        PG_TEMPLATE_DB = None
        PG.dbs[os.path.realpath(d)] = PG.new_db()
    for name, password in USERS.items():
        quire(["user", "add", name, "--password-stdin"], d,
              stdin=(password + "\n").encode())
    if STORE == "postgresql":
        PG_TEMPLATE_DB = PG.dbs[os.path.realpath(d)]
        open(os.path.join(d, PG_TEMPLATE_MARK), "w").close()
    return d


def make_server(template_dir, tmp_path, options=None):
    data_dir = str(tmp_path / "data")
    shutil.copytree(template_dir, data_dir)
    return Server(data_dir, options).start()


def check_server_log(server):
    text = server.read_log() if server.proc is None else ""
    for mark in SANITIZER_MARKS:
        assert mark not in text, "sanitizer report in server log:\n" + text


@pytest.fixture
def server(template_dir, tmp_path):
    srv = make_server(template_dir, tmp_path)
    yield srv
    rc = srv.stop()
    check_server_log(srv)
    assert rc == 0, "quire serve exited with %d" % rc


@pytest.fixture
def server_factory(template_dir, tmp_path):
    """Starts servers with extra options: server_factory(key=value, ...)."""
    started = []

    def start(**options):
        sub = tmp_path / ("s%d" % len(started))
        sub.mkdir()
        srv = make_server(template_dir, sub, {k: str(v) for k, v in options.items()})
        started.append(srv)
        return srv
    yield start
    for srv in started:
        rc = srv.stop()
        check_server_log(srv)
        assert rc == 0, "quire serve exited with %d" % rc
