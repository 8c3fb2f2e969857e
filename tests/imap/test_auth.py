"""Issue 2: LOGIN, AUTHENTICATE (PLAIN, LOGIN, SCRAM-SHA-256, SASL-IR),
LOGINDISABLED, STARTTLS and implicit TLS, failed-login handling."""
import base64
import hashlib
import hmac
import imaplib
import os
import socket
import ssl

import pytest

from imapclient import RawClient, tls_context


def b64(data):
    return base64.b64encode(data).decode()


def test_login_ok_and_capabilities_change(server):
    c = server.raw()
    untagged, tagged = c.command('LOGIN alice alice-secret')
    assert tagged.startswith(b"t1 OK [CAPABILITY IMAP4rev1")
    assert b"AUTH=" not in tagged and b"STARTTLS" not in tagged


def test_login_wrong_password_and_unknown_user(server):
    c = server.raw()
    _, tagged = c.command('LOGIN alice wrong')
    assert tagged.startswith(b"t1 NO [AUTHENTICATIONFAILED]")
    _, tagged = c.command('LOGIN nobody whatever')
    assert tagged.startswith(b"t2 NO [AUTHENTICATIONFAILED]")
    c.login("alice", "alice-secret")


def test_login_case_insensitive_user_and_quoting(server):
    c = server.raw()
    c.ok('LOGIN "ALICE" {12+}\r\nalice-secret')


def test_too_many_failures_disconnect(server):
    c = server.raw()
    for i in range(3):
        _, tagged = c.command('LOGIN alice nope%d' % i)
        assert b"NO [AUTHENTICATIONFAILED]" in tagged
    assert c.response().startswith(b"* BYE")
    assert c.closed()


def test_lockout_per_address(server_factory):
    srv = server_factory(auth_lockout_failures=4, auth_lockout_seconds=60)
    for _ in range(2):
        c = srv.raw()
        for i in range(2):
            c.command("LOGIN alice bad%d" % i)
        c.close()
    c = srv.raw()
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 NO [UNAVAILABLE]"), tagged


def test_imaplib_login_logout(server):
    m = server.imap()
    typ, _ = m.login("bob", "bob-secret")
    assert typ == "OK"
    m.logout()


def test_authenticate_plain_with_ir(server):
    c = server.raw()
    ir = b64(b"\0carol\0carol-secret")
    _, tagged = c.command("AUTHENTICATE PLAIN " + ir)
    assert tagged.startswith(b"t1 OK"), tagged


def test_authenticate_plain_without_ir(server):
    c = server.raw()
    c.send(b"a1 AUTHENTICATE PLAIN\r\n")
    assert c.line() == b"+ \r\n"
    c.send(b64(b"\0carol\0carol-secret").encode() + b"\r\n")
    assert c.read_until_tagged("a1")[1].startswith(b"a1 OK")


def test_authenticate_plain_wrong(server):
    c = server.raw()
    _, tagged = c.command("AUTHENTICATE PLAIN " + b64(b"\0carol\0nope"))
    assert tagged.startswith(b"t1 NO [AUTHENTICATIONFAILED]")
    _, tagged = c.command("AUTHENTICATE PLAIN " + b64(b"bob\0carol\0carol-secret"))
    assert tagged.startswith(b"t2 NO [AUTHENTICATIONFAILED]")


def test_authenticate_cancel_and_bad_base64(server):
    c = server.raw()
    c.send(b"a1 AUTHENTICATE PLAIN\r\n")
    c.line()
    c.send(b"*\r\n")
    assert c.read_until_tagged("a1")[1].startswith(b"a1 BAD")
    _, tagged = c.command("AUTHENTICATE PLAIN !!!notbase64")
    assert b" BAD " in tagged
    _, tagged = c.command("AUTHENTICATE NOSUCHMECH")
    assert b" NO " in tagged
    c.login("alice", "alice-secret")


def test_authenticate_login_mechanism(server):
    c = server.raw()
    c.send(b"a1 AUTHENTICATE LOGIN\r\n")
    assert base64.b64decode(c.line()[2:]) == b"Username:"
    c.send(b64(b"alice").encode() + b"\r\n")
    assert base64.b64decode(c.line()[2:]) == b"Password:"
    c.send(b64(b"alice-secret").encode() + b"\r\n")
    assert c.read_until_tagged("a1")[1].startswith(b"a1 OK")


def scram_exchange(c, user, password, tamper=False):
    nonce = b64(os.urandom(18))
    first_bare = "n=%s,r=%s" % (user, nonce)
    c.send(("a1 AUTHENTICATE SCRAM-SHA-256 %s\r\n" % b64(("n,," + first_bare).encode())).encode())
    line = c.line()
    assert line.startswith(b"+ "), line
    server_first = base64.b64decode(line[2:]).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    assert attrs["r"].startswith(nonce)
    salt = base64.b64decode(attrs["s"])
    iters = int(attrs["i"])
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iters)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    final_wo_proof = "c=biws,r=" + attrs["r"]
    auth_msg = ",".join([first_bare, server_first, final_wo_proof]).encode()
    sig = hmac.new(stored_key, auth_msg, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    if tamper:
        proof = bytes([proof[0] ^ 1]) + proof[1:]
    c.send((b64((final_wo_proof + ",p=" + b64(proof)).encode()) + "\r\n").encode())
    return salted, auth_msg


def test_scram_sha256_full_exchange(server):
    c = server.raw()
    salted, auth_msg = scram_exchange(c, "alice", "alice-secret")
    line = c.line()
    assert line.startswith(b"+ "), line
    server_final = base64.b64decode(line[2:]).decode()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    expect = b64(hmac.new(server_key, auth_msg, hashlib.sha256).digest())
    assert server_final == "v=" + expect
    c.send(b"\r\n")
    assert c.read_until_tagged("a1")[1].startswith(b"a1 OK")
    c.ok("NOOP")


def test_scram_wrong_proof_and_unknown_user(server):
    c = server.raw()
    scram_exchange(c, "alice", "alice-secret", tamper=True)
    assert c.read_until_tagged("a1")[1].startswith(b"a1 NO [AUTHENTICATIONFAILED]")
    c2 = server.raw()
    scram_exchange(c2, "nobody", "x")
    assert c2.read_until_tagged("a1")[1].startswith(b"a1 NO [AUTHENTICATIONFAILED]")


# ---- TLS ----

def test_starttls_then_login(server):
    c = server.raw()
    untagged, tagged = c.command("STARTTLS")
    assert tagged.startswith(b"t1 OK")
    c.sock = tls_context().wrap_socket(c.sock, server_hostname="127.0.0.1")
    c.buf = b""
    caps = c.ok("CAPABILITY")[0]
    assert b"STARTTLS" not in caps and b"LOGINDISABLED" not in caps
    _, tagged = c.command("STARTTLS")
    assert b" BAD " in tagged
    c.login("alice", "alice-secret")


def test_starttls_injection_discarded(server):
    """Commands pipelined after STARTTLS in clear must never run."""
    c = server.raw()
    c.send(b"a1 STARTTLS\r\na2 LOGIN alice alice-secret\r\n")
    assert c.line().startswith(b"a1 OK")
    c.sock = tls_context().wrap_socket(c.sock, server_hostname="127.0.0.1")
    c.buf = b""
    c.send(b"a3 NOOP\r\n")
    resp = c.response()
    assert resp.startswith(b"a3 OK"), resp  # no a2 reply ever
    _, tagged = c.command("SELECT INBOX")
    assert b" BAD " in tagged  # still not logged in


def test_implicit_tls(server):
    c = server.raw(tls=True)
    assert c.greeting.startswith(b"* OK")
    assert b"STARTTLS" not in c.greeting
    assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
    c.login("bob", "bob-secret")


def test_imaplib_ssl(server):
    m = server.imap_ssl("carol")
    m.logout()


def test_tls_1_1_refused(server):
    ctx = tls_context()
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, AttributeError):
        pytest.skip("this OpenSSL cannot offer TLS 1.1")
    sock = socket.create_connection(("127.0.0.1", server.tls_port), timeout=5)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        ctx.wrap_socket(sock, server_hostname="127.0.0.1").recv(10)


def test_logindisabled_on_insecure_connection(server_factory):
    srv = server_factory(loopback_is_insecure="yes")
    c = srv.raw()
    caps = c.greeting
    assert b"LOGINDISABLED" in caps and b"AUTH=PLAIN" not in caps
    _, tagged = c.command("LOGIN alice alice-secret")
    assert tagged.startswith(b"t1 NO [PRIVACYREQUIRED]")
    _, tagged = c.command("AUTHENTICATE PLAIN " + b64(b"\0alice\0alice-secret"))
    assert tagged.startswith(b"t2 NO [PRIVACYREQUIRED]")
    c.ok("STARTTLS")
    c.sock = tls_context().wrap_socket(c.sock, server_hostname="127.0.0.1")
    c.buf = b""
    caps = c.ok("CAPABILITY")[0]
    assert b"LOGINDISABLED" not in caps and b"AUTH=PLAIN" in caps
    c.login("alice", "alice-secret")


def test_plaintext_auth_never(server_factory):
    srv = server_factory(plaintext_auth="never")
    c = srv.raw()
    assert b"LOGINDISABLED" in c.greeting
    t = srv.raw(tls=True)
    t.login("alice", "alice-secret")


def test_password_not_logged(server):
    server.raw().command('LOGIN alice "alice-secret"')
    server.raw().command('LOGIN alice "wrong-pass-xyz"')
    log = server.read_log()
    assert "alice-secret" not in log and "wrong-pass-xyz" not in log
    assert "login user=alice" in log and "login failed" in log
