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
    untagged, tagged = c.command(b"APPEND " + mailbox.encode() +
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
    # literal8 outside UTF8 (...) still needs BINARY; UTF8 needs literal8.
    expect(c, b"APPEND INBOX ~{%d+}\r\n" % len(msg) + msg, "BAD")
    expect(c, b"APPEND INBOX UTF8 ({%d+}\r\n" % len(msg) + msg + b")", "BAD")
    expect(c, b"APPEND INBOX UTF8 ~{%d+}\r\n" % len(msg) + msg, "BAD")
