"""Issue 7 (extensions half): COMPRESS=DEFLATE, LITERAL-, UTF8=ACCEPT,
APPENDLIMIT, STATUS=SIZE, CREATE-SPECIAL-USE, LIST-EXTENDED and LIST-STATUS,
and an Apple-Mail-like session, over a real server. The RFCs' own examples
are used where they apply.
"""
import re
import zlib

from conftest import USERS

MESSAGE = (b"From: bob@example.org\r\nTo: alice@example.org\r\n"
           b"Subject: hello\r\n\r\nHi.\r\n")


def login(server, user="alice", tls=False):
    c = server.raw(tls=tls)
    c.login(user, USERS[user])
    return c


def status_of(tagged):
    return tagged.split(b" ", 2)[1]


def expect(c, command, status, code=None):
    untagged, tagged = c.command(command)
    assert status_of(tagged) == status.encode(), (command, tagged)
    if code is not None:
        assert b"[" + code.encode() + b"]" in tagged, (command, tagged)
    return untagged


def capabilities(c):
    lines = c.ok("CAPABILITY")
    assert len(lines) == 1 and lines[0].startswith(b"* CAPABILITY ")
    return lines[0].split()[2:]


def append(c, msg, mailbox="INBOX"):
    if isinstance(mailbox, str):
        mailbox = mailbox.encode()
    untagged, tagged = c.command(b"APPEND " + mailbox +
                                 b" {%d+}\r\n" % len(msg) + msg)
    assert status_of(tagged) == b"OK", tagged
    return untagged


# ---- COMPRESS=DEFLATE (RFC 4978) ----

class Compressed:
    """Wraps a RawClient's socket in raw deflate both ways (RFC 4978:
    windowBits -15), counting the bytes that really cross the wire."""

    def __init__(self, client):
        self.client = client
        self.deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.inflater = zlib.decompressobj(-15)
        self.wire_in = 0
        self.wire_out = 0
        raw_send = client.sock.sendall
        raw_recv = client.sock.recv

        def send(data):
            if isinstance(data, str):
                data = data.encode()
            z = self.deflater.compress(data) + \
                self.deflater.flush(zlib.Z_SYNC_FLUSH)
            self.wire_out += len(z)
            raw_send(z)

        def fill():
            while True:
                chunk = raw_recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.wire_in += len(chunk)
                plain = self.inflater.decompress(chunk)
                if plain:
                    client.buf += plain
                    return
        client.send = send
        client._fill = fill


def start_compress(c):
    untagged, tagged = c.command("COMPRESS DEFLATE")
    assert untagged == [] and status_of(tagged) == b"OK", tagged
    # RFC 4978 3: compression starts right after the tagged OK's CRLF, so
    # nothing may be left over in clear.
    assert c.buf == b""
    return Compressed(c)


def test_compress_advertised_and_needs_login(server):
    c = server.raw()
    assert b"COMPRESS=DEFLATE" in capabilities(c)
    expect(c, "COMPRESS DEFLATE", "BAD")
    c.login("alice", USERS["alice"])
    expect(c, "COMPRESS", "BAD")
    expect(c, "COMPRESS GZIP", "BAD")
    # Still uncompressed after the refusals.
    c.ok("NOOP")


def test_compress_plain_commands_and_large_fetch(server):
    c = login(server)
    z = start_compress(c)
    body = b"".join(b"Line %05d of a compressible message body\r\n" % i
                    for i in range(6000))
    msg = MESSAGE.replace(b"Hi.\r\n", body)
    append(c, msg)
    c.ok("SELECT INBOX")
    untagged = c.ok("FETCH 1 (BODY.PEEK[] RFC822.SIZE)")
    assert len(untagged) == 1
    assert b"BODY[] {%d}\r\n" % len(msg) + msg in untagged[0]
    assert b"RFC822.SIZE %d" % len(msg) in untagged[0]
    # It really crossed the wire compressed, both ways.
    assert z.wire_in < len(msg) // 5, (z.wire_in, len(msg))
    assert z.wire_out < len(msg) // 5, (z.wire_out, len(msg))
    # RFC 4978 3: a second COMPRESS is refused, and nothing changes.
    expect(c, "COMPRESS DEFLATE", "NO", "COMPRESSIONACTIVE")
    c.ok("NOOP")
    untagged, tagged = c.command("LOGOUT")
    assert untagged[0].startswith(b"* BYE")
    assert status_of(tagged) == b"OK"


def test_compress_under_tls(server):
    c = login(server, tls=True)
    z = start_compress(c)
    for i in range(20):
        append(c, MESSAGE.replace(b"Hi.", b"Message %d" % i))
    lines = c.ok("STATUS INBOX (MESSAGES)")
    assert lines == [b"* STATUS INBOX (MESSAGES 20)"]
    c.ok("SELECT INBOX")
    untagged = c.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert len(untagged) == 20
    assert z.wire_in > 0 and z.wire_out > 0
    expect(c, "COMPRESS DEFLATE", "NO", "COMPRESSIONACTIVE")


def test_compress_pipelined_commands_after_ok(server):
    """Commands sent in one compressed burst, and a sync literal
    continuation, all through the deflate layer."""
    c = login(server)
    start_compress(c)
    c.send(b"p1 NOOP\r\np2 CREATE Zed\r\np3 STATUS Zed (MESSAGES)\r\n")
    _, t1 = c.read_until_tagged("p1")
    _, t2 = c.read_until_tagged("p2")
    untagged, t3 = c.read_until_tagged("p3")
    assert status_of(t1) == status_of(t2) == status_of(t3) == b"OK"
    assert untagged == [b"* STATUS Zed (MESSAGES 0)"]
    c.send(b"p4 APPEND Zed {%d}\r\n" % len(MESSAGE))
    assert c.line().startswith(b"+ ")
    c.send(MESSAGE + b"\r\n")
    _, t4 = c.read_until_tagged("p4")
    assert status_of(t4) == b"OK", t4


def test_compress_garbage_input_closes(server):
    c = login(server)
    start_compress(c)
    # Not a deflate stream: the server cannot follow and hangs up.
    c.sock.sendall(b"\xff\xff\xff\xff garbage that is not deflate\r\n")
    assert c.closed()
    # The server is still fine for others.
    d = login(server)
    d.ok("NOOP")


# ---- LITERAL+ / LITERAL- (RFC 7888) ----

def test_literal_plus_by_default(server):
    c = server.raw()
    caps = capabilities(c)
    # RFC 7888 5: never both.
    assert b"LITERAL+" in caps and b"LITERAL-" not in caps
    c.login("alice", USERS["alice"])
    big = MESSAGE + b"x" * 6000
    append(c, big)


def test_literal_minus(server_factory):
    srv = server_factory(literal_minus="yes")
    c = srv.raw()
    caps = capabilities(c)
    assert b"LITERAL-" in caps and b"LITERAL+" not in caps
    c.login("alice", USERS["alice"])
    # 4096 bytes is still fine as a non-synchronizing literal.
    small = MESSAGE + b"y" * (4096 - len(MESSAGE))
    assert len(small) == 4096
    append(c, small)
    # Over 4096: BAD [TOOBIG] (RFC 7888 5, APPEND), and the 5000 bytes are
    # swallowed, never read as commands -- they hold command lines.
    payload = (b"z1 CREATE Smuggled\r\n" * 250)[:5000]
    c.send(b"a1 APPEND INBOX {5000+}\r\n" + payload + b"\r\n")
    untagged, tagged = c.read_until_tagged("a1")
    assert tagged.startswith(b"a1 BAD [TOOBIG]"), tagged
    assert untagged == []
    c.ok("NOOP")
    assert c.ok('LIST "" Smuggled') == []
    assert c.ok("STATUS INBOX (MESSAGES)") == [b"* STATUS INBOX (MESSAGES 1)"]
    # The same literal, synchronizing, is accepted.
    big = MESSAGE + b"w" * 5000
    c.send(b"a2 APPEND INBOX {%d}\r\n" % len(big))
    assert c.line().startswith(b"+ ")
    c.send(big + b"\r\n")
    _, tagged = c.read_until_tagged("a2")
    assert status_of(tagged) == b"OK", tagged
    # Any command, not just APPEND: RFC 7888 5 "used in any command".
    c.send(b"a3 CREATE {4097+}\r\n" + b"n" * 4097 + b"\r\n")
    _, tagged = c.read_until_tagged("a3")
    assert tagged.startswith(b"a3 BAD"), tagged
    c.ok("NOOP")


# ---- APPENDLIMIT (RFC 7889) ----

def test_appendlimit(server_factory):
    srv = server_factory(max_literal_size=10000)
    c = srv.raw()
    assert b"APPENDLIMIT=10000" in capabilities(c)
    c.login("alice", USERS["alice"])
    # RFC 7889 2: the value is in CAPABILITY after login too.
    assert b"APPENDLIMIT=10000" in capabilities(c)
    # RFC 7889 3.1 example.
    assert c.ok("STATUS INBOX (APPENDLIMIT)") == [
        b"* STATUS INBOX (APPENDLIMIT 10000)"]
    # RFC 7889 4: over the limit is TOOBIG, before any byte is sent.
    c.send(b"a1 APPEND INBOX {10001}\r\n")
    _, tagged = c.read_until_tagged("a1")
    assert tagged.startswith(b"a1 NO [TOOBIG]"), tagged
    exact = MESSAGE + b"q" * (10000 - len(MESSAGE))
    c.send(b"a2 APPEND INBOX {10000}\r\n")
    assert c.line().startswith(b"+ ")
    c.send(exact + b"\r\n")
    _, tagged = c.read_until_tagged("a2")
    assert status_of(tagged) == b"OK", tagged


def test_appendlimit_default(server):
    c = server.raw()
    assert b"APPENDLIMIT=67108864" in capabilities(c)


# ---- STATUS=SIZE (RFC 8438) ----

def test_status_size(server):
    c = login(server)
    assert b"STATUS=SIZE" in capabilities(c)
    assert c.ok("STATUS INBOX (SIZE)") == [b"* STATUS INBOX (SIZE 0)"]
    m2 = MESSAGE + b"more text\r\n"
    append(c, MESSAGE)
    append(c, m2)
    # RFC 8438 3 example: (MESSAGES UNSEEN SIZE).
    lines = c.ok("STATUS INBOX (MESSAGES UNSEEN SIZE)")
    assert lines == [b"* STATUS INBOX (MESSAGES 2 UNSEEN 2 SIZE %d)" %
                     (len(MESSAGE) + len(m2))]
    c.ok("SELECT INBOX")
    c.ok("STORE 1 +FLAGS (\\Deleted)")
    c.ok("EXPUNGE")
    lines = c.ok("STATUS INBOX (SIZE)")
    assert lines == [b"* STATUS INBOX (SIZE %d)" % len(m2)]
    expect(c, "STATUS INBOX (SIZE BOGUS)", "BAD")


# ---- UTF8=ACCEPT (RFC 6855) ----

CAFE = "Café".encode()
NIHONGO = "日本語".encode()


def names(lines):
    """The raw name field of LIST lines (quoted strings kept quoted)."""
    out = []
    for line in lines:
        m = re.match(rb'^\* LIST \([^)]*\) "/" (.*)$', line)
        assert m, line
        out.append(m.group(1))
    return out


def test_utf8_accept_enable_and_names(server):
    c = login(server)
    assert b"UTF8=ACCEPT" in capabilities(c)
    # Before ENABLE, 8-bit in a quoted string is a syntax error (RFC 6855 3:
    # MUST NOT be used until enabled).
    expect(c, b'CREATE "' + CAFE + b'"', "BAD")
    assert c.ok("ENABLE UTF8=ACCEPT") == [b"* ENABLED UTF8=ACCEPT"]
    # RFC 5161 3.1: enabling again lists nothing new.
    assert c.ok("ENABLE UTF8=ACCEPT") == [b"* ENABLED"]
    c.ok(b'CREATE "' + CAFE + b"/Gr\xc3\xb6\xc3\x9fe" + b'"')
    c.ok(b'CREATE "' + NIHONGO + b'"')
    c.ok(b'CREATE "A&B"')
    listed = names(c.ok('LIST "" "*"'))
    for want in (b'"' + CAFE + b'"', b'"' + CAFE + b'/Gr\xc3\xb6\xc3\x9fe"',
                 b'"' + NIHONGO + b'"', b"A&B", b"INBOX"):
        assert want in listed, (want, listed)
    # Patterns are UTF-8 too, and "%" works next to non-ASCII characters.
    assert names(c.ok(b'LIST "" "Caf%"')) == [b'"' + CAFE + b'"']
    assert names(c.ok(b'LIST "" "' + CAFE + b'/%"')) == [
        b'"' + CAFE + b'/Gr\xc3\xb6\xc3\x9fe"']
    assert names(c.ok(b'LIST "" "%\xe8\xaa\x9e"')) == [b'"' + NIHONGO + b'"']
    assert names(c.ok(b'LIST "' + CAFE + b'" "%"')) == [
        b'"' + CAFE + b'/Gr\xc3\xb6\xc3\x9fe"']
    assert c.ok(b'STATUS "' + CAFE + b'" (MESSAGES)') == [
        b'* STATUS "' + CAFE + b'" (MESSAGES 0)']
    c.ok(b'SELECT "' + CAFE + b'"')
    # A literal name is UTF-8 as well.
    c.ok(b"UNSELECT")
    c.ok(b"CREATE {%d+}\r\n" % len(b"R\xc3\xa9sum\xc3\xa9") + b"R\xc3\xa9sum\xc3\xa9")

    # A client that did not enable sees the modified UTF-7 names (RFC 3501
    # 5.1.3), which are what is stored.
    d = login(server)
    listed = names(d.ok('LIST "" "*"'))
    for want in (b"Caf&AOk-", b"Caf&AOk-/Gr&APYA3w-e", b"&ZeVnLIqe-",
                 b"A&-B", b"R&AOk-sum&AOk-"):
        assert want in listed, (want, listed)
    # ... and names it creates in modified UTF-7 reach the UTF-8 client
    # decoded.
    d.ok("CREATE &AMk-t&AOk-")
    assert names(c.ok(b'LIST "" "\xc3\x89t%"')) == [b'"\xc3\x89t\xc3\xa9"']


def test_utf8_accept_refusals(server):
    c = login(server)
    c.ok("ENABLE UTF8=ACCEPT")
    # RFC 6855 3: octets with the high bit set that are not UTF-8 -> BAD.
    expect(c, b'CREATE "Caf\xe9"', "BAD")
    expect(c, b'CREATE "\xc0\xaf"', "BAD")
    expect(c, b"CREATE {4+}\r\nCaf\xe9", "BAD")
    expect(c, b'LIST "" "Caf\xe9"', "BAD")
    # Line and paragraph separators and C1 controls are no name characters.
    expect(c, b'CREATE "a\xe2\x80\xa8b"', "BAD")
    expect(c, b'CREATE "a\xc2\x85b"', "BAD")
    assert names(c.ok('LIST "" "*"')) == names(login(server).ok('LIST "" "*"'))
    # ENABLE is for the authenticated state only (RFC 5161 3.1).
    c.ok("SELECT INBOX")
    expect(c, "ENABLE UTF8=ACCEPT", "BAD")


def test_utf8_append_data_extension(server):
    c = login(server)
    c.ok("ENABLE UTF8=ACCEPT")
    msg = ("From: Jöran <j@example.org>\r\nSubject: Grüße aus Köln\r\n"
           "\r\nHallo.\r\n").encode()
    # RFC 6855 4: append-data =/ "UTF8" SP "(" literal8 ")".
    untagged, tagged = c.command(b'APPEND "INBOX" (\\Seen) UTF8 (~{%d+}\r\n'
                                 % len(msg) + msg + b")")
    assert status_of(tagged) == b"OK", tagged
    c.ok("SELECT INBOX")
    lines = c.ok("FETCH 1 (FLAGS BODY.PEEK[])")
    assert msg in lines[0] and b"\\Seen" in lines[0]
    # UTF8 (...) needs a literal8.
    expect(c, b"APPEND INBOX UTF8 ({%d+}\r\n" % len(msg) + msg + b")", "BAD")
    expect(c, b"APPEND INBOX UTF8 ~{%d+}\r\n" % len(msg) + msg, "BAD")


# ---- CREATE-SPECIAL-USE (RFC 6154 3) ----

XLIST_LINE = re.compile(rb'^\* LIST \(([^)]*)\) "/" ("[^"]*"|\S+)(?: (.*))?$')


def xlisting(lines):
    """{name: (set of attributes, extended data or None)} from LIST lines;
    STATUS lines are returned separately as {name: raw items}."""
    out, status = {}, {}
    for line in lines:
        if line.startswith(b"* STATUS "):
            m = re.match(rb'^\* STATUS ("[^"]*"|\S+) \((.*)\)$', line)
            assert m, line
            status[m.group(1).strip(b'"').decode()] = m.group(2).decode()
            continue
        m = XLIST_LINE.match(line)
        assert m, "not a LIST line: %r" % line
        name = m.group(2).strip(b'"').decode()
        assert name not in out, "%s listed twice" % name
        out[name] = (set(m.group(1).decode().split()),
                     m.group(3).decode() if m.group(3) else None)
    return out, status


def attrs(lines):
    return {k: v[0] for k, v in xlisting(lines)[0].items()}


def test_create_special_use(server):
    c = login(server)
    caps = capabilities(c)
    # RFC 6154 3: a server with both functions advertises both strings.
    assert b"CREATE-SPECIAL-USE" in caps and b"SPECIAL-USE" in caps
    c.ok("CREATE Old (USE (\\Archive))")
    # RFC 6154 5.3 example.
    c.ok("CREATE MySpecial (USE (\\Drafts \\Sent))")
    untagged, tagged = c.command("CREATE Everything (USE (\\All))")
    assert b" NO [USEATTR] " in tagged, tagged
    expect(c, "CREATE Odd (USE (\\Whatever))", "NO", "USEATTR")
    # ... and then the mailbox MUST NOT be created.
    assert c.ok('LIST "" Everything') == [] and c.ok('LIST "" Odd') == []
    expect(c, "CREATE Bad (USE \\Archive)", "BAD")
    expect(c, "CREATE Bad (COLOR (red))", "BAD")
    expect(c, "CREATE Bad (USE (Archive))", "BAD")
    expect(c, "CREATE Bad ()", "BAD")
    c.ok("CREATE Plain (USE ())")
    got = attrs(c.ok('LIST "" "*"'))
    assert "\\Archive" in got["Old"]
    assert {"\\Drafts", "\\Sent"} <= got["MySpecial"]
    assert not got["Plain"] & {"\\Archive", "\\Drafts", "\\Sent"}
    # RFC 6154 5.2: LIST (SPECIAL-USE) lists only special-use mailboxes.
    got = attrs(c.ok('LIST (SPECIAL-USE) "" "*"'))
    assert set(got) == {"Drafts", "Sent", "Trash", "Junk", "Archive", "Old",
                        "MySpecial"}, got
    got = attrs(c.ok('LIST "" "%" RETURN (SPECIAL-USE)'))
    assert "\\Sent" in got["Sent"] and "\\Drafts" in got["MySpecial"]
    assert "Plain" in got


# ---- LIST-EXTENDED (RFC 5258) and LIST-STATUS (RFC 5819) ----

RFC5258_BOXES = ["Fruit", "Fruit/Apple", "Fruit/Banana", "Tofu", "Vegetable",
                 "Vegetable/Broccoli", "Vegetable/Corn"]
RFC5258_NAMES = set(RFC5258_BOXES) | {"Fruit/Peach", "INBOX"}


def rfc5258_hierarchy(c):
    for name in RFC5258_BOXES:
        c.ok("CREATE " + name)
    # Example 2's subscriptions; Fruit/Peach is subscribed, not existing.
    for name in ("INBOX", "Fruit/Banana", "Fruit/Peach", "Vegetable",
                 "Vegetable/Broccoli"):
        c.ok("SUBSCRIBE " + name)


def only(lines, names=RFC5258_NAMES):
    got, status = xlisting(lines)
    return {k: v for k, v in got.items() if k in names}, status


def test_list_extended_rfc5258_examples(server):
    c = login(server)
    caps = capabilities(c)
    assert b"LIST-EXTENDED" in caps and b"LIST-STATUS" in caps
    rfc5258_hierarchy(c)

    # Example 2: LIST (SUBSCRIBED) "" "*".
    got, _ = only(c.ok('LIST (SUBSCRIBED) "" "*"'))
    assert set(got) == {"INBOX", "Fruit/Banana", "Fruit/Peach", "Vegetable",
                        "Vegetable/Broccoli"}
    for name, (a, ext) in got.items():
        assert "\\Subscribed" in a and ext is None, (name, a)
    assert "\\NonExistent" in got["Fruit/Peach"][0]
    assert "\\NonExistent" not in got["Vegetable"][0]

    # Example 3: RETURN (CHILDREN) with "%".
    got, _ = only(c.ok('LIST () "" "%" RETURN (CHILDREN)'))
    assert set(got) == {"INBOX", "Fruit", "Tofu", "Vegetable"}
    assert "\\HasChildren" in got["Fruit"][0]
    assert "\\HasNoChildren" in got["Tofu"][0]
    assert "\\HasChildren" in got["Vegetable"][0]

    # Example 4: REMOTE (no remote mailboxes here, so as example 3).
    got2, _ = only(c.ok('LIST (REMOTE) "" "%" RETURN (CHILDREN)'))
    assert got2 == got

    # Example 5: (REMOTE SUBSCRIBED) is the same as (SUBSCRIBED).
    a, _ = only(c.ok('LIST (REMOTE SUBSCRIBED) "" "*"'))
    b, _ = only(c.ok('LIST (SUBSCRIBED) "" "*"'))
    assert a == b

    # Example 6: RETURN (SUBSCRIBED) lists existing mailboxes only.
    got, _ = only(c.ok('LIST (REMOTE) "" "*" RETURN (SUBSCRIBED)'))
    assert set(got) == set(RFC5258_BOXES) | {"INBOX"}
    subscribed = {n for n, (a, _) in got.items() if "\\Subscribed" in a}
    assert subscribed == {"INBOX", "Fruit/Banana", "Vegetable",
                          "Vegetable/Broccoli"}

    # Example 7: several patterns, one response per name.
    got, _ = xlisting(c.ok('LIST "" ("INBOX" "Fruit/%" "Fruit/Apple")'))
    assert set(got) == {"INBOX", "Fruit/Apple", "Fruit/Banana"}

    # RFC 5258 3: in an extended LIST the empty pattern is no request for
    # the delimiter, it is ignored.
    assert c.ok('LIST () "" ""') == []
    got, _ = xlisting(c.ok('LIST "" ("" "Tofu")'))
    assert set(got) == {"Tofu"}


def test_list_extended_recursivematch(server):
    """RFC 5258 example 8 and 9 hierarchies."""
    c = login(server)
    for name in ("Foo", "Foo/Bar", "Foo/Baz", "Moo"):
        c.ok("CREATE " + name)
    # (INBOX is subscribed from the start; leave it out.)
    names = {"Foo", "Foo/Bar", "Foo/Baz", "Moo"}
    # 8A: only Foo/Baz subscribed.
    c.ok("SUBSCRIBE Foo/Baz")
    got, _ = only(c.ok('LIST (SUBSCRIBED) "" "*"'), names)
    assert set(got) == {"Foo/Baz"}
    assert only(c.ok('LIST (SUBSCRIBED) "" "%"'), names)[0] == {}
    got, _ = only(c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'), names)
    assert set(got) == {"Foo"}
    assert "\\Subscribed" not in got["Foo"][0]
    assert got["Foo"][1] == '("CHILDINFO" ("SUBSCRIBED"))'
    # 8A1: Foo subscribed too.
    c.ok("SUBSCRIBE Foo")
    got, _ = only(c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'), names)
    assert "\\Subscribed" in got["Foo"][0]
    assert got["Foo"][1] == '("CHILDINFO" ("SUBSCRIBED"))'
    # 8C: only Foo and Moo subscribed: no CHILDINFO.
    c.ok("UNSUBSCRIBE Foo/Baz")
    c.ok("SUBSCRIBE Moo")
    got, _ = only(c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" '
                       'RETURN (CHILDREN)'), names)
    assert set(got) == {"Foo", "Moo"}
    assert got["Foo"] == ({"\\HasChildren", "\\Subscribed"}, None)
    assert got["Moo"] == ({"\\HasNoChildren", "\\Subscribed"}, None)
    # 8B: nothing below subscribed, Foo unsubscribed: nothing.
    c.ok("UNSUBSCRIBE Foo")
    c.ok("UNSUBSCRIBE Moo")
    assert only(c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'), names)[0] == {}
    # RECURSIVEMATCH alone (or with REMOTE) is BAD (RFC 5258 3.1).
    expect(c, 'LIST (RECURSIVEMATCH) "" "%"', "BAD")
    expect(c, 'LIST (REMOTE RECURSIVEMATCH) "" "%"', "BAD")
    # Unknown options are BAD (RFC 5258 3).
    expect(c, 'LIST (BOGUS) "" "%"', "BAD")
    expect(c, 'LIST "" "%" RETURN (BOGUS)', "BAD")
    expect(c, 'LIST "" "%" RETURN (STATUS)', "BAD")
    expect(c, 'LIST "" "%" RETURN (STATUS (BOGUS))', "BAD")
    expect(c, 'LIST "" "%" RETURN', "BAD")
    # An option given twice counts once.
    c.ok('LIST (SUBSCRIBED SUBSCRIBED) "" "%" RETURN (CHILDREN CHILDREN)')


def test_list_extended_example9_childinfo(server):
    c = login(server)
    for name in ("foo2", "foo2/bar1", "foo2/bar2", "baz2", "baz2/bar2",
                 "baz2/bar22", "baz2/bar222", "eps2", "eps2/mamba"):
        c.ok("CREATE " + name)
    for name in ("foo2/bar1", "foo2/bar2", "baz2/bar2", "baz2/bar22",
                 "baz2/bar222", "eps2", "eps2/mamba", "qux2/bar2"):
        c.ok("SUBSCRIBE " + name)
    got, _ = xlisting(c.ok('LIST (RECURSIVEMATCH SUBSCRIBED) "" "*2"'))
    ci = '("CHILDINFO" ("SUBSCRIBED"))'
    # Exactly the response of RFC 5258 example 9 (redundant CHILDINFO
    # suppressed, as section 3.5 asks).
    assert {k: v[1] for k, v in got.items()} == {
        "foo2": ci, "foo2/bar2": None, "baz2/bar2": None,
        "baz2/bar22": None, "baz2/bar222": None, "eps2": ci,
        "qux2/bar2": None}
    assert "\\Subscribed" not in got["foo2"][0]
    assert "\\Subscribed" in got["eps2"][0]
    assert "\\NonExistent" in got["qux2/bar2"][0]
    # Example 10 a3: the CHILDINFO does not imply \HasChildren.
    c.ok("CREATE foo")
    c.ok("SUBSCRIBE foo/bar")
    got, _ = xlisting(c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" foo '
                           'RETURN (CHILDREN)'))
    assert got == {"foo": ({"\\HasNoChildren"}, ci)}
    got, _ = xlisting(c.ok('LIST (SUBSCRIBED) "" "foo/*"'))
    assert got == {"foo/bar": ({"\\Subscribed", "\\NonExistent",
                                "\\HasNoChildren"}, None)}


def test_list_status(server):
    c = login(server)
    c.ok("CREATE foo")
    c.ok("CREATE bar/baz")
    for i in range(3):
        append(c, MESSAGE, "foo")
    append(c, MESSAGE, "INBOX")
    c.ok("SELECT foo")
    c.ok("STORE 1 +FLAGS (\\Seen)")
    c.ok("UNSELECT")
    # RFC 5819 3, first example (names differ: our delimiter is "/").
    lines = c.ok('LIST "" % RETURN (STATUS (MESSAGES UNSEEN))')
    got, status = xlisting(lines)
    assert status["INBOX"] == "MESSAGES 1 UNSEEN 1"
    assert status["foo"] == "MESSAGES 3 UNSEEN 2"
    assert status["Drafts"] == "MESSAGES 0 UNSEEN 0"
    # Each STATUS comes right after its LIST line.
    for i, line in enumerate(lines):
        if line.startswith(b"* STATUS "):
            name = line.split(b" ")[2]
            assert lines[i - 1].endswith(b" " + name), (lines[i - 1], line)
    # The other status items, SIZE and APPENDLIMIT included.
    _, status = xlisting(c.ok('LIST "" foo RETURN (STATUS (UIDNEXT SIZE '
                              'APPENDLIMIT))'))
    assert status == {"foo": "UIDNEXT 4 SIZE %d APPENDLIMIT 67108864"
                      % (3 * len(MESSAGE))}
    # A \Noselect mailbox gets no STATUS (RFC 5819 3 "bar").
    c.ok("DELETE bar")
    got, status = xlisting(c.ok('LIST "" bar RETURN (STATUS (MESSAGES))'))
    assert "\\Noselect" in got["bar"][0] and "bar" not in status
    # RFC 5819 3, second example: a RECURSIVEMATCH parent that does not
    # meet the criteria gets no STATUS.
    c.ok("SUBSCRIBE INBOX")
    c.ok("SUBSCRIBE foo/sub")
    got, status = xlisting(c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" % '
                                'RETURN (STATUS (MESSAGES))'))
    assert got["foo"][1] == '("CHILDINFO" ("SUBSCRIBED"))'
    assert status.get("INBOX") == "MESSAGES 1" and "foo" not in status


def test_list_extended_utf8(server):
    c = login(server)
    c.ok("ENABLE UTF8=ACCEPT")
    c.ok(b'CREATE "' + CAFE + b'"')
    append(c, MESSAGE, b'"' + CAFE + b'"')
    lines = c.ok(b'LIST "" ("Caf%" "Tofu") RETURN (STATUS (MESSAGES))')
    assert lines == [b'* LIST (\\HasNoChildren) "/" "' + CAFE + b'"',
                     b'* STATUS "' + CAFE + b'" (MESSAGES 1)']


# ---- An Apple-Mail-like session ----

def counts(items):
    words = items.split()
    d = dict(zip(words[::2], map(int, words[1::2])))
    return d["MESSAGES"], d["UNSEEN"], d["UIDNEXT"]


def test_apple_mail_like_flow(server):
    """What Apple Mail does on connect: ID, the special-use folders, one
    LIST-EXTENDED with STATUS for the whole tree, then one connection per
    watched folder sitting in IDLE while mail arrives in each of them."""
    folders = ["Work", "Work/Projects", "Lists", "Lists/dev", "Family",
               "Receipts", "Travel", "Newsletters"]
    setup = login(server, tls=True)
    for name in folders:
        setup.ok("CREATE " + name)
    setup.ok("CREATE Later (USE (\\Archive))")

    main = login(server, tls=True)
    main.ok('ID ("name" "Mail" "version" "16.0" "os" "macOS")')
    caps = capabilities(main)
    for cap in (b"LIST-EXTENDED", b"LIST-STATUS", b"SPECIAL-USE", b"IDLE",
                b"UIDPLUS", b"MOVE"):
        assert cap in caps, cap
    assert main.ok('LIST "" ""') == [b'* LIST (\\Noselect) "/" ""']
    special = attrs(main.ok('LIST (SPECIAL-USE) "" "*"'))
    assert "\\Sent" in special["Sent"] and "\\Archive" in special["Later"]
    assert "Work" not in special
    tree = 'LIST "" "*" RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES ' \
           'UNSEEN UIDNEXT UIDVALIDITY))'
    got, status = xlisting(main.ok(tree))
    assert set(folders) <= set(got) and "INBOX" in got
    assert "\\HasChildren" in got["Work"][0]
    for name in folders:
        assert counts(status[name]) == (0, 0, 1), (name, status)

    # One IDLE connection per folder.
    watched = ["INBOX"] + folders[:5]
    idlers = []
    for name in watched:
        c = login(server)
        c.ok('SELECT "%s"' % name)
        c.send(b"idle IDLE\r\n")
        assert c.line().startswith(b"+ ")
        idlers.append(c)
    # Mail arrives everywhere (as a filter or another client would file it).
    for i, name in enumerate(watched):
        for _ in range(i + 1):
            append(setup, MESSAGE, '"%s"' % name)
    for i, c in enumerate(idlers):
        c.sock.settimeout(10)
        seen = []
        while b"* %d EXISTS" % (i + 1) not in seen:
            seen.append(c.response())
        c.send(b"DONE\r\n")
        _, tagged = c.read_until_tagged("idle")
        assert tagged.startswith(b"idle OK"), tagged
    # The main connection's next refresh sees every count.
    _, status = xlisting(main.ok(tree))
    for i, name in enumerate(watched):
        assert counts(status[name]) == (i + 1, i + 1, i + 2), status[name]
    assert counts(status["Travel"]) == (0, 0, 1)


def test_imap4rev2_implies_utf8_names(server):
    c = login(server)
    if b"IMAP4rev2" not in capabilities(c):
        return
    c.ok("ENABLE IMAP4rev2")
    c.ok(b'CREATE "' + CAFE + b'"')
    assert names(c.ok(b'LIST "" "Caf%"')) == [b'"' + CAFE + b'"']
