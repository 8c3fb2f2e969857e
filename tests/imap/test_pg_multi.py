"""Several front ends over one PostgreSQL database (issue 10): two
`quire serve` processes share the database and the blob directory; what
one does, the other's sessions see. Runs only with QUIRE_STORE=postgresql
(the second pass of `make test`)."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

from conftest import STORE, USERS, Server, check_server_log

pytestmark = pytest.mark.skipif(STORE != "postgresql",
                                reason="needs QUIRE_STORE=postgresql")

MESSAGE = b"From: a@example.org\r\nSubject: multi\r\n\r\nbody\r\n"


@pytest.fixture
def pair(template_dir, tmp_path):
    """Two front ends: A on its own data_dir, B sharing A's database and
    blob directory."""
    dirs = []
    for name in ("a", "b"):
        d = str(tmp_path / name)
        shutil.copytree(template_dir, d)
        dirs.append(d)
    a = Server(dirs[0])
    shared = {"pg_conninfo": a.options["pg_conninfo"],
              "blob_dir": os.path.join(dirs[0], "blobs")}
    a.options.update(shared)
    b = Server(dirs[1], shared)
    servers = [a.start(), b.start()]
    yield servers
    for srv in servers:
        if srv.proc is not None:
            rc = srv.stop()
            check_server_log(srv)
            assert rc == 0


def login(srv, user="alice"):
    c = srv.raw()
    c.ok("LOGIN %s %s" % (user, USERS[user]))
    return c


def append(c, data=MESSAGE, mailbox="INBOX"):
    c.send(b"a APPEND %s {%d+}\r\n" % (mailbox.encode(), len(data)) + data + b"\r\n")
    _, tagged = c.read_until_tagged("a")
    assert tagged.startswith(b"a OK"), tagged
    m = re.search(rb"APPENDUID \d+ (\d+)", tagged)
    return int(m.group(1))


def test_append_on_one_reaches_idle_on_the_other(pair):
    """Issue 10 wants < 100 ms; measured here (printed, see -s) over a few
    APPENDs, asserted only against a bound a loaded 2-core CI machine
    keeps (bench/pg_idle_latency.py measures 100 samples)."""
    a, b = pair
    idler = login(b)
    idler.ok("SELECT INBOX")
    idler.send(b"idle IDLE\r\n")
    assert idler.line().startswith(b"+ ")
    writer = login(a)
    idler.sock.settimeout(5)
    took = []
    for n in range(1, 11):
        start = time.monotonic()
        append(writer)
        for _ in range(5):      # EXISTS, perhaps after the last RECENT
            line = idler.response()
            if line == b"* %d EXISTS" % n:
                break
            assert line.endswith(b" RECENT"), line
        assert line == b"* %d EXISTS" % n
        took.append(time.monotonic() - start)
    idler.send(b"DONE\r\n")
    _, tagged = idler.read_until_tagged("idle")
    assert tagged.startswith(b"idle OK")
    took.sort()
    print("APPEND on A to EXISTS on B: median %.1f ms, max %.1f ms"
          % (took[len(took) // 2] * 1000, took[-1] * 1000))
    assert took[-1] < 2.0, took


def test_concurrent_appends_get_unique_increasing_uids(pair):
    uids = {0: [], 1: []}

    def run(i, srv):
        c = login(srv)
        for _ in range(25):
            uids[i].append(append(c))
        c.close()
    threads = [threading.Thread(target=run, args=(i, srv))
               for i, srv in enumerate(pair)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    both = uids[0] + uids[1]
    assert len(both) == 50 and len(set(both)) == 50
    assert uids[0] == sorted(uids[0]) and uids[1] == sorted(uids[1])
    c = login(pair[1])
    untagged = c.ok("SELECT INBOX")
    assert b"* 50 EXISTS" in untagged
    found = c.ok("UID SEARCH ALL")[0]
    assert sorted(int(x) for x in found.split()[2:]) == sorted(both)


def test_flags_and_expunges_cross_over(pair):
    a, b = pair
    ca, cb = login(a), login(b)
    for _ in range(3):
        append(ca)
    cb.ok("SELECT INBOX")
    ca.ok("SELECT INBOX")
    ca.ok("UID STORE 2 +FLAGS (\\Deleted \\Flagged)")
    seen = [line for line in cb.ok("NOOP") if line.startswith(b"* 2 FETCH")]
    assert seen and b"\\Flagged" in seen[0] and b"\\Deleted" in seen[0], seen
    ca.ok("EXPUNGE")
    assert b"* 2 EXPUNGE" in cb.ok("NOOP")
    assert b"* 2 EXISTS" in cb.ok("SELECT INBOX")


def test_killing_one_front_end_loses_nothing_acknowledged(pair):
    a, b = pair
    c = login(a)
    acked = [append(c) for _ in range(10)]
    a.stop(signal.SIGKILL)
    cb = login(b)
    cb.ok("SELECT INBOX")
    found = cb.ok("UID SEARCH ALL")[0]
    assert sorted(int(x) for x in found.split()[2:]) == acked
    fetched = cb.ok("UID FETCH %d BODY.PEEK[]" % acked[-1])
    assert any(MESSAGE in line for line in fetched)


def read_until(c, pred, limit=50):
    seen = []
    for _ in range(limit):
        seen.append(c.response())
        if pred(seen[-1]):
            return seen
    raise AssertionError("not seen in %r" % seen)


def test_notify_name_and_subscription_events_cross_over(pair):
    """RFC 5465 MailboxName and SubscriptionChange events made on one
    front end reach a NOTIFY session on the other (LISTEN/NOTIFY carries
    the store's pseudo mailbox ids too)."""
    a, b = pair
    watcher = login(b)
    watcher.sock.settimeout(5)
    watcher.ok("NOTIFY SET (personal (MailboxName SubscriptionChange))")
    c = login(a)
    c.ok("CREATE Remote")
    assert read_until(watcher, lambda l: b"Remote" in l)[-1] == \
        b'* LIST (\\HasNoChildren) "/" Remote'
    c.ok("SUBSCRIBE Remote")
    assert read_until(watcher, lambda l: b"Remote" in l)[-1] == \
        b'* LIST (\\HasNoChildren \\Subscribed) "/" Remote'
    c.ok("RENAME Remote Moved")
    assert read_until(watcher, lambda l: b"Moved" in l)[-1].startswith(
        b'* LIST (\\HasNoChildren) "/" Moved')
    c.ok("DELETE Moved")
    assert read_until(watcher, lambda l: b"Moved" in l)[-1] == \
        b'* LIST (\\NonExistent) "/" Moved'
    # an ACL grant by another user on the first front end
    bob = login(a, "bob")
    bob.ok("CREATE shared")
    watcher.ok('NOTIFY SET (subtree "Other Users" (MailboxName))')
    bob.ok("SETACL shared alice lr")
    assert b"shared" in read_until(watcher, lambda l: b"shared" in l)[-1]


def threadid(c, uid):
    line = [l for l in c.ok("UID FETCH %d THREADID" % uid)
            if b"THREADID" in l][0]
    return re.search(rb"THREADID \(([^)]*)\)", line).group(1)


def test_reply_on_one_front_end_joins_thread_from_the_other(pair):
    """RFC 8474 THREADID: the thread names one front end records are
    what the other looks a reply up in."""
    a, b = pair
    parent = (b"From: a@example.org\r\nMessage-ID: <p1@example.org>\r\n"
              b"Subject: plans\r\n\r\nparent\r\n")
    reply = (b"From: b@example.org\r\nMessage-ID: <r1@example.org>\r\n"
             b"In-Reply-To: <p1@example.org>\r\nSubject: Re: plans\r\n"
             b"\r\nreply\r\n")
    other = (b"From: c@example.org\r\nMessage-ID: <o1@example.org>\r\n"
             b"Subject: else\r\n\r\nother\r\n")
    u1 = append(login(a), parent)
    u2 = append(login(b), reply)
    u3 = append(login(a), other)
    c = login(b)
    c.ok("SELECT INBOX")
    t1, t2, t3 = threadid(c, u1), threadid(c, u2), threadid(c, u3)
    assert t1 == t2 and t1 != t3 and t1.startswith(b"T"), (t1, t2, t3)


def test_schema_upgrade_gives_old_mail_threads(template_dir, tmp_path):
    """Migration 2 on a database that has mail: old rows get the number
    of their body, copies share it, new threads start above them."""
    import conftest
    d = str(tmp_path / "up")
    shutil.copytree(template_dir, d)
    srv = Server(d).start()
    c = login(srv)
    append(c)
    append(c)                       # the same bytes: one body
    c.ok("CREATE Other")
    append(c, MESSAGE.replace(b"body", b"other"), "Other")
    c.close()
    assert srv.stop() == 0
    db = srv.options["pg_conninfo"].rsplit("dbname=", 1)[1]
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                    conftest.PG.conninfo(db), "-c",
                    "ALTER TABLE messages DROP COLUMN thread_id;"
                    "DROP TABLE thread_names; DROP SEQUENCE thread_seq;"
                    # later migrations go too: the database is as before 2
                    "DROP TABLE blob_headers;"
                    "DELETE FROM schema_migrations WHERE version >= 2"],
                   check=True, capture_output=True, timeout=60)
    srv.start()
    try:
        c = login(srv)
        c.ok("SELECT INBOX")
        t1, t2 = threadid(c, 1), threadid(c, 2)
        uid = append(c, MESSAGE.replace(b"body", b"new"))
        t3 = threadid(c, uid)
        c.ok("SELECT Other")
        t4 = threadid(c, 1)
    finally:
        rc = srv.stop()
        check_server_log(srv)
    assert rc == 0
    assert t1 == t2 and len({t1, t3, t4}) == 3, (t1, t2, t3, t4)
    assert int(t3[1:], 16) > max(int(t1[1:], 16), int(t4[1:], 16))


def test_remembered_blobs_stay_right_when_rows_go_and_come(pair):
    """A front end remembers each blob row it read (id -> hash, size).
    When the other front end expunges the message (row and file go) and
    appends other mail and then the same body again (new rows, new ids),
    the first one still serves exactly the current bodies."""
    first = b"From: a@example.org\r\nSubject: first\r\n\r\nfirst body\r\n"
    second = b"From: a@example.org\r\nSubject: second\r\n\r\nsecond text\r\n"
    ca, cb = login(pair[0]), login(pair[1])
    append(ca, first)
    ca.ok("SELECT INBOX")
    assert first in b"".join(ca.ok("FETCH 1 BODY.PEEK[]"))
    assert ca.ok("SEARCH SUBJECT first")[0] == b"* SEARCH 1"
    cb.ok("SELECT INBOX")
    cb.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    cb.ok("EXPUNGE")
    uid_second = append(cb, second)
    uid_first = append(cb, first)
    ca.ok("NOOP")
    got = b"".join(ca.ok("UID FETCH %d BODY.PEEK[]" % uid_second))
    assert second in got and b"first body" not in got
    got = b"".join(ca.ok("UID FETCH %d BODY.PEEK[]" % uid_first))
    assert first in got
    assert ca.ok("UID SEARCH SUBJECT first")[0] == b"* SEARCH %d" % uid_first
    assert ca.ok("UID SEARCH BODY text")[0] == b"* SEARCH %d" % uid_second
    ca.ok("LOGOUT")
    cb.ok("LOGOUT")
