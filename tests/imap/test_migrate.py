"""Issue 10, part 3: `quire migrate` copies a whole site between stores
exactly and can be re-run. A data dir is filled through a real server,
copied sqlite -> sqlite, and a server on the copy must show clients
exactly what the original shows: UIDVALIDITY, UIDs, flags, keywords,
modseqs, INTERNALDATE, SAVEDATE, EMAILID, bodies, ACLs, quotas,
subscriptions, expunges (VANISHED). The same holds for the way to
PostgreSQL and back (sqlite -> postgresql -> sqlite, on a private
PostgreSQL of the test's own)."""
import os
import re
import subprocess

import pytest

from conftest import (PG_BIN, QUIRE, STORE, PgCluster, Server,
                      check_server_log, quire)

# The servers here write SQLite data dirs that the copier reads by path.
pytestmark = pytest.mark.skipif(STORE != "sqlite",
                                reason="sqlite -> sqlite copies")

USERS = ("alice", "bob", "carol")


def message(n, extra=b""):
    return (b"From: m%d@example.org\r\nSubject: message %d\r\n\r\n"
            b"body %d\r\n" % (n, n, n)) + extra


def login(server, user):
    c = server.raw()
    c.login(user, user + "-secret")
    return c


def append(c, mailbox, body, flags="", date=None):
    extra = ""
    if flags:
        extra += " (%s)" % flags
    if date:
        extra += ' "%s"' % date
    c.send('A APPEND "%s"%s {%d+}\r\n' % (mailbox, extra, len(body)))
    c.send(body + b"\r\n")
    tagged = c.read_until_tagged("A")[1]
    assert tagged.startswith(b"A OK"), tagged


def populate(server):
    a = login(server, "alice")
    a.ok("ENABLE CONDSTORE")
    a.ok('CREATE "Work/Projects"')
    a.ok('DELETE "Archive"')                  # a default the copy must lose
    a.ok('CREATE "Lists" (USE (\\Archive))')
    a.ok('CREATE "Gone/Child"')
    a.ok('DELETE "Gone"')                     # \Noselect parent
    a.ok('UNSUBSCRIBE "Junk"')
    a.ok('SUBSCRIBE "Not/There"')
    for n in range(1, 9):
        append(a, "INBOX", message(n, b"x" * n * 100),
               "\\Seen $Label%d" % (n % 3) if n % 2 else "",
               "0%d-Mar-2024 10:0%d:00 +0%d30" % (n, n, n % 6))
    for n in range(9, 13):
        append(a, "Work/Projects", message(n), "\\Flagged Work")
    append(a, "Lists", message(13))
    a.ok("SELECT INBOX")
    a.ok("UID STORE 2,4 +FLAGS (\\Deleted)")
    a.ok("UID EXPUNGE 2,4")                   # UID gaps, tombstones
    a.ok("UID STORE 5 +FLAGS ($Important)")
    a.ok("UID STORE 6 -FLAGS (\\Seen)")
    a.ok('SETACL "Work/Projects" bob lrsw')
    a.ok('SETACL "INBOX" anyone l')
    a.ok('SETACL "Lists" -bob r')
    a.close()
    b = login(server, "bob")
    append(b, "INBOX", message(20), "\\Answered")
    append(b, "Sent", message(21), "\\Seen")
    b.ok('SUBSCRIBE "Other Users/alice/Work/Projects"')
    b.close()
    c = login(server, "carol")                # admin_user: sets quotas
    c.ok('SETQUOTA "#user/alice" (STORAGE 5000 MESSAGE 100)')
    c.ok('SETQUOTA "#user/bob" ()')          # explicitly unlimited
    c.close()


MAILBOX_LINE = re.compile(rb'\* LIST \([^)]*\) "/" (.*)$')


def mailboxes(c):
    names = []
    for line in c.ok('LIST "" "*"'):
        m = MAILBOX_LINE.match(line)
        if m and b"\\Noselect" not in line and b"\\NonExistent" not in line:
            names.append(m.group(1).decode())
    return names


def view(server, user):
    """Everything a client sees of the user's mail, as comparable bytes."""
    c = login(server, user)
    c.ok("ENABLE QRESYNC")
    seen = {"LIST": c.ok('LIST "" "*" RETURN (SPECIAL-USE SUBSCRIBED)'),
            "LSUB": c.ok('LSUB "" "*"'),
            "QUOTA": c.ok("GETQUOTAROOT INBOX")}
    for name in mailboxes(c):
        quoted = '"%s"' % name.strip('"')
        box = seen[name] = {"EXAMINE": c.command("EXAMINE %s" % quoted),
                            "MYRIGHTS": c.command("MYRIGHTS %s" % quoted),
                            "GETACL": c.command("GETACL %s" % quoted)}
        if box["EXAMINE"][1].split()[1] != b"OK":
            continue
        box["FETCH"] = c.ok("UID FETCH 1:* (UID FLAGS MODSEQ INTERNALDATE"
                            " SAVEDATE EMAILID BODY.PEEK[]) (CHANGEDSINCE 1"
                            " VANISHED)")
        c.ok("CLOSE")
    c.close()
    return seen


def run_migrate(src, dst, check=True, extra=()):
    cmd = [QUIRE, "migrate", "--from", "sqlite", "--to", "sqlite",
           "--from-dir", src, "--to-dir", dst] + list(extra)
    res = subprocess.run(cmd, capture_output=True, timeout=120)
    if check:
        assert res.returncode == 0, res.stderr.decode(errors="replace")
    return res


def counts(res):
    """{"messages copied": n, ...} from the summary."""
    out = {}
    for line in res.stdout.decode().splitlines():
        what, _, rest = line.partition(": ")
        for part in rest.split(", "):
            n, _, kind = part.partition(" ")
            out[(what + " " + kind).strip()] = int(n)
    return out


def views(server):
    return {u: view(server, u) for u in USERS}


def start_copy(dst, server):
    return Server(dst, dict(server.options, admin_user="carol")).start()


def test_sqlite_copy_is_exact_and_rerunnable(server_factory, tmp_path):
    src = server_factory(admin_user="carol")
    populate(src)
    before = views(src)
    assert before["alice"]["INBOX"]["FETCH"][0].startswith(b"* VANISHED")
    assert src.stop() == 0

    dst = str(tmp_path / "copy")
    first = counts(run_migrate(src.data_dir, dst))
    assert first["messages copied"] == 8 + 4 + 1 + 2 - 2
    assert first["users added"] == 3
    again = counts(run_migrate(src.data_dir, dst))
    assert set(again.values()) == {0}, again   # a re-run changes nothing

    copy = start_copy(dst, src)
    try:
        after = views(copy)
    finally:
        assert copy.stop() == 0
    for user in USERS:
        assert after[user] == before[user], user
    assert b"Other Users/alice/Work/Projects" in b"".join(after["bob"]["LSUB"])


def test_rerun_copies_only_what_changed(server_factory, tmp_path):
    src = server_factory(admin_user="carol")
    populate(src)
    assert src.stop() == 0
    dst = str(tmp_path / "copy")
    run_migrate(src.data_dir, dst)

    src.start()
    a = login(src, "alice")
    append(a, "INBOX", message(30), "\\Draft")
    a.ok("SELECT INBOX")
    a.ok("UID STORE 1 +FLAGS (\\Answered late)")
    a.ok("UID STORE 3 +FLAGS (\\Deleted)")
    a.ok("UID EXPUNGE 3")
    a.ok('DELETE "Lists"')
    a.ok('CREATE "Lists"')                    # new uidvalidity, same name
    a.ok('RENAME "Work/Projects" "Work/Done"')
    a.ok('DELETEACL "INBOX" anyone')
    a.close()
    c = login(src, "carol")
    c.ok('SETQUOTA "#user/alice" (STORAGE 6000)')
    c.close()
    before = views(src)
    assert src.stop() == 0

    res = counts(run_migrate(src.data_dir, dst))
    # the new message, and the four of the renamed mailbox (a new name
    # is a new mailbox to the copier)
    assert res["messages copied"] == 1 + 4, res
    assert res["messages updated"] == 1, res
    assert res["quota limits changed"] == 1, res
    assert counts(run_migrate(src.data_dir, dst)) == {
        k: 0 for k in res}
    copy = start_copy(dst, src)
    try:
        after = views(copy)
    finally:
        assert copy.stop() == 0
    for user in USERS:
        assert after[user] == before[user], user


def test_bad_arguments(server, tmp_path):
    d = server.data_dir
    assert run_migrate(d, d, check=False).returncode == 64
    res = subprocess.run([QUIRE, "migrate", "--from", "mysql", "--to",
                          "sqlite"], capture_output=True, timeout=30)
    assert res.returncode == 64
    res = subprocess.run([QUIRE, "migrate", "--from", "sqlite"],
                         capture_output=True, timeout=30)
    assert res.returncode == 64
    res = run_migrate(d, str(tmp_path / "x"), check=False,
                      extra=["--bogus", "1"])
    assert res.returncode == 64
    # a mistyped source is not copied as an empty site
    res = run_migrate(str(tmp_path / "none"), str(tmp_path / "y"),
                      check=False)
    assert res.returncode == 64 and b"no store" in res.stderr
    assert not os.path.exists(str(tmp_path / "none"))
    # sqlite and postgresql in one data dir would share blob files
    res = subprocess.run([QUIRE, "migrate", "--from", "sqlite", "--to",
                          "postgresql", "-o", "data_dir=" + d],
                         capture_output=True, timeout=30)
    assert res.returncode == 64 and b"blob" in res.stderr
    assert os.path.exists(os.path.join(d, "quire.db"))
    assert quire(["user", "list"], d).returncode == 0


def migrate_cmd(args, conf):
    res = subprocess.run([QUIRE, "migrate"] + args + ["-c", conf],
                         capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    return counts(res)


def check_stopped(srv):
    assert srv.stop() == 0
    check_server_log(srv)


@pytest.fixture
def pg_db():
    """A private PostgreSQL (the harness of the postgresql pass) with one
    empty database: the conninfo."""
    if not os.path.exists(os.path.join(PG_BIN, "initdb")):
        pytest.skip("PostgreSQL server binaries missing (QUIRE_PG_BIN)")
    cluster = PgCluster().start()
    try:
        yield cluster.conninfo(cluster.new_db())
    finally:
        cluster.stop()


def test_sqlite_postgresql_sqlite_round_trip(server_factory, tmp_path,
                                             pg_db):
    """README "Running several front ends": the move to PostgreSQL and the
    way back, with the commands as written there (one quire.conf for the
    PostgreSQL site; --from-dir / --to-dir for the SQLite side)."""
    src = server_factory(admin_user="carol")
    populate(src)
    before = views(src)
    assert src.stop() == 0

    site = tmp_path / "pg-site"
    blobs = tmp_path / "shared-blobs"
    site.mkdir()
    blobs.mkdir()
    conf = str(tmp_path / "quire.conf")
    with open(conf, "w") as f:
        f.write("store = postgresql\npg_conninfo = %s\nblob_dir = %s\n"
                "data_dir = %s\n" % (pg_db, blobs, site))

    there = ["--from", "sqlite", "--to", "postgresql",
             "--from-dir", src.data_dir]
    first = migrate_cmd(there, conf)
    assert first["messages copied"] == 8 + 4 + 1 + 2 - 2, first
    assert first["users added"] == 3, first
    again = migrate_cmd(there, conf)
    assert set(again.values()) == {0}, again   # a re-run changes nothing

    pg_options = dict(src.options, admin_user="carol", store="postgresql",
                      pg_conninfo=pg_db, blob_dir=str(blobs))
    on_pg = Server(str(site), pg_options).start()
    try:
        middle = views(on_pg)
    finally:
        check_stopped(on_pg)
    for user in USERS:
        assert middle[user] == before[user], user

    back_dir = str(tmp_path / "sqlite-back")
    back = ["--from", "postgresql", "--to", "sqlite", "--to-dir", back_dir]
    first = migrate_cmd(back, conf)
    assert first["messages copied"] == 8 + 4 + 1 + 2 - 2, first
    assert set(migrate_cmd(back, conf).values()) == {0}
    copy = start_copy(back_dir, src)
    try:
        after = views(copy)
    finally:
        check_stopped(copy)
    for user in USERS:
        assert after[user] == before[user], user
    # the bodies came back byte for byte, as files too
    for dirpath, _, files in os.walk(os.path.join(src.data_dir, "blobs")):
        for name in files:
            rel = os.path.relpath(os.path.join(dirpath, name), src.data_dir)
            if rel.startswith("blobs/tmp"):
                continue
            with open(os.path.join(src.data_dir, rel), "rb") as a, \
                    open(os.path.join(back_dir, rel), "rb") as b:
                assert a.read() == b.read(), rel


def thread_partition(server, user):
    """UID -> THREADID of the user's INBOX, as the sets of UIDs sharing one."""
    c = login(server, user)
    c.ok("SELECT INBOX")
    groups = {}
    for line in c.ok("UID FETCH 1:* (UID THREADID)"):
        m = re.search(rb"UID (\d+) THREADID \((T[0-9a-f]+)\)", line)
        if m:
            groups.setdefault(m.group(2), set()).add(int(m.group(1)))
    c.close()
    return sorted(sorted(g) for g in groups.values())


def test_copy_keeps_threads_together(server_factory, tmp_path):
    """THREADID numbers are the destination's own, but messages that share
    a thread on the source share one on the copy (RFC 8474 5.2)."""
    src = server_factory()
    a = login(src, "alice")
    append(a, "INBOX", b"Message-ID: <root@x>\r\nSubject: plans\r\n\r\nhi\r\n")
    append(a, "INBOX", b"Message-ID: <other@x>\r\nSubject: lunch\r\n\r\nyo\r\n")
    append(a, "INBOX", b"Message-ID: <re@x>\r\nIn-Reply-To: <root@x>\r\n"
           b"Subject: Re: plans\r\n\r\nok\r\n")
    a.close()
    before = thread_partition(src, "alice")
    assert before == [[1, 3], [2]]
    assert src.stop() == 0

    dst = str(tmp_path / "copy")
    run_migrate(src.data_dir, dst)
    copy = start_copy(dst, src)
    try:
        assert thread_partition(copy, "alice") == before
    finally:
        assert copy.stop() == 0
