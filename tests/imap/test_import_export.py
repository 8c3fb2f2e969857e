"""Issue 8: moving mail in and out (Maildir++ with dovecot-uidlist, mbox)."""
import os
import re

from conftest import quire

# Bare LF on purpose in one message: bytes must come back unchanged.
MSGS = {
    "1276528724.M1P1.host": b"From: a@example.org\r\nSubject: one\r\n\r\nfirst\r\n",
    "1276528725.M2P1.host": b"From: b@example.org\r\nSubject: two\r\n\r\nsecond\r\n",
    "1276528726.M3P1.host": b"From: c@example.org\nSubject: three\n\nthird, LF only\n",
}


def write_maildir(root, folder, files, uidlist=None, keywords=None):
    """files: list of (subdir, name, bytes, mtime)."""
    d = root if folder is None else os.path.join(root, folder)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for sub, name, data, mtime in files:
        path = os.path.join(d, sub, name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (mtime, mtime))
    if uidlist is not None:
        with open(os.path.join(d, "dovecot-uidlist"), "w") as f:
            f.write(uidlist)
    if keywords is not None:
        with open(os.path.join(d, "dovecot-keywords"), "w") as f:
            f.write(keywords)


def dovecot_tree(root):
    names = list(MSGS)
    write_maildir(root, None, [
        ("cur", names[0] + ":2,RS", MSGS[names[0]], 1276528724),
        ("cur", names[1] + ":2,FSab", MSGS[names[1]], 1276528725),
        ("new", names[2], MSGS[names[2]], 1276528726),
    ], uidlist="3 V1276528700 N42 G3085f01b7f11094c501100008c4a11c1\n"
               "7 :%s\n12 W100 :%s\n30 :%s\n" % tuple(names),
       keywords="0 $Label1\n1 Work\n")
    write_maildir(root, ".Lists.quire", [
        ("cur", "1276529000.M9P1.host:2,S", b"Subject: list\r\n\r\nlist mail\r\n", 1276529000),
    ], uidlist="3 V1276528800 N5\n4 :1276529000.M9P1.host\n")
    write_maildir(root, ".Drafts", [
        ("cur", "1276529100.M10P1.host:2,D", b"Subject: draft\r\n\r\nunsent\r\n", 1276529100),
    ])


def status(m, mailbox):
    typ, data = m.status('"%s"' % mailbox, "(MESSAGES UIDNEXT UIDVALIDITY)")
    assert typ == "OK", data
    return {k.decode(): int(v) for k, v in re.findall(rb"(\w+) (\d+)", data[0].split(b"(", 1)[1])}


def messages(m, mailbox):
    """{uid: (flags set, bytes, internaldate text)} of a mailbox."""
    typ, _ = m.select('"%s"' % mailbox, readonly=True)
    assert typ == "OK"
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
    assert typ == "OK"
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta = item[0]
        uid = int(re.search(rb"UID (\d+)", meta).group(1))
        flags = set(re.search(rb"FLAGS \(([^)]*)\)", meta).group(1).decode().split())
        flags.discard("\\Recent")
        date = re.search(rb'INTERNALDATE "([^"]+)"', meta).group(1).decode()
        out[uid] = (flags, item[1], date)
    return out


def test_import_dovecot_maildir_keeps_uids_flags_bytes(server, tmp_path):
    root = str(tmp_path / "Maildir")
    dovecot_tree(root)
    res = server.quire(["import", "maildir", root, "alice"])
    assert b"imported 5, already present 0, failed 0" in res.stdout

    m = server.imap("alice")
    assert status(m, "INBOX") == {"MESSAGES": 3, "UIDNEXT": 42, "UIDVALIDITY": 1276528700}
    inbox = messages(m, "INBOX")
    names = list(MSGS)
    assert sorted(inbox) == [7, 12, 30]
    assert inbox[7][0] == {"\\Answered", "\\Seen"}
    assert inbox[12][0] == {"\\Flagged", "\\Seen", "$Label1", "Work"}
    assert inbox[30][0] == set()              # new/: no flags
    for uid, name in zip((7, 12, 30), names):
        assert inbox[uid][1] == MSGS[name]    # byte for byte
    assert inbox[7][2] == "14-Jun-2010 15:18:44 +0000"   # mtime
    assert status(m, "Lists/quire") == {"MESSAGES": 1, "UIDNEXT": 5, "UIDVALIDITY": 1276528800}
    assert messages(m, "Lists/quire")[4][0] == {"\\Seen"}
    drafts = messages(m, "Drafts")
    assert [v[0] for v in drafts.values()] == [{"\\Draft"}]
    m.logout()

    # Running it again adds nothing.
    res = server.quire(["import", "maildir", root, "alice"])
    assert b"imported 0, already present 5, failed 0" in res.stdout
    m = server.imap("alice")
    assert status(m, "INBOX")["MESSAGES"] == 3
    m.logout()

    # A message that arrived on the old server since is picked up.
    write_maildir(root, None, [("new", "1276529999.M99P1.host", b"Subject: late\r\n\r\nlate\r\n", 1276529999)])
    res = server.quire(["import", "maildir", root, "alice"])
    assert b"imported 1, already present 5, failed 0" in res.stdout
    m = server.imap("alice")
    assert sorted(messages(m, "INBOX")) == [7, 12, 30, 42]
    m.logout()


def test_import_maildir_without_uidlist_and_into_nonempty_mailbox(server, tmp_path):
    server.quire(["deliver", "bob"], stdin=b"Subject: existing\r\n\r\nx\r\n")
    root = str(tmp_path / "md")
    write_maildir(root, None, [
        ("cur", "100.a:2,S", b"Subject: a\r\n\r\na\r\n", 100000),
        ("cur", "200.b:2,", b"Subject: b\r\n\r\nb\r\n", 200000),
    ], uidlist="3 V99 N10\n5 :100.a\n6 :200.b\n")
    res = server.quire(["import", "maildir", root, "bob"])
    assert b"imported 2" in res.stdout
    assert b"UIDs not kept" in res.stderr     # INBOX was not empty
    m = server.imap("bob")
    st = status(m, "INBOX")
    assert st["MESSAGES"] == 3 and st["UIDVALIDITY"] != 99
    # requested UIDs above uidnext are still honoured
    assert sorted(messages(m, "INBOX")) == [1, 5, 6]
    m.logout()


def test_import_errors(server, tmp_path):
    res = server.quire(["import", "maildir", str(tmp_path), "alice"], check=False)
    assert res.returncode == 64 and b"not a Maildir" in res.stderr
    root = str(tmp_path / "md")
    write_maildir(root, None, [])
    res = server.quire(["import", "maildir", root, "nobody"], check=False)
    assert res.returncode == 67
    res = server.quire(["import", "tarball", root, "alice"], check=False)
    assert res.returncode == 64
    mbox = tmp_path / "bad.mbox"
    mbox.write_bytes(b"Subject: no separator\n\nx\n")
    res = server.quire(["import", "mbox", str(mbox), "alice"], check=False)
    assert res.returncode == 64


MBOX = (b"From sender@example.org Thu Nov 25 21:47:06 2021\n"
        b"From: sender@example.org\nSubject: first\nStatus: RO\nX-Status: AF\n\n"
        b"Hello\n>From the start of a line\n>>From twice\nFrom: not escaped\n\n"
        b"From other@example.org Fri Nov 26 08:00:00 2021\n"
        b"Subject: second\n\nbody two\n\n"
        b"From x@y Sat Nov 27 09:30:00 2021\n"
        b"Subject: third\nStatus: O\n\nno trailing blank\n")


def test_import_mbox(server, tmp_path):
    path = tmp_path / "in.mbox"
    path.write_bytes(MBOX)
    res = server.quire(["import", "mbox", str(path), "carol", "--mailbox", "Old/2021"])
    assert b"imported 3, already present 0, failed 0" in res.stdout
    m = server.imap("carol")
    msgs = messages(m, "Old/2021")
    assert [v[1] for v in msgs.values()] == [
        b"From: sender@example.org\nSubject: first\nStatus: RO\nX-Status: AF\n\n"
        b"Hello\nFrom the start of a line\n>From twice\nFrom: not escaped\n",
        b"Subject: second\n\nbody two\n",
        b"Subject: third\nStatus: O\n\nno trailing blank\n",
    ]
    assert [v[0] for v in msgs.values()] == [{"\\Seen", "\\Answered", "\\Flagged"}, set(), set()]
    assert [v[2] for v in msgs.values()][0] == "25-Nov-2021 21:47:06 +0000"
    m.logout()
    res = server.quire(["import", "mbox", str(path), "carol", "--mailbox", "Old/2021"])
    assert b"imported 0, already present 3" in res.stdout


def test_export_import_round_trip(server, tmp_path):
    root = str(tmp_path / "Maildir")
    dovecot_tree(root)
    server.quire(["import", "maildir", root, "alice"])
    m = server.imap("alice")
    before = {box: (status(m, box), messages(m, box)) for box in ("INBOX", "Lists/quire", "Drafts")}
    m.logout()

    out = str(tmp_path / "export")
    server.quire(["export", "maildir", "alice", out])
    assert os.path.exists(os.path.join(out, "dovecot-uidlist"))
    assert os.path.isdir(os.path.join(out, ".Lists.quire", "cur"))

    # A fresh account gets everything back: UIDs, UIDVALIDITY, flags,
    # keywords, dates and bytes.
    server.quire(["user", "add", "dave", "--password-stdin"], stdin=b"dave-pw\n")
    server.quire(["import", "maildir", out, "dave"])
    import imaplib
    m = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    m.login("dave", "dave-pw")
    after = {box: (status(m, box), messages(m, box)) for box in ("INBOX", "Lists/quire", "Drafts")}
    m.logout()
    assert after == before


def test_export_mbox_round_trip(server, tmp_path):
    path = tmp_path / "in.mbox"
    path.write_bytes(MBOX)
    server.quire(["import", "mbox", str(path), "carol"])
    out = tmp_path / "out.mbox"
    res = server.quire(["export", "mbox", "carol", str(out)])
    assert b"exported 3 messages" in res.stdout
    text = out.read_bytes()
    assert text.count(b"\nFrom ") + text.startswith(b"From ") == 3
    assert b"\n>From the start" in text and b"\n>>From twice" in text
    server.quire(["user", "add", "erin", "--password-stdin"], stdin=b"pw\n")
    server.quire(["import", "mbox", str(out), "erin"])
    import imaplib
    m = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    m.login("erin", "pw")
    got = [v[1] for v in messages(m, "INBOX").values()]
    m.logout()
    m = server.imap("carol")
    want = [v[1] for v in messages(m, "INBOX").values()]
    m.logout()
    assert got == want


def test_import_flags_of_files_still_in_new(server, tmp_path):
    """Dovecot renames a message it flags even while it sits in new/
    (doveadm flags add leaves new/NAME:2,FS): those flags count too."""
    root = str(tmp_path / "md")
    write_maildir(root, None, [
        ("new", "300.c:2,FS", b"Subject: c\r\n\r\nc\r\n", 300000),
        ("new", "400.d", b"Subject: d\r\n\r\nd\r\n", 400000),
    ], uidlist="3 V77 N9\n4 :300.c\n8 :400.d\n")
    server.quire(["import", "maildir", root, "carol"])
    m = server.imap("carol")
    got = messages(m, "INBOX")
    assert sorted(got) == [4, 8]
    assert {"\\Flagged", "\\Seen"} <= got[4][0]
    assert not ({"\\Flagged", "\\Seen"} & got[8][0])
    m.logout()
