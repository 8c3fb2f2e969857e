"""Issue 3/4: SELECT, EXAMINE, FETCH, CLOSE, UNSELECT, IDLE and what other
sessions see, over real sockets."""
import re
import threading
import time

import pytest

MSG = (b"From: Alice <alice@example.org>\r\n"
       b"To: Bob <bob@example.org>\r\n"
       b"Subject: hello %d\r\n"
       b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
       b"Message-ID: <%d@example.org>\r\n"
       b"\r\n"
       b"body line %d\r\n")


def deliver(server, user, n, start=1):
    for i in range(start, start + n):
        server.quire(["deliver", user], stdin=MSG % (i, i, i))


def logged_in(server, user="alice"):
    c = server.raw()
    c.login(user, user + "-secret")
    return c


def test_select_responses(server):
    deliver(server, "alice", 3)
    c = logged_in(server)
    untagged, tagged = c.command("SELECT INBOX")
    assert tagged.startswith(b"t2 OK [READ-WRITE]")
    text = b"\n".join(untagged)
    assert b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)" in text
    assert b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)]" in text
    assert b"* 3 EXISTS" in text and b"* 3 RECENT" in text
    assert b"* OK [UNSEEN 1]" in text
    assert re.search(rb"\* OK \[UIDVALIDITY \d+\]", text)
    assert b"* OK [UIDNEXT 4]" in text


def test_recent_goes_to_one_session(server):
    deliver(server, "alice", 2)
    a = logged_in(server)
    assert b"* 2 RECENT" in a.ok("SELECT INBOX")
    b = logged_in(server)
    assert b"* 0 RECENT" in b.ok("SELECT INBOX")
    e = logged_in(server)
    assert b"* 0 RECENT" in e.ok("EXAMINE INBOX")


def test_examine_is_read_only(server):
    deliver(server, "alice", 1)
    c = logged_in(server)
    untagged, tagged = c.command("EXAMINE INBOX")
    assert tagged.startswith(b"t2 OK [READ-ONLY]")
    assert b"* OK [PERMANENTFLAGS ()] Flags permitted" in untagged
    c.ok("FETCH 1 BODY[]")  # no implicit \Seen in read-only mode
    untagged = c.ok("FETCH 1 FLAGS")
    assert b"\\Seen" not in untagged[0]


def test_select_missing_and_noselect(server):
    c = logged_in(server)
    _, tagged = c.command("SELECT Nope")
    assert tagged.startswith(b"t2 NO [NONEXISTENT]")
    c.ok("CREATE a/b")
    c.ok("DELETE a")  # a has a child: becomes \Noselect
    _, tagged = c.command("SELECT a")
    assert b" NO " in tagged
    # A failed SELECT leaves the authenticated state, not the old mailbox.
    c.ok("SELECT INBOX")
    _, tagged = c.command("SELECT Nope")
    _, tagged = c.command("FETCH 1 FLAGS")
    assert b" BAD " in tagged


def test_fetch_basic_items(server):
    deliver(server, "alice", 2)
    c = logged_in(server)
    c.ok("SELECT INBOX")
    untagged = c.ok("FETCH 1:2 (UID FLAGS RFC822.SIZE INTERNALDATE)")
    assert len(untagged) == 2
    size = len(MSG % (1, 1, 1))
    assert re.match(rb'\* 1 FETCH \(UID 1 FLAGS \(\\Recent\) RFC822\.SIZE %d '
                    rb'INTERNALDATE "\d\d-\w\w\w-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"\)$' % size,
                    untagged[0]), untagged[0]


def test_fetch_body_sets_seen_and_peek_does_not(server):
    deliver(server, "alice", 2)
    c = logged_in(server)
    c.ok("SELECT INBOX")
    untagged = c.ok("FETCH 1 BODY.PEEK[]")
    assert untagged[0].endswith(b")") and (MSG % (1, 1, 1)) in untagged[0]
    assert b"\\Seen" not in c.ok("FETCH 1 FLAGS")[0]
    untagged = c.ok("FETCH 2 BODY[TEXT]")
    assert b"body line 2" in untagged[0] and b"FLAGS (\\Seen \\Recent)" in untagged[0]
    assert b"\\Seen" in c.ok("FETCH 2 FLAGS")[0]


def test_fetch_sections_and_partials(server):
    deliver(server, "alice", 1)
    c = logged_in(server)
    c.ok("SELECT INBOX")
    msg = MSG % (1, 1, 1)
    untagged = c.ok("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert untagged[0] == (b'* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {20}\r\n'
                           b'Subject: hello 1\r\n\r\n)')
    untagged = c.ok("FETCH 1 BODY.PEEK[]<0.4>")
    assert untagged[0] == b"* 1 FETCH (BODY[]<0> {4}\r\nFrom)"
    untagged = c.ok("FETCH 1 BODY.PEEK[]<%d.10>" % (len(msg) + 5))
    assert untagged[0] == b'* 1 FETCH (BODY[]<%d> "")' % (len(msg) + 5)
    untagged = c.ok("FETCH 1 RFC822.HEADER")
    assert untagged[0].startswith(b"* 1 FETCH (RFC822.HEADER {")
    untagged = c.ok("FETCH 1 (ENVELOPE)")
    assert (b'ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "hello 1" '
            b'(("Alice" NIL "alice" "example.org"))') in untagged[0]


def test_uid_fetch_includes_uid(server):
    deliver(server, "alice", 3)
    c = logged_in(server)
    c.ok("SELECT INBOX")
    untagged = c.ok("UID FETCH 2:* FLAGS")
    assert [u.split(b" (")[1].split(b" ")[1] for u in untagged] == [b"2", b"3"]
    assert c.ok("UID FETCH 99:* FLAGS") == [b"* 3 FETCH (UID 3 FLAGS (\\Recent))"]
    assert c.ok("UID FETCH 50:60 FLAGS") == []


def test_fetch_bad_input(server):
    deliver(server, "alice", 2)
    c = logged_in(server)
    c.ok("SELECT INBOX")
    for bad in ("FETCH 3 FLAGS", "FETCH 0 FLAGS", "FETCH 1 NOSUCHITEM",
                "FETCH 1 BODY[BOGUS]", "FETCH x FLAGS", "FETCH 1", "FETCH 1 ()",
                "FETCH 1 BODY[]<1.0>", "FETCH 1 (FLAGS"):
        _, tagged = c.command(bad)
        assert b" BAD " in tagged, bad
    c.ok("NOOP")


def test_big_message_streams(server):
    big = b"Subject: big\r\n\r\n" + (b"0123456789" * 7 + b"\r\n") * 100000
    server.quire(["deliver", "alice"], stdin=big)
    c = logged_in(server)
    c.ok("SELECT INBOX")
    c.send(b"a1 FETCH 1 BODY.PEEK[]\r\n")
    time.sleep(0.5)  # let the server fill its output bound and suspend
    untagged, tagged = c.read_until_tagged("a1")
    assert tagged.startswith(b"a1 OK")
    assert big in untagged[0]


def test_close_expunges_silently_unselect_does_not(server):
    deliver(server, "alice", 3)
    c = logged_in(server)
    c.ok("SELECT INBOX")
    c.ok("STORE 1 +FLAGS (\\Deleted)")
    untagged = c.ok("UNSELECT")
    assert untagged == []
    c.ok("SELECT INBOX")
    assert c.ok("CLOSE") == []
    untagged = c.ok("STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 2" in untagged[0]
    _, tagged = c.command("FETCH 1 FLAGS")
    assert b" BAD " in tagged


def test_other_session_sees_new_mail_flags_and_expunge(server):
    deliver(server, "alice", 2)
    a = logged_in(server)
    b = logged_in(server)
    a.ok("SELECT INBOX")
    b.ok("SELECT INBOX")
    deliver(server, "alice", 1, start=3)
    assert b"* 3 EXISTS" in b.ok("NOOP")
    a.ok("STORE 1 +FLAGS (\\Flagged)")
    assert b"* 1 FETCH (FLAGS (\\Flagged))" in b.ok("NOOP")
    a.ok("STORE 2 +FLAGS (\\Deleted)")
    a.ok("EXPUNGE")
    # Not during FETCH (RFC 3501 7.4.1) ...
    untagged = b.ok("FETCH 1:* FLAGS")
    assert not any(b"EXPUNGE" in u for u in untagged)
    # ... but at the next NOOP.
    untagged = b.ok("NOOP")
    assert b"* 2 EXPUNGE" in untagged


def test_idle_pushes_changes_quickly(server):
    deliver(server, "alice", 1)
    c = logged_in(server)
    c.ok("SELECT INBOX")
    c.send(b"i1 IDLE\r\n")
    assert c.line().startswith(b"+ ")
    other = logged_in(server)
    other.ok("SELECT INBOX")
    start = time.time()
    deliver(server, "alice", 1, start=2)
    c.sock.settimeout(5)
    assert c.response() == b"* 2 EXISTS"
    took = time.time() - start
    assert c.response() == b"* 2 RECENT"  # this session claimed it
    other.ok("STORE 1 +FLAGS (\\Seen)")
    assert c.response() == b"* 1 FETCH (FLAGS (\\Seen \\Recent))"
    other.ok("STORE 1 +FLAGS (\\Deleted)")
    other.ok("EXPUNGE")
    # The \Deleted change may or may not arrive before the expunge does.
    resp = c.response()
    if resp.startswith(b"* 1 FETCH"):
        assert b"\\Deleted" in resp
        resp = c.response()
    assert resp == b"* 1 EXPUNGE"
    c.send(b"DONE\r\n")
    assert c.read_until_tagged("i1")[1].startswith(b"i1 OK")
    assert took < 5


def test_idle_bad_continuation(server):
    c = logged_in(server)
    c.send(b"i1 IDLE\r\n")
    c.line()
    c.send(b"NOTDONE\r\n")
    assert c.read_until_tagged("i1")[1].startswith(b"i1 BAD")
    c.ok("NOOP")


def test_restart_keeps_messages_flags_uids(server):
    deliver(server, "alice", 3)
    c = logged_in(server)
    before = c.ok("SELECT INBOX")
    c.ok("STORE 2 +FLAGS (\\Answered)")
    uv = [l for l in before if b"UIDVALIDITY" in l]
    server.restart()
    c = logged_in(server)
    after = c.ok("SELECT INBOX")
    assert [l for l in after if b"UIDVALIDITY" in l] == uv
    assert b"* 2 FETCH (UID 2 FLAGS (\\Answered))" in c.ok("FETCH 2 (UID FLAGS)")


def test_ten_thousand_messages(server):
    # Each APPEND is durable (fsync) on its own: allow for a slow disk.
    c = server.raw(timeout=180)
    c.login("alice", "alice-secret")
    # Pipelined APPENDs with LITERAL+ fill the mailbox quickly.
    msg = b"Subject: bulk\r\n\r\nbulk body\r\n"
    batch = b"".join(b"a%d APPEND INBOX {%d+}\r\n%s\r\n" % (i, len(msg), msg)
                     for i in range(10000))
    c.send(batch)
    c.read_until_tagged("a9999")
    untagged, tagged = c.command("SELECT INBOX")
    assert b"* 10000 EXISTS" in untagged
    untagged = c.ok("UID FETCH 1:* (FLAGS)")
    assert len(untagged) == 10000
    untagged = c.ok("FETCH 9999:* (UID)")
    assert untagged == [b"* 9999 FETCH (UID 9999)", b"* 10000 FETCH (UID 10000)"]
