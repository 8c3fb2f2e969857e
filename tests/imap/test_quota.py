"""Issue 5: quotas (RFC 9208): one root per user, "#user/<name>", with
STORAGE (KiB) and MESSAGE, usage exact through every path that adds or
removes mail, enforced with [OVERQUOTA]."""
import re

from conftest import quire

BODY = b"x" * 2900 + b"\r\n"


def message(n):
    return (b"From: a@example.org\r\nSubject: q %d\r\n\r\n" % n) + BODY


SIZE = len(message(1))  # every message(n) for n < 10 has this size


def login(server, user):
    c = server.raw()
    c.login(user, user + "-secret")
    return c


def expect(c, command, status, code=None):
    untagged, tagged = c.command(command)
    assert tagged.split(b" ", 2)[1] == status.encode(), (command, tagged)
    if code is not None:
        assert b"[" + code.encode() + b"]" in tagged, (command, tagged)
    return untagged, tagged


def append(c, mailbox, n):
    body = message(n)
    c.send('A APPEND %s {%d+}\r\n' % (mailbox, len(body)))
    c.send(body + b"\r\n")
    return c.read_until_tagged("A")[1]


def deliver(server, user, n, check=True):
    # the same settings as the server: the default quota is configuration
    return quire(["deliver", user], server.data_dir, options=server.options,
                 stdin=message(n), check=check)


def usage(c, root="#user/alice"):
    """(storage KiB, messages) from GETQUOTA."""
    line = c.ok('GETQUOTA "%s"' % root)[0]
    m = re.match(rb'\* QUOTA \S+ \(STORAGE (\d+) \d+ MESSAGE (\d+) \d+\)$',
                 line)
    assert m, line
    return int(m.group(1)), int(m.group(2))


def kib(count):
    return (count * SIZE + 1023) // 1024


def test_unlimited_by_default(server):
    c = login(server, "alice")
    assert c.ok("GETQUOTAROOT INBOX") == [
        b'* QUOTAROOT INBOX #user/alice', b'* QUOTA #user/alice ()']
    # the name need not exist (RFC 9208 4.1.2)
    assert c.ok("GETQUOTAROOT Nothing/Yet")[0] == \
        b'* QUOTAROOT Nothing/Yet #user/alice'
    assert c.ok('GETQUOTA "#user/alice"') == [b'* QUOTA #user/alice ()']
    # someone else's root looks like no root at all
    other = c.command('GETQUOTA "#user/bob"', tag="a")
    none = c.command('GETQUOTA "#user/nobody"', tag="b")
    assert other[1][1:] == none[1][1:] and other[1].startswith(b"a NO [NONEXISTENT]")
    expect(c, 'GETQUOTA "User quota"', "NO", "NONEXISTENT")


def test_usage_through_every_path(server_factory):
    srv = server_factory(quota_messages=100, quota_storage="1M")
    deliver(srv, "alice", 1)
    deliver(srv, "alice", 2)
    c = login(srv, "alice")
    assert c.ok("GETQUOTAROOT INBOX") == [
        b'* QUOTAROOT INBOX #user/alice',
        b'* QUOTA #user/alice (STORAGE %d 1024 MESSAGE 2 100)' % kib(2)]
    assert append(c, "INBOX", 3).startswith(b"A OK")
    assert usage(c) == (kib(3), 3)
    c.ok("SELECT INBOX")
    c.ok("COPY 1:2 Archive")          # a copy counts again
    assert usage(c) == (kib(5), 5)
    c.ok("MOVE 3 Trash")              # within the root: no change
    assert usage(c) == (kib(5), 5)
    c.ok("STORE 1 +FLAGS (\\Deleted)")
    assert c.ok("STATUS Archive (DELETED DELETED-STORAGE)") == [
        b"* STATUS Archive (DELETED 0 DELETED-STORAGE 0)"]
    assert c.ok("STATUS INBOX (MESSAGES DELETED DELETED-STORAGE)") == [
        b"* STATUS INBOX (MESSAGES 2 DELETED 1 DELETED-STORAGE %d)" % kib(1)]
    c.ok("EXPUNGE")
    assert usage(c) == (kib(4), 4)
    c.ok("DELETE Archive")
    assert usage(c) == (kib(2), 2)
    # CLOSE's silent expunge too
    c.ok("SELECT Trash")
    c.ok("STORE 1 +FLAGS (\\Deleted)")
    c.ok("CLOSE")
    assert usage(c) == (kib(1), 1)
    assert quire(["quota", "get", "alice"], srv.data_dir,
                 options=srv.options).stdout == (
        b"storage %d KiB of 1024 KiB\nmessages 1 of 100\n" % kib(1))


def test_overquota_stores_nothing(server_factory):
    srv = server_factory(quota_messages=2)
    deliver(srv, "alice", 1)
    deliver(srv, "alice", 2)
    # `quire deliver` to a full root: temporary failure for the MTA
    assert deliver(srv, "alice", 3, check=False).returncode == 75
    c = login(srv, "alice")
    assert append(c, "INBOX", 4).startswith(b"A NO [OVERQUOTA]")
    assert c.ok("STATUS INBOX (MESSAGES UIDNEXT)") == [
        b"* STATUS INBOX (MESSAGES 2 UIDNEXT 3)"]
    c.ok("SELECT INBOX")
    expect(c, "COPY 1 Archive", "NO", "OVERQUOTA")
    assert c.ok("STATUS Archive (MESSAGES)") == [b"* STATUS Archive (MESSAGES 0)"]
    c.ok("MOVE 1 Archive")            # moving adds nothing: allowed
    assert c.ok('GETQUOTA "#user/alice"') == [
        b'* QUOTA #user/alice (MESSAGE 2 2)']
    c.ok("STORE 1 +FLAGS (\\Deleted)")
    c.ok("EXPUNGE")
    assert append(c, "INBOX", 5).startswith(b"A OK")


def test_storage_limit(server_factory):
    srv = server_factory(quota_storage="4K")
    c = login(srv, "alice")
    assert append(c, "INBOX", 1).startswith(b"A OK")
    assert append(c, "INBOX", 2).startswith(b"A NO [OVERQUOTA]")
    assert c.ok('GETQUOTA "#user/alice"') == [
        b'* QUOTA #user/alice (STORAGE %d 4)' % kib(1)]


def test_setquota_admin_only(server_factory):
    srv = server_factory(admin_user="carol")
    a = login(srv, "alice")
    expect(a, 'SETQUOTA "#user/alice" (STORAGE 100)', "NO", "NOPERM")
    expect(a, 'SETQUOTA "#user/bob" (STORAGE 100)', "NO", "NOPERM")
    c = login(srv, "carol")
    assert c.ok('SETQUOTA "#user/alice" (STORAGE 100 MESSAGE 1)') == [
        b'* QUOTA #user/alice (STORAGE 0 100 MESSAGE 0 1)']
    assert a.ok("GETQUOTAROOT INBOX")[1] == \
        b'* QUOTA #user/alice (STORAGE 0 100 MESSAGE 0 1)'
    assert append(a, "INBOX", 1).startswith(b"A OK")
    assert append(a, "INBOX", 2).startswith(b"A NO [OVERQUOTA]")
    # RFC 9208 4.1.3: limits not named are removed
    assert c.ok('SETQUOTA "#user/alice" (STORAGE 100)') == [
        b'* QUOTA #user/alice (STORAGE %d 100)' % kib(1)]
    assert c.ok('SETQUOTA "#user/alice" ()') == [b'* QUOTA #user/alice ()']
    expect(c, 'SETQUOTA "#user/alice" (MAILBOX 3)', "NO", "CANNOT")
    expect(c, 'SETQUOTA "#user/alice" (STORAGE x)', "BAD")
    expect(c, 'SETQUOTA "#user/nobody" (STORAGE 1)', "NO", "NONEXISTENT")


def test_shared_mailbox_counts_for_its_owner(server_factory):
    srv = server_factory(quota_messages=10)
    a = login(srv, "alice")
    a.ok("CREATE Team")
    b = login(srv, "bob")
    expect(b, 'GETQUOTA "#user/alice"', "NO", "NONEXISTENT")
    a.ok("SETACL Team bob lri")
    assert append(b, '"Other Users/alice/Team"', 1).startswith(b"A OK")
    assert b.ok('GETQUOTAROOT "Other Users/alice/Team"') == [
        b'* QUOTAROOT "Other Users/alice/Team" #user/alice',
        b'* QUOTA #user/alice (MESSAGE 1 10)']
    assert b.ok('GETQUOTA "#user/alice"') == [b'* QUOTA #user/alice (MESSAGE 1 10)']
    assert b.ok('GETQUOTA "#user/bob"') == [b'* QUOTA #user/bob (MESSAGE 0 10)']


def test_cli_quota(server):
    server.quire(["quota", "set", "alice", "none", "1"])
    assert server.quire(["quota", "get", "alice"]).stdout == (
        b"storage 0 KiB (unlimited)\nmessages 0 of 1\n")
    deliver(server, "alice", 1)
    assert deliver(server, "alice", 2, check=False).returncode == 75
    server.quire(["quota", "set", "alice", "default"])
    deliver(server, "alice", 2)
    assert server.quire(["quota", "get", "alice"]).stdout == (
        b"storage %d KiB (unlimited)\nmessages 2 (unlimited)\n" % kib(2))
    assert server.quire(["quota", "get", "nobody"], check=False).returncode == 67
    assert server.quire(["quota", "set", "alice", "x", "1"],
                        check=False).returncode == 64
