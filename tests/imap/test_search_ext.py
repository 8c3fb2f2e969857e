"""Issue 7, the rest: WITHIN (RFC 5032), SAVEDATE search keys (RFC 8514),
OBJECTID search and THREADID (RFC 8474), the UTF8=ACCEPT MUSTs of RFC 6855
(SEARCH CHARSET, APPEND of 8-bit headers) and the CONDSTORE parts of SORT,
THREAD and LIST-STATUS (RFC 7162). The RFCs' own examples are used where
they have them.
"""
import re
import time

from conftest import USERS


def login(server, user="alice"):
    c = server.raw()
    c.login(user, USERS[user])
    return c


def status_of(tagged):
    return tagged.split(b" ", 2)[1]


def expect(c, command, status):
    untagged, tagged = c.command(command)
    assert status_of(tagged) == status.encode(), (command, tagged)
    if status == "BAD":
        c.ok("NOOP")  # repeated BADs in a row would close the connection
    return untagged


def append(c, msg, mailbox=b"INBOX", date=None, flags=b""):
    if isinstance(mailbox, str):
        mailbox = mailbox.encode()
    extra = b""
    if flags:
        extra += flags + b" "
    if date:
        extra += b'"' + date.encode() + b'" '
    untagged, tagged = c.command(b"APPEND " + mailbox + b" " + extra +
                                 b"{%d+}\r\n" % len(msg) + msg)
    assert status_of(tagged) == b"OK", tagged
    return int(re.search(rb"APPENDUID \d+ (\d+)", tagged).group(1))


def search(c, keys):
    lines = [l for l in c.ok("SEARCH " + keys) if l.startswith(b"* SEARCH")]
    assert len(lines) == 1, lines
    return [int(x) for x in lines[0].split()[2:] if x.isdigit()]


def message(subject, msgid=None, refs=None, irt=None, body=b"text\r\n"):
    head = b"From: a@example.com\r\nSubject: " + subject.encode() + b"\r\n"
    if msgid:
        head += b"Message-ID: " + msgid.encode() + b"\r\n"
    if refs:
        head += b"References: " + refs.encode() + b"\r\n"
    if irt:
        head += b"In-Reply-To: " + irt.encode() + b"\r\n"
    return head + b"\r\n" + body


def imap_date(t):
    return time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(t))


def capabilities(c):
    return c.ok("CAPABILITY")[0].split()[2:]


def test_capabilities_announced(server):
    caps = capabilities(login(server))
    for cap in (b"WITHIN", b"SAVEDATE", b"OBJECTID", b"UTF8=ACCEPT"):
        assert cap in caps


# ---- WITHIN (RFC 5032) ----

def test_within_rfc_example(server):
    c = login(server)
    now = time.time()
    append(c, message("a"), date=imap_date(now - 10 * 86400))          # 1 old
    append(c, message("b"), date=imap_date(now - 3600))                # 2
    append(c, message("c"), date=imap_date(now - 60), flags=b"(\\Seen)")  # 3
    append(c, message("d"))                                            # 4 now
    c.ok("SELECT INBOX")
    # RFC 5032 4: "SEARCH UNSEEN YOUNGER 259200": unseen, past 3 days.
    assert search(c, "UNSEEN YOUNGER 259200") == [2, 4]
    assert search(c, "YOUNGER 259200") == [2, 3, 4]
    assert search(c, "OLDER 259200") == [1]
    assert search(c, "OLDER 1800") == [1, 2]
    assert search(c, "NOT YOUNGER 1800") == [1, 2]
    # Message 1 is exactly 864000 s old or a little more: the bound is
    # inclusive (RFC 5032 2, "less recent than or equal").
    assert search(c, "OR OLDER 864000 YOUNGER 120") == [1, 3, 4]
    # Far beyond anything stored / a second: both edges behave.
    assert search(c, "OLDER 4294967295") == []
    assert search(c, "YOUNGER 4294967295") == [1, 2, 3, 4]
    lines = c.ok("UID SEARCH RETURN (COUNT) YOUNGER 7200")
    assert re.match(rb'\* ESEARCH \(TAG "\w+"\) UID COUNT 3$', lines[-1]), lines


def test_within_bad_arguments(server):
    c = login(server)
    append(c, message("a"))
    c.ok("SELECT INBOX")
    # RFC 5032 3: "OLDER" / "YOUNGER" SP nz-number.
    for bad in ("OLDER 0", "YOUNGER 0", "OLDER -5", "OLDER abc",
                "YOUNGER 4294967296", 'OLDER "10"', "YOUNGER", "OLDER 1.5",
                "YOUNGER (1)", "OLDER +3"):
        expect(c, "SEARCH " + bad, "BAD")
    expect(c, "UID SORT (DATE) UTF-8 YOUNGER 0", "BAD")
    # The session stays usable.
    assert search(c, "YOUNGER 100000") == [1]


# ---- SAVEDATE (RFC 8514 4.3) ----

def test_savedate_search(server):
    c = login(server)
    append(c, message("old"), date="17-Jul-1996 02:44:25 -0700")
    append(c, message("new"))
    c.ok("SELECT INBOX")
    line = c.ok("FETCH 1 SAVEDATE")[0]
    day = re.search(rb'SAVEDATE "([ \d]\d-\w\w\w-\d{4}) ', line).group(1).decode()
    day = day.lstrip(" ")
    # The save date is today for both, whatever their INTERNALDATE.
    assert search(c, "SAVEDON " + day) == [1, 2]
    assert search(c, "SAVEDSINCE " + day) == [1, 2]
    assert search(c, "SAVEDBEFORE " + day) == []
    assert search(c, "SAVEDBEFORE 1-Jan-2000") == []
    assert search(c, "BEFORE 1-Jan-2000") == [1]       # INTERNALDATE
    assert search(c, "SAVEDSINCE 1-Jan-2000") == [1, 2]
    assert search(c, "SAVEDSINCE 1-Jan-2100") == []
    assert search(c, "SAVEDBEFORE 1-Jan-2100 SAVEDON " + day) == [1, 2]
    # RFC 8514 4.3: SAVEDATESUPPORTED matches all messages here.
    assert search(c, "SAVEDATESUPPORTED") == [1, 2]
    assert search(c, "savedatesupported NOT SAVEDON " + day) == []
    # A copy gets a save date of its own (today again).
    c.ok("CREATE Archive2")
    c.ok("COPY 1 Archive2")
    c.ok("SELECT Archive2")
    assert search(c, "SAVEDON " + day) == [1]


def test_savedate_bad_arguments(server):
    c = login(server)
    c.ok("SELECT INBOX")
    for bad in ("SAVEDON", "SAVEDON 32-Jan-2020", "SAVEDSINCE yesterday",
                "SAVEDBEFORE 1-Foo-2020", "SAVEDATESUPPORTED 1-Jan-2020"):
        expect(c, "SEARCH " + bad, "BAD")
    # An empty mailbox: SAVEDATESUPPORTED has nothing to match.
    assert search(c, "SAVEDATESUPPORTED") == []


# ---- OBJECTID (RFC 8474) ----

def ids_of(c, seqs="1:*"):
    out = {}
    for line in c.ok("FETCH %s (EMAILID THREADID)" % seqs):
        m = re.match(rb"\* (\d+) FETCH \(EMAILID \(([A-Za-z0-9_-]+)\) "
                     rb"THREADID \(([A-Za-z0-9_-]+)\)\)$", line)
        assert m, line
        out[int(m.group(1))] = (m.group(2).decode(), m.group(3).decode())
    return out


def test_objectid_rfc_example(server):
    """RFC 8474 5.3 and 6: messages A, a reply to A, and C."""
    c = login(server)
    date = "20-Mar-2018 03:07:37 +1100"
    append(c, message("Message A", "<fake.1521475657.54797@example.com>"), date=date)
    append(c, message("Re: Message A", "<fake.1521475657.21213@example.org>",
                      refs="<fake.1521475657.54797@example.com>"), date=date)
    append(c, message("Message C", "<fake.1521475657.60280@example.com>"), date=date)
    c.ok("CREATE foo")
    c.ok("SELECT INBOX")
    ids = ids_of(c)
    assert ids[1][1] == ids[2][1] != ids[3][1]
    assert len({ids[n][0] for n in ids}) == 3
    # The three kinds never share a value, and prefixes keep them apart.
    assert all(e.startswith("E") and t.startswith("T") for e, t in ids.values())
    # RFC 8474 6: "search emailid ..." -> 1; "search threadid ..." -> 1 2.
    assert search(c, "EMAILID " + ids[1][0]) == [1]
    assert search(c, "THREADID " + ids[1][1]) == [1, 2]
    assert search(c, "THREADID " + ids[3][1]) == [3]
    assert search(c, "OR EMAILID %s EMAILID %s" % (ids[2][0], ids[3][0])) == [2, 3]
    # ObjectIDs are case-sensitive (RFC 8474 7).
    assert search(c, "EMAILID " + ids[1][0].upper()) == []
    assert search(c, "THREADID t" + ids[1][1][1:]) == []
    # MOVE keeps both ids (RFC 8474 5.1, 5.2).
    c.ok("MOVE 2 foo")
    assert ids_of(c) == {1: ids[1], 2: ids[3]}
    c.ok("SELECT foo")
    assert ids_of(c) == {1: ids[2]}
    assert search(c, "THREADID " + ids[1][1]) == [1]
    assert search(c, "EMAILID " + ids[2][0]) == [1]
    # Persisted: the same after a restart.
    server.restart()
    c = login(server)
    c.ok("SELECT INBOX")
    assert search(c, "THREADID " + ids[1][1]) == [1]
    assert ids_of(c) == {1: ids[1], 2: ids[3]}


def test_threadid_rule(server):
    c = login(server)
    # A reply through In-Reply-To only, a reply that arrives before its
    # parent, a reply that changes the subject, a message without ids.
    append(c, message("Lunch", "<p1@x>"))                               # 1
    append(c, message("Re: lunch", "<p2@x>", irt="<p1@x>"))             # 2
    append(c, message("RE: [list] Lunch", "<p3@x>", refs="<p1@x> <p2@x>"))  # 3
    append(c, message("Budget", "<p4@x>", irt="<p2@x>", refs="<p1@x> <p2@x>"))  # 4
    append(c, message("Re: Trip", "<q2@x>", irt="<q1@x>"))              # 5
    append(c, message("Trip", "<q1@x>"))                                # 6
    append(c, message("Lunch"))                                         # 7
    append(c, message("Fwd: Budget", "<p5@x>", refs="<p4@x>"))          # 8
    c.ok("SELECT INBOX")
    t = {n: v[1] for n, v in ids_of(c).items()}
    assert t[1] == t[2] == t[3]
    assert t[4] not in (t[1], t[5], t[7])
    assert t[5] == t[6]
    assert t[7] not in (t[1], t[5])
    assert t[8] == t[4]
    assert len({t[1], t[4], t[5], t[7]}) == 4
    # Identical bytes with the same INTERNALDATE share the EMAILID, so
    # they must share the THREADID (RFC 8474 5.2).
    raw = message("no id at all")
    append(c, raw, date="01-Jan-2020 00:00:00 +0000")
    append(c, raw, date="01-Jan-2020 00:00:00 +0000")
    ids = ids_of(c, "9:10")
    assert ids[9] == ids[10]
    assert search(c, "EMAILID " + ids[9][0]) == [9, 10]


def test_threadid_at_delivery_and_per_user(server):
    a = login(server)
    append(a, message("Plans", "<d1@x>"))
    # `quire deliver` (an LDA) computes the thread as APPEND does.
    server.quire(["deliver", "alice"],
                 stdin=message("Re: Plans", "<d2@x>", irt="<d1@x>"))
    a.ok("SELECT INBOX")
    t = {n: v[1] for n, v in ids_of(a).items()}
    assert t[1] == t[2]
    assert search(a, "THREADID " + t[1]) == [1, 2]
    # Bob's mail threads by his own messages only.
    b = login(server, "bob")
    append(b, message("Re: Plans", "<d3@x>", irt="<d1@x>"))
    b.ok("SELECT INBOX")
    assert ids_of(b)[1][1] != t[1]
    assert search(b, "THREADID " + t[1]) == []


def test_objectid_search_shared_mailbox_and_rights(server):
    a = login(server)
    a.ok("CREATE Team")
    append(a, message("Shared", "<s1@x>"), mailbox="Team")
    append(a, message("Re: Shared", "<s2@x>", irt="<s1@x>"), mailbox="Team")
    a.ok("SELECT Team")
    ids = ids_of(a)
    b = login(server, "bob")
    # Without any right: no such mailbox, nothing to search.
    expect(b, 'SELECT "Other Users/alice/Team"', "NO")
    _, tagged = b.command("SEARCH THREADID " + ids[1][1])  # not selected
    assert status_of(tagged) != b"OK", tagged
    a.ok("SETACL Team bob lr")
    b.ok('EXAMINE "Other Users/alice/Team"')
    assert ids_of(b) == ids
    assert search(b, "THREADID " + ids[1][1]) == [1, 2]
    assert search(b, "EMAILID " + ids[2][0]) == [2]


def test_objectid_search_bad_and_unknown(server):
    c = login(server)
    append(c, message("x", "<x@x>"))
    c.ok("SELECT INBOX")
    for bad in ("EMAILID", "THREADID", 'EMAILID "a b"', "EMAILID a.b",
                'THREADID ""', "THREADID " + "T" * 256, "EMAILID (E1)"):
        expect(c, "SEARCH " + bad, "BAD")
    # Well-formed ids this server never gave: no match, not an error.
    for unknown in ("T0", "Tffffffffffff", "M123", "E00-1", "foo_bar-1",
                    "E" + "0" * 24 + "-0", "T" * 255):
        assert search(c, "EMAILID " + unknown) == []
        assert search(c, "THREADID " + unknown) == []
    # An EMAILID is never a THREADID and the other way round.
    e, t = ids_of(c)[1]
    assert search(c, "THREADID " + e) == [] and search(c, "EMAILID " + t) == []
    assert search(c, 'EMAILID "%s"' % e) == [1]


# ---- UTF8=ACCEPT (RFC 6855) ----

UTF8_HEADER = ("From: Jöran <j@example.org>\r\nSubject: Grüße\r\n"
               "\r\nHallo.\r\n").encode()
UTF8_BODY = (b"From: j@example.org\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: text/plain; charset=utf-8\r\n"
             b"Content-Transfer-Encoding: 8bit\r\n\r\n" +
             "Grüße aus Köln\r\n".encode())


def messages(c):
    line = c.ok("STATUS INBOX (MESSAGES)")[0]
    return int(re.search(rb"MESSAGES (\d+)", line).group(1))


def test_utf8_search_charset_bad_after_enable(server):
    c = login(server)
    append(c, UTF8_BODY)
    c.ok("SELECT INBOX")
    # Before ENABLE, CHARSET is fine.
    lines = expect(c, b"SEARCH CHARSET UTF-8 BODY {5+}\r\nK\xc3\xb6ln", "OK")
    assert lines[-1] == b"* SEARCH 1"
    c.ok("UNSELECT")
    c.ok("ENABLE UTF8=ACCEPT")
    c.ok("SELECT INBOX")
    # RFC 6855 3: a SEARCH with a charset now gets BAD.
    expect(c, b'SEARCH CHARSET UTF-8 BODY "K\xc3\xb6ln"', "BAD")
    expect(c, b"SEARCH CHARSET US-ASCII ALL", "BAD")
    expect(c, b"UID SEARCH RETURN (SAVE) CHARSET UTF-8 ALL", "BAD")
    expect(c, b"SEARCH $", "OK")
    lines = expect(c, b'SEARCH BODY "K\xc3\xb6ln"', "OK")
    assert lines[-1] == b"* SEARCH 1"
    # SORT and THREAD name their charset in their syntax: still allowed.
    expect(c, b"SORT (DATE) UTF-8 ALL", "OK")


def test_rev2_search_charset_still_allowed(server):
    c = login(server)
    if b"IMAP4rev2" not in capabilities(c):
        return
    c.ok("ENABLE IMAP4rev2")
    c.ok("SELECT INBOX")
    expect(c, b"SEARCH CHARSET UTF-8 ALL", "OK")


def test_utf8_append_8bit_header_needs_enable(server):
    c = login(server)
    # RFC 6855 4: NO for 8-bit header fields without ENABLE UTF8=ACCEPT,
    # also inside a MULTIAPPEND (nothing stored) and as UTF8 (literal8).
    expect(c, b"APPEND INBOX {%d+}\r\n" % len(UTF8_HEADER) + UTF8_HEADER, "NO")
    ok = b"Subject: fine\r\n\r\nok\r\n"
    expect(c, b"APPEND INBOX {%d+}\r\n" % len(ok) + ok +
           b" {%d+}\r\n" % len(UTF8_HEADER) + UTF8_HEADER, "NO")
    expect(c, b"APPEND INBOX UTF8 (~{%d+}\r\n" % len(UTF8_HEADER) +
           UTF8_HEADER + b")", "NO")
    # A large message, spilled to a file by the parser, is checked too.
    big = UTF8_HEADER + b"x" * (300 * 1024) + b"\r\n"
    expect(c, b"APPEND INBOX {%d+}\r\n" % len(big) + big, "NO")
    assert messages(c) == 0
    # 8-bit body with proper MIME headers: accepted (only headers count).
    append(c, UTF8_BODY)
    bigbody = UTF8_BODY + "ü".encode() * (200 * 1024) + b"\r\n"
    append(c, bigbody)
    # A bare 8-bit byte after the blank line is body, too.
    append(c, b"Subject: x\r\n\r\n\xff\xfe\r\n")
    # After ENABLE UTF8=ACCEPT both forms are taken.
    c.ok("ENABLE UTF8=ACCEPT")
    append(c, UTF8_HEADER)
    expect(c, b"APPEND INBOX UTF8 (~{%d+}\r\n" % len(UTF8_HEADER) +
           UTF8_HEADER + b")", "OK")
    assert messages(c) == 5
    # The session is fine after the refusals.
    c.ok("SELECT INBOX")
    line = c.ok("FETCH 4 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")[0]
    assert "Grüße".encode() in line


def test_thunderbird_like_flow_with_append(server):
    """The commands of /work/shared/clients/thunderbird.md, then a draft
    saved with RFC 2047 headers (what Thunderbird writes) in a session
    that never enabled UTF8=ACCEPT."""
    c = login(server)
    c.ok("NAMESPACE")
    c.ok('ID ("name" "Thunderbird" "version" "153.7.0")')
    c.ok('LIST (SUBSCRIBED) "" "*"')
    c.ok('STATUS "INBOX" (UIDNEXT MESSAGES UNSEEN RECENT)')
    c.ok('SELECT "Drafts"')
    c.ok("GETQUOTAROOT Drafts")
    c.ok("UID fetch 1:* (FLAGS)")
    draft = (b"From: =?UTF-8?Q?J=C3=B6ran?= <j@example.org>\r\n"
             b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
             b"Message-ID: <tb1@example.org>\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: text/plain; charset=UTF-8\r\n"
             b"Content-Transfer-Encoding: 8bit\r\n\r\n" +
             "Grüße\r\n".encode())
    uid = append(c, draft, mailbox=b'"Drafts"', flags=b"(\\Draft \\Seen)")
    c.ok("NOOP")
    lines = c.ok("UID fetch %d (UID RFC822.SIZE FLAGS BODY.PEEK[])" % uid)
    assert draft in lines[0]


# ---- CONDSTORE with SORT, THREAD, LIST-STATUS (RFC 7162) ----

def modseqs(c):
    out = {}
    for line in c.ok("FETCH 1:* (MODSEQ)"):
        m = re.match(rb"\* (\d+) FETCH \(MODSEQ \((\d+)\)\)", line)
        out[int(m.group(1))] = int(m.group(2))
    return out


def test_sort_modseq(server):
    c = login(server)
    for n in range(3):
        append(c, message("m%d" % n), date="0%d-Jan-2020 00:00:00 +0000" % (n + 1))
    c.ok("SELECT INBOX")
    # The first CONDSTORE enabling command announces HIGHESTMODSEQ.
    lines = c.ok("SORT (REVERSE DATE) UTF-8 MODSEQ 1")
    assert any(l.startswith(b"* OK [HIGHESTMODSEQ ") for l in lines), lines
    c.ok("STORE 2 +FLAGS (\\Flagged)")
    ms = modseqs(c)
    # RFC 7162 3.1.9: the highest modseq of the messages returned.
    sort = [l for l in c.ok("SORT (DATE) UTF-8 MODSEQ %d" % ms[2]) if l.startswith(b"* SORT")]
    assert sort == [b"* SORT 2 (MODSEQ %d)" % ms[2]]
    sort = [l for l in c.ok("UID SORT (REVERSE DATE) UTF-8 MODSEQ 1") if l.startswith(b"* SORT")]
    assert sort == [b"* SORT 3 2 1 (MODSEQ %d)" % max(ms.values())]
    # No match: no MODSEQ; no MODSEQ key: none either.
    sort = [l for l in c.ok("SORT (DATE) UTF-8 MODSEQ %d" % (ms[2] + 1)) if l.startswith(b"* SORT")]
    assert sort == [b"* SORT"]
    sort = [l for l in c.ok("SORT (DATE) UTF-8 ALL") if l.startswith(b"* SORT")]
    assert sort == [b"* SORT 1 2 3"]
    # THREAD responses are unchanged (RFC 7162 3.1.9).
    thread = [l for l in c.ok("THREAD ORDEREDSUBJECT UTF-8 MODSEQ 1") if l.startswith(b"* THREAD")]
    assert thread == [b"* THREAD (1)(2)(3)"]
    expect(c, "SORT (DATE) UTF-8 MODSEQ x", "BAD")


def test_thread_modseq_is_condstore_enabling(server):
    c = login(server)
    append(c, message("one"))
    c.ok("SELECT INBOX")
    lines = c.ok("THREAD REFERENCES UTF-8 MODSEQ 1")
    assert any(l.startswith(b"* OK [HIGHESTMODSEQ ") for l in lines), lines
    # From now on flag updates carry MODSEQ.
    lines = c.ok("STORE 1 +FLAGS (\\Seen)")
    assert re.search(rb"MODSEQ \(\d+\)", lines[0]), lines


def test_list_status_highestmodseq_enables_condstore(server):
    c = login(server)
    append(c, message("one"))
    c.ok("SELECT INBOX")
    # Without HIGHESTMODSEQ: not enabling.
    lines = c.ok('LIST "" "INBOX" RETURN (STATUS (MESSAGES))')
    assert not any(b"HIGHESTMODSEQ" in l for l in lines), lines
    lines = c.ok("STORE 1 +FLAGS (\\Flagged)")
    assert b"MODSEQ" not in lines[0], lines
    # RFC 5819 STATUS with HIGHESTMODSEQ is a STATUS (HIGHESTMODSEQ).
    lines = c.ok('LIST "" "*" RETURN (STATUS (HIGHESTMODSEQ MESSAGES))')
    assert any(l.startswith(b"* OK [HIGHESTMODSEQ ") for l in lines), lines
    status = [l for l in lines if l.startswith(b"* STATUS ")]
    assert len(status) >= 1 and all(b"HIGHESTMODSEQ " in l for l in status), lines
    assert any(b"INBOX" in l and b"MESSAGES 1" in l for l in status), lines
    lines = c.ok("STORE 1 +FLAGS (\\Seen)")
    assert re.search(rb"MODSEQ \(\d+\)", lines[0]), lines
    # Only the first enabling command announces it.
    lines = c.ok('LIST "" "INBOX" RETURN (STATUS (HIGHESTMODSEQ))')
    assert not any(l.startswith(b"* OK [HIGHESTMODSEQ") for l in lines), lines


def test_other_condstore_enabling_commands(server):
    """RFC 7162 3.1 list: each one, on a fresh session, turns MODSEQ on."""
    c = login(server)
    append(c, message("one"))
    for enabling in ("STATUS INBOX (HIGHESTMODSEQ)", "FETCH 1 (MODSEQ)",
                     "SEARCH MODSEQ 1", "FETCH 1 (FLAGS) (CHANGEDSINCE 1)",
                     "STORE 1 (UNCHANGEDSINCE 1000000) +FLAGS (\\Draft)",
                     "ENABLE CONDSTORE"):
        keyword = "$k%d" % len(enabling)
        d = login(server)
        if enabling.startswith("ENABLE"):
            d.ok(enabling)
            d.ok("SELECT INBOX")
        else:
            d.ok("SELECT INBOX")
            lines = d.ok(enabling)
            assert any(l.startswith(b"* OK [HIGHESTMODSEQ ") for l in lines), \
                (enabling, lines)
        lines = d.ok("STORE 1 +FLAGS (%s)" % keyword)
        fetch = [l for l in lines if l.startswith(b"* 1 FETCH")]
        assert re.search(rb"MODSEQ \(\d+\)", fetch[0]), (enabling, lines)
        d.close()
