"""A lost PostgreSQL (issue 10): while the database is stopped, or its
connections are cut, commands of logged-in, selected sessions answer
`NO [UNAVAILABLE]` in bounded time (no hang, no crash, no BYE), and once
the database is back the same sessions work again without a restart.
Runs only with QUIRE_STORE=postgresql (the second pass of `make test`);
each pytest worker has its own cluster, so stopping it touches no other
test."""
import re
import time

import pytest

from conftest import STORE, USERS
from test_pg_multi import pair  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(STORE != "postgresql",
                                reason="needs QUIRE_STORE=postgresql")

MESSAGE = b"From: a@example.org\r\nSubject: outage\r\n\r\nbody %d\r\n"
# A command must be answered well within this (the store's reconnect
# back-off is under a second, libpq's connect_timeout 5 s).
ANSWER_WITHIN = 15


def login(srv, user="alice"):
    c = srv.raw(timeout=ANSWER_WITHIN)
    c.ok("LOGIN %s %s" % (user, USERS[user]))
    return c


def append(c, n, mailbox="INBOX"):
    data = MESSAGE % n
    tag = c.next_tag()
    c.send(b"%s APPEND %s {%d+}\r\n" % (tag.encode(), mailbox.encode(),
                                       len(data)) + data + b"\r\n")
    return c.read_until_tagged(tag)[1]


def timed(c, command):
    start = time.monotonic()
    untagged, tagged = c.command(command)
    return untagged, tagged, time.monotonic() - start


def unavailable(tagged):
    # libpq's words (the socket path, the host) stay in the server log
    assert b".s.PGSQL" not in tagged and b"socket" not in tagged, tagged
    return b" NO [UNAVAILABLE]" in tagged


def until_ok(c, command, seconds=20):
    """Repeats command until it succeeds (the store reconnects on its own;
    a command that meets the reconnect may still get NO [UNAVAILABLE])."""
    deadline = time.monotonic() + seconds
    while True:
        untagged, tagged = c.command(command)
        if b" OK " in tagged:
            return untagged
        assert unavailable(tagged), (command, tagged)
        assert time.monotonic() < deadline, (command, tagged)
        time.sleep(0.2)


def test_stopped_database_gives_unavailable_then_recovers(server, pg_cluster):
    c = login(server)
    assert b" OK " in append(c, 1)
    c.ok("SELECT INBOX")
    pg_cluster.halt()
    try:
        # what the session's view answers alone may still succeed; what
        # needs the database must say it is unavailable
        for command, needs_db in (("STATUS INBOX (MESSAGES)", True),
                                  ("UID SEARCH ALL", False),
                                  ("UID SEARCH BODY outage", False),
                                  ("FETCH 1 BODY.PEEK[]", False),
                                  ("STORE 1 +FLAGS (\\Flagged)", True),
                                  ("CREATE Outage", True),
                                  ("LIST \"\" *", True),
                                  ("SELECT INBOX", True)):
            _, tagged, took = timed(c, command)
            print("%s while down: %.3f s: %r" % (command, took, tagged))
            assert unavailable(tagged) or (b" OK " in tagged and
                                           not needs_db), (command, tagged)
            assert took < ANSWER_WITHIN
        tagged = append(c, 2)
        assert unavailable(tagged), tagged
        # a new connection cannot log in, and is told why: not a bad
        # password (which would also feed the failed-login throttle)
        fresh = server.raw(timeout=ANSWER_WITHIN)
        _, tagged = fresh.command("LOGIN bob %s" % USERS["bob"])
        assert unavailable(tagged), tagged
        c.ok("NOOP")  # the session itself is alive
    finally:
        pg_cluster.resume()
    until_ok(c, "SELECT INBOX")
    assert b" OK " in append(c, 3)
    untagged = c.ok("UID FETCH 1:* (FLAGS BODY.PEEK[])")
    bodies = b"".join(untagged)
    assert b"body 1" in bodies and b"body 3" in bodies
    assert b"body 2" not in bodies        # refused while down: not stored
    assert b"\\Flagged" not in bodies      # refused while down: not applied
    c.ok("CREATE Outage")
    fresh.ok("LOGIN bob %s" % USERS["bob"])
    c.ok("LOGOUT")
    assert server.proc.poll() is None


def test_crashed_database_gives_unavailable_then_recovers(server, pg_cluster):
    c = login(server)
    c.ok("SELECT INBOX")
    pg_cluster.halt("immediate")
    try:
        tagged = append(c, 1)
        assert unavailable(tagged), tagged
    finally:
        pg_cluster.resume()
    until_ok(c, "NOOP")
    until_ok(c, "STATUS INBOX (MESSAGES)")
    assert b" OK " in append(c, 2)
    c.ok("LOGOUT")


def terminate_backends(pg_cluster, conninfo):
    db = re.search(r"dbname=(\S+)", conninfo).group(1)
    pg_cluster.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = '%s' AND pid <> pg_backend_pid()" % db)


def test_cut_connections_reconnect_and_idle_still_hears(pair, pg_cluster):
    a, b = pair
    writer = login(a)
    writer.ok("SELECT INBOX")
    idler = login(b)
    idler.ok("SELECT INBOX")
    idler.send(b"idle IDLE\r\n")
    assert idler.line().startswith(b"+ ")
    terminate_backends(pg_cluster, a.options["pg_conninfo"])
    # the writer's next command finds its connection dead: it reconnects
    # (or answers NO [UNAVAILABLE] once); either way it works soon after
    until_ok(writer, "STATUS INBOX (MESSAGES)")
    time.sleep(1)   # the other front end's listener reconnects meanwhile
    assert b" OK " in append(writer, 1)
    idler.sock.settimeout(ANSWER_WITHIN)
    assert idler.response() == b"* 1 EXISTS"
    idler.send(b"DONE\r\n")
    _, tagged = idler.read_until_tagged("idle")
    assert tagged.startswith(b"idle OK")


def test_change_while_listener_is_down_is_not_lost(pair, pg_cluster):
    """B's LISTEN connection backs off while the database is down; A's
    APPEND right after the restart commits before B listens again, so B
    never gets its notification: B's IDLE session must still learn of it
    (a lost notification only delays)."""
    a, b = pair
    idler = login(b)
    idler.ok("SELECT INBOX")
    idler.send(b"idle IDLE\r\n")
    assert idler.line().startswith(b"+ ")
    writer = login(a)
    pg_cluster.halt()
    try:
        time.sleep(3)   # B's listener is deep in its back-off by now
    finally:
        pg_cluster.resume()
    until_ok(writer, "NOOP")
    tagged = append(writer, 1)
    if b" OK " not in tagged:
        assert unavailable(tagged), tagged
        time.sleep(2.5)   # past the store's reconnect back-off
        assert b" OK " in append(writer, 1)
    idler.sock.settimeout(ANSWER_WITHIN)
    assert idler.response() == b"* 1 EXISTS"
    idler.send(b"DONE\r\n")
    idler.read_until_tagged("idle")
