"""Issue 10: the PROXY protocol (HAProxy's proxy-protocol.txt, v1 and v2).

A load balancer in front of Quire prefixes each connection with a header
naming the real client. With proxy_protocol on, the server reads it before
the greeting (before the TLS handshake on the implicit TLS port), and the
client it names is what the log, the login lockout and the per-address
connection limit see. Every test here connects from 127.0.0.1, playing the
balancer, and claims documentation addresses (192.0.2.0/24, 2001:db8::/32).
"""
import re
import socket
import struct
import time

from imapclient import RawClient, tls_context

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"

# Proxied clients are not loopback, so plaintext LOGIN needs this (or TLS).
PROXY = {"proxy_protocol": "yes", "plaintext_auth": "always"}


def v1(src, dst="192.0.2.1", sport=50000, dport=143):
    fam = "TCP6" if ":" in src else "TCP4"
    return ("PROXY %s %s %s %d %d\r\n" % (fam, src, dst, sport, dport)).encode()


def v2(src, dst="192.0.2.1", sport=50000, dport=993, command=0x21, tlvs=b""):
    if ":" in src:
        fam, af = 0x21, socket.AF_INET6
    else:
        fam, af = 0x11, socket.AF_INET
    body = (socket.inet_pton(af, src) + socket.inet_pton(af, dst) +
            struct.pack("!HH", sport, dport) + tlvs)
    return V2_SIG + bytes([command, fam]) + struct.pack("!H", len(body)) + body


class ProxiedClient(RawClient):
    """A RawClient that sends a PROXY header (in pieces, if asked) before
    anything else, as a balancer does."""

    def __init__(self, port, header, tls=False, pieces=1, timeout=10):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        step = max(1, -(-len(header) // pieces))
        for i in range(0, len(header), step):
            sock.sendall(header[i:i + step])
            if pieces > 1:
                time.sleep(0.01)
        if tls:
            sock = tls_context().wrap_socket(sock, server_hostname="127.0.0.1")
        self.sock = sock
        self.buf = b""
        self.tag_counter = 0
        self.greeting = self.response()


def closed_without_reply(sock):
    """True if the server closes (EOF or reset) without sending a byte."""
    try:
        data = sock.recv(4096)
    except ConnectionResetError:
        return True
    return data == b""


def wait_log(srv, pattern, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, srv.read_log())
        if m:
            return m
        time.sleep(0.02)
    raise AssertionError("no %r in server log:\n%s" % (pattern, srv.read_log()))


def test_v1_login_sees_proxied_address(server_factory):
    srv = server_factory(**PROXY)
    c = ProxiedClient(srv.port, v1("192.0.2.7", sport=40123))
    assert c.greeting.startswith(b"* OK"), c.greeting
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 OK"), tagged
    c.command("LOGOUT")
    m = wait_log(srv, r"\[(\w+)\] PROXY v1: client 192\.0\.2\.7:40123 via "
                 r"127\.0\.0\.1:\d+")
    sid = m.group(1)
    wait_log(srv, r"\[%s\] connect from 192\.0\.2\.7:40123\n" % sid)
    wait_log(srv, r"\[%s\] login user=alice" % sid)


def test_v1_tcp6_split_byte_by_byte_with_pipelined_command(server_factory):
    srv = server_factory(**PROXY)
    header = v1("2001:db8::77", dst="2001:db8::1", sport=1, dport=143)
    c = ProxiedClient(srv.port, header, pieces=len(header))
    assert c.greeting.startswith(b"* OK"), c.greeting
    # the header and a command in one segment: the command is not lost
    c2 = ProxiedClient(srv.port, header + b"a1 NOOP\r\n")
    assert c2.response().startswith(b"a1 OK")
    wait_log(srv, r"PROXY v1: client \[2001:db8::77\]:1 via")


def test_v2_before_tls_on_imaps(server_factory):
    srv = server_factory(**PROXY)
    alpn = b"\x01\x00\x04imap"  # a TLV, skipped
    c = ProxiedClient(srv.tls_port, v2("198.51.100.20", sport=4000, tlvs=alpn),
                      tls=True, pieces=3)
    assert c.greeting.startswith(b"* OK"), c.greeting
    _, tagged = c.command("LOGIN bob bob-secret")
    assert tagged.startswith(b"t1 OK"), tagged
    m = wait_log(srv, r"\[(\w+)\] PROXY v2: client 198\.51\.100\.20:4000")
    wait_log(srv, r"\[%s\] connect from 198\.51\.100\.20:4000 \(TLS\)" %
             m.group(1))


def test_v2_local_keeps_real_address(server_factory):
    srv = server_factory(**PROXY)
    header = V2_SIG + bytes([0x20, 0x00]) + b"\x00\x00"
    c = ProxiedClient(srv.port, header)
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 OK"), tagged
    wait_log(srv, r"PROXY v2 LOCAL: client is 127\.0\.0\.1:\d+")


def test_proxied_client_is_not_loopback(server_factory):
    # plaintext_auth=loopback: the balancer is local, the client is not
    srv = server_factory(proxy_protocol="yes")
    c = ProxiedClient(srv.port, v1("192.0.2.7"))
    assert b"LOGINDISABLED" in c.greeting, c.greeting
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 NO"), tagged
    c = ProxiedClient(srv.port, v1("127.0.0.9"))
    assert b"LOGINDISABLED" not in c.greeting, c.greeting


# HAProxy send-proxy-v2-ssl: PP2_TYPE_SSL (0x20) with client = PP2_CLIENT_SSL,
# verify 0 and a PP2_SUBTYPE_SSL_VERSION sub-TLV.
SSL_VERSION = b"\x21" + struct.pack("!H", 7) + b"TLSv1.3"


def ssl_tlv(client=0x01, sub=SSL_VERSION):
    value = bytes([client]) + b"\x00\x00\x00\x00" + sub
    return b"\x20" + struct.pack("!H", len(value)) + value


# plaintext_auth=never: only TLS (ours, or the balancer's) allows LOGIN
NO_PLAIN = {"proxy_protocol": "yes", "plaintext_auth": "never"}


def capabilities(c):
    untagged, tagged = c.command("CAPABILITY")
    assert tagged.startswith(b"t%d OK" % c.tag_counter), tagged
    return b" ".join(untagged).split()


def test_v2_client_tls_at_proxy_counts_as_tls(server_factory):
    srv = server_factory(**NO_PLAIN)
    c = ProxiedClient(srv.port, v2("192.0.2.40", sport=4100, dport=143,
                                   tlvs=ssl_tlv()))
    assert b"LOGINDISABLED" not in c.greeting, c.greeting
    assert b"STARTTLS" not in c.greeting, c.greeting
    caps = capabilities(c)
    assert b"LOGINDISABLED" not in caps and b"STARTTLS" not in caps, caps
    assert b"AUTH=PLAIN" in caps, caps
    # STARTTLS to us would be TLS inside the balancer's TLS
    _, tagged = c.command("STARTTLS")
    assert tagged.startswith(b"t2 BAD"), tagged
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t3 OK"), tagged
    c.command("LOGOUT")
    m = wait_log(srv, r"\[(\w+)\] PROXY v2: client 192\.0\.2\.40:4100 via "
                 r"127\.0\.0\.1:\d+ \(client TLS\)")
    wait_log(srv, r"\[%s\] login user=alice mech=LOGIN tls=proxy" %
             m.group(1))
    # AUTHENTICATE PLAIN too, and other TLVs around the SSL one are fine
    alpn = b"\x01\x00\x04imap"
    c = ProxiedClient(srv.port, v2("192.0.2.41", tlvs=alpn + ssl_tlv(
        client=0x07, sub=b"") + alpn))
    _, tagged = c.command("AUTHENTICATE PLAIN AGJvYgBib2Itc2VjcmV0")
    assert tagged.startswith(b"t1 OK"), tagged


def test_v2_without_client_tls_stays_plaintext(server_factory):
    srv = server_factory(**NO_PLAIN)
    headers = [
        v2("192.0.2.42"),                                # no TLV
        v2("192.0.2.42", tlvs=b"\x01\x00\x04imap"),      # other TLVs
        v2("192.0.2.42", tlvs=ssl_tlv(client=0x00)),     # bit clear
        v1("192.0.2.42"),                                # v1: no TLVs
    ]
    for header in headers:
        c = ProxiedClient(srv.port, header)
        assert b"LOGINDISABLED" in c.greeting, (header, c.greeting)
        caps = capabilities(c)
        assert b"STARTTLS" in caps and b"LOGINDISABLED" in caps, caps
        _, tagged = c.command("LOGIN alice alice-secret")
        assert tagged.startswith(b"t2 NO"), (header, tagged)
        _, tagged = c.command("AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA==")
        assert tagged.startswith(b"t3 NO"), (header, tagged)
        c.command("LOGOUT")


def test_v2_client_tls_with_our_tls_too(server_factory):
    # The balancer re-encrypts to the implicit TLS port: still secure.
    srv = server_factory(**NO_PLAIN)
    c = ProxiedClient(srv.tls_port, v2("192.0.2.43", tlvs=ssl_tlv()),
                      tls=True)
    assert b"LOGINDISABLED" not in c.greeting, c.greeting
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 OK"), tagged


def test_v2_malformed_ssl_tlv_closes(server_factory):
    srv = server_factory(**NO_PLAIN)
    bad = [
        b"\x20\x00\x03\x01\x00\x00",                       # no verify
        b"\x20\x00\x0a" + b"\x01\x00\x00\x00\x00" + b"\x21\x00\x07TL",
        b"\x20\x00\x08\x01\x00\x00\x00\x00",                # past header
        b"\x20\x00\x08\x01\x00\x00\x00\x00\x21\x00\x07" +
        b"\x01\x00\x04imap",                                 # sub-TLV spills
    ]
    for tlvs in bad:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sock.sendall(v2("192.0.2.44", tlvs=tlvs) + b"a1 LOGIN alice x\r\n")
        assert closed_without_reply(sock), tlvs
        sock.close()
    wait_log(srv, r"bad PROXY header from 127\.0\.0\.1:\d+: "
             r"PROXY v2: SSL TLV too short")
    wait_log(srv, r"PROXY v2: SSL sub-TLV past its TLV")
    # a good header still works afterwards
    c = ProxiedClient(srv.port, v2("192.0.2.44", tlvs=ssl_tlv()))
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 OK"), tagged


def test_lockout_follows_proxied_address(server_factory):
    srv = server_factory(auth_lockout_failures=4, auth_lockout_seconds=60,
                         **PROXY)
    for _ in range(2):
        c = ProxiedClient(srv.port, v1("192.0.2.66"))
        for i in range(2):
            _, tagged = c.command("LOGIN alice bad%d" % i)
            assert tagged.startswith(b"t%d NO" % (i + 1)), tagged
        c.close()
    c = ProxiedClient(srv.port, v1("192.0.2.66"))
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 NO [UNAVAILABLE]"), tagged
    wait_log(srv, r"login refused: 192\.0\.2\.66 is locked out")
    # same real peer (127.0.0.1, the balancer), another client: not locked
    c = ProxiedClient(srv.port, v1("192.0.2.67"))
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 OK"), tagged
    # and a v2 header naming the locked address is locked out too
    c = ProxiedClient(srv.tls_port, v2("192.0.2.66"), tls=True)
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 NO [UNAVAILABLE]"), tagged


def test_connection_limit_counts_proxied_address(server_factory):
    srv = server_factory(max_connections_per_ip=2, **PROXY)
    held = [ProxiedClient(srv.port, v1("192.0.2.5")) for _ in range(2)]
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(v1("192.0.2.5"))
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data == b"* BYE Too many connections from your address\r\n", data
    wait_log(srv, r"refused proxied client 192\.0\.2\.5 on imap: "
             r"max_connections_per_ip reached")
    # the balancer's own address holds no slots: more clients get in
    others = [ProxiedClient(srv.port, v1("192.0.2.%d" % i)) for i in (6, 7)]
    for c in held + others:
        assert c.greeting.startswith(b"* OK"), c.greeting
        assert c.command("NOOP")[1].startswith(b"t1 OK")


def test_missing_header_closes(server_factory):
    srv = server_factory(**PROXY)
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(b"a1 LOGIN alice alice-secret\r\n")
    assert closed_without_reply(sock)
    wait_log(srv, r"bad PROXY header from 127\.0\.0\.1:\d+: not a PROXY header")
    # on the implicit TLS port, a ClientHello without a header
    sock = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=10)
    try:
        tls_context().wrap_socket(sock, server_hostname="127.0.0.1")
        raise AssertionError("TLS handshake succeeded without a header")
    except (OSError, ConnectionError):
        pass


def test_invalid_headers_close(server_factory):
    srv = server_factory(**PROXY)
    bad = [
        b"PROXY TCP4 192.0.2.7 192.0.2.1 5555\r\n",          # missing port
        b"PROXY TCP4 192.0.2.7 192.0.2.1 5555 99999\r\n",    # port range
        b"PROXY TCP6 192.0.2.7 192.0.2.1 1 2\r\n",           # family
        b"PROXY TCP4 192.0.2.7 192.0.2.1 1 2\n",             # bare LF
        b"PROXY UNKNOWN " + b"x" * 100 + b"\r\n",            # > 107 bytes
        V2_SIG + b"\x22\x11\x00\x0c" + b"\x00" * 12,          # command 2
        V2_SIG + b"\x21\x11\x00\x0b" + b"\x00" * 11,          # short block
        V2_SIG + b"\x21\x11\xff\xff",                         # too long
    ]
    for header in bad:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sock.sendall(header + b"a1 NOOP\r\n")
        assert closed_without_reply(sock), header
        sock.close()
    # a good header still works afterwards
    c = ProxiedClient(srv.port, v1("192.0.2.7"))
    assert c.greeting.startswith(b"* OK")


def test_header_timeout(server_factory):
    srv = server_factory(auth_timeout=1, **PROXY)
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(b"PROXY TCP4 192.0.2.7")  # and nothing more
    assert closed_without_reply(sock)
    wait_log(srv, r"disconnect: no PROXY header in time")


def test_untrusted_peer_refused(server_factory):
    srv = server_factory(proxy_trusted="192.0.2.0/24, 2001:db8::/32", **PROXY)
    for port in (srv.port, srv.tls_port):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(v1("192.0.2.7"))
        assert closed_without_reply(sock)
    wait_log(srv, r"refused connection from 127\.0\.0\.1 on imap: "
             r"not in proxy_trusted")


def test_without_proxy_protocol_header_is_a_bad_command(server):
    c = server.raw()
    assert c.greeting.startswith(b"* OK")
    c.send(v1("192.0.2.7"))
    assert c.response().startswith(b"PROXY BAD"), "PROXY line accepted"
    _, tagged = c.command("NOOP")
    assert tagged.startswith(b"t1 OK"), tagged
    assert "192.0.2.7" not in server.read_log()


def test_per_listener_setting(server_factory):
    srv = server_factory(proxy_protocol="imaps", plaintext_auth="always")
    c = srv.raw()  # imap: no header expected
    assert c.greeting.startswith(b"* OK")
    c = ProxiedClient(srv.tls_port, v2("192.0.2.9"), tls=True)
    assert c.greeting.startswith(b"* OK")
    wait_log(srv, r"PROXY v2: client 192\.0\.2\.9:50000")


def test_bad_settings_refused(template_dir):
    from conftest import quire
    for key, value in (("proxy_protocol", "pop3"),
                       ("proxy_trusted", "10.0.0.0/33"),
                       ("proxy_trusted", "balancer.example")):
        res = quire(["user", "list"], template_dir, options={key: value},
                    check=False)
        assert res.returncode != 0
        assert key.encode() in res.stderr, res.stderr


def lmtp_lines(sock, until=b"250 "):
    data = b""
    while until not in data or not data.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed: %r" % data)
        data += chunk
    return data


def test_lmtp_listener(server_factory):
    srv = server_factory(lmtp_listen="127.0.0.1:0", proxy_protocol="lmtp")
    port = srv.listener_port("lmtp")
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(v1("192.0.2.25", sport=25025) + b"LHLO mx.example\r\n")
    lines = lmtp_lines(sock)
    assert lines.startswith(b"220 "), lines
    m = wait_log(srv, r"\[(\w+)\] PROXY v1: client 192\.0\.2\.25:25025 via")
    sock.sendall(b"QUIT\r\n")
    lmtp_lines(sock, b"221 ")
    # without a header, LMTP is closed too
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"LHLO mx.example\r\n")
    assert closed_without_reply(sock)
    # the IMAP listener is not affected by proxy_protocol=lmtp
    assert srv.raw().greeting.startswith(b"* OK")
    assert m.group(1)
