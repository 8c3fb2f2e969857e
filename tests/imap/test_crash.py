"""Issue 6 part 3: crash safety.

test_sigkill_loses_nothing_acknowledged: several clients APPEND and
STORE/EXPUNGE concurrently while the server is killed with SIGKILL at
random moments and restarted. Afterwards every APPEND that got a tagged OK
is present byte for byte under the UID its APPENDUID named (unless this run
expunged it), every acknowledged STORE is there, no UID was handed out
twice, UIDVALIDITY never changed, and `quire check` finds the store
consistent after each crash apart from orphaned body files, which
`--repair` removes.

QUIRE_CRASH_KILLS (default 20) and QUIRE_CRASH_SEED set the number of kills
and the random seed (printed, so a failure can be replayed);
`make check-crash` runs this file with more kills.

test_full_disk_*: a 2 MB tmpfs as data_dir. APPEND fails with NO once
the disk is full, nothing stored before is lost or changed, and the server
works again once space is freed. Skipped when tmpfs cannot be mounted.
"""
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import (SLOWDOWN, Server, check_server_log, quire,
                      serve_command)
from imapclient import RawClient

ALICE = ("alice", "alice-secret")
KEEP = "Keep"          # only appended to: everything acknowledged stays
CHURN = "INBOX"        # appended to, flagged, expunged


def tagged_status(tagged):
    parts = tagged.split(b" ", 2)
    return parts[1] if len(parts) > 1 else b""


class Ledger:
    """What the server acknowledged, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.appended = {}        # (mailbox, uid) -> body
        self.uidvalidity = {}     # mailbox -> value seen in APPENDUID
        self.reused = []          # (mailbox, uid) acknowledged twice
        self.keywords = {}        # uid in CHURN -> set of acked keywords
        self.expunge_tried = set()  # CHURN uids an EXPUNGE was sent for
        self.expunged = set()     # CHURN uids whose EXPUNGE got OK
        self.counts = {"append_ok": 0, "append_lost": 0, "append_no": 0,
                       "store_ok": 0, "expunge_ok": 0, "reconnects": 0}

    def record_append(self, mailbox, uidvalidity, uid, body):
        with self.lock:
            self.counts["append_ok"] += 1
            seen = self.uidvalidity.setdefault(mailbox, uidvalidity)
            assert seen == uidvalidity, (mailbox, seen, uidvalidity)
            if (mailbox, uid) in self.appended:
                self.reused.append((mailbox, uid))
            self.appended[(mailbox, uid)] = body

    def churn_uids(self):
        with self.lock:
            return [uid for (box, uid) in self.appended
                    if box == CHURN and uid not in self.expunge_tried]

    def count(self, key):
        with self.lock:
            self.counts[key] += 1


class Harness:
    """The server under test plus the port clients should use now."""

    def __init__(self, server):
        self.server = server
        self.port = server.port
        self.up = threading.Event()
        self.up.set()
        self.stop = threading.Event()

    def connect(self):
        while not self.stop.is_set():
            self.up.wait(1)
            if not self.up.is_set():
                continue
            try:
                c = RawConn(self.port)
                c.login(*ALICE)
                return c
            except (OSError, ConnectionError, AssertionError):
                time.sleep(0.05)
        return None


class RawConn(RawClient):
    def __init__(self, port):
        super().__init__("127.0.0.1", port, timeout=10)


def message(rng, client, n):
    """A unique message; some are big enough to be spilled to disk."""
    size = rng.choice([200, 2000, 20000, 300000])
    head = (b"Subject: crash %d.%d\r\nMessage-ID: <%d.%d@crash>\r\n\r\n"
            % (client, n, client, n))
    line = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 \xe9")
                 for _ in range(70)) + b"\r\n"
    return head + line * max(1, (size - len(head)) // len(line))


def appender(h, ledger, client, seed):
    rng = random.Random(seed)
    n = 0
    c = None
    while not h.stop.is_set():
        if c is None:
            c = h.connect()
            if c is None:
                return
            ledger.count("reconnects")
        n += 1
        box = KEEP if n % 2 else CHURN
        body = message(rng, client, n)
        try:
            _, tagged = c.command(b"APPEND " + box.encode() +
                                  b" (\\Seen) {%d+}\r\n" % len(body) + body)
        except (OSError, ConnectionError):
            ledger.count("append_lost")  # unknown outcome: not acknowledged
            c.close()
            c = None
            continue
        if tagged_status(tagged) != b"OK":
            ledger.count("append_no")
            continue
        m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", tagged)
        assert m, tagged
        ledger.record_append(box, int(m.group(1)), int(m.group(2)), body)


def mutator(h, ledger, seed):
    """Adds acknowledged keywords to CHURN messages and expunges some."""
    rng = random.Random(seed)
    c = None
    n = 0
    while not h.stop.is_set():
        if c is None:
            c = h.connect()
            if c is None:
                return
            try:
                c.ok("SELECT " + CHURN)
            except (OSError, ConnectionError, AssertionError):
                c = None
                continue
        uids = ledger.churn_uids()
        if not uids:
            time.sleep(0.02)
            continue
        n += 1
        uid = rng.choice(uids)
        # A UID STORE/EXPUNGE naming a UID this session has not seen yet is
        # a successful no-op (RFC 3501 6.4.8), so only a reply that shows
        # the message changed counts as acknowledged.
        shown = re.compile(rb"\* \d+ FETCH \(.*UID %d\b" % uid)
        try:
            if n % 4:
                kw = "kw%d.%d" % (seed, n)
                untagged, tagged = c.command("UID STORE %d +FLAGS (%s)"
                                             % (uid, kw))
                if (tagged_status(tagged) == b"OK" and
                        any(shown.match(u) and kw.encode() in u
                            for u in untagged)):
                    with ledger.lock:
                        ledger.keywords.setdefault(uid, set()).add(kw)
                    ledger.count("store_ok")
            else:
                with ledger.lock:
                    ledger.expunge_tried.add(uid)
                untagged, tagged = c.command("UID STORE %d +FLAGS (\\Deleted)"
                                             % uid)
                if (tagged_status(tagged) == b"OK" and
                        any(shown.match(u) for u in untagged)):
                    untagged, tagged = c.command("UID EXPUNGE %d" % uid)
                    if (tagged_status(tagged) == b"OK" and
                            any(re.match(rb"\* \d+ EXPUNGE", u)
                                for u in untagged)):
                        with ledger.lock:
                            ledger.expunged.add(uid)
                        ledger.count("expunge_ok")
        except (OSError, ConnectionError):
            c.close()
            c = None


def check_store(data_dir):
    """quire check after a crash: consistent, or only orphans (repaired)."""
    res = quire(["check"], data_dir, check=False)
    out = res.stdout.decode(errors="replace")
    if res.returncode == 0:
        return 0
    assert res.returncode == 1, out + res.stderr.decode(errors="replace")
    problems = [line for line in out.splitlines() if ": " in line]
    for line in problems:
        assert "without a blob row" in line or "orphan" in line, out
    quire(["check", "--repair"], data_dir)
    assert quire(["check"], data_dir, check=False).returncode == 0
    return len(problems)


def read_mailbox(c, box):
    """{uid: (flags, body)} and the UIDVALIDITY/UIDNEXT of box."""
    untagged = c.ok("SELECT " + box)
    text = b"\n".join(untagged)
    uidvalidity = int(re.search(rb"\[UIDVALIDITY (\d+)\]", text).group(1))
    uidnext = int(re.search(rb"\[UIDNEXT (\d+)\]", text).group(1))
    msgs = {}
    for line in c.ok("UID FETCH 1:* (UID FLAGS BODY.PEEK[])"):
        m = re.match(rb"\* \d+ FETCH \(.*UID (\d+).*FLAGS \(([^)]*)\)"
                     rb".*BODY\[\] \{(\d+)\}\r\n", line, re.S)
        assert m, line[:200]
        start = m.end()
        body = line[start:start + int(m.group(3))]
        msgs[int(m.group(1))] = (set(m.group(2).decode().split()), body)
    c.ok("UNSELECT")
    return uidvalidity, uidnext, msgs


def test_sigkill_loses_nothing_acknowledged(template_dir, tmp_path):
    kills = int(os.environ.get("QUIRE_CRASH_KILLS", "20"))
    seed = int(os.environ.get("QUIRE_CRASH_SEED", str(random.randrange(1 << 30))))
    print("crash test: %d kills, QUIRE_CRASH_SEED=%d" % (kills, seed))
    rng = random.Random(seed)
    data_dir = str(tmp_path / "data")
    shutil.copytree(template_dir, data_dir)
    server = Server(data_dir).start()
    c = RawConn(server.port)
    c.login(*ALICE)
    c.ok("CREATE " + KEEP)
    first = {box: read_mailbox(c, box)[0] for box in (KEEP, CHURN)}
    c.close()

    h = Harness(server)
    ledger = Ledger()
    threads = [threading.Thread(target=appender, args=(h, ledger, i, seed + i))
               for i in range(4)]
    threads += [threading.Thread(target=mutator, args=(h, ledger, seed + 100 + i))
                for i in range(2)]
    for t in threads:
        t.daemon = True
        t.start()
    orphans = 0
    try:
        for _ in range(kills):
            # A wrapped server (valgrind) needs longer to get going.
            time.sleep(rng.uniform(0.1, 1.0) * SLOWDOWN)
            h.up.clear()
            server.stop(signal.SIGKILL)
            orphans += check_store(data_dir)
            server.start()
            h.port = server.port
            h.up.set()
        time.sleep(0.5)
    finally:
        h.stop.set()
        h.up.set()
        for t in threads:
            t.join(30)
    server.stop(signal.SIGKILL)
    orphans += check_store(data_dir)
    server.start()

    c = RawConn(server.port)
    c.login(*ALICE)
    state = {box: read_mailbox(c, box) for box in (KEEP, CHURN)}
    c.ok("LOGOUT")
    rc = server.stop()
    check_server_log(server)
    assert rc == 0

    print("crash test: %d kills survived, counts %s, orphans repaired %d"
          % (kills, ledger.counts, orphans))
    assert not ledger.reused, "UIDs acknowledged twice: %r" % ledger.reused
    verified = 0
    for box in (KEEP, CHURN):
        uidvalidity, uidnext, msgs = state[box]
        assert uidvalidity == first[box] == ledger.uidvalidity.get(box, uidvalidity)
        acked = {uid: body for (b, uid), body in ledger.appended.items() if b == box}
        if acked:
            assert uidnext > max(acked), (box, uidnext, max(acked))
        for uid, body in acked.items():
            if box == CHURN and uid in ledger.expunged:
                assert uid not in msgs, "expunged UID %d came back" % uid
                continue
            if box == CHURN and uid in ledger.expunge_tried and uid not in msgs:
                continue  # its EXPUNGE may have committed before the kill
            assert uid in msgs, "acknowledged APPEND %s UID %d lost" % (box, uid)
            flags, stored = msgs[uid]
            assert stored == body, "%s UID %d differs" % (box, uid)
            assert "\\Seen" in flags
            acked_kw = ledger.keywords.get(uid, set()) if box == CHURN else set()
            missing = acked_kw - flags
            assert not missing, "UID %d: acknowledged keywords lost: %s; has %s" % (uid, missing, flags)
            verified += 1
    print("crash test: %d acknowledged messages verified byte for byte" % verified)
    assert ledger.counts["append_ok"] > kills, ledger.counts


def test_sigterm_during_startup_exits_cleanly(template_dir, tmp_path):
    """A stop request before the server is ready is a clean exit, not a
    death by signal (found under valgrind's slow start-up)."""
    data_dir = str(tmp_path / "data")
    shutil.copytree(template_dir, data_dir)
    for _ in range(5):
        cmd = serve_command(data_dir, {"imap_listen": "127.0.0.1:0",
                                       "imaps_listen": ""})
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        # The first log line comes from a server not yet ready to stop.
        first = proc.stderr.readline()
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        assert proc.wait(timeout=30) == 0, first + rest


# ---- full disk ----------------------------------------------------------------

@pytest.fixture
def tiny_disk(template_dir):
    if os.geteuid() != 0:
        pytest.skip("full-disk test needs root to mount a tmpfs")
    top = tempfile.mkdtemp(prefix="quire-fulldisk-")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", top],
                         capture_output=True)
    if res.returncode != 0:
        os.rmdir(top)
        pytest.skip("cannot mount a tmpfs here (%s): full-disk test skipped"
                    % res.stderr.decode(errors="replace").strip())
    try:
        data_dir = os.path.join(top, "data")
        shutil.copytree(template_dir, data_dir)
        yield top, data_dir
    finally:
        subprocess.run(["umount", "-l", top])
        os.rmdir(top)


def fill_up(path):
    """Writes path until the filesystem has no space left (bounded)."""
    chunk = b"\0" * 4096
    with open(path, "wb", buffering=0) as f:
        for _ in range(1024):
            try:
                f.write(chunk)
            except OSError:
                break


def test_full_disk_append_fails_with_no_and_loses_nothing(tiny_disk):
    top, data_dir = tiny_disk
    ballast = os.path.join(top, "ballast")
    with open(ballast, "wb") as f:
        f.write(b"\0" * 256 * 1024)
    server = Server(data_dir).start()
    try:
        c = RawConn(server.port)
        c.login(*ALICE)
        stored = {}
        refused = None
        for n in range(200):
            body = (b"Subject: fill %d\r\n\r\n" % n) + b"x" * 60000 + b"\r\n"
            _, tagged = c.command(b"APPEND INBOX {%d+}\r\n" % len(body) + body)
            status = tagged_status(tagged)
            if status == b"OK":
                uid = int(re.search(rb"\[APPENDUID \d+ (\d+)\]", tagged).group(1))
                stored[uid] = body
                continue
            refused = tagged
            break
        assert refused is not None, "2 MB disk never filled"
        assert tagged_status(refused) == b"NO", refused
        assert stored, "nothing fit at all"
        # Take the last free blocks too: on PostgreSQL only the body files
        # live on this disk, and a small one could still fit beside them.
        fill_up(os.path.join(top, "filler"))
        # More attempts while full: still NO, still a live session.
        for n in range(3):
            _, tagged = c.command(b"APPEND INBOX {20+}\r\n" + b"Subject: y\r\n\r\nyyyyyy")
            assert tagged_status(tagged) == b"NO", tagged
        c.command("UID STORE 1:* +FLAGS (\\Flagged)")  # may fail: disk full
        c.ok("NOOP")
        _, _, msgs = read_mailbox(c, "INBOX")
        assert set(msgs) == set(stored)
        for uid, body in stored.items():
            assert msgs[uid][1] == body, "UID %d changed" % uid
        c.close()

        os.unlink(ballast)  # space comes back
        os.unlink(os.path.join(top, "filler"))
        c = RawConn(server.port)
        c.login(*ALICE)
        body = b"Subject: after\r\n\r\nspace is back\r\n"
        _, tagged = c.command(b"APPEND INBOX {%d+}\r\n" % len(body) + body)
        assert tagged_status(tagged) == b"OK", tagged
        uid = int(re.search(rb"\[APPENDUID \d+ (\d+)\]", tagged).group(1))
        stored[uid] = body
        _, _, msgs = read_mailbox(c, "INBOX")
        assert {u: m[1] for u, m in msgs.items()} == stored
        c.ok("LOGOUT")
    finally:
        rc = server.stop()
        check_server_log(server)
    assert rc == 0
    check_store(data_dir)
    # And after a restart everything is still there.
    server = Server(data_dir).start()
    try:
        c = RawConn(server.port)
        c.login(*ALICE)
        _, _, msgs = read_mailbox(c, "INBOX")
        assert {u: m[1] for u, m in msgs.items()} == stored
        c.ok("LOGOUT")
    finally:
        assert server.stop() == 0
