"""Issue 3: APPEND/MULTIAPPEND, STORE, COPY/MOVE, EXPUNGE/UID EXPUNGE.

Transcripts against a real `quire serve`, read back with SELECT and FETCH.
"""
import re

import pytest

ALICE = ("alice", "alice-secret")
BOB = ("bob", "bob-secret")


def message(n, size=None):
    body = b"Subject: message %d\r\nFrom: a@example.org\r\n\r\nbody %d\r\n" % (n, n)
    if size is not None:
        body += b"x" * (size - len(body))
    return body


def login(server, user=ALICE):
    c = server.raw()
    c.login(*user)
    return c


def append(c, msg, mailbox="INBOX", extra=b""):
    """APPEND with a non-synchronizing literal; returns (untagged, tagged)."""
    cmd = b"APPEND " + mailbox.encode() + b" " + extra
    cmd += b"{%d+}\r\n" % len(msg) + msg
    return c.command(cmd)


def appenduid(tagged):
    m = re.search(rb"\[APPENDUID (\d+) ([0-9:,]+)\]", tagged)
    assert m, tagged
    return int(m.group(1)), m.group(2).decode()


def select(c, mailbox="INBOX", examine=False):
    untagged = c.ok(("EXAMINE " if examine else "SELECT ") + mailbox)
    info = {}
    for line in untagged:
        m = re.match(rb"\* (\d+) EXISTS", line)
        if m:
            info["exists"] = int(m.group(1))
        m = re.search(rb"\[UIDVALIDITY (\d+)\]", line)
        if m:
            info["uidvalidity"] = int(m.group(1))
    return info


def fetch_flags(c, seqs="1:*", uid=True):
    """{uid: set of flags} from (UID) FETCH seqs (UID FLAGS)."""
    untagged = c.ok("%sFETCH %s (UID FLAGS)" % ("UID " if uid else "", seqs))
    out = {}
    for line in untagged:
        m = re.match(rb"\* \d+ FETCH \(.*UID (\d+).*FLAGS \(([^)]*)\)", line)
        if m:
            out[int(m.group(1))] = set(m.group(2).decode().split())
    return out


def fill(c, count, mailbox="INBOX"):
    for i in range(1, count + 1):
        _, tagged = append(c, message(i), mailbox)
        assert b" OK " in tagged


def expunges(untagged):
    return [int(m.group(1)) for line in untagged
            for m in [re.match(rb"\* (\d+) EXPUNGE$", line)] if m]


# ---- APPEND ----

def test_append_flags_date_and_appenduid(server):
    c = login(server)
    _, tagged = append(c, message(1), extra=b'(\\Seen $Work) "17-Jul-1996 02:44:25 -0700" ')
    assert tagged.startswith(b"t2 OK [APPENDUID ")
    validity, uids = appenduid(tagged)
    assert uids == "1"
    _, tagged = append(c, message(2))
    assert appenduid(tagged) == (validity, "2")

    info = select(c)
    assert info == {"exists": 2, "uidvalidity": validity}
    untagged = c.ok("FETCH 1 (FLAGS INTERNALDATE BODY.PEEK[])")
    assert b"\\Seen" in untagged[0] and b"$Work" in untagged[0]
    assert b'INTERNALDATE "17-Jul-1996 02:44:25 -0700"' in untagged[0]
    assert untagged[0].endswith(message(1) + b")")
    untagged = c.ok("FETCH 2 (FLAGS)")
    assert untagged == [b"* 2 FETCH (FLAGS (\\Recent))"]


def test_append_to_missing_mailbox_is_trycreate(server):
    c = login(server)
    _, tagged = append(c, message(1), "NoSuchBox")
    assert tagged.startswith(b"t2 NO [TRYCREATE]")
    c.ok("NOOP")


def test_append_mailbox_names(server):
    c = login(server)
    # INBOX in any case; a child of a special-use mailbox
    _, tagged = append(c, message(1), "inbox")
    assert b" OK [APPENDUID " in tagged
    c.ok("CREATE Archive/2024")
    _, tagged = append(c, message(2), '"Archive/2024"')
    assert b" OK [APPENDUID " in tagged
    # no mailbox can be called "": nothing to create either
    _, tagged = append(c, message(3), '""')
    assert b" NO " in tagged and b"TRYCREATE" not in tagged
    # raw 8-bit is not modified UTF-7
    _, tagged = c.command(b'APPEND "Caf\xc3\xa9" {3+}\r\nabc')
    assert b" BAD " in tagged
    _, tagged = c.command(b'STATUS INBOX (MESSAGES)')
    assert b" OK " in tagged


def test_append_sync_literal_waits_for_continuation(server):
    c = login(server)
    msg = message(7)
    c.send(b"a1 APPEND Drafts (\\Draft) {%d}\r\n" % len(msg))
    assert c.line().startswith(b"+ ")
    c.send(msg + b"\r\n")
    _, tagged = c.read_until_tagged("a1")
    assert tagged.startswith(b"a1 OK [APPENDUID ")
    select(c, "Drafts")
    assert fetch_flags(c) == {1: {"\\Draft", "\\Recent"}}


def test_append_large_spilled_literal_round_trips(server):
    c = login(server)
    msg = message(1, size=5 * 1024 * 1024)
    # bytes that matter at the edges and in the middle
    msg = msg[:-10] + bytes(range(0x80, 0x8a))
    c.send(b"a1 APPEND INBOX {%d}\r\n" % len(msg))
    assert c.line().startswith(b"+ ")
    c.send(msg + b"\r\n")
    _, tagged = c.read_until_tagged("a1")
    assert tagged.startswith(b"a1 OK [APPENDUID "), tagged
    select(c)
    untagged = c.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[])")
    head = b"* 1 FETCH (RFC822.SIZE %d BODY[] {%d}\r\n" % (len(msg), len(msg))
    assert untagged[0] == head + msg + b")"


def test_multiappend_stores_all_in_one_command(server):
    c = login(server)
    m1, m2, m3 = message(1), message(2), message(3)
    cmd = (b"APPEND INBOX {%d+}\r\n" % len(m1) + m1 +
           b" (\\Flagged) {%d+}\r\n" % len(m2) + m2 +
           b' "01-Jan-2020 00:00:00 +0000" {%d+}\r\n' % len(m3) + m3)
    _, tagged = c.command(cmd)
    assert appenduid(tagged)[1] == "1:3"
    select(c)
    flags = fetch_flags(c)
    assert flags == {1: {"\\Recent"}, 2: {"\\Flagged", "\\Recent"},
                     3: {"\\Recent"}}
    untagged = c.ok("FETCH 3 BODY.PEEK[]")
    assert untagged[0].endswith(m3 + b")")


@pytest.mark.parametrize("bad_part", [
    b"(\\Recent) ",                        # a flag no client may set
    b"(\\Bogus) ",                         # unknown system flag
    b'"31-Feb-2020 00:00:00 +0000" ',      # impossible date
    b"(NIL) ",                             # not a usable keyword
])
def test_multiappend_is_all_or_nothing(server, bad_part):
    c = login(server)
    m1 = message(1)
    # The second message's bytes look like a command: they must stay data.
    m2 = b"t99 LOGOUT\r\n"
    cmd = (b"APPEND INBOX {%d+}\r\n" % len(m1) + m1 + b" " + bad_part +
           b"{%d+}\r\n" % len(m2) + m2)
    _, tagged = c.command(cmd)
    assert tagged.startswith(b"t2 BAD "), tagged
    c.ok("NOOP")
    assert select(c)["exists"] == 0


def test_multiappend_to_missing_mailbox_stores_nothing(server):
    c = login(server)
    m1, m2 = message(1), message(2)
    cmd = (b"APPEND Missing {%d+}\r\n" % len(m1) + m1 +
           b" {%d+}\r\n" % len(m2) + m2)
    _, tagged = c.command(cmd)
    assert tagged.startswith(b"t2 NO [TRYCREATE]")
    c.ok("NOOP")


def test_append_syntax_errors(server):
    c = login(server)
    for cmd in (b"APPEND INBOX", b"APPEND", b'APPEND INBOX "not a literal"',
                b"APPEND INBOX (\\Seen)", b"APPEND INBOX (\\Seen) {3+}\r\nabc extra"):
        _, tagged = c.command(cmd)
        assert b" BAD " in tagged, (cmd, tagged)
    # NUL needs a literal8 (RFC 3516 4.4)
    _, tagged = c.command(b"APPEND INBOX {3+}\r\na\x00c")
    assert b" BAD " in tagged
    c.ok("NOOP")
    assert select(c)["exists"] == 0


def test_append_binary_literal8_round_trip(server):
    c = server.raw()
    c.login("alice", "alice-secret")
    msg = (b"Content-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: binary\r\n\r\n\x00\x01\xff binary\r\n")
    _, tagged = c.command(b"APPEND INBOX ~{%d+}\r\n" % len(msg) + msg)
    assert b" OK " in tagged, tagged
    c.ok("SELECT INBOX")
    lines = c.ok("FETCH 1 (BINARY.PEEK[] BINARY.SIZE[])")
    assert b"~{%d}\r\n" % len(msg) + msg in lines[0]
    assert b"BINARY.SIZE[] %d" % len(msg) in lines[0]


def test_append_needs_login(server):
    c = server.raw()
    _, tagged = c.command(b"APPEND INBOX {3+}\r\nabc")
    assert b" BAD " in tagged
    c.ok("NOOP")


def test_append_to_selected_mailbox_announces_exists(server):
    c = login(server)
    select(c)
    untagged, tagged = append(c, message(1))
    assert b" OK " in tagged
    assert b"* 1 EXISTS" in untagged


def test_imaplib_append_and_uidplus_capabilities(server):
    m = server.imap("alice")
    typ, caps = m.capability()
    words = caps[0].decode().split()
    assert {"UIDPLUS", "MOVE", "MULTIAPPEND"} <= set(words)
    typ, data = m.append("Sent", "(\\Seen)", None, message(5))
    assert typ == "OK"
    typ, data = m.select("Sent")
    assert data == [b"1"]
    m.logout()


# ---- STORE ----

def test_store_forms(server):
    c = login(server)
    fill(c, 3)
    select(c)
    untagged = c.ok("STORE 1 FLAGS (\\Seen \\Flagged)")
    assert untagged == [b"* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))"]
    untagged = c.ok("STORE 1:2 +FLAGS \\Answered")
    assert untagged == [b"* 1 FETCH (FLAGS (\\Answered \\Flagged \\Seen \\Recent))",
                        b"* 2 FETCH (FLAGS (\\Answered \\Recent))"]
    untagged = c.ok("STORE 1 -FLAGS (\\Flagged \\Answered)")
    assert untagged == [b"* 1 FETCH (FLAGS (\\Seen \\Recent))"]
    # bare flags, several of them, keywords in any case
    untagged = c.ok("STORE 3 +FLAGS \\Draft $Label1 Work")
    assert untagged[-1] == b"* 3 FETCH (FLAGS (\\Draft $Label1 Work \\Recent))"
    # a new keyword is announced with FLAGS (RFC 3501 7.2.6)
    assert any(l.startswith(b"* FLAGS (") and b"Work" in l for l in untagged)
    untagged = c.ok("STORE 3 -FLAGS (work)")
    assert untagged == [b"* 3 FETCH (FLAGS (\\Draft $Label1 \\Recent))"]
    # .SILENT says nothing
    assert c.ok("STORE 1:3 +FLAGS.SILENT (\\Deleted)") == []
    assert c.ok("STORE 2 FLAGS.SILENT ()") == []
    assert c.ok("STORE 3 -FLAGS.SILENT $label1") == []
    assert fetch_flags(c) == {
        1: {"\\Seen", "\\Deleted", "\\Recent"},
        2: {"\\Recent"},
        3: {"\\Draft", "\\Deleted", "\\Recent"},
    }


def test_uid_store_includes_uid(server):
    c = login(server)
    fill(c, 3)
    select(c)
    c.ok("STORE 1 +FLAGS.SILENT \\Deleted")
    c.ok("EXPUNGE")  # UIDs 2 and 3 are now messages 1 and 2
    untagged = c.ok("UID STORE 3 +FLAGS (\\Seen)")
    assert untagged == [b"* 2 FETCH (UID 3 FLAGS (\\Seen \\Recent))"]
    # UIDs that do not exist are no error (RFC 3501 6.4.8)
    assert c.ok("UID STORE 1,100:200 +FLAGS (\\Seen)") == []
    untagged = c.ok("UID STORE 2:* FLAGS.SILENT (\\Answered)")
    assert untagged == []
    assert fetch_flags(c) == {2: {"\\Answered", "\\Recent"},
                              3: {"\\Answered", "\\Recent"}}


def test_store_errors(server):
    c = login(server)
    fill(c, 2)
    select(c)
    for cmd in ("STORE 1 FLAGS (\\Recent)", "STORE 1 +FLAGS \\Bogus",
                "STORE 1 FLAGZ (\\Seen)", "STORE 1 +FLAGS", "STORE 1",
                "STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)",
                "STORE 1 FLAGS (a\"b)", "STORE (1) FLAGS \\Seen"):
        _, tagged = c.command(cmd)
        assert b" BAD " in tagged, (cmd, tagged)
    c.ok("NOOP")
    assert fetch_flags(c) == {1: {"\\Recent"}, 2: {"\\Recent"}}


def test_store_on_examine_is_refused(server):
    c = login(server)
    fill(c, 2)
    select(c, examine=True)
    _, tagged = c.command("STORE 1 +FLAGS (\\Seen)")
    assert b" NO [READ-ONLY]" in tagged
    _, tagged = c.command("UID STORE 1 +FLAGS (\\Seen)")
    assert b" NO [READ-ONLY]" in tagged
    _, tagged = c.command("EXPUNGE")
    assert b" NO [READ-ONLY]" in tagged
    _, tagged = c.command("UID EXPUNGE 1")
    assert b" NO [READ-ONLY]" in tagged
    _, tagged = c.command("MOVE 1 Trash")
    assert b" NO [READ-ONLY]" in tagged
    # COPY only reads the source
    _, tagged = c.command("COPY 1 Trash")
    assert b" OK [COPYUID " in tagged
    # nothing changed (EXAMINE shows \Recent without claiming it)
    assert {u: f - {"\\Recent"} for u, f in fetch_flags(c).items()} == {1: set(), 2: set()}


@pytest.mark.parametrize("cmd", ["STORE", "COPY", "MOVE", "FETCH"])
@pytest.mark.parametrize("bad_set", ["0", "5:*", "4", "7", "1:a", "1,,2", "*:0", "-1"])
def test_bad_sequence_sets(server, cmd, bad_set):
    c = login(server)
    fill(c, 3)
    select(c)
    args = {"STORE": "+FLAGS (\\Seen)", "COPY": "Trash", "MOVE": "Trash",
            "FETCH": "FLAGS"}[cmd]
    _, tagged = c.command("%s %s %s" % (cmd, bad_set, args))
    assert b" BAD " in tagged, tagged
    c.ok("NOOP")
    assert fetch_flags(c) == {1: {"\\Recent"}, 2: {"\\Recent"}, 3: {"\\Recent"}}


def test_sequence_set_in_empty_mailbox(server):
    c = login(server)
    select(c)
    _, tagged = c.command("STORE 1:* +FLAGS (\\Seen)")
    assert b" BAD " in tagged
    # UID forms name no message, which is fine
    c.ok("UID STORE 1:* +FLAGS (\\Seen)")
    _, tagged = c.command("UID COPY 1:* Trash")
    assert b" OK " in tagged and b"COPYUID" not in tagged
    c.ok("UID EXPUNGE 1:*")


def test_commands_need_selected_state(server):
    c = login(server)
    for cmd in ("STORE 1 +FLAGS (\\Seen)", "UID STORE 1 FLAGS ()",
                "COPY 1 Trash", "UID COPY 1 Trash", "MOVE 1 Trash",
                "UID MOVE 1 Trash", "EXPUNGE", "UID EXPUNGE 1"):
        _, tagged = c.command(cmd)
        assert b" BAD " in tagged, (cmd, tagged)
    c.ok("NOOP")


# ---- COPY / MOVE ----

def test_copy_with_copyuid(server):
    c = login(server)
    fill(c, 4)
    fill(c, 2, "Archive")
    select(c)
    c.ok("STORE 2 +FLAGS.SILENT (\\Flagged $Keep)")
    _, tagged = c.command("COPY 2:3,1 Archive")
    m = re.search(rb"OK \[COPYUID (\d+) ([^ ]+) ([^ \]]+)\]", tagged)
    assert m, tagged
    assert m.group(2) == b"1:3" and m.group(3) == b"3:5"
    _, tagged = c.command("UID COPY 4 Archive")
    assert re.search(rb"\[COPYUID \d+ 4 6\]", tagged), tagged
    # the source is untouched
    assert len(fetch_flags(c)) == 4
    info = select(c, "Archive")
    assert info["exists"] == 6 and int(m.group(1)) == info["uidvalidity"]
    flags = fetch_flags(c)
    assert flags[4] == {"\\Flagged", "$Keep", "\\Recent"}
    untagged = c.ok("UID FETCH 6 BODY.PEEK[]")
    assert untagged[0].endswith(message(4) + b")")


def test_copy_and_move_to_missing_mailbox(server):
    c = login(server)
    fill(c, 1)
    select(c)
    for cmd in ("COPY 1 Nowhere", "MOVE 1 Nowhere", "UID COPY 1 Nowhere",
                "UID MOVE 1 Nowhere"):
        _, tagged = c.command(cmd)
        assert b" NO [TRYCREATE]" in tagged, (cmd, tagged)
    assert fetch_flags(c) == {1: {"\\Recent"}}


def test_copy_to_selected_mailbox_announces_exists(server):
    c = login(server)
    fill(c, 2)
    select(c)
    untagged, tagged = c.command("COPY 1:2 INBOX")
    assert b"[COPYUID " in tagged
    assert b"* 4 EXISTS" in untagged


def test_move_sends_copyuid_then_expunges(server):
    c = login(server)
    fill(c, 5)
    select(c)
    untagged, tagged = c.command("MOVE 2,4:5 Trash")
    assert b" OK " in tagged, tagged
    assert re.match(rb"\* OK \[COPYUID \d+ 2,4:5 1:3\]", untagged[0]), untagged
    # each EXPUNGE is right at the moment it is sent
    assert expunges(untagged[1:]) == [5, 4, 2]
    assert fetch_flags(c) == {1: {"\\Recent"}, 3: {"\\Recent"}}
    untagged, tagged = c.command("UID MOVE 3 Trash")
    assert re.match(rb"\* OK \[COPYUID \d+ 3 4\]", untagged[0]), untagged
    assert expunges(untagged) == [2]
    select(c, "Trash")
    untagged = c.ok("FETCH 1:* BODY.PEEK[]")
    bodies = [line.split(b"}\r\n", 1)[1][:-1] for line in untagged]
    assert bodies == [message(2), message(4), message(5), message(3)]


def test_move_to_same_mailbox_is_refused(server):
    c = login(server)
    fill(c, 1)
    select(c)
    _, tagged = c.command("MOVE 1 INBOX")
    assert b" NO " in tagged
    assert fetch_flags(c) == {1: {"\\Recent"}}


def test_imaplib_uid_move_and_copy(server):
    m = server.imap("alice")
    for i in range(3):
        m.append("INBOX", None, None, message(i))
    m.select("INBOX")
    typ, data = m.uid("MOVE", "1:2", "Junk")
    assert typ == "OK"
    typ, data = m.copy("1", "Archive")
    assert typ == "OK"
    typ, data = m.select("Junk")
    assert data == [b"2"]
    m.logout()


# ---- EXPUNGE ----

def test_expunge_and_uid_expunge(server):
    c = login(server)
    fill(c, 6)
    select(c)
    c.ok("STORE 1:3,5 +FLAGS.SILENT (\\Deleted)")
    # only the given UIDs that are \Deleted go
    untagged = c.ok("UID EXPUNGE 2:4,6")
    assert expunges(untagged) == [3, 2]
    assert sorted(fetch_flags(c)) == [1, 4, 5, 6]
    untagged = c.ok("EXPUNGE")
    assert expunges(untagged) == [3, 1]
    assert sorted(fetch_flags(c)) == [4, 6]
    assert expunges(c.ok("EXPUNGE")) == []
    _, tagged = c.command("EXPUNGE 1")
    assert b" BAD " in tagged
    _, tagged = c.command("UID EXPUNGE 0")
    assert b" BAD " in tagged
    c.ok("CHECK")


# ---- two sessions ----

def two_sessions(server, count=4):
    a = login(server)
    fill(a, count)
    select(a)
    b = login(server)
    select(b)
    return a, b


def test_other_session_sees_flags_and_expunge_at_noop(server):
    a, b = two_sessions(server)
    a.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    untagged = b.ok("NOOP")
    assert untagged == [b"* 2 FETCH (FLAGS (\\Flagged))"]
    a.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
    assert expunges(a.ok("EXPUNGE")) == [3]
    untagged = b.ok("NOOP")
    assert b"* 3 EXPUNGE" in untagged


def test_no_expunge_during_fetch_and_store(server):
    a, b = two_sessions(server)
    a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")
    # RFC 3501 7.4.1: not during FETCH or STORE ...
    untagged = b.ok("FETCH 1:* FLAGS")
    assert expunges(untagged) == []
    untagged, tagged = b.command("STORE 2 +FLAGS (\\Seen)")
    assert expunges(untagged) == []
    assert untagged[-1] == b"* 2 FETCH (FLAGS (\\Seen))"
    assert b" OK " in tagged
    # ... but at the next NOOP
    untagged = b.ok("NOOP")
    assert expunges(untagged) == [1]
    assert fetch_flags(b) == {2: {"\\Seen"}, 3: set(), 4: set()}


def test_store_and_copy_of_expunged_message(server):
    a, b = two_sessions(server)
    a.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")
    b.ok("FETCH 1 FLAGS")  # b has not been told yet
    # RFC 2180 4.2.3: the rest is stored, tagged NO
    untagged, tagged = b.command("STORE 1:3 +FLAGS (\\Answered)")
    assert b" NO [EXPUNGEISSUED]" in tagged
    assert [l for l in untagged if b"FETCH" in l] == [
        b"* 1 FETCH (FLAGS (\\Answered))", b"* 3 FETCH (FLAGS (\\Answered))"]
    _, tagged = b.command("STORE 2 +FLAGS (\\Answered)")
    assert b" NO [EXPUNGEISSUED]" in tagged
    # 4.2.1: .SILENT is OK
    _, tagged = b.command("STORE 2:4 +FLAGS.SILENT (\\Seen)")
    assert b" OK " in tagged
    # 4.4.1: COPY is refused as a whole
    _, tagged = b.command("COPY 1:3 Trash")
    assert b" NO [EXPUNGEISSUED]" in tagged
    untagged = b.ok("NOOP")
    assert expunges(untagged) == [2]
    select(b, "Trash")
    assert fetch_flags(b) == {}
    select(b)
    assert fetch_flags(b) == {1: {"\\Answered"}, 3: {"\\Answered", "\\Seen"},
                              4: {"\\Seen"}}


def test_uid_fetch_of_message_expunged_by_another_session(server):
    """The mixed load's FETCH of new mail: another session expunged one of
    the UIDs before this session heard of it."""
    a, b = two_sessions(server)
    a.ok("UID STORE 2 +FLAGS.SILENT (\\Deleted)")
    a.ok("UID EXPUNGE 2")
    # RFC 3501 7.4.1 allows EXPUNGE during UID commands: the view is
    # brought up to date first, and the FETCH uses the new numbers.
    untagged, tagged = b.command("UID FETCH 1:* (UID RFC822.SIZE ENVELOPE)")
    assert b" OK " in tagged, tagged
    fetched = [(int(m.group(1)), int(m.group(2))) for line in untagged
               for m in [re.match(rb"\* (\d+) FETCH \(UID (\d+) ", line)] if m]
    assert fetched == [(1, 1), (2, 3), (3, 4)]
    assert expunges(untagged) == [2]
    assert untagged.index(b"* 2 EXPUNGE") == 0


def test_fetch_and_search_by_seq_of_message_expunged_by_another_session(server):
    a, b = two_sessions(server)
    a.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")
    # RFC 2180 4.1.2: by sequence number, the rest and a tagged NO ...
    untagged, tagged = b.command("FETCH 2:4 (RFC822.SIZE)")
    assert b" NO [EXPUNGEISSUED]" in tagged
    assert [l.split(b" ")[1] for l in untagged if b"FETCH" in l] == [b"2", b"4"]
    assert expunges(untagged) == []
    # ... and SEARCH answers without it (4.3), never failing the command
    untagged, tagged = b.command("SEARCH BODY body")
    assert b" OK " in tagged, tagged
    assert untagged == [b"* SEARCH 1 2 4"]
    untagged, tagged = b.command("UID SEARCH HEADER Subject message")
    assert b" OK " in tagged, tagged
    assert b"* SEARCH 1 2 4" in untagged
    assert expunges(untagged) == [3]


def test_silent_store_still_reports_other_changes(server):
    a, b = two_sessions(server)
    a.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    # b's own change is silent, a's change still reaches b
    untagged = b.ok("STORE 1 +FLAGS.SILENT (\\Seen)")
    assert untagged == [b"* 1 FETCH (FLAGS (\\Flagged \\Seen))"]
    assert b.ok("NOOP") == []


def test_move_expunges_reach_other_session(server):
    a, b = two_sessions(server)
    a.ok("MOVE 1:2 Trash")
    untagged = b.ok("FETCH 1:* FLAGS")
    assert expunges(untagged) == []
    assert expunges(b.ok("NOOP")) == [2, 1]
