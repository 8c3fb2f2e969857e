"""Issue 3: mailbox management. CREATE, DELETE, RENAME, SUBSCRIBE,
UNSUBSCRIBE, LIST, LSUB, STATUS and NAMESPACE, over a real server.
"""
import re

from conftest import USERS

LIST_LINE = re.compile(rb'^\* (LIST|LSUB) \(([^)]*)\) "/" (.*)$')

DEFAULT = {"INBOX": None, "Drafts": "\\Drafts", "Sent": "\\Sent",
           "Trash": "\\Trash", "Junk": "\\Junk", "Archive": "\\Archive"}

MESSAGE = (b"From: bob@example.org\r\nTo: alice@example.org\r\n"
           b"Subject: hello\r\n\r\nHi.\r\n")


def unquote(raw):
    if raw.startswith(b'"'):
        assert raw.endswith(b'"'), raw
        return re.sub(rb'\\(.)', rb'\1', raw[1:-1]).decode()
    m = re.match(rb'^\{(\d+)\}\r\n', raw)
    if m:
        return raw[m.end():].decode("latin-1")
    return raw.decode()


def listing(lines, word="LIST"):
    """{name: set of attributes} from untagged LIST/LSUB lines."""
    out = {}
    for line in lines:
        m = LIST_LINE.match(line)
        assert m, "not a %s line: %r" % (word, line)
        assert m.group(1).decode() == word, line
        name = unquote(m.group(3))
        assert name not in out, "%s listed twice" % name
        out[name] = set(m.group(2).decode().split())
    return out


def login(server, user="alice"):
    c = server.raw()
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


def status_values(c, name, items="MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN"):
    lines = c.ok('STATUS "%s" (%s)' % (name, items))
    assert len(lines) == 1, lines
    m = re.match(rb'^\* STATUS (.+) \(([^)]*)\)$', lines[0])
    assert m, lines[0]
    words = m.group(2).decode().split()
    return dict(zip(words[0::2], (int(v) for v in words[1::2])))


def deliver(server, user="alice", count=1):
    for _ in range(count):
        server.quire(["deliver", user], stdin=MESSAGE)


# ---- LIST basics ----

def test_default_mailboxes_with_special_use(server):
    c = login(server)
    boxes = listing(c.ok('LIST "" "*"'))
    assert set(boxes) == set(DEFAULT)
    for name, use in DEFAULT.items():
        assert "\\HasNoChildren" in boxes[name], (name, boxes[name])
        assert "\\Noselect" not in boxes[name]
        # RFC 5258: \Subscribed belongs to LIST (SUBSCRIBED), not plain LIST.
        assert "\\Subscribed" not in boxes[name]
        if use:
            assert use in boxes[name], (name, boxes[name])
    assert not any(a in boxes["INBOX"] for a in DEFAULT.values() if a)


def test_list_empty_pattern_returns_delimiter(server):
    c = login(server)
    assert c.ok('LIST "" ""') == [b'* LIST (\\Noselect) "/" ""']
    assert c.ok('LIST "Drafts" ""') == [b'* LIST (\\Noselect) "/" ""']


def test_capabilities_announced(server):
    c = login(server)
    caps = c.ok("CAPABILITY")[0].split()
    for cap in (b"CHILDREN", b"NAMESPACE", b"SPECIAL-USE"):
        assert cap in caps


def test_namespace(server):
    c = login(server)
    # RFC 2342 5: personal, other users' and shared namespaces (issue 5)
    assert c.ok("NAMESPACE") == [
        b'* NAMESPACE (("" "/")) (("Other Users/" "/")) (("Shared/" "/"))']
    expect(c, "NAMESPACE x", "BAD")


# ---- CREATE ----

def test_create_with_hierarchy_and_trailing_delimiter(server):
    c = login(server)
    c.ok("CREATE a/b/c")
    c.ok('CREATE "parent/"')
    boxes = listing(c.ok('LIST "" "*"'))
    assert {"a", "a/b", "a/b/c", "parent"} <= set(boxes)
    assert "parent/" not in boxes
    assert "\\HasChildren" in boxes["a"] and "\\HasChildren" in boxes["a/b"]
    assert "\\HasNoChildren" in boxes["a/b/c"]
    assert "\\HasNoChildren" in boxes["parent"]
    # The superior names are ordinary mailboxes (RFC 3501 6.3.3).
    assert "\\Noselect" not in boxes["a"]
    c.ok("CREATE parent/child")
    assert "\\HasChildren" in listing(c.ok('LIST "" parent'))["parent"]


def test_create_existing_and_inbox(server):
    c = login(server)
    c.ok("CREATE work")
    expect(c, "CREATE work", "NO", "ALREADYEXISTS")
    expect(c, 'CREATE "work/"', "NO", "ALREADYEXISTS")
    expect(c, "CREATE INBOX", "NO", "ALREADYEXISTS")
    expect(c, "CREATE inbox", "NO", "ALREADYEXISTS")
    expect(c, "CREATE Drafts", "NO", "ALREADYEXISTS")
    # A child of INBOX is an ordinary mailbox, filed under "INBOX".
    c.ok("CREATE inbox/sub")
    assert "INBOX/sub" in listing(c.ok('LIST "" "*"'))


def test_create_refuses_unfit_names(server):
    c = login(server)
    for name in ('"a*"', '"a%b"', '""', '"/"', '"a//b"', '"/a"'):
        expect(c, "CREATE " + name, "NO", "CANNOT")
    expect(c, "CREATE", "BAD")
    expect(c, "CREATE a b", "BAD")
    expect(c, "CREATE (a)", "BAD")
    assert set(listing(c.ok('LIST "" "*"'))) == set(DEFAULT)


# ---- DELETE ----

def test_delete(server):
    c = login(server)
    c.ok("CREATE gone")
    c.ok("DELETE gone")
    assert "gone" not in listing(c.ok('LIST "" "*"'))
    expect(c, "DELETE gone", "NO", "NONEXISTENT")
    expect(c, "DELETE INBOX", "NO", "CANNOT")
    expect(c, "DELETE inbox", "NO", "CANNOT")
    expect(c, "DELETE", "BAD")


def test_delete_with_children_leaves_noselect(server):
    c = login(server)
    c.ok("CREATE foo/bar")
    c.ok("DELETE foo")
    boxes = listing(c.ok('LIST "" "*"'))
    assert "\\Noselect" in boxes["foo"] and "\\HasChildren" in boxes["foo"]
    assert "foo/bar" in boxes
    # RFC 3501 6.3.4: a \Noselect name with inferiors cannot be deleted.
    untagged, tagged = c.command("DELETE foo")
    assert status_of(tagged) == b"NO", tagged
    expect(c, "SELECT foo", "NO")
    expect(c, "STATUS foo (MESSAGES)", "NO", "NONEXISTENT")
    c.ok("DELETE foo/bar")
    c.ok("DELETE foo")
    boxes = listing(c.ok('LIST "" "*"'))
    assert "foo" not in boxes and "foo/bar" not in boxes
    # A \Noselect name can be made a mailbox again.
    c.ok("CREATE x/y")
    c.ok("DELETE x")
    c.ok("CREATE x")
    assert "\\Noselect" not in listing(c.ok('LIST "" x'))["x"]


def test_delete_selected_mailbox_leaves_selected_state(server):
    c = login(server)
    c.ok("CREATE doomed")
    c.ok("SELECT doomed")
    untagged = c.ok("DELETE doomed")
    assert any(b"[CLOSED]" in line for line in untagged), untagged
    # The session is back in the authenticated state.
    expect(c, "FETCH 1 FLAGS", "BAD")
    c.ok("SELECT INBOX")


# ---- RENAME ----

def test_rename_with_children(server):
    c = login(server)
    c.ok("CREATE old/kid/grandkid")
    c.ok("RENAME old new/place")
    boxes = listing(c.ok('LIST "" "*"'))
    assert {"new", "new/place", "new/place/kid", "new/place/kid/grandkid"} <= set(boxes)
    assert not any(n == "old" or n.startswith("old/") for n in boxes)
    expect(c, "RENAME old other", "NO", "NONEXISTENT")
    expect(c, "RENAME new/place Drafts", "NO", "ALREADYEXISTS")
    expect(c, "RENAME new/place INBOX", "NO", "ALREADYEXISTS")
    expect(c, "RENAME new new/place/kid/x", "NO", "CANNOT")
    expect(c, 'RENAME new "bad*name"', "NO", "CANNOT")
    expect(c, "RENAME new", "BAD")


def test_rename_keeps_uidvalidity(server):
    c = login(server)
    c.ok("CREATE keep")
    before = status_values(c, "keep")["UIDVALIDITY"]
    c.ok("RENAME keep kept")
    assert status_values(c, "kept")["UIDVALIDITY"] == before


def test_rename_inbox_moves_messages(server):
    deliver(server, count=2)
    c = login(server)
    assert status_values(c, "INBOX")["MESSAGES"] == 2
    c.ok("CREATE INBOX/child")
    c.ok("RENAME INBOX saved")
    assert status_values(c, "saved")["MESSAGES"] == 2
    assert status_values(c, "INBOX")["MESSAGES"] == 0
    boxes = listing(c.ok('LIST "" "*"'))
    # INBOX stays, with its children (RFC 3501 6.3.5).
    assert {"INBOX", "saved", "INBOX/child"} <= set(boxes)
    assert "saved/child" not in boxes


# ---- SUBSCRIBE, UNSUBSCRIBE, LSUB ----

def test_subscribe_and_lsub(server):
    c = login(server)
    assert set(listing(c.ok('LSUB "" "*"'), "LSUB")) == set(DEFAULT)
    c.ok("CREATE news/tech")
    c.ok("SUBSCRIBE news/tech")
    c.ok("SUBSCRIBE news/tech")  # twice is fine
    subs = listing(c.ok('LSUB "" "*"'), "LSUB")
    assert "news/tech" in subs and "news" not in subs
    # RFC 3501 6.3.9: "%" lists the unsubscribed parent, \Noselect.
    subs = listing(c.ok('LSUB "" "%"'), "LSUB")
    assert "\\Noselect" in subs["news"] and "news/tech" not in subs
    assert subs["INBOX"] == set()
    c.ok("UNSUBSCRIBE news/tech")
    assert "news" not in listing(c.ok('LSUB "" "%"'), "LSUB")
    expect(c, "UNSUBSCRIBE news/tech", "NO", "NONEXISTENT")
    expect(c, "SUBSCRIBE", "BAD")


def test_subscription_outlives_mailbox(server):
    c = login(server)
    c.ok("CREATE ephemeral")
    c.ok("SUBSCRIBE ephemeral")
    c.ok("DELETE ephemeral")
    # RFC 3501 6.3.6: never removed unilaterally; LIST does not show it.
    subs = listing(c.ok('LSUB "" "eph*"'), "LSUB")
    assert "ephemeral" in subs and "\\Noselect" in subs["ephemeral"]
    assert "ephemeral" not in listing(c.ok('LIST "" "*"'))
    c.ok("SUBSCRIBE never-existed")
    assert "never-existed" in listing(c.ok('LSUB "" "*"'), "LSUB")
    c.ok("UNSUBSCRIBE never-existed")


# ---- LIST patterns and references ----

def make_tree(c):
    for name in ("a", "a/b", "a/b/c", "ab", "x/y"):
        c.ok('CREATE "%s"' % name)


def test_list_wildcards(server):
    c = login(server)
    make_tree(c)
    top = listing(c.ok('LIST "" "%"'))
    assert set(top) == set(DEFAULT) | {"a", "ab", "x"}
    assert set(listing(c.ok('LIST "" "a/%"'))) == {"a/b"}
    assert set(listing(c.ok('LIST "" "a*"'))) == {"a", "a/b", "a/b/c", "ab"}
    assert set(listing(c.ok('LIST "" "a/*"'))) == {"a/b", "a/b/c"}
    assert set(listing(c.ok('LIST "" "%/%"'))) == {"a/b", "x/y"}
    assert set(listing(c.ok('LIST "" "*c"'))) == {"a/b/c"}
    assert set(listing(c.ok('LIST "" "a%"'))) == {"a", "ab"}
    assert listing(c.ok('LIST "" "nothing*"')) == {}
    assert set(listing(c.ok('LIST "" a/b'))) == {"a/b"}
    # No exponential blow-up on a hostile pattern.
    assert listing(c.ok('LIST "" "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*q"')) == {}


def test_list_inbox_any_case(server):
    c = login(server)
    assert set(listing(c.ok('LIST "" inbox'))) == {"INBOX"}
    assert set(listing(c.ok('LIST "" "In%"'))) == {"INBOX"}
    c.ok("CREATE INBOX/x")
    assert set(listing(c.ok('LIST "" "inbox/%"'))) == {"INBOX/x"}


def test_list_reference(server):
    c = login(server)
    make_tree(c)
    assert set(listing(c.ok('LIST "a/" "%"'))) == {"a/b"}
    assert set(listing(c.ok('LIST "a" "%"'))) == {"a/b"}
    assert set(listing(c.ok('LIST "a" "*"'))) == {"a/b", "a/b/c"}
    assert set(listing(c.ok('LIST "a/b" "c"'))) == {"a/b/c"}
    assert listing(c.ok('LIST "nowhere" "*"')) == {}


def test_list_quotes_names(server):
    c = login(server)
    c.ok('CREATE "with space"')
    c.ok('CREATE "[Gmail]"')
    c.ok('CREATE "quote\\"d"')
    lines = c.ok('LIST "" "*"')
    assert b'* LIST (\\HasNoChildren) "/" "with space"' in lines
    assert b'* LIST (\\HasNoChildren) "/" "[Gmail]"' in lines
    assert b'* LIST (\\HasNoChildren) "/" "quote\\"d"' in lines


def test_list_bad_arguments(server):
    c = login(server)
    expect(c, 'LIST ""', "BAD")
    expect(c, 'LIST "" "*" extra', "BAD")
    # LIST-EXTENDED (RFC 5258) options are tested in test_extensions.py;
    # an unknown one is still BAD.
    expect(c, 'LIST (NOSUCHOPTION) "" "*"', "BAD")
    expect(c, 'LSUB', "BAD")
    expect(c, 'LIST "" "' + "*a" * 600 + '"', "BAD")
    c.ok("NOOP")


def test_thousand_mailboxes(server):
    c = login(server)
    names = ["box%04d" % i for i in range(1000)]
    # Pipelined: all commands first, then all replies.
    c.send("".join("c%d CREATE %s\r\n" % (i, n) for i, n in enumerate(names)))
    for i in range(len(names)):
        untagged, tagged = c.read_until_tagged("c%d" % i)
        assert status_of(tagged) == b"OK", tagged
    boxes = listing(c.ok('LIST "" "*"'))
    assert set(boxes) == set(names) | set(DEFAULT)
    assert set(listing(c.ok('LIST "" "box09%"'))) == {n for n in names if n.startswith("box09")}
    c.ok("CREATE box0500/inner")
    assert "\\HasChildren" in listing(c.ok('LIST "" box0500'))["box0500"]


# ---- STATUS ----

def test_status_items(server):
    deliver(server, count=3)
    c = login(server)
    v = status_values(c, "INBOX")
    assert v["MESSAGES"] == 3 and v["UNSEEN"] == 3 and v["RECENT"] == 3
    assert v["UIDNEXT"] == 4 and v["UIDVALIDITY"] > 0
    assert status_values(c, "inbox", "UIDNEXT") == {"UIDNEXT": 4}
    c.ok("CREATE empty")
    v = status_values(c, "empty")
    assert v["MESSAGES"] == 0 and v["UNSEEN"] == 0 and v["UIDNEXT"] == 1
    lines = c.ok("STATUS INBOX (messages unseen)")
    assert lines == [b"* STATUS INBOX (MESSAGES 3 UNSEEN 3)"]


def test_status_errors(server):
    c = login(server)
    expect(c, "STATUS nosuch (MESSAGES)", "NO", "NONEXISTENT")
    c.ok("CREATE p/q")
    c.ok("DELETE p")
    expect(c, "STATUS p (MESSAGES)", "NO", "NONEXISTENT")
    expect(c, "STATUS INBOX ()", "BAD")
    expect(c, "STATUS INBOX (BOGUS)", "BAD")
    expect(c, "STATUS INBOX MESSAGES", "BAD")
    expect(c, "STATUS INBOX", "BAD")
    c.ok("NOOP")


# ---- names ----

def test_invalid_names_answered_and_connection_usable(server):
    c = login(server)
    for name in ('"&Jjo"', '"&AGE-&AGE-"', '"a&b"'):
        for cmd in ("CREATE", "DELETE", "SUBSCRIBE", "STATUS"):
            args = " (MESSAGES)" if cmd == "STATUS" else ""
            untagged, tagged = c.command("%s %s%s" % (cmd, name, args))
            assert status_of(tagged) in (b"BAD", b"NO"), (cmd, name, tagged)
        c.ok("NOOP")
    # 8-bit bytes and a NUL, smuggled in literals.
    for raw in (b"caf\xc3\xa9", b"a\x00b", b"a\x01b"):
        c.send(b"t8 CREATE {%d+}\r\n%s\r\n" % (len(raw), raw))
        untagged, tagged = c.read_until_tagged("t8")
        assert status_of(tagged) in (b"BAD", b"NO"), (raw, tagged)
        c.ok("NOOP")
    c.send(b't9 LIST "" {5+}\r\ncaf\xc3\xa9\r\n')
    untagged, tagged = c.read_until_tagged("t9")
    assert status_of(tagged) == b"BAD", tagged
    assert set(listing(c.ok('LIST "" "*"'))) == set(DEFAULT)


def test_modified_utf7_round_trip(server):
    c = login(server)
    c.ok('CREATE "&ZeVnLIqe-"')
    c.ok('CREATE "&ZeVnLIqe-/Tom &- Jerry"')
    boxes = listing(c.ok('LIST "" "*"'))
    assert "&ZeVnLIqe-" in boxes and "&ZeVnLIqe-/Tom &- Jerry" in boxes
    assert "\\HasChildren" in boxes["&ZeVnLIqe-"]
    assert status_values(c, "&ZeVnLIqe-", "MESSAGES") == {"MESSAGES": 0}
    c.ok('RENAME "&ZeVnLIqe-" "&U,BTFw-"')
    assert "&U,BTFw-/Tom &- Jerry" in listing(c.ok('LIST "" "&U,BTFw-*"'))
    c.ok('SUBSCRIBE "&U,BTFw-"')
    assert "&U,BTFw-" in listing(c.ok('LSUB "" "&U*"'), "LSUB")


def test_user_sees_only_own_mailboxes(server):
    a = login(server, "alice")
    a.ok("CREATE private")
    b = login(server, "bob")
    assert "private" not in listing(b.ok('LIST "" "*"'))
    expect(b, "STATUS private (MESSAGES)", "NO", "NONEXISTENT")
    expect(b, "DELETE private", "NO", "NONEXISTENT")
    b.ok("CREATE private")  # bob's own, independent of alice's
    a.ok("DELETE private")
    assert "private" in listing(b.ok('LIST "" "*"'))


# ---- state ----

def test_commands_need_login(server):
    c = server.raw()
    for cmd in ("CREATE a", "DELETE a", "RENAME a b", "SUBSCRIBE a",
                "UNSUBSCRIBE a", 'LIST "" "*"', 'LSUB "" "*"',
                "STATUS INBOX (MESSAGES)", "NAMESPACE"):
        untagged, tagged = c.command(cmd)
        assert status_of(tagged) == b"BAD", (cmd, tagged)
        assert untagged == [], untagged
    c.login("alice", USERS["alice"])
    c.ok("NAMESPACE")


def test_commands_in_selected_state(server):
    deliver(server)
    c = login(server)
    c.ok("SELECT INBOX")
    c.ok("CREATE sel")
    assert status_values(c, "INBOX", "MESSAGES") == {"MESSAGES": 1}
    assert "sel" in listing(c.ok('LIST "" "*"'))
    c.ok("RENAME sel sel2")
    c.ok("DELETE sel2")
    c.ok("FETCH 1 FLAGS")
