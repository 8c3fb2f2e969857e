"""Issue 8: LMTP delivery (RFC 2033), read back over IMAP byte for byte."""
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

LMTP = {"lmtp_listen": "127.0.0.1:0"}


class Lmtp:
    """A raw LMTP client: exact bytes out, reply lines in."""

    def __init__(self, address, timeout=10):
        if isinstance(address, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(address)
        else:
            self.sock = socket.create_connection(address, timeout=timeout)
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        i = self.buf.index(b"\r\n") + 2
        out, self.buf = self.buf[:i], self.buf[i:]
        return out.decode()

    def reply(self):
        """One (possibly multi-line) reply as a list of lines."""
        lines = [self.line()]
        while lines[-1][3:4] == "-":
            lines.append(self.line())
        return lines

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def close(self):
        self.sock.close()


def connect(server):
    return Lmtp(("127.0.0.1", server.listener_port("lmtp")))


def code(reply):
    return int(reply[-1][:3])


def fetch_all(server, user, mailbox="INBOX"):
    m = server.imap(user)
    typ, data = m.select('"%s"' % mailbox, readonly=True)
    assert typ == "OK"
    count = int(data[0])
    bodies = []
    for i in range(1, count + 1):
        typ, data = m.fetch(str(i), "(BODY.PEEK[])")
        assert typ == "OK"
        bodies.append(data[0][1])
    m.logout()
    return bodies


MESSAGE = (b"From: sender@example.org\r\nTo: alice@localhost\r\n"
           b"Subject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\n"
           b"Body line one.\r\nBody line two.\r\n")


def test_lhlo_announces_extensions(server_factory):
    srv = server_factory(**LMTP)
    c = connect(srv)
    assert c.greeting[0].startswith("220 ")
    assert code(c.cmd("HELO client")) == 500   # RFC 2033 4.1
    lines = c.cmd("LHLO client.example")
    assert code(lines) == 250
    words = [l[4:].strip() for l in lines[1:]]
    assert {"PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME"} <= set(words)
    assert "SIZE 67108864" in words
    assert code(c.cmd("NOOP")) == 250
    assert code(c.cmd("QUIT")) == 221
    c.close()


def test_multiple_recipients_each_get_a_reply(server_factory):
    srv = server_factory(**LMTP)
    c = connect(srv)
    c.cmd("LHLO mta")
    assert c.cmd("MAIL FROM:<sender@example.org> BODY=8BITMIME")[0].startswith("250 2.1.0")
    assert c.cmd("RCPT TO:<alice@localhost>")[0].startswith("250 2.1.5")
    assert c.cmd("RCPT TO:<nobody@localhost>")[0].startswith("550 5.1.1")
    assert c.cmd("RCPT TO:<bob@example.com>")[0].startswith("250 2.1.5")
    assert code(c.cmd("DATA")) == 354
    c.send(MESSAGE + b".\r\n")
    # RFC 2033 4.2: one reply per accepted recipient, in RCPT order
    first, second = c.reply(), c.reply()
    assert first[0].startswith("250 2.0.0 <alice@localhost>")
    assert second[0].startswith("250 2.0.0 <bob@example.com>")
    assert code(c.cmd("QUIT")) == 221
    c.close()

    alice = fetch_all(srv, "alice")
    bob = fetch_all(srv, "bob")
    assert alice == [b"Return-Path: <sender@example.org>\r\n"
                     b"Delivered-To: alice@localhost\r\n" + MESSAGE]
    assert bob == [b"Return-Path: <sender@example.org>\r\n"
                   b"Delivered-To: bob@example.com\r\n" + MESSAGE]
    assert fetch_all(srv, "carol") == []


def test_pipelined_session_in_one_write(server_factory):
    srv = server_factory(**LMTP)
    c = connect(srv)
    c.send(b"LHLO mta\r\nMAIL FROM:<>\r\nRCPT TO:<carol>\r\n"
           b"RCPT TO:<ghost>\r\nDATA\r\n" + MESSAGE + b".\r\n"
           b"MAIL FROM:<a@b>\r\nRCPT TO:<alice@x>\r\nDATA\r\n"
           b"Subject: two\r\n\r\nsecond\r\n.\r\nQUIT\r\n")
    replies = [c.reply() for _ in range(11)]
    codes = [code(r) for r in replies]
    assert codes == [250, 250, 250, 550, 354, 250, 250, 250, 354, 250, 221]
    c.close()
    assert fetch_all(srv, "carol") == [
        b"Return-Path: <>\r\nDelivered-To: carol\r\n" + MESSAGE]
    assert fetch_all(srv, "alice") == [
        b"Return-Path: <a@b>\r\nDelivered-To: alice@x\r\n"
        b"Subject: two\r\n\r\nsecond\r\n"]


def test_dot_stuffing_is_undone(server_factory):
    srv = server_factory(**LMTP)
    c = connect(srv)
    c.cmd("LHLO mta")
    c.cmd("MAIL FROM:<s@x>")
    c.cmd("RCPT TO:<alice>")
    assert code(c.cmd("DATA")) == 354
    # Sent in small pieces so the final "." arrives split across reads.
    wire = (b"Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n"
            b". not the end\r\n..\r\nend.\r\n.\r\n")
    for i in range(0, len(wire), 3):
        c.send(wire[i:i + 3])
    assert c.reply()[0].startswith("250 ")
    c.close()
    assert fetch_all(srv, "alice") == [
        b"Return-Path: <s@x>\r\nDelivered-To: alice\r\n"
        b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n"
        b" not the end\r\n.\r\nend.\r\n"]


def test_sequence_errors(server_factory):
    srv = server_factory(**LMTP)
    c = connect(srv)
    assert code(c.cmd("MAIL FROM:<a@b>")) == 503     # before LHLO
    c.cmd("LHLO mta")
    assert code(c.cmd("RCPT TO:<alice>")) == 503     # before MAIL
    assert code(c.cmd("DATA")) == 503
    c.cmd("MAIL FROM:<a@b>")
    assert code(c.cmd("MAIL FROM:<a@b>")) == 503     # nested
    assert code(c.cmd("RCPT TO:<ghost>")) == 550
    assert code(c.cmd("DATA")) == 503                # RFC 2033 4.2
    assert code(c.cmd("RCPT TO alice")) == 501
    assert code(c.cmd("RCPT TO:<alice")) == 501
    assert code(c.cmd("FROB")) == 500
    assert code(c.cmd("RSET")) == 250
    assert code(c.cmd("RCPT TO:<alice>")) == 503     # RSET ended it
    c.cmd("QUIT")
    c.close()
    assert fetch_all(srv, "alice") == []


def test_size_limit(server_factory):
    srv = server_factory(lmtp_max_message_size="2K", **LMTP)
    c = connect(srv)
    lines = c.cmd("LHLO mta")
    assert any("SIZE 2048" in l for l in lines)
    assert c.cmd("MAIL FROM:<a@b> SIZE=5000")[0].startswith("552 5.3.4")
    assert code(c.cmd("MAIL FROM:<a@b> SIZE=100")) == 250
    c.cmd("RCPT TO:<alice>")
    c.cmd("RCPT TO:<bob>")
    c.cmd("DATA")
    c.send(b"Subject: big\r\n\r\n" + b"x" * 70 + b"\r\n" * 1 + (b"y" * 78 + b"\r\n") * 40 + b".\r\n")
    assert c.reply()[0].startswith("552 5.3.4 <alice>")
    assert c.reply()[0].startswith("552 5.3.4 <bob>")
    # the session stays usable
    assert code(c.cmd("MAIL FROM:<a@b>")) == 250
    c.cmd("RCPT TO:<alice>")
    c.cmd("DATA")
    c.send(b"Subject: small\r\n\r\nok\r\n.\r\n")
    assert code(c.reply()) == 250
    c.close()
    assert len(fetch_all(srv, "alice")) == 1


def test_long_line_is_refused(server_factory):
    srv = server_factory(**LMTP)
    c = connect(srv)
    c.send(b"LHLO " + b"a" * 10000)
    assert c.reply()[0].startswith("500 5.5.2")
    c.close()


def test_detail_delivers_to_existing_mailbox(server_factory):
    srv = server_factory(**LMTP)
    m = srv.imap("alice")
    assert m.create("work")[0] == "OK"
    m.logout()
    c = connect(srv)
    c.cmd("LHLO mta")
    c.cmd("MAIL FROM:<a@b>")
    assert code(c.cmd("RCPT TO:<alice+work@localhost>")) == 250
    assert code(c.cmd("RCPT TO:<alice+nosuchbox@localhost>")) == 250
    c.cmd("DATA")
    c.send(b"Subject: detail\r\n\r\nhi\r\n.\r\n")
    assert code(c.reply()) == 250 and code(c.reply()) == 250
    c.close()
    work = fetch_all(srv, "alice", "work")
    inbox = fetch_all(srv, "alice")
    assert work == [b"Return-Path: <a@b>\r\nDelivered-To: alice+work@localhost\r\n"
                    b"Subject: detail\r\n\r\nhi\r\n"]
    assert inbox == [b"Return-Path: <a@b>\r\nDelivered-To: alice+nosuchbox@localhost\r\n"
                     b"Subject: detail\r\n\r\nhi\r\n"]


def test_detail_delivery_can_be_disabled(server_factory):
    srv = server_factory(lmtp_detail_delivery="no", **LMTP)
    c = connect(srv)
    c.cmd("LHLO mta")
    c.cmd("MAIL FROM:<a@b>")
    assert code(c.cmd("RCPT TO:<alice+work@localhost>")) == 550
    c.close()


def test_unix_socket_listener(server_factory, tmp_path):
    path = str(tmp_path / "lmtp.sock")
    srv = server_factory(lmtp_listen=path)
    assert srv.listeners["lmtp"] == "unix:" + path
    c = Lmtp(path)
    c.cmd("LHLO mta")
    c.cmd("MAIL FROM:<a@b>")
    c.cmd("RCPT TO:<bob>")
    c.cmd("DATA")
    c.send(b"Subject: unix\r\n\r\nvia socket\r\n.\r\n")
    assert code(c.reply()) == 250
    c.cmd("QUIT")
    c.close()
    assert fetch_all(srv, "bob") == [
        b"Return-Path: <a@b>\r\nDelivered-To: bob\r\nSubject: unix\r\n\r\nvia socket\r\n"]


def test_delivered_mail_is_announced_to_a_selected_session(server_factory):
    srv = server_factory(**LMTP)
    m = srv.imap("alice")
    m.select("INBOX")
    c = connect(srv)
    c.send(b"LHLO mta\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n")
    for _ in range(4):
        c.reply()
    c.send(MESSAGE + b".\r\n")
    assert code(c.reply()) == 250
    c.close()
    typ, data = m.noop()
    assert typ == "OK"
    assert m.untagged_responses.get("EXISTS")[-1] == b"1"
    m.logout()


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")
def test_swaks_delivery(server_factory):
    srv = server_factory(**LMTP)
    res = subprocess.run(
        ["swaks", "--protocol", "LMTP", "--server",
         "127.0.0.1:%d" % srv.listener_port("lmtp"), "--to", "alice@localhost",
         "--from", "root@localhost", "--header", "Subject: swaks test"],
        capture_output=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    bodies = fetch_all(srv, "alice")
    assert len(bodies) == 1
    assert bodies[0].startswith(b"Return-Path: <root@localhost>\r\n"
                                b"Delivered-To: alice@localhost\r\n")
    assert b"Subject: swaks test" in bodies[0]


def test_metrics_endpoint(server_factory):
    srv = server_factory(metrics_listen="127.0.0.1:0", **LMTP)
    c = connect(srv)
    c.send(b"LHLO mta\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<ghost>\r\nDATA\r\n")
    for _ in range(5):
        c.reply()
    c.send(MESSAGE + b".\r\n")
    assert code(c.reply()) == 250
    c.cmd("QUIT")
    c.close()
    # The server counts a connection's bytes when it has closed its side,
    # which may be just after QUIT's reply: wait for it.
    deadline = time.time() + 10
    metrics = scrape(srv)
    while metrics['quire_bytes_total{direction="in"}'] == 0 and time.time() < deadline:
        time.sleep(0.05)
        metrics = scrape(srv)
    assert metrics['quire_deliveries_total{result="ok"}'] == 1
    assert metrics['quire_deliveries_total{result="failed"}'] == 1
    assert metrics["quire_store_users"] == 3
    assert metrics["quire_store_messages"] == 1
    assert metrics["quire_store_bytes"] > len(MESSAGE)
    assert metrics["quire_connections_open"] >= 1   # this request
    assert metrics['quire_bytes_total{direction="in"}'] > len(MESSAGE)
    # quire status reads the same endpoint from the config
    res = srv.quire(["status", "-o", "metrics_listen=127.0.0.1:%d"
                     % srv.listener_port("metrics")])
    assert b'quire_deliveries_total{result="ok"} 1' in res.stdout


def scrape(srv):
    """GET /metrics and parse the Prometheus text format strictly."""
    s = socket.create_connection(("127.0.0.1", srv.listener_port("metrics")), timeout=10)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"text/plain; version=0.0.4" in head
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    assert length == len(body)
    out = {}
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (\S+)$')
    for line in body.decode().splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = sample.match(line)
        assert m, "bad exposition line: %r" % line
        out[m.group(1)] = float(m.group(3))
    return out


def test_metrics_other_paths(server_factory):
    srv = server_factory(metrics_listen="127.0.0.1:0")
    for request, status in ((b"GET /nope HTTP/1.0\r\n\r\n", b"404"),
                            (b"POST /metrics HTTP/1.0\r\n\r\n", b"405")):
        s = socket.create_connection(("127.0.0.1", srv.listener_port("metrics")), timeout=10)
        s.sendall(request)
        data = s.recv(65536)
        assert data.split(b" ")[1] == status
        s.close()


def test_metrics_count_imap_sessions(server_factory):
    srv = server_factory(metrics_listen="127.0.0.1:0")
    a = srv.raw()
    a.login("alice", "alice-secret")
    a.ok("SELECT INBOX")
    a.ok("NOOP")
    b = srv.raw()
    b.command("LOGIN bob wrong")
    metrics = scrape(srv)
    assert metrics['quire_logins_total{result="ok"}'] == 1
    assert metrics['quire_logins_total{result="failed"}'] == 1
    assert metrics['quire_connections{state="selected"}'] == 1
    assert metrics['quire_connections{state="not_authenticated"}'] == 1
    assert metrics['quire_command_duration_seconds_count{command="SELECT"}'] == 1
    assert metrics['quire_command_duration_seconds_count{command="NOOP"}'] == 1
    a.ok("UNSELECT")
    metrics = scrape(srv)
    assert metrics['quire_connections{state="selected"}'] == 0
    assert metrics['quire_connections{state="authenticated"}'] == 1


@pytest.mark.parametrize("permanent,expect", [("no", 452), ("yes", 552)])
def test_over_quota_recipient(server_factory, permanent, expect):
    srv = server_factory(quota_messages=1, lmtp_quota_permanent=permanent, **LMTP)
    srv.quire(["deliver", "alice"], stdin=MESSAGE)  # alice is now full
    c = connect(srv)
    c.send(b"LHLO mta\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nDATA\r\n")
    replies = [c.reply() for _ in range(5)]
    rcpt_alice = replies[2]
    if code(rcpt_alice) == expect:  # refused at RCPT time
        assert code(replies[3]) == 250
        c.send(MESSAGE + b".\r\n")
        assert code(c.reply()) == 250  # bob only
    else:  # refused after DATA, per recipient
        c.send(MESSAGE + b".\r\n")
        assert code(c.reply()) == expect
        assert code(c.reply()) == 250
    m = srv.raw()
    m.login("alice", "alice-secret")
    assert b"MESSAGES 1" in m.ok("STATUS INBOX (MESSAGES)")[0]
