"""Issue 2: the command-line contract and configuration errors."""
import base64
import os
import subprocess
import time
import warnings

import pytest

from conftest import QUIRE, STORE, quire
from test_search_headers import store_sql


def run(args, **kw):
    return subprocess.run([QUIRE] + args, capture_output=True, timeout=60, **kw)


def test_help_documents_commands_and_keys():
    res = run(["--help"])
    assert res.returncode == 0
    out = res.stdout.decode()
    for word in ("serve", "user", "deliver", "data_dir", "imap_listen",
                 "imaps_listen", "tls_cert", "workers", "plaintext_auth"):
        assert word in out
    for cmd in ("serve", "user", "deliver"):
        res = run([cmd, "--help"])
        assert res.returncode == 0 and b"usage: quire " + cmd.encode() in res.stdout


def test_unknown_command():
    res = run(["frobnicate"])
    assert res.returncode == 64 and b"unknown command" in res.stderr


def test_config_errors_name_file_line_key(tmp_path):
    conf = tmp_path / "quire.conf"
    conf.write_text("# comment\ndata_dir = %s\nworkers = lots\n" % (tmp_path / "d"))
    res = run(["serve", "-c", str(conf)])
    assert res.returncode != 0
    assert ("%s:3" % conf).encode() in res.stderr and b"workers" in res.stderr
    conf.write_text("no_such_key = 1\n")
    res = run(["serve", "-c", str(conf)])
    assert res.returncode != 0 and b"no_such_key" in res.stderr and b":1" in res.stderr
    res = run(["serve", "-o", "plaintext_auth=sometimes"])
    assert res.returncode != 0 and b"plaintext_auth" in res.stderr


def test_user_add_list_passwd_del(tmp_path):
    d = str(tmp_path / "data")
    quire(["user", "add", "dave", "--password-stdin"], d, stdin=b"pw1\n")
    res = quire(["user", "add", "dave", "--password-stdin"], d, stdin=b"pw1\n", check=False)
    assert res.returncode != 0
    assert quire(["user", "list"], d).stdout.split() == [b"dave"]
    quire(["user", "passwd", "dave", "--password-stdin"], d, stdin=b"pw2\n")
    res = quire(["user", "passwd", "nobody", "--password-stdin"], d, stdin=b"x\n", check=False)
    assert res.returncode == 67
    quire(["user", "del", "dave"], d)
    assert quire(["user", "list"], d).stdout == b""
    res = quire(["user", "add", "bad/name", "--password-stdin"], d, stdin=b"x\n", check=False)
    assert res.returncode != 0


def crypt_hash(password, setting):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import crypt
    return crypt.crypt(password, setting)


SHA512_PW = ("$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D."
             "PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/")  # crypt("pw")


def test_user_add_with_ready_hash(server):
    server.quire(["user", "add", "erin", "--hash", SHA512_PW])
    c = server.raw()
    _, tagged = c.command("LOGIN erin wrong")
    assert b"NO" in tagged
    c.login("erin", "pw")
    c.close()
    # No SCRAM keys can be made from a hash; PLAIN works.
    c = server.raw()
    c.ok("AUTHENTICATE PLAIN " + base64.b64encode(b"\0erin\0pw").decode())
    c.close()
    # passwd --hash replaces it.
    other = crypt_hash("pw2", "$5$othersalt$")
    server.quire(["user", "passwd", "erin", "--hash", other])
    c = server.raw()
    _, tagged = c.command("LOGIN erin pw")
    assert b"NO" in tagged
    c.login("erin", "pw2")
    c.close()
    res = server.quire(["user", "passwd", "erin", "--hash", "$6$saltsalt$"], check=False)
    assert res.returncode == 64 and b"--hash" in res.stderr
    for bad in (["--hash", "plaintext"], ["--hash", "$6$salt:x$abc"], ["--hash"],
                ["--hash", SHA512_PW, "--password-stdin"]):
        res = server.quire(["user", "add", "frank"] + bad, stdin=b"pw\n", check=False)
        assert res.returncode == 64, bad
    res = server.quire(["user", "del", "frank", "--hash", SHA512_PW], check=False)
    assert res.returncode == 64
    assert b"frank" not in server.quire(["user", "list"]).stdout
    # An unknown user with --hash: no such user.
    res = server.quire(["user", "passwd", "nobody", "--hash", SHA512_PW], check=False)
    assert res.returncode == 67


def test_passwd_changes_login(server):
    server.quire(["user", "passwd", "alice", "--password-stdin"], stdin=b"new-secret\n")
    c = server.raw()
    _, tagged = c.command("LOGIN alice alice-secret")
    assert b"NO" in tagged
    c.login("alice", "new-secret")


def test_deliver_exit_codes(server):
    ok = server.quire(["deliver", "alice"], stdin=b"Subject: hi\r\n\r\nbody\r\n", check=False)
    assert ok.returncode == 0
    unknown = server.quire(["deliver", "nobody"], stdin=b"x\r\n", check=False)
    assert unknown.returncode == 67
    usage = server.quire(["deliver"], stdin=b"x", check=False)
    assert usage.returncode == 64


def test_check_finds_and_repairs_orphans(server):
    server.quire(["deliver", "alice"], stdin=b"Subject: x\r\n\r\ny\r\n")
    assert server.quire(["check"]).returncode == 0
    orphan_dir = os.path.join(server.data_dir, "blobs", "ff")
    os.makedirs(orphan_dir, exist_ok=True)
    orphan = os.path.join(orphan_dir, "f" * 62)
    with open(orphan, "wb") as f:
        f.write(b"orphan")
    # old enough for PostgreSQL's grace period, where a young file without
    # a row may belong to another front end's APPEND in flight
    two_hours_ago = time.time() - 7200
    os.utime(orphan, (two_hours_ago, two_hours_ago))
    res = server.quire(["check"], check=False)
    assert res.returncode == 1 and b"file without a blob row" in res.stdout
    assert server.quire(["check", "--repair"]).returncode == 0
    assert not os.path.exists(orphan)
    assert server.quire(["check"]).returncode == 0
    # the delivered message's own file was kept
    c = server.raw()
    c.login("alice", "alice-secret")
    c.ok("SELECT INBOX")
    assert b"Subject: x" in b"".join(c.ok("FETCH 1 BODY.PEEK[]"))


def quota_usage(server, user):
    rows = store_sql(server, "SELECT q.storage, q.messages FROM quota_usage q"
                     " JOIN users u ON u.id = q.user_id"
                     " WHERE u.name = '%s'" % user)
    return tuple(int(v) for v in rows[0]) if rows else None


def test_check_finds_and_repairs_quota_usage(server):
    server.quire(["deliver", "bob"], stdin=b"Subject: q\r\n\r\nquota\r\n")
    assert server.quire(["check"]).returncode == 0
    good = quota_usage(server, "bob")
    assert good[0] > 0 and good[1] > 0, good
    # drift the triggers did not make: bob's numbers off, and alice's row
    # gone while she has messages (for a row that is absent, 0 is stored)
    server.quire(["deliver", "alice"], stdin=b"Subject: q\r\n\r\nquota\r\n")
    alice = quota_usage(server, "alice")
    store_sql(server, "UPDATE quota_usage SET storage = storage + 1000,"
              " messages = messages + 5 WHERE user_id ="
              " (SELECT id FROM users WHERE name = 'bob')")
    store_sql(server, "DELETE FROM quota_usage WHERE user_id ="
              " (SELECT id FROM users WHERE name = 'alice')")
    res = server.quire(["check"], check=False)
    assert res.returncode == 1, res.stdout
    out = res.stdout.decode()
    assert ("quota usage of bob: stored %d bytes in %d messages, counted %d "
            "bytes in %d messages\n" % ((good[0] + 1000, good[1] + 5) + good)
            ) in out, out
    assert ("quota usage of alice: stored 0 bytes in 0 messages, counted %d "
            "bytes in %d messages\n" % alice) in out, out
    assert "2 problems found\n" in out, out
    assert quota_usage(server, "bob") == (good[0] + 1000, good[1] + 5)
    res = server.quire(["check", "--repair"])
    assert res.returncode == 0
    assert b"in %d messages (repaired)\n" % good[1] in res.stdout, res.stdout
    assert b"2 problems found and repaired" in res.stdout, res.stdout
    assert quota_usage(server, "bob") == good
    assert quota_usage(server, "alice") == alice
    res = server.quire(["check"])
    assert res.returncode == 0 and b"0 problems found" in res.stdout
    # what quota reports agrees, and deliveries count on from there
    res = server.quire(["quota", "get", "bob"])
    assert b"messages %d " % good[1] in res.stdout, res.stdout
    server.quire(["deliver", "bob"], stdin=b"Subject: r\r\n\r\nmore\r\n")
    assert quota_usage(server, "bob")[1] == good[1] + 1
    assert server.quire(["check"]).returncode == 0


@pytest.mark.skipif(STORE != "postgresql",
                    reason="the grace period is for a shared blob_dir")
def test_check_leaves_young_unreferenced_files_on_postgresql(server):
    orphan_dir = os.path.join(server.data_dir, "blobs", "ee")
    os.makedirs(orphan_dir, exist_ok=True)
    young = os.path.join(orphan_dir, "e" * 62)
    with open(young, "wb") as f:
        f.write(b"an append in flight on another front end")
    assert server.quire(["check", "--repair"]).returncode == 0
    assert os.path.exists(young)
