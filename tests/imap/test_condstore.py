"""Issue 7, selected-mailbox half: CONDSTORE/QRESYNC (RFC 7162), IMAP4rev2
session behaviour (RFC 9051), OBJECTID (RFC 8474), SAVEDATE (RFC 8514),
PREVIEW (RFC 8970), and a Thunderbird-like resynchronisation.

Transcripts against a real `quire serve`; where the RFC has an example the
test follows it (example numbers of RFC 7162 in the comments).
"""
import re

ALICE = ("alice", "alice-secret")


def message(n, body=None):
    body = body if body is not None else b"body %d\r\n" % n
    return b"Subject: message %d\r\nFrom: a@example.org\r\n\r\n" % n + body


def login(server):
    c = server.raw()
    c.login(*ALICE)
    return c


def append(c, msg, mailbox="INBOX", extra=b""):
    untagged, tagged = c.command(b"APPEND " + mailbox.encode() + b" " + extra +
                                 b"{%d+}\r\n" % len(msg) + msg)
    assert b" OK " in tagged, tagged
    return tagged


def fill(c, count, mailbox="INBOX"):
    for i in range(1, count + 1):
        append(c, message(i), mailbox)


def code(line, name):
    m = re.search(rb"\[" + name.encode() + rb" ([^\]]*)\]", line)
    return m.group(1).decode() if m else None


def highestmodseq(untagged):
    for line in untagged:
        v = code(line, "HIGHESTMODSEQ")
        if v is not None:
            return int(v)
    return None


def norec(line):
    """The line without \\Recent (which these IMAP4rev1 sessions see)."""
    return line.replace(b" \\Recent", b"").replace(b"(\\Recent", b"(")


def fetches(untagged):
    """{uid: line} of the untagged FETCH responses that carry a UID."""
    out = {}
    for line in untagged:
        m = re.match(rb"\* \d+ FETCH \(.*\bUID (\d+)", line)
        if m:
            out[int(m.group(1))] = norec(line)
    return out


def modseq_of(line):
    return int(re.search(rb"MODSEQ \((\d+)\)", line).group(1))


def flags_of(line):
    return set(re.search(rb"FLAGS \(([^)]*)\)", line).group(1).decode().split())


def vanished(untagged, earlier):
    prefix = b"* VANISHED (EARLIER) " if earlier else b"* VANISHED "
    lines = [l for l in untagged if l.startswith(prefix) and
             (earlier or not l.startswith(b"* VANISHED (EARLIER)"))]
    assert len(lines) <= 1, lines
    return lines[0][len(prefix):].decode() if lines else None


def expand(uidset):
    out = []
    for part in uidset.split(","):
        lo, _, hi = part.partition(":")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


# ---- capabilities and ENABLE ----

def test_capabilities_and_enable(server):
    c = login(server)
    caps = c.ok("CAPABILITY")[0].split()
    for cap in (b"CONDSTORE", b"QRESYNC", b"PREVIEW", b"ENABLE"):
        assert cap in caps
    # FETCH and SEARCH sides of OBJECTID and SAVEDATE are complete
    # (tests/imap/test_search_ext.py), so both are announced.
    assert b"OBJECTID" in caps and b"SAVEDATE" in caps
    assert c.ok("ENABLE QRESYNC CONDSTORE") == [b"* ENABLED QRESYNC CONDSTORE"]
    # Enabling again lists nothing new (RFC 5161 3.1); unknown ignored.
    assert c.ok("ENABLE CONDSTORE X-UNKNOWN") == [b"* ENABLED"]


def test_enable_qresync_implies_condstore(server):
    c = login(server)
    fill(c, 1)
    assert c.ok("ENABLE QRESYNC") == [b"* ENABLED QRESYNC"]
    c.ok("SELECT INBOX")
    untagged = c.ok("STORE 1 +FLAGS (\\Flagged)")
    assert re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$",
                    norec(untagged[0])), untagged


# ---- CONDSTORE (RFC 7162 3.1) ----

def test_select_condstore_highestmodseq(server):
    # Example 18.
    c = login(server)
    fill(c, 3)
    untagged = c.ok("SELECT INBOX (CONDSTORE)")
    hms = highestmodseq(untagged)
    assert hms is not None and hms >= 3
    # The per-message modseqs are at most the mailbox's (example 13).
    untagged = c.ok("FETCH 1:3 (MODSEQ)")
    assert len(untagged) == 3
    seqs = [modseq_of(l) for l in untagged]
    assert max(seqs) == hms and len(set(seqs)) == 3
    assert all(re.match(rb"\* \d FETCH \(MODSEQ \(\d+\)\)$", l) for l in untagged)


def test_bad_select_parameters(server):
    c = login(server)
    for params in ("(BOGUS)", "(CONDSTORE CONDSTORE)", "()", "(QRESYNC (1 2))"):
        _, tagged = c.command("SELECT INBOX " + params)
        assert b" BAD " in tagged, (params, tagged)
    c.ok("ENABLE QRESYNC")
    for params in ("(QRESYNC (1))", "(QRESYNC (0 1))", "(QRESYNC (1 0))",
                   "(QRESYNC (1 2 1:*))", "(QRESYNC (1 2 1:5 (1:2 3)))",
                   "(QRESYNC (1 2 1:5 (2,1 3,4)))", "(QRESYNC 1 2)"):
        _, tagged = c.command("SELECT INBOX " + params)
        assert b" BAD " in tagged, (params, tagged)
    # Nothing was selected by the bad ones.
    _, tagged = c.command("FETCH 1 FLAGS")
    assert b" BAD " in tagged


def test_first_enabling_command_sends_highestmodseq(server):
    # RFC 7162 3.1: the first CONDSTORE enabling command with a mailbox
    # selected returns HIGHESTMODSEQ (example 5); later ones do not.
    c = login(server)
    fill(c, 2)
    hms = highestmodseq(c.ok("SELECT INBOX"))
    untagged = c.ok("FETCH 1 (MODSEQ)")
    assert untagged[0] == b"* OK [HIGHESTMODSEQ %d] Highest" % hms
    assert re.match(rb"\* 1 FETCH \(MODSEQ \(\d+\)\)$", untagged[1])
    untagged = c.ok("FETCH 2 (MODSEQ)")
    assert len(untagged) == 1


def test_changedsince(server):
    # Example 12: only messages changed after the modseq, MODSEQ implied.
    c = login(server)
    fill(c, 4)
    hms = highestmodseq(c.ok("SELECT INBOX"))
    c.ok("STORE 2 +FLAGS.SILENT (\\Seen)")
    c.ok("STORE 4 +FLAGS.SILENT ($Work)")
    untagged = c.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % hms)
    got = fetches(untagged)
    assert sorted(got) == [2, 4], untagged
    assert flags_of(got[2]) == {"\\Seen"} and flags_of(got[4]) == {"$Work"}
    assert all(modseq_of(l) > hms for l in got.values())
    # Non-UID FETCH too; nothing changed since now.
    new_hms = max(modseq_of(l) for l in got.values())
    untagged = c.ok("FETCH 1:4 (FLAGS) (CHANGEDSINCE %d)" % new_hms)
    assert untagged == []
    for bad in ("(CHANGEDSINCE)", "(CHANGEDSINCE x)", "(FOO 1)",
                "(CHANGEDSINCE 1 CHANGEDSINCE 2)"):
        _, tagged = c.command("FETCH 1:4 (FLAGS) " + bad)
        assert b" BAD " in tagged, bad


def test_store_unchangedsince(server):
    c = login(server)
    fill(c, 3)
    c.ok("SELECT INBOX")
    mods = {u: modseq_of(l) for u, l in fetches(c.ok("FETCH 1:3 (UID MODSEQ)")).items()}
    # All pass (example 3): .SILENT still reports the new MODSEQ, with UID.
    untagged, tagged = c.command("UID STORE 1,3 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Deleted)"
                                 % max(mods.values()))
    assert tagged.startswith(b"t") and b" OK " in tagged and b"MODIFIED" not in tagged
    got = fetches(untagged)
    assert sorted(got) == [1, 3]
    assert all(b"FLAGS" not in l and modseq_of(l) > max(mods.values()) for l in got.values())
    # Message 1 changed after mods[1]: it fails (example 6), 2 passes.
    untagged, tagged = c.command("STORE 1,2 (UNCHANGEDSINCE %d) +FLAGS.SILENT ($X)" % mods[2])
    assert b" OK [MODIFIED 1] " in tagged, tagged
    assert sorted(fetches(untagged)) == [2]
    # UID STORE names UIDs in MODIFIED; 0 always fails (example 8).
    _, tagged = c.command("UID STORE 2:3 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)")
    assert b" OK [MODIFIED 2:3] " in tagged, tagged
    flags = {u: flags_of(l) for u, l in fetches(c.ok("FETCH 1:3 (UID FLAGS)")).items()}
    assert flags == {1: {"\\Deleted"}, 2: {"$X"}, 3: {"\\Deleted"}}
    for bad in ("(UNCHANGEDSINCE)", "(UNCHANGEDSINCE -1)", "(FOO 1)",
                "(UNCHANGEDSINCE 1 UNCHANGEDSINCE 2)"):
        _, tagged = c.command("STORE 1 %s +FLAGS (\\Seen)" % bad)
        assert b" BAD " in tagged, bad


def test_unsolicited_fetch_carries_uid_and_modseq(server):
    # Example 14: changes by another session reach a CONDSTORE client
    # with MODSEQ (and UID, RFC 7162 3.2.4).
    a, b = login(server), login(server)
    fill(a, 2)
    a.ok("SELECT INBOX (CONDSTORE)")
    b.ok("SELECT INBOX")
    assert b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)") == []
    untagged = a.ok("NOOP")
    assert len(untagged) == 1
    assert re.match(rb"\* 2 FETCH \(UID 2 FLAGS \(\\Deleted\) MODSEQ \(\d+\)\)$",
                    norec(untagged[0])), untagged
    # A change that ends where it began still moves the modseq.
    b.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    b.ok("STORE 1 -FLAGS.SILENT (\\Flagged)")
    untagged = a.ok("NOOP")
    assert len(untagged) == 1 and flags_of(norec(untagged[0])) == set()


def test_status_highestmodseq_mailboxid_deleted(server):
    # Example 17.
    c = login(server)
    fill(c, 2)
    untagged = c.ok("STATUS INBOX (UIDNEXT MESSAGES HIGHESTMODSEQ DELETED)")
    m = re.match(rb"\* STATUS INBOX \(MESSAGES 2 UIDNEXT 3 HIGHESTMODSEQ (\d+) DELETED 0\)$",
                 untagged[0])
    assert m, untagged
    before = int(m.group(1))
    c.ok("SELECT INBOX")
    c.ok("STORE 1 +FLAGS (\\Deleted)")
    untagged = c.ok("STATUS INBOX (HIGHESTMODSEQ DELETED)")
    assert int(re.search(rb"HIGHESTMODSEQ (\d+)", untagged[-1]).group(1)) > before
    assert b"DELETED 1" in untagged[-1]


# ---- QRESYNC (RFC 7162 3.2) ----

def offline_changes(server, uidvalidity_box="INBOX"):
    """Another session: expunges 2 and 4, flags 3, adds a new message."""
    other = login(server)
    other.ok("SELECT INBOX")
    other.ok("UID STORE 2,4 +FLAGS.SILENT (\\Deleted)")
    other.ok("UID EXPUNGE 2,4")
    other.ok("UID STORE 3 +FLAGS.SILENT (\\Answered)")
    append(other, message(9))
    other.ok("LOGOUT") if False else other.close()


def test_qresync_select_after_offline_changes(server):
    c = login(server)
    fill(c, 5)
    c.ok("ENABLE QRESYNC")
    untagged = c.ok("SELECT INBOX")
    uidvalidity = int(code([l for l in untagged if b"UIDVALIDITY" in l][0], "UIDVALIDITY"))
    hms = highestmodseq(untagged)
    c.ok("UNSELECT")
    offline_changes(server)

    untagged = c.ok("SELECT INBOX (QRESYNC (%d %d 1:5))" % (uidvalidity, hms))
    assert b"* 4 EXISTS" in untagged
    assert vanished(untagged, earlier=True) == "2,4"
    got = fetches(untagged)
    # UID 3's flags changed, UID 6 is new (changed since, not known: not
    # reported as a FETCH since known-uids was 1:5).
    assert sorted(got) == [3]
    assert flags_of(got[3]) == {"\\Answered"} and modseq_of(got[3]) > hms
    # The VANISHED (EARLIER) comes before the FETCH (RFC 7162 3.2.6).
    order = [l[:12] for l in untagged if l.startswith(b"* VANISHED") or b"FETCH" in l]
    assert order[0].startswith(b"* VANISHED")
    assert highestmodseq(untagged) > hms


def test_qresync_without_known_uids_and_with_seq_match(server):
    c = login(server)
    fill(c, 5)
    c.ok("ENABLE QRESYNC")
    untagged = c.ok("SELECT INBOX")
    uidvalidity = int(code([l for l in untagged if b"UIDVALIDITY" in l][0], "UIDVALIDITY"))
    hms = highestmodseq(untagged)
    offline_changes(server)
    # Without known-uids: everything (1:uidnext-1), including the new
    # message's FETCH; [CLOSED] ends the old mailbox's responses.
    untagged = c.ok("SELECT INBOX (QRESYNC (%d %d))" % (uidvalidity, hms))
    assert untagged[0].startswith(b"* OK [CLOSED]")
    assert vanished(untagged, earlier=True) == "2,4"
    assert sorted(fetches(untagged)) == [3, 6]
    # Seq-match data: the client knows message 1 is UID 1 (still true) and
    # message 3 is UID 3 (no longer: now it is 5), so expunges above UID 1
    # are still reported (RFC 7162 3.2.5.2).
    untagged = c.ok("SELECT INBOX (QRESYNC (%d %d 1:5 (1,3 1,3)))" % (uidvalidity, hms))
    assert vanished(untagged, earlier=True) == "2,4"
    # Message 2 is UID 3 now: expunges up to UID 3 are known.
    untagged = c.ok("SELECT INBOX (QRESYNC (%d %d 1:5 (1,2 1,3)))" % (uidvalidity, hms))
    assert vanished(untagged, earlier=True) == "4"
    # Known UIDs restrict VANISHED too.
    untagged = c.ok("SELECT INBOX (QRESYNC (%d %d 1,3:5))" % (uidvalidity, hms))
    assert vanished(untagged, earlier=True) == "4"


def test_qresync_uidvalidity_mismatch(server):
    # RFC 7162 3.2.5: the rest of the parameters is ignored.
    c = login(server)
    fill(c, 3)
    c.ok("ENABLE QRESYNC")
    untagged = c.ok("SELECT INBOX (QRESYNC (1 1 1:3))")
    assert vanished(untagged, earlier=True) is None
    assert fetches(untagged) == {}
    assert highestmodseq(untagged) is not None


def test_closed_only_when_a_mailbox_was_selected(server):
    c = login(server)
    untagged = c.ok("SELECT INBOX")
    assert not any(b"[CLOSED]" in l for l in untagged)
    untagged = c.ok("EXAMINE Trash")
    assert untagged[0].startswith(b"* OK [CLOSED]")
    c.ok("UNSELECT")
    untagged = c.ok("SELECT INBOX")
    assert not any(b"[CLOSED]" in l for l in untagged)
    # A failing SELECT still closes (RFC 3501 6.3.1), with [CLOSED].
    untagged, tagged = c.command("SELECT nonexistent")
    assert b" NO " in tagged and untagged[0].startswith(b"* OK [CLOSED]")


def test_vanished_replaces_expunge(server):
    # RFC 7162 3.2.7, 3.2.9, 3.2.10.2.
    c = login(server)
    fill(c, 6)
    c.ok("ENABLE QRESYNC")
    c.ok("SELECT INBOX")
    c.ok("STORE 2:3,5 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = c.command("EXPUNGE")
    assert [l for l in untagged if l.startswith(b"* VANISHED")] == [b"* VANISHED 2:3,5"]
    assert not any(l.endswith(b"EXPUNGE") for l in untagged)
    assert code(tagged, "HIGHESTMODSEQ") is not None
    # UID EXPUNGE and MOVE too.
    c.ok("UID STORE 6 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = c.command("UID EXPUNGE 6")
    assert untagged[-1] == b"* VANISHED 6" and b"[HIGHESTMODSEQ " in tagged
    untagged = c.ok("UID MOVE 1 Trash")
    assert untagged[0].startswith(b"* OK [COPYUID ")
    assert untagged[1] == b"* VANISHED 1"
    # Expunges by another session arrive as VANISHED on NOOP.
    other = login(server)
    other.ok("SELECT INBOX")
    other.ok("UID STORE 4 +FLAGS.SILENT (\\Deleted)")
    other.ok("EXPUNGE")
    assert c.ok("NOOP") == [b"* VANISHED 4"]
    # Not during FETCH (RFC 7162 3.2.10.2, as EXPUNGE, RFC 3501 7.4.1).
    fill(other, 2)
    c.ok("NOOP")
    other.ok("UID STORE 7 +FLAGS.SILENT (\\Deleted)")
    other.ok("EXPUNGE")
    assert not any(l.startswith(b"* VANISHED") for l in c.ok("FETCH 1 FLAGS"))
    assert c.ok("NOOP") == [b"* VANISHED 7"]


def test_uid_fetch_vanished_modifier(server):
    # RFC 7162 3.2.6 (example after "Using the VANISHED UID FETCH
    # modifier").
    c = login(server)
    fill(c, 5)
    hms = highestmodseq(c.ok("SELECT INBOX"))
    _, tagged = c.command("UID FETCH 1:5 (FLAGS) (CHANGEDSINCE %d VANISHED)" % hms)
    assert b" BAD " in tagged  # QRESYNC not enabled
    c.ok("LOGOUT") if False else None
    c = login(server)
    c.ok("ENABLE QRESYNC")
    c.ok("SELECT INBOX")
    offline_changes(server)
    _, tagged = c.command("FETCH 1:3 (FLAGS) (CHANGEDSINCE %d VANISHED)" % hms)
    assert b" BAD " in tagged  # only UID FETCH
    _, tagged = c.command("UID FETCH 1:5 (FLAGS) (VANISHED)")
    assert b" BAD " in tagged  # needs CHANGEDSINCE
    c.ok("NOOP")
    untagged = c.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % hms)
    assert untagged[0] == b"* VANISHED (EARLIER) 2,4"
    assert sorted(fetches(untagged)) == [3, 6]
    untagged = c.ok("UID FETCH 3:5 (FLAGS) (CHANGEDSINCE %d VANISHED)" % hms)
    assert untagged[0] == b"* VANISHED (EARLIER) 4"


# ---- Thunderbird-like sessions ----

def test_thunderbird_like_condstore_resync(server):
    """Thunderbird with use_condstore: ENABLE CONDSTORE, SELECT (CONDSTORE),
    then on the next connection after offline changes only what changed:
    UID FETCH 1:* (FLAGS) (CHANGEDSINCE n), UID FETCH uidnext:* for new
    mail; expunges show as UIDs missing from UID FETCH 1:* (UID)."""
    c = login(server)
    fill(c, 5)
    c.ok("ENABLE CONDSTORE")
    untagged = c.ok('select "INBOX" (CONDSTORE)')
    hms = highestmodseq(untagged)
    uidnext = int(code([l for l in untagged if b"UIDNEXT" in l][0], "UIDNEXT"))
    c.ok("UID fetch 1:* (FLAGS)")
    c.close()
    offline_changes(server)

    c = login(server)
    assert c.ok("ENABLE CONDSTORE") == [b"* ENABLED CONDSTORE"]
    untagged = c.ok('select "INBOX" (CONDSTORE)')
    assert highestmodseq(untagged) > hms
    got = fetches(c.ok("UID fetch 1:* (FLAGS) (CHANGEDSINCE %d)" % hms))
    assert sorted(got) == [3, 6]
    assert sorted(fetches(c.ok("UID fetch %d:* (FLAGS)" % uidnext))) == [6]
    assert sorted(fetches(c.ok("UID fetch 1:* (UID)"))) == [1, 3, 5, 6]
    # Thunderbird's own changes come back with MODSEQ and UID.
    untagged = c.ok("uid store 1 +Flags (\\Seen)")
    assert re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$",
                    norec(untagged[0])), untagged


def test_qresync_client_resync(server):
    """The QRESYNC form of the same (issue 7): ENABLE CONDSTORE QRESYNC,
    SELECT with QRESYNC after another session changed the mailbox, then
    IDLE sees later changes as VANISHED and FETCH (UID FLAGS MODSEQ)."""
    c = login(server)
    fill(c, 5)
    assert c.ok("ENABLE CONDSTORE QRESYNC") == [b"* ENABLED CONDSTORE QRESYNC"]
    untagged = c.ok("SELECT INBOX")
    uidvalidity = int(code([l for l in untagged if b"UIDVALIDITY" in l][0], "UIDVALIDITY"))
    hms = highestmodseq(untagged)
    c.close()
    offline_changes(server)

    c = login(server)
    c.ok("ENABLE CONDSTORE QRESYNC")
    untagged = c.ok("SELECT INBOX (QRESYNC (%d %d 1:5))" % (uidvalidity, hms))
    assert vanished(untagged, earlier=True) == "2,4"
    assert b"* 4 EXISTS" in untagged
    new_hms = highestmodseq(untagged)
    c.send("i1 IDLE\r\n")
    assert c.response().startswith(b"+ ")
    other = login(server)
    other.ok("SELECT INBOX")
    other.ok("UID STORE 5 +FLAGS.SILENT (\\Flagged)")
    line = norec(c.response())
    assert re.match(rb"\* 3 FETCH \(UID 5 FLAGS \(\\Flagged\) MODSEQ \((\d+)\)\)$", line), line
    assert modseq_of(line) > new_hms
    other.ok("UID STORE 1 +FLAGS.SILENT (\\Deleted)")
    c.response()  # the flag change
    other.ok("UID EXPUNGE 1")
    assert c.response() == b"* VANISHED 1"
    c.send("DONE\r\n")
    _, tagged = c.read_until_tagged("i1")
    assert b" OK " in tagged


# ---- IMAP4rev2 (RFC 9051) ----

def test_imap4rev2_session(server):
    c = login(server)
    fill(c, 2)
    assert c.ok("ENABLE IMAP4rev2") == [b"* ENABLED IMAP4rev2"]
    untagged = c.ok("SELECT INBOX")
    # No RECENT, no UNSEEN (E.11, E.12); a LIST response (6.3.2).
    assert not any(l.endswith(b"RECENT") or b"[UNSEEN" in l for l in untagged)
    assert b'* LIST () "/" INBOX' in untagged
    assert any(b"[UIDVALIDITY" in l for l in untagged)
    assert any(b"[PERMANENTFLAGS" in l for l in untagged)
    # No \Recent (E.12).
    assert all(b"\\Recent" not in l for l in c.ok("FETCH 1:2 FLAGS"))
    # Unsolicited FETCH carries UID (E.21).
    other = login(server)
    other.ok("SELECT INBOX")
    other.ok("STORE 2 +FLAGS.SILENT (\\Seen)")
    assert c.ok("NOOP") == [b"* 2 FETCH (UID 2 FLAGS (\\Seen))"]
    untagged = c.ok("STORE 1 +FLAGS (\\Flagged)")
    assert untagged == [b"* 1 FETCH (UID 1 FLAGS (\\Flagged))"]
    # New mail: EXISTS without RECENT.
    append(other, message(3))
    assert c.ok("NOOP") == [b"* 3 EXISTS"]


def test_rev1_session_unchanged(server):
    c = login(server)
    fill(c, 1)
    untagged = c.ok("SELECT INBOX")
    assert b"* 1 RECENT" in untagged
    assert not any(l.startswith(b"* LIST") for l in untagged)
    assert b"\\Recent" in c.ok("FETCH 1 FLAGS")[0]


# ---- OBJECTID (RFC 8474) ----

def objectid(line, name):
    m = re.search(name.encode() + rb" \(([A-Za-z0-9_-]+)\)", line)
    assert m, line
    return m.group(1).decode()


def test_mailboxid(server):
    c = login(server)
    _, tagged = c.command("CREATE foo")
    foo = objectid(tagged, "MAILBOXID")
    _, tagged = c.command("CREATE bar")
    bar = objectid(tagged, "MAILBOXID")
    assert foo != bar
    assert objectid(c.ok("STATUS foo (MAILBOXID)")[0], "MAILBOXID") == foo
    untagged = c.ok("SELECT foo")
    assert objectid([l for l in untagged if b"MAILBOXID" in l][0], "MAILBOXID") == foo
    c.ok("UNSELECT")
    c.ok("RENAME foo renamed")
    assert objectid(c.ok("STATUS renamed (MAILBOXID)")[0], "MAILBOXID") == foo
    # Deleted and created again: a new mailbox, a new id.
    c.ok("DELETE bar")
    _, tagged = c.command("CREATE bar")
    assert objectid(tagged, "MAILBOXID") not in (foo, bar)


def test_emailid_stable_across_copy_and_move(server):
    c = login(server)
    append(c, message(1))
    append(c, message(2))
    append(c, message(3), extra=b'"20-Mar-2018 03:07:37 +1100" ')
    c.ok("CREATE foo")
    c.ok("SELECT INBOX")
    ids = {}
    for line in c.ok("FETCH 1:* (EMAILID THREADID)"):
        m = re.match(rb"\* (\d+) FETCH \(EMAILID \(([A-Za-z0-9_-]+)\) THREADID \(T[0-9a-f]+\)\)$", line)
        assert m, line
        ids[int(m.group(1))] = m.group(2)
    assert len(set(ids.values())) == 3
    c.ok("COPY 1 foo")
    c.ok("MOVE 2 foo")
    c.ok("SELECT foo")
    moved = [objectid(l, "EMAILID").encode() for l in c.ok("FETCH 1:* EMAILID")]
    assert moved == [ids[1], ids[2]]
    # Identical bytes with another INTERNALDATE: another message.
    append(c, message(3), mailbox="foo")
    assert objectid(c.ok("FETCH 3 EMAILID")[-1], "EMAILID").encode() != ids[3]


# ---- SAVEDATE (RFC 8514) ----

def test_savedate(server):
    c = login(server)
    append(c, message(1), extra=b'"17-Jul-1996 02:44:25 -0700" ')
    c.ok("SELECT INBOX")
    line = c.ok("FETCH 1 (INTERNALDATE SAVEDATE)")[0]
    m = re.search(rb'SAVEDATE "(\d\d-\w\w\w-(\d{4}) \d\d:\d\d:\d\d [+-]\d{4})"', line)
    assert m, line
    assert int(m.group(2)) >= 2024  # saved now, not at the INTERNALDATE
    assert b'INTERNALDATE "17-Jul-1996 02:44:25 -0700"' in line


# ---- PREVIEW (RFC 8970) ----

def test_preview(server):
    c = login(server)
    append(c, message(1, b"Hello there,\r\n\r\nsee you   soon.\r\n> quoted\r\n"))
    html = (b"Content-Type: text/html; charset=utf-8\r\n\r\n"
            b"<html><head><style>p {}</style></head><body><p>Caf\xc3\xa9 &amp; cake</p></body></html>\r\n")
    append(c, html)
    append(c, b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n")
    append(c, message(4, b"word " * 200))
    c.ok("SELECT INBOX")
    untagged = c.ok("FETCH 1:4 (PREVIEW)")
    assert untagged[0] == b'* 1 FETCH (PREVIEW "Hello there, see you soon.")'
    # 8-bit text goes as a literal (no UTF8=ACCEPT here).
    assert untagged[1] == b"* 2 FETCH (PREVIEW {12}\r\nCaf\xc3\xa9 & cake)"
    assert untagged[2] == b'* 3 FETCH (PREVIEW "")'
    text = re.match(rb'\* 4 FETCH \(PREVIEW "([^"]*)"\)$', untagged[3]).group(1)
    assert 150 <= len(text) <= 200 and text.startswith(b"word word")
    # LAZY (RFC 8970 4.1), in a list and alone.
    untagged = c.ok("FETCH 1 (RFC822.SIZE PREVIEW (LAZY))")
    assert re.match(rb'\* 1 FETCH \(RFC822.SIZE \d+ PREVIEW "Hello there, see you soon."\)$',
                    untagged[0]), untagged
    assert c.ok("FETCH 1 PREVIEW (LAZY)")[0] == b'* 1 FETCH (PREVIEW "Hello there, see you soon.")'
    # PREVIEW does not set \Seen.
    assert b"\\Seen" not in c.ok("FETCH 1 FLAGS")[0]
    _, tagged = c.command("FETCH 1 (PREVIEW (EAGER))")
    assert b" BAD " in tagged


# ---- SEARCH MODSEQ (RFC 7162 3.1.5, 3.1.6, 3.1.10) and rev2 ESEARCH ----

def test_search_modseq(server):
    c = login(server)
    fill(c, 4)
    hms = highestmodseq(c.ok("SELECT INBOX"))
    c.ok("STORE 2,4 +FLAGS.SILENT (\\Flagged)")
    untagged = c.ok("SEARCH MODSEQ %d" % (hms + 1))
    # The first CONDSTORE enabling command in the session: HIGHESTMODSEQ.
    assert untagged[0].startswith(b"* OK [HIGHESTMODSEQ ")
    m = re.match(rb"\* SEARCH 2 4 \(MODSEQ (\d+)\)$", untagged[1])
    assert m and int(m.group(1)) > hms, untagged
    untagged = c.ok('UID SEARCH MODSEQ "/flags/\\\\flagged" all %d' % (hms + 1))
    assert re.match(rb"\* SEARCH 2 4 \(MODSEQ \d+\)$", untagged[0]), untagged
    assert c.ok("SEARCH MODSEQ 999999999") == [b"* SEARCH"]
    untagged = c.ok("SEARCH RETURN (ALL) MODSEQ %d" % (hms + 1))
    assert re.match(rb'\* ESEARCH \(TAG "t\d+"\) ALL 2,4 MODSEQ \d+$', untagged[0]), untagged
    for bad in ("SEARCH MODSEQ", "SEARCH MODSEQ x", 'SEARCH MODSEQ "/flags/\\\\seen" 5',
                'SEARCH MODSEQ "/flags/\\\\seen" bogus 5'):
        _, tagged = c.command(bad)
        assert b" BAD " in tagged, bad


def test_imap4rev2_search_answers_esearch(server):
    c = login(server)
    fill(c, 3)
    c.ok("ENABLE IMAP4rev2")
    c.ok("SELECT INBOX")
    untagged = c.ok("SEARCH 2:3")
    assert re.match(rb'\* ESEARCH \(TAG "t\d+"\) ALL 2:3$', untagged[0]), untagged
    untagged = c.ok("UID SEARCH ALL")
    assert re.match(rb'\* ESEARCH \(TAG "t\d+"\) UID ALL 1:3$', untagged[0]), untagged
