"""Issue 6 part 5: isolation between users and abuse by hostile clients.

One user must not reach another's mail by any path: odd mailbox names
(`..`, `/`, wildcards, NUL, overlong, modified UTF-7 that decodes to
separators), Other Users paths, UIDs and sequence numbers that belong to
other mailboxes, COPY/MOVE/APPEND aimed at someone else's mailbox. And a
hostile client must not be able to exhaust memory or descriptors: failed
logins lock the address out, non-readers are bounded, huge literals are
refused without being buffered, silent connections time out, and each
address gets a bounded number of connections.

Every attempt below is made by bob against alice, whose mail carries a
marker that must never appear in anything bob is sent, and whose mailboxes
must be exactly as they were afterwards.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import QUIRE, Server, check_server_log, serve_command

ALICE = ("alice", "alice-secret")
BOB = ("bob", "bob-secret")
MARKER = b"ALICE-PRIVATE-7f3a9c"


def login(server, user):
    c = server.raw()
    c.login(*user)
    return c


def append(c, mailbox, body, flags=b""):
    cmd = b"APPEND " + mailbox + b" " + flags + b"{%d+}\r\n" % len(body) + body
    return c.command(cmd)


def secret(n):
    return (b"Subject: secret %d\r\nFrom: alice@example.org\r\n\r\n%s %d\r\n"
            % (n, MARKER, n))


def snapshot(c):
    """alice's mailboxes with, for each, {uid: (flags, body)}."""
    names = sorted(re.findall(rb'\* LIST \([^)]*\) "/" (\S+)',
                              b"\n".join(c.ok('LIST "" "*"'))))
    out = {}
    for name in names:
        untagged, tagged = c.command(b"EXAMINE " + name)
        if not tagged.split(b" ")[1] == b"OK":
            out[name] = None  # \Noselect parent
            continue
        msgs = {}
        for line in c.ok("UID FETCH 1:* (FLAGS BODY.PEEK[])"):
            m = re.match(rb"\* \d+ FETCH \(.*UID (\d+).*FLAGS \(([^)]*)\)"
                         rb".*BODY\[\] \{\d+\}\r\n(.*)\)$", line, re.S)
            if m:
                msgs[int(m.group(1))] = (m.group(2), m.group(3))
        out[name] = msgs
    c.ok("UNSELECT")
    return out


@pytest.fixture
def alice_mail(server):
    """alice with two messages in INBOX and one in a private folder."""
    a = login(server, ALICE)
    a.ok("CREATE AliceOnlyBox")
    for n, box in ((1, b"INBOX"), (2, b"INBOX"), (3, b"AliceOnlyBox")):
        _, tagged = append(a, box, secret(n), b"(\\Flagged) ")
        assert b" OK " in tagged, tagged
    before = snapshot(a)
    assert len(before[b"INBOX"]) == 2 and len(before[b"AliceOnlyBox"]) == 1
    yield a, before
    assert snapshot(a) == before, "alice's mail changed"


class Recorder:
    """A RawClient wrapper that keeps every byte bob was sent."""

    def __init__(self, client):
        self.c = client
        self.seen = []

    def command(self, text):
        untagged, tagged = self.c.command(text)
        self.seen.extend(untagged)
        self.seen.append(tagged)
        if tagged.split(b" ")[1] == b"BAD":
            # Ten BADs in a row end the session (max_bad_commands); a NOOP
            # in between keeps it for the next attempt.
            self.c.ok("NOOP")
        return untagged, tagged

    def status(self, text):
        return self.command(text)[1].split(b" ", 2)[1]

    def check_no_leak(self):
        for line in self.seen:
            assert MARKER not in line, line
            assert b"AliceOnlyBox" not in line, line
            assert b"alice" not in line.lower() or b"LOGIN" in line, line


# Names that might escape bob's namespace on a careless server: path
# traversal, absolute paths, other users' namespaces, wildcards, and
# modified UTF-7 that decodes to '.', '/' or '~'.
HOSTILE_NAMES = [
    b"../alice/INBOX", b"../alice", b"..", b"../../alice/AliceOnlyBox",
    b"INBOX/../../alice/INBOX", b"/alice/INBOX", b"/INBOX", b"~alice/INBOX",
    b"alice/INBOX", b"alice/AliceOnlyBox", b"AliceOnlyBox",
    b'"Other Users/alice/INBOX"', b'"Other Users/alice"',
    b'"Other Users/alice/AliceOnlyBox"', b"#user/alice/INBOX",
    b"#shared/alice/INBOX", b"Shared/alice/INBOX", b"user.alice",
    b"%", b"*", b'"alice/%"', b'"../*"', b"&AC4ALg-/alice/INBOX",
    b"&AC8-alice&AC8-INBOX", b"&AH4-alice/INBOX", b"&AC4ALgAv-alice/INBOX",
    b"&-/../alice", b'"\\\\alice\\\\INBOX"', b"INBOX/./../alice",
]


def test_hostile_names_never_reach_other_user(server, alice_mail):
    b = Recorder(login(server, BOB))
    for name in HOSTILE_NAMES:
        for cmd in (b"SELECT ", b"EXAMINE ", b"STATUS %s (MESSAGES UIDNEXT)",
                    b"DELETE ", b"SUBSCRIBE ", b"RENAME %s mine",
                    b"UNSUBSCRIBE "):
            text = cmd % name if b"%s" in cmd else cmd + name
            status = b.status(text)
            # Subscribing to a name is allowed (RFC 3501 6.3.6: it need not
            # exist); reaching anything of alice's is not.
            if cmd in (b"SUBSCRIBE ", b"UNSUBSCRIBE "):
                continue
            assert status in (b"NO", b"BAD"), (text, status)
        _, tagged = b.command(b"APPEND " + name + b" {5+}\r\nhello")
        assert tagged.split(b" ")[1] in (b"NO", b"BAD"), (name, tagged)
    for ref, pattern in ((b'""', b'"*"'), (b'"../"', b'"*"'), (b'""', b'"../*"'),
                         (b'"/"', b'"*"'), (b'""', b'"/*"'),
                         (b'"Other Users/"', b'"*"'), (b'""', b'"Other Users/*"'),
                         (b'"#"', b'"*"'), (b'"~alice/"', b'"*"'),
                         (b'"../alice/"', b'"%"'), (b'""', b'"%/%/%"')):
        b.command(b"LIST " + ref + b" " + pattern)
        b.command(b"LSUB " + ref + b" " + pattern)
    b.check_no_leak()


def test_creating_hostile_names_stays_in_own_namespace(server, alice_mail):
    """Whatever bob manages to create is his, visible only to him."""
    b = Recorder(login(server, BOB))
    created = []
    for name in HOSTILE_NAMES:
        if b.status(b"CREATE " + name) == b"OK":
            created.append(name)
            assert b.status(b"SELECT " + name) == b"OK"
            _, tagged = b.command(b"APPEND " + name + b" {9+}\r\nbob-owned")
            assert b" OK " in tagged, tagged
            untagged, _ = b.command(b"FETCH 1:* BODY.PEEK[]")
            assert len([u for u in untagged if b"FETCH" in u]) == 1, untagged
    b.check_no_leak()
    a = Recorder(alice_mail[0])
    listed = b"\n".join(a.command(b'LIST "" "*"')[0])
    for name in created:
        assert name.strip(b'"') not in listed.split(b'"/" ')[1:], name


def test_nul_and_overlong_names_are_refused(server, alice_mail):
    b = Recorder(login(server, BOB))
    for cmd in (b"SELECT", b"CREATE", b"STATUS", b"DELETE"):
        for payload in (b"IN\x00BOX", b"../alice\x00/INBOX", b"x" * 513,
                        b"a/" * 300 + b"a", b"&" + b"A" * 2000 + b"-"):
            tail = b" (MESSAGES)" if cmd == b"STATUS" else b""
            _, tagged = b.command(cmd + b" {%d+}\r\n" % len(payload) +
                                  payload + tail)
            assert tagged.split(b" ")[1] in (b"NO", b"BAD"), (cmd, payload[:20],
                                                            tagged)
    huge = b"y" * 60000
    _, tagged = b.command(b"SELECT {%d+}\r\n" % len(huge) + huge)
    assert tagged.split(b" ")[1] in (b"NO", b"BAD"), tagged
    b.command(b"NOOP")
    assert b.status(b"NOOP") == b"OK"
    b.check_no_leak()


def test_uids_and_sequence_numbers_of_other_mailboxes(server, alice_mail):
    """bob's own INBOX has one message; alice's UIDs 1..3 exist elsewhere."""
    b = Recorder(login(server, BOB))
    append(b.c, b"INBOX", b"Subject: bob\r\n\r\nbob's own\r\n")
    assert b.status(b"SELECT INBOX") == b"OK"
    for cmd in (b"UID FETCH 1:100 (UID BODY.PEEK[])", b"UID FETCH 2 BODY.PEEK[]",
                b"UID FETCH 3 BODY.PEEK[]", b"UID FETCH 4294967295 BODY.PEEK[]",
                b"UID FETCH * BODY.PEEK[]", b"FETCH 1:* BODY.PEEK[]",
                b"FETCH 2 BODY.PEEK[]", b"FETCH 3:5 BODY.PEEK[]",
                b"FETCH 4294967295 BODY.PEEK[]", b"UID STORE 2:3 +FLAGS (\\Deleted)",
                b"STORE 2 +FLAGS (\\Deleted)", b"UID COPY 2:3 INBOX",
                b"UID MOVE 2:3 INBOX", b"UID EXPUNGE 1:100", b"COPY 2 INBOX"):
            b.command(cmd)
    # Only bob's one message was ever shown, and it is still his.
    fetched = [line for line in b.seen if re.match(rb"\* \d+ FETCH .*BODY", line)]
    assert fetched and all(b"bob's own" in line for line in fetched), fetched
    b.check_no_leak()


def test_copy_and_move_into_other_users_mailbox(server, alice_mail):
    b = Recorder(login(server, BOB))
    append(b.c, b"INBOX", b"Subject: spam\r\n\r\nfrom bob\r\n")
    assert b.status(b"SELECT INBOX") == b"OK"
    for target in HOSTILE_NAMES:
        for cmd in (b"COPY 1 ", b"UID COPY 1:* ", b"MOVE 2 "):
            status = b.status(cmd + target)
            assert status in (b"NO", b"BAD"), (cmd + target, status)
    b.check_no_leak()
    # alice_mail's teardown checks alice's mailboxes are unchanged.


def test_other_users_namespace_without_rights(server, alice_mail):
    """Without ACL rights another user's mailboxes do not exist for bob."""
    b = Recorder(login(server, BOB))
    ns, _ = b.command(b"NAMESPACE")
    m = re.search(rb'\* NAMESPACE \S+ \(\("([^"]*)" "(.)"\)\)', b"\n".join(ns))
    prefixes = [b"Other Users/", b"#user/"]
    if m:
        prefixes.insert(0, m.group(1))
    for prefix in prefixes:
        for box in (b"alice/INBOX", b"alice/AliceOnlyBox", b"alice"):
            name = b'"' + prefix + box + b'"'
            _, tagged = b.command(b"SELECT " + name)
            assert tagged.split(b" ")[1] in (b"NO", b"BAD"), tagged
            if tagged.split(b" ")[1] == b"NO":
                assert b"NONEXISTENT" in tagged or b"NOPERM" in tagged, tagged
            b.command(b"LIST \"\" \"" + prefix + b"*\"")
            b.command(b"GETACL " + name)
            b.command(b"MYRIGHTS " + name)
    b.check_no_leak()


# ---- brute force -----------------------------------------------------------

def test_failed_logins_slow_down_then_lock_out(server_factory):
    """Each failure answers no sooner than the configured, growing delay;
    at auth_lockout_failures the address is refused even with the right
    password (and for another user), until auth_lockout_seconds pass."""
    srv = server_factory(auth_fail_delay_ms=150, auth_fail_delay_max_ms=600,
                         auth_max_failures=10, auth_lockout_failures=4,
                         auth_lockout_seconds=3)
    c = srv.raw()
    delays = []
    for i in range(3):
        start = time.monotonic()
        _, tagged = c.command("LOGIN alice wrong%d" % i)
        delays.append(time.monotonic() - start)
        assert tagged.split(b" ")[1] == b"NO", tagged
    # 150, 300, 600 ms: the server waits at least that long (a lower bound:
    # a slow machine only makes it longer).
    assert delays[0] >= 0.14 and delays[1] >= 0.29 and delays[2] >= 0.58, delays
    c.command("AUTHENTICATE PLAIN AGFsaWNlAHdyb25n")  # 4th failure: locked
    for user in (ALICE, BOB):
        d = srv.raw()
        _, tagged = d.command('LOGIN "%s" "%s"' % user)
        assert tagged.startswith(b"t1 NO [UNAVAILABLE]"), tagged
        _, tagged = d.command("AUTHENTICATE PLAIN AGJvYgBib2Itc2VjcmV0")
        assert tagged.split(b" ")[1] == b"NO", tagged
        d.close()
    time.sleep(3.5)
    login(srv, ALICE).ok("NOOP")


# ---- privileges --------------------------------------------------------------

def proc_ids(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return [int(x) for x in line.split()[1:]]
    raise AssertionError("no %s in /proc/%d/status" % (key, pid))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_drops_root_to_configured_user(template_dir):
    import pwd
    nobody = pwd.getpwnam("nobody")
    # /tmp itself, not pytest's 0700 tmp dir, so nobody can reach data_dir.
    top = tempfile.mkdtemp(prefix="quire-priv-")
    try:
        os.chmod(top, 0o755)
        data_dir = os.path.join(top, "data")
        shutil.copytree(template_dir, data_dir)
        for root, dirs, files in os.walk(data_dir):
            for n in [root] + [os.path.join(root, x) for x in dirs + files]:
                os.chown(n, nobody.pw_uid, nobody.pw_gid)
        srv = Server(data_dir, {"user": "nobody"}).start()
        try:
            # The listening lines come before the drop; wait for it.
            deadline = time.time() + 20
            while ("running as user nobody" not in srv.read_log() and
                   time.time() < deadline):
                time.sleep(0.05)
            assert proc_ids(srv.proc.pid, "Uid") == [nobody.pw_uid] * 4
            assert proc_ids(srv.proc.pid, "Gid") == [nobody.pw_gid] * 4
            # Still fully working as nobody: the store is writable.
            c = login(srv, ALICE)
            _, tagged = append(c, b"INBOX", b"Subject: x\r\n\r\nas nobody\r\n")
            assert b" OK " in tagged, tagged
            c.ok("SELECT INBOX")
            c.ok("FETCH 1 BODY[]")
            c.ok("LOGOUT")
        finally:
            rc = srv.stop()
            check_server_log(srv)
        assert rc == 0, srv.read_log()
        # An unknown user stops start-up instead of serving as root.
        res = subprocess.run(
            serve_command(data_dir, {"imap_listen": "127.0.0.1:0",
                                     "imaps_listen": "",
                                     "user": "no-such-user-quire"}),
            capture_output=True, timeout=30)
        assert res.returncode != 0
        assert b"unknown user 'no-such-user-quire'" in res.stderr, res.stderr
    finally:
        shutil.rmtree(top, ignore_errors=True)


# ---- memory and descriptors --------------------------------------------------

def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_client_that_never_reads_is_bounded(server_factory):
    """Pipelined FETCHes of a 1 MB message from a client that never reads:
    the server stops taking its commands once output_buffer_max is pending
    (flow control), so its memory stays bounded, and drops it when no
    output has moved for idle_timeout."""
    srv = server_factory(output_buffer_max="256K", idle_timeout=3)
    c = login(srv, ALICE)
    big = b"Subject: big\r\n\r\n" + (b"0123456789abcdef" * 65536)
    _, tagged = append(c, b"INBOX", big)
    assert b" OK " in tagged, tagged
    c.ok("SELECT INBOX")
    base = rss_kb(srv.proc.pid)
    c.sock.settimeout(2)
    sent = 0
    try:
        for i in range(20000):  # 20 GB of responses if all were answered
            c.sock.sendall(b"f%d FETCH 1 BODY.PEEK[]\r\n" % i)
            sent += 1
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass
    grown = rss_kb(srv.proc.pid) - base
    assert grown < 64 * 1024, "server RSS grew by %d KiB" % grown
    deadline = time.time() + 30
    while "idle timeout" not in srv.read_log() and time.time() < deadline:
        time.sleep(0.2)
    assert "idle timeout" in srv.read_log(), srv.read_log()
    # What is left in the socket buffers is far less than was asked for.
    c.sock.settimeout(5)
    received = 0
    try:
        while True:
            chunk = c.sock.recv(1 << 20)
            if not chunk:
                break
            received += len(chunk)
    except (socket.timeout, ConnectionResetError):
        pass
    assert received < sent * len(big) / 2, (received, sent)
    login(srv, BOB).ok("NOOP")  # the server is still serving others


def test_announced_gigabyte_literal_is_refused_unread(server):
    c = login(server, ALICE)
    c.send(b"a1 APPEND INBOX {1073741824}\r\n")
    resp = c.response()
    assert resp.startswith(b"a1 NO [TOOBIG]"), resp
    c.ok("NOOP")
    c.ok("SELECT INBOX")
    untagged = c.ok("STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 0" in b"".join(untagged), untagged


# Under ASan freed memory sits in its quarantine (256 MB by default), so RSS
# says nothing about what the server keeps: the bound is checked only on
# the plain build (make test), the sanitizers check the rest.
SANITIZED = "/asan/" in QUIRE or "ASAN_OPTIONS" in os.environ
RSS_GROWTH_MAX_KB = 1 << 30 if SANITIZED else 48 * 1024


def stream(sock, total, pid, chunk=1 << 20):
    """Sends total bytes of literal; returns the highest RSS seen (KiB)."""
    data = b"z" * chunk
    peak = 0
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        sock.sendall(data[:n])
        sent += n
        if sent % (16 * chunk) == 0:
            peak = max(peak, rss_kb(pid))
    return peak


def test_nonsync_gigabyte_literal_is_swallowed_unbuffered(server):
    c = login(server, ALICE)
    pid = server.proc.pid
    base = rss_kb(pid)
    # 200 MB over the 64 MB limit: the server answers BAD [TOOBIG] and
    # discards the bytes as they come; then the connection is usable.
    size = 200 * 1024 * 1024
    c.send(b"a1 APPEND INBOX {%d+}\r\n" % size)
    peak = stream(c.sock, size, pid)
    c.send(b"\r\n")
    resp = c.response()
    assert resp.startswith(b"a1 BAD [TOOBIG]"), resp
    assert peak - base < RSS_GROWTH_MAX_KB, "RSS grew by %d KiB" % (peak - base)
    c.ok("NOOP")
    # A 1 GB announcement: stream 200 MB of it, memory stays flat, then
    # hang up; the server carries on.
    d = login(server, BOB)
    d.send(b"a1 APPEND INBOX {1073741824+}\r\n")
    peak = stream(d.sock, size, pid)
    assert peak - base < RSS_GROWTH_MAX_KB, "RSS grew by %d KiB" % (peak - base)
    d.close()
    c.ok("STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 0" in b"".join(c.ok("STATUS INBOX (MESSAGES)"))


def first_line(s):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def test_silent_connections_time_out_and_are_bounded_per_address(server_factory):
    srv = server_factory(auth_timeout=2, max_connections_per_ip=20)
    pid = srv.proc.pid
    base_fds = fd_count(pid)
    socks, refused = [], 0
    for _ in range(60):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        line = first_line(s)
        if line.startswith(b"* BYE Too many connections"):
            refused += 1
            s.close()
        else:
            assert line.startswith(b"* OK"), line
            socks.append(s)
    assert len(socks) == 20 and refused == 40, (len(socks), refused)
    assert fd_count(pid) <= base_fds + 20 + 8  # + the store, opened lazily
    # Nobody speaks: each is closed after auth_timeout with a BYE.
    for s in socks:
        s.settimeout(10)
        rest = b""
        while True:
            chunk = s.recv(200)
            if not chunk:
                break
            rest += chunk
        assert rest.startswith(b"* BYE"), rest
        s.close()
    deadline = time.time() + 10
    while fd_count(pid) > base_fds and time.time() < deadline:
        time.sleep(0.1)
    assert fd_count(pid) <= base_fds + 8
    login(srv, ALICE).ok("NOOP")  # the address's slots came back


def test_per_address_limit_frees_slots_on_close(server_factory):
    srv = server_factory(max_connections_per_ip=3)
    held = [login(srv, ALICE) for _ in range(3)]
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    assert first_line(s).startswith(b"* BYE Too many connections")
    s.close()
    held[0].ok("LOGOUT")
    held[0].close()
    deadline = time.time() + 10
    while True:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        greeting = first_line(s)
        s.close()
        if greeting.startswith(b"* OK") or time.time() > deadline:
            break
        time.sleep(0.1)
    assert greeting.startswith(b"* OK"), greeting
    for c in held[1:]:
        c.ok("NOOP")


def test_shared_folder_grants_nothing_beyond_its_rights(server, alice_mail):
    """bob may read alice's AliceOnlyBox (lr) and nothing else: no path
    through it leads to her INBOX, and he cannot write into it or mark it
    read (the fixture checks her mail, flags included, is unchanged)."""
    a, _ = alice_mail
    a.ok("SETACL AliceOnlyBox bob lr")
    b = login(server, BOB)
    shared = '"Other Users/alice/AliceOnlyBox"'
    b.ok("EXAMINE " + shared)
    b.ok("UNSELECT")
    for name in ("Other Users/alice/INBOX", "Other Users/alice/AliceOnlyBox/../INBOX",
                 "Other Users/alice/../alice/INBOX", "Other Users/alice/AliceOnlyBox/..",
                 "Other Users/alice/INBOX/../AliceOnlyBox", "Other Users/alice",
                 "Other Users/alice/", "Other Users/ALICE/INBOX",
                 "Other Users/alice/inbox", "Other Users/carol/INBOX",
                 "Other Users/alice/AliceOnlyBox/x", "Other Users/alice/AliceOnlyBox%"):
        _, tagged = b.command('SELECT "%s"' % name)
        assert tagged.split(b" ")[1] in (b"NO", b"BAD"), (name, tagged)
        if b"NO" in tagged.split(b" ")[1]:
            b.ok("NOOP")
    listed = b"\n".join(b.ok('LIST "" "Other Users/*"'))
    assert b"INBOX" not in listed.upper().replace(b"ALICEONLYBOX", b""), listed
    append(b, b"INBOX", b"Subject: bob\r\n\r\nbob's\r\n")
    b.ok("SELECT INBOX")
    for cmd in ("COPY 1 ", "MOVE 1 "):
        _, tagged = b.command(cmd + shared)
        assert tagged.startswith(b"t") and b" NO " in tagged, tagged
    _, tagged = append(b, b'"Other Users/alice/AliceOnlyBox"', b"Subject: x\r\n\r\ny\r\n")
    assert b" NO " in tagged, tagged
    b.ok("SELECT " + shared)  # read-write open, but only l and r
    b.command("FETCH 1:* BODY[]")  # must not set \Seen without s
    for cmd in ("STORE 1 +FLAGS (\\Deleted)", "STORE 1 -FLAGS (\\Flagged)",
                "EXPUNGE", "UID EXPUNGE 1:*", "MOVE 1 INBOX"):
        b.command(cmd)
    b.ok("LOGOUT")
