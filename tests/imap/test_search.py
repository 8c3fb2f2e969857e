"""SEARCH (RFC 3501 6.4.4), ESEARCH (RFC 4731), SEARCHRES (RFC 5182),
SORT (RFC 5256, RFC 5957) and THREAD (RFC 5256), over real sockets."""
import base64
import concurrent.futures
import quopri
import random
import re

import pytest

CORPUS = [
    # 1: plain text
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Bob <bob@example.org>\r\n"
    b"Cc: Carol <carol@example.net>\r\n"
    b"Subject: Lunch plans\r\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    b"Message-ID: <m1@example.com>\r\n"
    b"\r\n"
    b"Let's meet at noon by the fountain.\r\n",
    # 2: encoded-word headers, quoted-printable ISO-8859-1 body
    b"From: =?ISO-8859-1?Q?Ren=E9_Dupont?= <rene@example.fr>\r\n"
    b"To: alice@example.com\r\n"
    b"Subject: =?UTF-8?B?Q2Fmw6kgY3LDqG1l?=\r\n"
    b"Date: Thu, 15 Feb 2024 23:30:00 -0500\r\n"
    b"Message-ID: <m2@example.fr>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=ISO-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"=C7a va tr=E8s bien, merci.\r\n",
    # 3: multipart with a base64 text part and a binary attachment
    b"From: Bob <bob@example.org>\r\n"
    b"To: Alice <alice@example.com>\r\n"
    b"Bcc: dave@example.com\r\n"
    b"Subject: Re: Lunch plans\r\n"
    b"Date: Tue, 2 Jan 2024 09:00:00 +0000\r\n"
    b"Message-ID: <m3@example.org>\r\n"
    b"In-Reply-To: <m1@example.com>\r\n"
    b"References: <m1@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=XX\r\n"
    b"\r\n"
    b"--XX\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n" + base64.encodebytes("The secret word is pineapple. Ünïcödé!\r\n".encode()).replace(b"\n", b"\r\n") +
    b"--XX\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n" + base64.encodebytes(b"zebra crossing\r\n").replace(b"\n", b"\r\n") +
    b"--XX--\r\n",
    # 4: a reply to 3, large
    b"From: Carol <carol@example.net>\r\n"
    b"To: Bob <bob@example.org>\r\n"
    b"Subject: RE: [team] Re: Lunch plans\r\n"
    b"Date: Wed, 3 Jan 2024 12:00:00 +0100\r\n"
    b"Message-ID: <m4@example.net>\r\n"
    b"References: <m1@example.com> <m3@example.org>\r\n"
    b"\r\n" + b"Count me in.\r\n" + b"padding line\r\n" * 400,
    # 5: no Date header, custom header
    b"From: Zed <zed@example.com>\r\n"
    b"To: alice@example.com\r\n"
    b"Subject: Unrelated\r\n"
    b"X-Custom: Foo-Bar\r\n"
    b"Message-ID: <m5@example.com>\r\n"
    b"\r\n"
    b"Nothing to see.\r\n",
    # 6: a forwarded message inside
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: Zed <zed@example.com>\r\n"
    b"Subject: Fwd: Inner subject\r\n"
    b"Date: Thu, 4 Jan 2024 08:00:00 +0000\r\n"
    b"Message-ID: <m6@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"From: Someone <someone@example.com>\r\n"
    b"Subject: Inner subject\r\n"
    b"\r\n"
    b"deep inside the forwarded message\r\n",
]


def deliver_all(server, messages, workers=8):
    def one(msg):
        server.quire(["deliver", "alice"], stdin=msg)
    if len(messages) < 10:
        for msg in messages:
            one(msg)
        return
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, messages))


@pytest.fixture
def client(server):
    for msg in CORPUS:
        server.quire(["deliver", "alice"], stdin=msg)
    c = server.raw()
    c.login("alice", "alice-secret")
    c.ok("SELECT INBOX")
    yield c
    c.close()


def search(c, criteria, cmd="SEARCH"):
    untagged, tagged = c.command(cmd + " " + criteria if isinstance(criteria, str)
                                 else cmd.encode() + b" " + criteria)
    assert tagged.split(b" ")[1] == b"OK", tagged
    lines = [u for u in untagged if u.startswith(b"* SEARCH") or u.startswith(b"* SORT")]
    assert len(lines) == 1, untagged
    return [int(x) for x in lines[0].split()[2:]]


def lit(text):
    """A non-synchronizing literal: 8-bit strings cannot be quoted."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return b"{%d+}\r\n" % len(data) + data


def status(c, text):
    untagged, tagged = c.command(text)
    return tagged.split(b" ", 2)[1].decode(), tagged


def test_all_and_flags(client):
    assert search(client, "ALL") == [1, 2, 3, 4, 5, 6]
    for key in ("ANSWERED", "DELETED", "DRAFT", "FLAGGED", "SEEN", "KEYWORD $Junk"):
        assert search(client, key) == [], key
    for key in ("UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN",
                "UNKEYWORD $Junk"):
        assert search(client, key) == [1, 2, 3, 4, 5, 6], key
    # The first SELECT sees every message as \Recent.
    assert search(client, "RECENT") == [1, 2, 3, 4, 5, 6]
    assert search(client, "NEW") == [1, 2, 3, 4, 5, 6]
    assert search(client, "OLD") == []
    # A non-PEEK body fetch sets \Seen.
    client.ok("FETCH 2,4 BODY[TEXT]")
    assert search(client, "SEEN") == [2, 4]
    assert search(client, "UNSEEN") == [1, 3, 5, 6]
    assert search(client, "NEW") == [1, 3, 5, 6]


def test_recent_is_per_session(server, client):
    other = server.raw()
    other.login("alice", "alice-secret")
    other.ok("SELECT INBOX")
    assert search(other, "RECENT") == []
    assert search(other, "OLD") == [1, 2, 3, 4, 5, 6]
    other.close()


def test_address_and_subject_keys(client):
    assert search(client, "FROM alice") == [1, 6]
    assert search(client, 'FROM "Alice Example"') == [1, 6]
    assert search(client, "FROM EXAMPLE.ORG") == [3]
    assert search(client, "TO bob") == [1, 4]
    assert search(client, "CC carol") == [1]
    assert search(client, "BCC dave") == [3]
    assert search(client, 'SUBJECT "lunch PLANS"') == [1, 3, 4]
    assert search(client, "SUBJECT inner") == [6]
    assert search(client, "HEADER X-Custom foo-bar") == [5]
    assert search(client, 'HEADER X-Custom ""') == [5]
    assert search(client, 'HEADER In-Reply-To ""') == [3]
    assert search(client, "HEADER Message-ID m4@") == [4]


def test_encoded_words_and_charsets(client):
    # RFC 2047 words are decoded before matching (name and subject).
    assert search(client, b"FROM " + lit("rené"), "SEARCH CHARSET UTF-8") == [2]
    assert search(client, b"SUBJECT " + lit("CAFÉ"), "SEARCH CHARSET UTF-8") == [2]
    assert search(client, b"SUBJECT " + lit("crème"), "SEARCH") == [2]
    # The same string in ISO-8859-1, as a literal.
    c = client
    tag = c.next_tag()
    c.send(tag.encode() + b" SEARCH CHARSET ISO-8859-1 SUBJECT {4}\r\n")
    assert c.line().startswith(b"+")
    c.send(b"caf\xe9\r\n")
    untagged, tagged = c.read_until_tagged(tag)
    assert tagged.startswith(tag.encode() + b" OK"), tagged
    assert untagged == [b"* SEARCH 2"]
    # Windows-1252 and a non-synchronizing literal.
    tag = c.next_tag()
    c.send(tag.encode() + b" SEARCH CHARSET WINDOWS-1252 BODY {5+}\r\n\xe7a va\r\n")
    untagged, tagged = c.read_until_tagged(tag)
    assert untagged == [b"* SEARCH 2"], untagged
    assert search(c, "CHARSET US-ASCII BODY noon") == [1]


def test_badcharset(client):
    st, tagged = status(client, "SEARCH CHARSET X-NO-SUCH-CHARSET ALL")
    assert st == "NO"
    assert b"[BADCHARSET (" in tagged
    st, tagged = status(client, "SORT (DATE) X-NO-SUCH-CHARSET ALL")
    assert st == "NO" and b"[BADCHARSET" in tagged
    st, tagged = status(client, "THREAD REFERENCES X-NO-SUCH ALL")
    assert st == "NO" and b"[BADCHARSET" in tagged


def test_body_and_text(client):
    # base64 text part, decoded
    assert search(client, "BODY pineapple") == [3]
    assert search(client, 'BODY "SECRET WORD"') == [3]
    assert search(client, b"BODY " + lit("\xdcn\xefc\xf6d\xe9"),
                  "SEARCH CHARSET UTF-8") == [3]
    # quoted-printable ISO-8859-1, decoded and converted
    assert search(client, b"BODY " + lit("TR\xc8S bien"),
                  "SEARCH CHARSET UTF-8") == [2]
    # attachments are not body text
    assert search(client, "BODY zebra") == []
    # embedded message: its header and body are in the outer body
    assert search(client, 'BODY "deep inside"') == [6]
    assert search(client, "BODY someone@example.com") == [6]
    # TEXT also looks at the header; BODY does not
    assert search(client, "BODY lunch") == []
    assert search(client, "TEXT lunch") == [1, 3, 4]
    assert search(client, "TEXT fountain") == [1]
    # short strings (no trigram) scan
    assert search(client, "BODY ZE") == []
    assert search(client, "BODY cr") == [3]
    assert search(client, 'BODY ""') == [1, 2, 3, 4, 5, 6]


def test_not_or_nesting(client):
    assert search(client, "NOT FROM alice") == [2, 3, 4, 5]
    assert search(client, "OR FROM bob FROM carol") == [3, 4]
    assert search(client, "OR (FROM bob SUBJECT lunch) TO zed") == [3, 6]
    assert search(client, "NOT (OR FROM bob NOT SUBJECT lunch)") == [1, 4]
    assert search(client, "NOT NOT NOT NOT 3") == [3]
    assert search(client, "(((FROM alice)))") == [1, 6]
    assert search(client, "OR OR 1 2 OR 3 4 NOT 1") == [2, 3, 4]
    assert search(client, "FROM alice SUBJECT lunch") == [1]


def test_sequence_sets(client):
    assert search(client, "2:4") == [2, 3, 4]
    assert search(client, "*") == [6]
    assert search(client, "5:*") == [5, 6]
    assert search(client, "1,3,6") == [1, 3, 6]
    assert search(client, "4:2 UNSEEN") == [2, 3, 4]
    assert search(client, "UID 2:3") == [2, 3]
    assert search(client, "UID 5:*") == [5, 6]
    # RFC 3501 6.4.8: n:* with n above every UID still holds the last one
    assert search(client, "UID 100:*") == [6]
    assert search(client, "UID 100") == []
    assert search(client, "NOT 1:5") == [6]
    # UID SEARCH answers in UIDs; its sets are the same
    assert search(client, "2:3", "UID SEARCH") == [2, 3]


def test_dates(client):
    assert search(client, "SENTBEFORE 2-Jan-2024") == [1]
    assert search(client, "SENTON 2-Jan-2024") == [3]
    assert search(client, "SENTSINCE 3-Jan-2024") == [2, 4, 6]
    # "disregarding time and timezone": the day as written in Date
    assert search(client, "SENTON 15-Feb-2024") == [2]
    assert search(client, 'SENTON "3-Jan-2024"') == [4]
    # INTERNALDATE is now
    assert search(client, "SINCE 1-Jan-2020") == [1, 2, 3, 4, 5, 6]
    assert search(client, "BEFORE 1-Jan-2020") == []
    untagged = client.ok("FETCH 1 INTERNALDATE")
    day = re.search(rb'INTERNALDATE "([ 0-9]+-[A-Za-z]+-[0-9]+)', untagged[0]).group(1)
    day = day.strip().decode()
    assert search(client, "ON " + day) == [1, 2, 3, 4, 5, 6]
    assert search(client, "BEFORE " + day) == []


def test_sizes(client):
    sizes = {}
    for line in client.ok("FETCH 1:* RFC822.SIZE"):
        m = re.match(rb"\* (\d+) FETCH \(RFC822\.SIZE (\d+)\)", line)
        sizes[int(m.group(1))] = int(m.group(2))
    s4 = sizes[4]
    assert search(client, "LARGER %d" % (s4 - 1)) == [4]
    assert search(client, "LARGER %d" % s4) == []
    assert search(client, "SMALLER %d" % (s4 + 1)) == [1, 2, 3, 4, 5, 6]
    assert search(client, "SMALLER %d" % min(sizes.values())) == []


def esearch(c, text):
    untagged, tagged = c.command(text)
    assert b" OK " in tagged, tagged
    lines = [u for u in untagged if u.startswith(b"* ESEARCH")]
    return lines, tagged


def test_esearch(client):
    lines, tagged = esearch(client, "SEARCH RETURN (MIN MAX COUNT ALL) FROM alice")
    tag = tagged.split(b" ")[0].decode()
    assert lines == [('* ESEARCH (TAG "%s") MIN 1 MAX 6 COUNT 2 ALL 1,6' % tag).encode()]
    lines, tagged = esearch(client, "SEARCH RETURN () 2:4")
    tag = tagged.split(b" ")[0].decode()
    assert lines == [('* ESEARCH (TAG "%s") ALL 2:4' % tag).encode()]
    lines, tagged = esearch(client, "UID SEARCH RETURN (COUNT MIN) SUBJECT lunch")
    tag = tagged.split(b" ")[0].decode()
    assert lines == [('* ESEARCH (TAG "%s") UID MIN 1 COUNT 3' % tag).encode()]
    # nothing found: MIN/MAX/ALL are left out, COUNT 0 stays
    lines, tagged = esearch(client, "SEARCH RETURN (MIN MAX ALL COUNT) FROM nobody")
    tag = tagged.split(b" ")[0].decode()
    assert lines == [('* ESEARCH (TAG "%s") COUNT 0' % tag).encode()]
    st, _ = status(client, "SEARCH RETURN (BOGUS) ALL")
    assert st == "BAD"
    st, _ = status(client, "SEARCH RETURN ALL")
    assert st == "BAD"


def test_searchres(client):
    # SAVE alone: no ESEARCH response (RFC 5182 2.4)
    lines, _ = esearch(client, "SEARCH RETURN (SAVE) FROM alice")
    assert lines == []
    assert search(client, "$") == [1, 6]
    assert search(client, "UID $") == [1, 6]
    assert search(client, "NOT $") == [2, 3, 4, 5]
    assert search(client, "OR $ 3") == [1, 3, 6]
    # SAVE with MIN alone keeps the minimum only
    lines, tagged = esearch(client, "SEARCH RETURN (SAVE MIN) SUBJECT lunch")
    assert lines[0].endswith(b"MIN 1")
    assert search(client, "$") == [1]
    # SAVE MIN MAX keeps both; with COUNT it keeps everything
    esearch(client, "SEARCH RETURN (SAVE MIN MAX) SUBJECT lunch")
    assert search(client, "$") == [1, 4]
    esearch(client, "UID SEARCH RETURN (SAVE COUNT MIN) SUBJECT lunch")
    assert search(client, "$") == [1, 3, 4]
    # a failed SAVE search empties "$"
    st, _ = status(client, "SEARCH RETURN (SAVE) NOSUCHKEY")
    assert st == "BAD"
    assert search(client, "$") == []


def test_searchres_reset_by_select(client):
    esearch(client, "SEARCH RETURN (SAVE) ALL")
    assert search(client, "$") == [1, 2, 3, 4, 5, 6]
    client.ok("SELECT INBOX")
    assert search(client, "$") == []


def test_searchres_in_fetch_store_copy(client):
    esearch(client, "SEARCH RETURN (SAVE) SUBJECT lunch")
    saved = search(client, "$")
    assert saved
    fetched = client.ok("FETCH $ (UID)")
    assert len(fetched) == len(saved)
    client.ok("STORE $ +FLAGS (\\Flagged)")
    assert search(client, "FLAGGED") == saved
    client.ok("COPY $ Archive")
    client.ok("UID FETCH $ (FLAGS)")


def test_sort(client):
    # ARRIVAL: deliveries may straddle a second; ties keep sequence order
    # even reversed (RFC 5256 2.2: the tie-breaker is the sequence number)
    import datetime
    arrival = {}
    for line in client.ok("FETCH 1:* INTERNALDATE"):
        m = re.match(rb'\* (\d+) FETCH \(INTERNALDATE "([^"]+)"\)', line)
        arrival[int(m.group(1))] = datetime.datetime.strptime(
            m.group(2).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    assert search(client, "(ARRIVAL) UTF-8 ALL", "SORT") == sorted(
        arrival, key=lambda s: (arrival[s], s))
    assert search(client, "(REVERSE ARRIVAL) UTF-8 ALL", "SORT") == sorted(
        arrival, key=lambda s: (-arrival[s].timestamp(), s))
    # DATE: UTC sent date; no Date header means INTERNALDATE (now, last)
    assert search(client, "(DATE) UTF-8 ALL", "SORT") == [1, 3, 4, 6, 2, 5]
    assert search(client, "(REVERSE DATE) UTF-8 ALL", "SORT") == [5, 2, 6, 4, 3, 1]
    # SUBJECT: base subject, ties by sequence number
    # cafe creme(2) Inner subject(6) Lunch plans(1,3,4) Unrelated(5)
    assert search(client, "(SUBJECT) UTF-8 ALL", "SORT") == [2, 6, 1, 3, 4, 5]
    assert search(client, "(SUBJECT REVERSE DATE) UTF-8 ALL", "SORT") == [2, 6, 4, 3, 1, 5]
    # FROM: addr-mailbox alice(1,6) bob(3) carol(4) rene(2) zed(5)
    assert search(client, "(FROM) UTF-8 ALL", "SORT") == [1, 6, 3, 4, 2, 5]
    # TO: alice(2,3,5) bob(1,4) zed(6)
    assert search(client, "(TO) UTF-8 ALL", "SORT") == [2, 3, 5, 1, 4, 6]
    # CC: empty first, then carol(1)
    assert search(client, "(CC) UTF-8 ALL", "SORT") == [2, 3, 4, 5, 6, 1]
    sizes = search(client, "(SIZE) UTF-8 ALL", "SORT")
    assert sizes[-1] == 4
    assert search(client, "(REVERSE SIZE) UTF-8 ALL", "SORT")[0] == 4
    # DISPLAYFROM: Alice Example(1,6) Bob(3) Carol(4) René Dupont(2) Zed(5)
    assert search(client, "(DISPLAYFROM) UTF-8 ALL", "SORT") == [1, 6, 3, 4, 2, 5]
    # DISPLAYTO: Alice(3) alice@example.com(2,5) Bob(1,4) Zed(6)
    assert search(client, "(DISPLAYTO) UTF-8 ALL", "SORT") == [3, 2, 5, 1, 4, 6]
    # with search keys, and UID SORT
    assert search(client, "(DATE) UTF-8 FROM alice", "SORT") == [1, 6]
    assert search(client, "(REVERSE DATE) UTF-8 2:4", "UID SORT") == [2, 4, 3]
    for bad in ("SORT DATE UTF-8 ALL", "SORT () UTF-8 ALL", "SORT (BOGUS) UTF-8 ALL",
                "SORT (REVERSE) UTF-8 ALL", "SORT (DATE) UTF-8", "SORT (DATE)"):
        assert status(client, bad)[0] == "BAD", bad


def thread(c, text):
    untagged, tagged = c.command(text)
    assert b" OK " in tagged, tagged
    lines = [u for u in untagged if u.startswith(b"* THREAD")]
    assert len(lines) == 1
    return lines[0][len(b"* THREAD"):].strip().decode()


def test_thread_references(client):
    # 1 <- 3 <- 4 by References; 2, 5, 6 alone
    assert thread(client, "THREAD REFERENCES UTF-8 ALL") == "(1 3 4)(6)(2)(5)"
    assert thread(client, "UID THREAD REFERENCES UTF-8 NOT 3") == "(1 4)(6)(2)(5)"
    assert thread(client, "THREAD REFERENCES UTF-8 FROM nobody") == ""


def test_thread_orderedsubject(client):
    # Lunch plans: 1, then 3 and 4 as its children (by sent date)
    assert thread(client, "THREAD ORDEREDSUBJECT UTF-8 ALL") == "(1 (3)(4))(6)(2)(5)"
    assert thread(client, "THREAD ORDEREDSUBJECT UTF-8 1:3") == "(1 3)(2)"
    assert status(client, "THREAD BOGUS UTF-8 ALL")[0] == "BAD"


def test_thread_references_subject_merge(server):
    msgs = [
        b"Subject: Party\r\nDate: 1 Mar 2024 10:00:00 +0000\r\nMessage-ID: <p1@x>\r\n\r\na\r\n",
        b"Subject: Re: Party\r\nDate: 1 Mar 2024 11:00:00 +0000\r\nMessage-ID: <p2@x>\r\n\r\nb\r\n",
        b"Subject: Re: Party\r\nDate: 1 Mar 2024 12:00:00 +0000\r\nMessage-ID: <p3@x>\r\n"
        b"In-Reply-To: <p2@x>\r\n\r\nc\r\n",
        b"Subject: Other\r\nDate: 1 Mar 2024 09:00:00 +0000\r\nMessage-ID: <o1@x>\r\n"
        b"References: <missing@x>\r\n\r\nd\r\n",
        b"Subject: Other\r\nDate: 1 Mar 2024 13:00:00 +0000\r\nMessage-ID: <o2@x>\r\n"
        b"References: <missing@x>\r\n\r\ne\r\n",
    ]
    deliver_all(server, msgs)
    c = server.raw()
    c.login("alice", "alice-secret")
    c.ok("SELECT INBOX")
    # 4 and 5 share a dummy parent (the missing message) that stays at the
    # root; 2 is a reply by subject to 1, 3 replies to 2 by In-Reply-To.
    assert thread(c, "THREAD REFERENCES UTF-8 ALL") == "((4)(5))(1 2 3)"
    c.close()


def test_bad_syntax(client):
    bad = [
        "SEARCH", "SEARCH FROM", "SEARCH NOSUCHKEY", "SEARCH OR 1",
        "SEARCH NOT", "SEARCH BEFORE 32-Jan-2024", "SEARCH BEFORE yesterday",
        "SEARCH LARGER x", "SEARCH LARGER -1", "SEARCH UID x", "SEARCH 1:x",
        "SEARCH KEYWORD \\Seen", "SEARCH HEADER", "SEARCH HEADER X",
        "SEARCH ()", "SEARCH CHARSET", "SEARCH 0", "SEARCH $,1",
        "SEARCH " + "NOT " * 100 + "ALL",
        "SEARCH " + "(" * 30 + "ALL" + ")" * 30 + " " + " ".join(["ALL"] * 3000),
    ]
    for text in bad:
        assert status(client, text)[0] == "BAD", text
        client.ok("NOOP")  # too many BADs in a row would close the link
    # the session is still fine
    assert search(client, "ALL") == [1, 2, 3, 4, 5, 6]


def test_search_needs_selected(server):
    c = server.raw()
    c.login("alice", "alice-secret")
    assert status(c, "SEARCH ALL")[0] == "BAD"
    c.close()


def test_capabilities(server):
    c = server.raw()
    caps = c.ok("CAPABILITY")[0].split()
    for cap in (b"ESEARCH", b"SORT", b"SORT=DISPLAY", b"THREAD=ORDEREDSUBJECT",
                b"THREAD=REFERENCES"):
        assert cap in caps
    c.close()


WORDS = ("apple banana cherry dragon elephant falcon guitar harbor island "
         "jungle kettle lemon mango nectar orange pepper quartz raven salmon "
         "tiger umbrella violet walnut xenon yellow zephyr").split()


def gen_message(rng, i):
    """A message with a random mix of words, in one of several encodings.
    Returns (bytes, decoded body text, header text)."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(3, 30))]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), "Ça-déjà-vu")
    text = " ".join(words) + "\n"
    subject = "msg %d %s" % (i, rng.choice(WORDS))
    kind = i % 4
    head = "From: gen%d@example.com\r\nSubject: %s\r\nMessage-ID: <g%d@x>\r\n" % (
        i % 17, subject, i)
    if kind == 0:
        body = text.replace("\n", "\r\n").encode("utf-8")
        hdr = head + "Content-Type: text/plain; charset=utf-8\r\n"
    elif kind == 1:
        body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
        hdr = head + ("Content-Type: text/plain; charset=utf-8\r\n"
                      "Content-Transfer-Encoding: base64\r\n")
    elif kind == 2:
        body = quopri.encodestring(text.encode("iso-8859-1")).replace(b"\n", b"\r\n")
        hdr = head + ("Content-Type: text/plain; charset=iso-8859-1\r\n"
                      "Content-Transfer-Encoding: quoted-printable\r\n")
    else:
        body = (b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
                text.replace("\n", "\r\n").encode("utf-8") +
                b"--b\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n" +
                base64.encodebytes(b"walnut xenon in an attachment") +
                b"--b--\r\n")
        hdr = head + "Content-Type: multipart/mixed; boundary=b\r\n"
    return hdr.encode() + b"\r\n" + body, text, hdr


def test_fts_equals_full_scan(server):
    """Indexed BODY/TEXT results equal the expected full-scan answer on a
    few thousand generated messages (ground truth computed here), and the
    short-string scan path agrees too."""
    rng = random.Random(4242)
    gen = [gen_message(rng, i) for i in range(2500)]
    deliver_all(server, [g[0] for g in gen])
    c = server.raw(timeout=120)
    c.login("alice", "alice-secret")
    c.ok("SELECT INBOX")
    # UIDs follow delivery order only per process; map by Message-ID.
    uid_of = {}
    for line in c.ok("FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"):
        m = re.search(rb"UID (\d+).*<g(\d+)@x>", line, re.S)
        uid_of[int(m.group(2))] = int(m.group(1))
    assert len(uid_of) == len(gen)

    def expect(needle, text_too):
        n = needle.lower()
        out = []
        for i, (_, body, header) in enumerate(gen):
            if n in body.lower() or (text_too and n in header.lower()):
                out.append(uid_of[i])
        return sorted(out)

    def expect_header(field, needle, gens):
        n = needle.lower()
        out = []
        for i, (_, _, header) in gens:
            for line in header.split("\r\n"):
                name, _, value = line.partition(": ")
                if name.lower() == field.lower() and n in value.lower():
                    out.append(uid_of[i])
        return sorted(out)

    header_queries = [("FROM", "gen3@"), ("SUBJECT", "msg 12"), ("SUBJECT", "MANGO"),
                      ("HEADER Content-Type", "iso-8859"), ("FROM", "nectar")]

    def check_headers(gens):
        for key, q in header_queries:
            got = search(c, key.encode() + b" " + lit(q), "UID SEARCH CHARSET UTF-8")
            assert got == expect_header(key.split()[-1].replace("HEADER", ""), q, gens), (key, q)

    # Nothing indexed yet, more than the index's list of missing messages
    # holds: header keys read every header.
    check_headers(list(enumerate(gen)))
    queries = ["walnut", "Mango Nectar", "ERRY", "a-déjà-v", "ça-DÉJÀ", "xenon in",
               "raven", "on o", "ge", "zz", "ça", "apple banana cherry"]
    for q in queries:
        for key, text_too in (("BODY", False), ("TEXT", True)):
            got = search(c, key.encode() + b" " + lit(q), "UID SEARCH CHARSET UTF-8")
            want = expect(q, text_too)
            assert got == want, (key, q, len(got), len(want))
    # combined with other keys
    got = search(c, b'BODY walnut NOT BODY raven FROM gen3@', "UID SEARCH")
    want = sorted(set(expect("walnut", False)) - set(expect("raven", False)) &
                  {uid_of[i] for i in range(len(gen)) if i % 17 == 3})
    assert got == want
    # Everything indexed now: header keys are narrowed by the index.
    check_headers(list(enumerate(gen)))
    # New mail is not indexed until a BODY/TEXT search catches up: the
    # indexed and the missing messages both answer.
    more = [(len(gen) + j, gen_message(rng, len(gen) + j)) for j in range(40)]
    deliver_all(server, [g[0] for _, g in more])
    c.ok("NOOP")
    for line in c.ok("UID FETCH %d:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
                     % (max(uid_of.values()) + 1)):
        m = re.search(rb"UID (\d+).*<g(\d+)@x>", line, re.S)
        uid_of[int(m.group(2))] = int(m.group(1))
    assert len(uid_of) == len(gen) + len(more)
    check_headers(list(enumerate(gen)) + [(i, g) for i, g in more])
    c.close()
