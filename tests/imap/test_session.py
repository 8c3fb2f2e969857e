"""Issue 2: greeting, CAPABILITY, pre-auth commands, bad input, timeouts.

Each test reads like a client transcript against a real `quire serve`.
"""
import socket
import time

import pytest


def caps_of(line):
    """The capability words of a CAPABILITY response or response code."""
    text = line.decode()
    if "[CAPABILITY " in text:
        text = text.split("[CAPABILITY ", 1)[1].split("]", 1)[0]
    elif text.startswith("* CAPABILITY "):
        text = text[len("* CAPABILITY "):]
    return set(text.split())


def test_greeting_carries_capabilities(server):
    c = server.raw()
    assert c.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1")
    caps = caps_of(c.greeting)
    assert {"STARTTLS", "AUTH=PLAIN", "AUTH=SCRAM-SHA-256", "SASL-IR",
            "LITERAL+", "ID", "ENABLE"} <= caps
    assert "LOGINDISABLED" not in caps  # loopback counts as secure by default


def test_capability_command(server):
    c = server.raw()
    untagged = c.ok("CAPABILITY")
    assert len(untagged) == 1 and untagged[0].startswith(b"* CAPABILITY IMAP4rev1 ")
    _, tagged = c.command("CAPABILITY extra")
    assert b" BAD " in tagged


def test_noop_logout(server):
    c = server.raw()
    c.ok("NOOP")
    untagged, tagged = c.command("LOGOUT")
    assert untagged == [b"* BYE Logging out"]
    assert b" OK " in tagged
    assert c.closed()


def test_unknown_and_x_commands(server):
    c = server.raw()
    _, tagged = c.command("FROBNICATE")
    assert tagged.startswith(b"t1 BAD ")
    _, tagged = c.command("XNOSUCHTHING")
    assert tagged.startswith(b"t2 BAD ")
    untagged = c.ok("XQUIREVERSION")
    assert untagged[0].startswith(b'* XQUIREVERSION "')


def test_commands_in_wrong_state(server):
    c = server.raw()
    for cmd in ("SELECT INBOX", "FETCH 1 FLAGS", "ENABLE CONDSTORE", "IDLE"):
        _, tagged = c.command(cmd)
        assert b" BAD " in tagged, cmd
    c.login("alice", "alice-secret")
    for cmd in ('LOGIN alice alice-secret', "AUTHENTICATE PLAIN", "STARTTLS",
                "FETCH 1 FLAGS", "CLOSE"):
        _, tagged = c.command(cmd)
        assert b" BAD " in tagged, cmd
    c.ok("NOOP")


def test_id(server):
    c = server.raw()
    untagged = c.ok('ID ("name" "pytest" "version" "1")')
    assert untagged[0].startswith(b'* ID ("name" "Quire"')
    c.ok("ID NIL")
    for bad in ('ID ("odd")', "ID", 'ID "x"', 'ID ("%s" "v")' % ("f" * 31)):
        _, tagged = c.command(bad)
        assert b" BAD " in tagged, bad


def test_enable_reports_nothing_unknown(server):
    c = server.raw()
    c.login("alice", "alice-secret")
    untagged = c.ok("ENABLE X-NOT-A-THING")
    assert untagged == [b"* ENABLED"]
    _, tagged = c.command("ENABLE")
    assert b" BAD " in tagged


# ---- bad input: every case followed by a good command on the same line ----

def expect_bad_then_usable(c, raw, status=b"BAD"):
    c.send(raw)
    resp = c.response()
    assert status in resp.split(b" ", 2)[1:2] or status in resp, resp
    c.ok("NOOP")


def test_nul_byte(server):
    c = server.raw()
    expect_bad_then_usable(c, b"a1 NOOP\x00x\r\n")


def test_unbalanced_parentheses(server):
    c = server.raw()
    expect_bad_then_usable(c, b'a1 ID ("a" "b"\r\n')
    expect_bad_then_usable(c, b'a2 ID "a")\r\n')


def test_bad_literal_sizes(server):
    c = server.raw()
    expect_bad_then_usable(c, b"a1 LOGIN {abc}\r\n")
    expect_bad_then_usable(c, b"a2 LOGIN {99999999999999}\r\n", b"NO")


def test_literal_too_big_is_toobig(server_factory):
    srv = server_factory(max_literal_size="1K")
    c = srv.raw()
    c.send(b"a1 LOGIN {5000}\r\n")
    resp = c.response()
    assert resp.startswith(b"a1 NO [TOOBIG]"), resp
    c.ok("NOOP")


def test_nonsync_literal_after_error_is_data(server_factory):
    """A rejected {N+} literal is swallowed, never run as a command."""
    srv = server_factory(max_literal_size="1K")
    c = srv.raw()
    payload = b"x" * 1990 + b"\r\nb1 LOGOUT\r\n"  # would log out if executed
    # The CRLF after the literal ends the rejected command's line.
    c.send(b"a1 LOGIN {%d+}\r\n" % len(payload) + payload + b"\r\n")
    resp = c.response()
    assert resp.startswith(b"a1 BAD [TOOBIG]"), resp
    c.ok("NOOP")


def test_line_too_long(server_factory):
    srv = server_factory(max_line_length="2K")
    c = srv.raw()
    c.send(b"a1 NOOP " + b"x" * 5000 + b"\r\n")
    resp = c.response()
    assert b"BAD" in resp and b"too long" in resp.lower()
    c.ok("NOOP")


def test_missing_tag(server):
    c = server.raw()
    c.send(b"\r\n")  # empty lines are ignored
    c.send(b"+\r\n")
    resp = c.response()
    assert resp.startswith(b"* BAD") or resp.startswith(b"+ BAD"), resp
    c.ok("NOOP")


def test_ten_errors_in_a_row_disconnect(server):
    c = server.raw()
    for i in range(9):
        _, tagged = c.command("BOGUS%d" % i)
        assert b" BAD " in tagged
    c.ok("NOOP")  # resets the count
    for i in range(10):
        c.send(b"x%d BOGUS\r\n" % i)
    lines = []
    while True:
        try:
            lines.append(c.response())
        except (ConnectionError, OSError):
            break
    assert any(line.startswith(b"* BYE") for line in lines), lines


def test_pipelined_commands(server):
    c = server.raw()
    c.send(b"a1 NOOP\r\na2 CAPABILITY\r\na3 NOOP\r\n")
    assert c.read_until_tagged("a1")[1].startswith(b"a1 OK")
    untagged, tagged = c.read_until_tagged("a2")
    assert tagged.startswith(b"a2 OK") and untagged[0].startswith(b"* CAPABILITY")
    assert c.read_until_tagged("a3")[1].startswith(b"a3 OK")


def test_sync_literal_gets_continuation(server):
    c = server.raw()
    c.send(b'a1 LOGIN {5}\r\n')
    assert c.line().startswith(b"+ ")
    c.send(b'alice "alice-secret"\r\n')
    assert c.read_until_tagged("a1")[1].startswith(b"a1 OK")


def test_idle_timeout_before_login(server_factory):
    srv = server_factory(auth_timeout=1)
    c = srv.raw()
    start = time.time()
    c.sock.settimeout(10)
    assert c.response().startswith(b"* BYE")
    assert c.closed()
    assert time.time() - start < 9


def test_idle_timeout_after_login(server_factory):
    srv = server_factory(idle_timeout=1)
    c = srv.raw()
    c.login("bob", "bob-secret")
    c.sock.settimeout(10)
    assert c.response().startswith(b"* BYE")


def test_shutdown_says_bye(template_dir, tmp_path):
    from conftest import make_server
    srv = make_server(template_dir, tmp_path)
    c = srv.raw()
    c.login("alice", "alice-secret")
    assert srv.stop() == 0
    assert c.response().startswith(b"* BYE")


def test_address_in_use_is_a_clear_error(server, template_dir, tmp_path):
    import subprocess
    from conftest import serve_command
    busy = "127.0.0.1:%d" % server.port
    res = subprocess.run(serve_command(str(tmp_path / "d2"),
                                       {"imap_listen": busy,
                                        "imaps_listen": ""}),
                         capture_output=True, timeout=30)
    assert res.returncode != 0
    assert b"Address already in use" in res.stderr and busy.encode() in res.stderr


def test_sighup_reloads_certificate(server_factory, tmp_path):
    import signal
    import ssl as ssl_mod
    import subprocess

    def make_pair(name):
        cert, key = tmp_path / (name + ".crt"), tmp_path / (name + ".key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-subj", "/CN=" + name, "-days", "2",
                        "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
        return cert, key

    def served_cert(srv):
        c = srv.raw(tls=True)
        der = c.sock.getpeercert(binary_form=True)
        c.close()
        return der

    cert, key = make_pair("first")
    srv = server_factory(tls_cert=str(cert), tls_key=str(key))
    first = served_cert(srv)
    old = srv.raw(tls=True)
    old.login("alice", "alice-secret")
    new_cert, new_key = make_pair("second")
    cert.write_bytes(new_cert.read_bytes())
    key.write_bytes(new_key.read_bytes())
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while served_cert(srv) == first and time.time() < deadline:
        time.sleep(0.05)
    second = served_cert(srv)
    assert second != first
    assert second == ssl_mod.PEM_cert_to_DER_cert(new_cert.read_text())
    old.ok("NOOP")  # connections keep their session
    assert "TLS certificate and key reloaded" in srv.read_log()
