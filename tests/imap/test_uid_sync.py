"""UID commands bring the view up to date before they resolve their set.

RFC 3501 6.4.8 (RFC 9051 6.4.9): in a UID range n:*, `*` is the largest
UID in use, so `UID FETCH n:*` always names at least the last message,
even when n is beyond it. When another session has just expunged the
message with the highest UID, a view that has not synced yet would take
that stale UID for `*`. RFC 3501 7.4.1 allows EXPUNGE during UID FETCH,
UID STORE, UID SEARCH (only the sequence-number forms forbid it), so the
session announces what changed first and then runs against the mailbox as
it is. The sequence-number forms keep holding EXPUNGE back.
"""
import re

ALICE = ("alice", "alice-secret")


def message(n):
    return b"Subject: message %d\r\nFrom: a@example.org\r\n\r\nbody %d\r\n" % (n, n)


def login(server):
    c = server.raw()
    c.login(*ALICE)
    return c


def fill(c, count):
    for i in range(1, count + 1):
        msg = message(i)
        _, tagged = c.command(b"APPEND INBOX {%d+}\r\n" % len(msg) + msg)
        assert b" OK " in tagged, tagged


def select(c):
    for line in c.ok("SELECT INBOX"):
        m = re.search(rb"\[UIDNEXT (\d+)\]", line)
        if m:
            return int(m.group(1))
    raise AssertionError("no UIDNEXT")


def two_sessions(server, count=4, enable=None):
    """a and b both have INBOX with count messages (UIDs 1..count)
    selected; returns (a, b, uidnext)."""
    a = login(server)
    if enable:
        a.ok("ENABLE " + enable)
    fill(a, count)
    b = login(server)
    select(b)  # b claims \Recent, so a's FLAGS are plain
    uidnext = select(a)
    return a, b, uidnext


def expunge_last(b, uid):
    b.ok("UID STORE %d +FLAGS.SILENT (\\Deleted)" % uid)
    b.ok("UID EXPUNGE %d" % uid)


def expunges(untagged):
    return [int(m.group(1)) for line in untagged
            for m in [re.match(rb"\* (\d+) EXPUNGE$", line)] if m]


def fetch_uids(untagged):
    return [int(m.group(1)) for line in untagged
            for m in [re.match(rb"\* \d+ FETCH \(.*UID (\d+)", line)] if m]


def index_of(untagged, pattern):
    return next(i for i, line in enumerate(untagged) if re.match(pattern, line))


def test_uid_fetch_star_after_other_session_expunged_last(server):
    a, b, uidnext = two_sessions(server)
    expunge_last(b, 4)
    untagged, tagged = a.command("UID FETCH %d:* (UID FLAGS)" % uidnext)
    assert b" OK " in tagged, tagged
    # the EXPUNGE first, then the FETCH of the new last message
    assert untagged == [b"* 4 EXPUNGE", b"* 3 FETCH (UID 3 FLAGS ())"], untagged
    assert a.ok("NOOP") == []


def test_uid_fetch_star_new_mail_of_same_process(server):
    a, b, uidnext = two_sessions(server)
    fill(b, 1)  # UID 5
    untagged = a.ok("UID FETCH %d:* (UID FLAGS)" % uidnext)
    assert untagged[0] == b"* 5 EXISTS"
    assert fetch_uids(untagged) == [5]


def test_uid_fetch_star_new_mail_of_other_process(server):
    """`quire deliver` is another process: its change is heard through
    notify.sock (SQLite) or LISTEN (PostgreSQL) and still counts."""
    a, _, uidnext = two_sessions(server)
    server.quire(["deliver", "alice"], stdin=message(9))
    untagged = a.ok("UID FETCH %d:* (UID FLAGS)" % uidnext)
    assert b"* 5 EXISTS" in untagged
    assert fetch_uids(untagged) == [5]
    assert index_of(untagged, rb"\* 5 EXISTS") < index_of(untagged, rb"\* 5 FETCH")


def test_uid_store_star_after_other_session_expunged_last(server):
    a, b, uidnext = two_sessions(server)
    expunge_last(b, 4)
    untagged, tagged = a.command("UID STORE %d:* +FLAGS (\\Flagged)" % uidnext)
    assert b" OK " in tagged, tagged
    assert untagged[0] == b"* 4 EXPUNGE"
    assert fetch_uids(untagged) == [3]
    assert re.match(rb"\* 3 FETCH \(.*FLAGS \(\\Flagged\)", untagged[1]), untagged
    flags = a.ok("UID FETCH 1:* (UID FLAGS)")
    assert flags[-1] == b"* 3 FETCH (UID 3 FLAGS (\\Flagged))"


def test_uid_search_star_after_other_session_expunged_last(server):
    a, b, uidnext = two_sessions(server)
    expunge_last(b, 4)
    untagged, tagged = a.command("UID SEARCH UID %d:*" % uidnext)
    assert b" OK " in tagged, tagged
    assert untagged == [b"* 4 EXPUNGE", b"* SEARCH 3"], untagged


def test_uid_copy_star_after_other_session_expunged_last(server):
    a, b, uidnext = two_sessions(server)
    a.ok("CREATE Copies")
    expunge_last(b, 4)
    untagged, tagged = a.command("UID COPY %d:* Copies" % uidnext)
    assert b" OK [COPYUID " in tagged, tagged
    assert re.search(rb"COPYUID \d+ 3 1\]", tagged), tagged
    assert expunges(untagged) == [4]


def test_uid_search_by_sequence_number_holds_the_view(server):
    """A sequence-set key means the numbers the client knew when it sent
    the command: the EXPUNGE then waits for the tagged reply (3:4 is
    still UIDs 3 and 4; RFC 2180 4.3 lets SEARCH name a message expunged
    meanwhile)."""
    a, b, _ = two_sessions(server)
    expunge_last(b, 4)
    untagged, tagged = a.command("UID SEARCH 3:4")
    assert b" OK " in tagged, tagged
    assert untagged == [b"* SEARCH 3 4", b"* 4 EXPUNGE"], untagged


def test_fetch_by_sequence_number_still_gets_no_expunge(server):
    a, b, uidnext = two_sessions(server)
    expunge_last(b, 4)
    # RFC 3501 7.4.1: never during FETCH, STORE, SEARCH by number
    untagged, tagged = a.command("FETCH 1:* FLAGS")
    assert b" OK " in tagged or b" NO " in tagged, tagged
    assert expunges(untagged) == []
    untagged = a.ok("STORE 1 +FLAGS (\\Seen)")
    assert expunges(untagged) == []
    untagged = a.ok("SEARCH ALL")
    assert expunges(untagged) == []
    # the EXPUNGE held back goes out first at the next UID command
    untagged = a.ok("UID FETCH %d:* (UID FLAGS)" % uidnext)
    assert untagged == [b"* 4 EXPUNGE", b"* 3 FETCH (UID 3 FLAGS ())"], untagged


def test_held_back_expunge_arrives_at_noop(server):
    a, b, _ = two_sessions(server)
    expunge_last(b, 4)
    untagged = a.ok("FETCH 1:3 FLAGS")
    assert expunges(untagged) == []
    assert expunges(a.ok("NOOP")) == [4]
    assert a.ok("NOOP") == []


def test_uid_fetch_without_changes_sends_nothing_extra(server):
    a, _, uidnext = two_sessions(server)
    assert a.ok("UID FETCH %d:* (UID FLAGS)" % uidnext) == [
        b"* 4 FETCH (UID 4 FLAGS ())"]
    assert a.ok("UID FETCH 2 (UID FLAGS)") == [b"* 2 FETCH (UID 2 FLAGS ())"]


def test_uid_fetch_star_with_qresync_gets_vanished_first(server):
    a, b, uidnext = two_sessions(server, enable="QRESYNC")
    expunge_last(b, 4)
    untagged = a.ok("UID FETCH %d:* (UID FLAGS)" % uidnext)
    assert untagged[0] == b"* VANISHED 4"
    assert fetch_uids(untagged) == [3]
