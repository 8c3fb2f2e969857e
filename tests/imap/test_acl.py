"""Issue 5: access control lists (RFC 4314) and the Other Users / Shared
namespaces (RFC 2342), with three users: alice owns, bob and carol are
granted (or not) rights."""
MSG = (b"From: Alice <alice@example.org>\r\n"
       b"Subject: shared %d\r\n"
       b"\r\n"
       b"body %d\r\n")

TEAM = '"Other Users/alice/Team"'


def login(server, user):
    c = server.raw()
    c.login(user, user + "-secret")
    return c


def status_of(tagged):
    return tagged.split(b" ", 2)[1]


def expect(c, command, status, code=None):
    untagged, tagged = c.command(command)
    assert status_of(tagged) == status.encode(), (command, tagged)
    if code is not None:
        assert b"[" + code.encode() + b"]" in tagged, (command, tagged)
    return untagged, tagged


def append(c, mailbox, n=1, flags=""):
    for i in range(n):
        body = MSG % (i, i)
        c.send('A%d APPEND %s %s{%d+}\r\n' % (i, mailbox, flags, len(body)))
        c.send(body + b"\r\n")
        _, tagged = c.read_until_tagged("A%d" % i)
        assert status_of(tagged) == b"OK", tagged


def team(server, rights_for_bob=None, messages=0):
    """alice's mailbox Team with some messages, bob granted rights."""
    a = login(server, "alice")
    a.ok("CREATE Team")
    if messages:
        append(a, "Team", messages)
    if rights_for_bob is not None:
        a.ok("SETACL Team bob %s" % (rights_for_bob or '""'))
    return a


def test_capabilities(server):
    c = server.raw()
    caps = c.ok("CAPABILITY")[0].split()
    for cap in (b"ACL", b"RIGHTS=texk", b"QUOTA", b"QUOTA=RES-STORAGE",
                b"QUOTA=RES-MESSAGE", b"QUOTASET"):
        assert cap in caps


def test_owner_holds_all_rights(server):
    a = team(server)
    assert a.ok("MYRIGHTS Team") == [b"* MYRIGHTS Team lrswipkxteacd"]
    assert a.ok("GETACL Team") == [b"* ACL Team alice lrswipkxteacd"]
    # the owner cannot lock themselves out (RFC 4314 leaves it open)
    expect(a, "SETACL Team alice lr", "NO", "CANNOT")
    expect(a, "SETACL Team -alice a", "NO", "CANNOT")
    assert a.ok("LISTRIGHTS Team alice") == [
        b"* LISTRIGHTS Team alice lrswipkxteacd"]
    assert a.ok("MYRIGHTS INBOX") == [b"* MYRIGHTS INBOX lrswipkxteacd"]


def test_setacl_modifiers_and_obsolete_rights(server):
    a = team(server)
    a.ok("SETACL Team bob lr")
    assert a.ok("GETACL Team") == [b"* ACL Team alice lrswipkxteacd bob lr"]
    a.ok("SETACL Team bob +is")
    a.ok("SETACL Team bob -r")
    assert a.ok("GETACL Team")[0].endswith(b" bob lsi")
    # RFC 4314 2.1.1: d = x t e, c = k here; both shown when a member is
    a.ok("SETACL Team Bob d")
    assert a.ok("GETACL Team")[0].endswith(b" bob xted")
    a.ok("SETACL Team bob +c")
    assert a.ok("GETACL Team")[0].endswith(b" bob kxtecd")
    # RFC 4314 3.1: unknown and uppercase rights are BAD
    expect(a, "SETACL Team bob lrQ", "BAD")
    expect(a, "SETACL Team bob lrq", "BAD")
    expect(a, "SETACL Team nobody lr", "NO")
    # LISTRIGHTS: nothing tied, the identifier as given (3.4)
    assert a.ok("LISTRIGHTS Team BOB") == [
        b'* LISTRIGHTS Team BOB "" l r s w i p k x t e a c d']
    a.ok("DELETEACL Team bob")
    assert a.ok("GETACL Team") == [b"* ACL Team alice lrswipkxteacd"]
    a.ok("DELETEACL Team bob")  # nothing to delete is fine


def test_no_existence_leak(server):
    a = team(server, rights_for_bob="", messages=1)
    a.ok("CREATE Secret")
    a.ok("SETACL Secret carol lr")  # has an ACL, none for bob
    b = login(server, "bob")
    for command in ("SELECT %s", "EXAMINE %s", "STATUS %s (MESSAGES)",
                    "GETACL %s", "MYRIGHTS %s", "LISTRIGHTS %s bob",
                    "SETACL %s bob lr", "DELETEACL %s carol", "DELETE %s",
                    "GETQUOTAROOT %s", "RENAME %s \"Other Users/alice/X\""):
        hidden = b.command(command % '"Other Users/alice/Secret"', tag="h")
        missing = b.command(command % '"Other Users/alice/Nothing"', tag="m")
        assert hidden[0] == missing[0] == [], command
        assert hidden[1][1:] == missing[1][1:], (command, hidden, missing)
        assert hidden[1].startswith(b"h NO"), (command, hidden)
    # APPEND to a hidden mailbox: TRYCREATE, as for a missing one
    body = MSG % (1, 1)
    replies = []
    for name in ("Secret", "Nothing"):
        b.send('x APPEND "Other Users/alice/%s" {%d+}\r\n' % (name, len(body)))
        b.send(body + b"\r\n")
        replies.append(b.read_until_tagged("x"))
    assert replies[0] == replies[1]
    assert b"[TRYCREATE]" in replies[0][1]
    # and LIST shows neither
    listing = b"\n".join(b.ok('LIST "" "*"'))
    assert b"Secret" not in listing and b"alice" not in listing


def test_lookup_and_read_rights(server):
    a = team(server, rights_for_bob="l", messages=2)
    b = login(server, "bob")
    listing = b.ok('LIST "" "*"')
    assert b'* LIST (\\Noselect \\HasChildren) "/" "Other Users"' in listing
    assert b'* LIST (\\Noselect \\HasChildren) "/" "Other Users/alice"' in listing
    assert b'* LIST (\\HasNoChildren) "/" "Other Users/alice/Team"' in listing
    # l without r: visible, not readable (NOPERM, no longer hidden)
    expect(b, "SELECT " + TEAM, "NO", "NOPERM")
    expect(b, "STATUS %s (MESSAGES)" % TEAM, "NO", "NOPERM")
    assert b.ok("MYRIGHTS " + TEAM) == [b'* MYRIGHTS "Other Users/alice/Team" l']
    expect(b, "GETACL " + TEAM, "NO", "NOPERM")
    # r without l: selectable, not listed
    a.ok("SETACL Team bob r")
    assert b"Team" not in b"\n".join(b.ok('LIST "" "*"'))
    untagged, tagged = expect(b, "SELECT " + TEAM, "OK")
    # RFC 4314 5.2: no i, e, s, w, t: READ-ONLY, nothing permanent
    assert b"[READ-ONLY]" in tagged
    assert b"* OK [PERMANENTFLAGS ()] Flags permitted" in untagged
    assert b"* 2 EXISTS" in untagged
    assert b.ok("STATUS %s (MESSAGES)" % TEAM) == [
        b'* STATUS "Other Users/alice/Team" (MESSAGES 2)']
    # LIST "%" walks the levels
    a.ok("SETACL Team bob lr")
    assert b.ok('LIST "" "Other Users/%"') == [
        b'* LIST (\\Noselect \\HasChildren) "/" "Other Users/alice"']
    assert b.ok('LIST "Other Users/alice/" "%"') == [
        b'* LIST (\\HasNoChildren) "/" "Other Users/alice/Team"']


def test_store_rights_per_flag(server):
    team(server, rights_for_bob="lrs", messages=1)
    b = login(server, "bob")
    untagged, tagged = expect(b, "SELECT " + TEAM, "OK")
    assert b"[READ-WRITE]" in tagged
    assert b"* OK [PERMANENTFLAGS (\\Seen)] Flags permitted" in untagged
    # no w: \Flagged alone is refused ...
    expect(b, "STORE 1 +FLAGS (\\Flagged)", "NO", "NOPERM")
    expect(b, "STORE 1 +FLAGS ($Work)", "NO", "NOPERM")
    expect(b, "STORE 1 +FLAGS (\\Deleted)", "NO", "NOPERM")
    # ... but a STORE naming one flag it may change succeeds with that one
    # (RFC 4314 4: SHOULD NOT fail)
    assert b.ok("STORE 1 +FLAGS (\\Seen \\Flagged)") == [
        b"* 1 FETCH (FLAGS (\\Seen \\Recent))"]
    # FLAGS replaces only what may change: \Seen goes, nothing else moves
    b.ok("STORE 1 FLAGS (\\Flagged)")
    assert b.ok("FETCH 1 FLAGS") == [b"* 1 FETCH (FLAGS (\\Recent))"]


def test_store_t_and_w(server):
    a = team(server, rights_for_bob="lrtw", messages=1)
    b = login(server, "bob")
    b.ok("SELECT " + TEAM)
    assert b.ok("STORE 1 +FLAGS (\\Deleted \\Flagged \\Seen $Work)") == [
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)",
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Draft $Work \\*)] Flags permitted",
        b"* 1 FETCH (FLAGS (\\Flagged \\Deleted $Work \\Recent))"]
    # a body fetch without s leaves \Seen alone and still succeeds
    b.ok("FETCH 1 BODY[]")
    assert b.ok("FETCH 1 FLAGS") == [
        b"* 1 FETCH (FLAGS (\\Flagged \\Deleted $Work \\Recent))"]
    # no e: EXPUNGE is refused, CLOSE closes without expunging
    expect(b, "EXPUNGE", "NO", "NOPERM")
    b.ok("CLOSE")
    assert a.ok("STATUS Team (MESSAGES)") == [b"* STATUS Team (MESSAGES 1)"]
    a.ok("SETACL Team bob +e")
    b.ok("SELECT " + TEAM)
    assert b.ok("EXPUNGE") == [b"* 1 EXPUNGE"]


def test_insert_right_append_copy_move(server):
    a = team(server, rights_for_bob="lr", messages=0)
    b = login(server, "bob")
    append(b, "INBOX", 2, flags="(\\Seen \\Flagged) ")
    # without i: NOPERM (bob may see Team)
    body = MSG % (9, 9)
    b.send('x APPEND %s {%d+}\r\n' % (TEAM, len(body)))
    b.send(body + b"\r\n")
    _, tagged = b.read_until_tagged("x")
    assert tagged.startswith(b"x NO [NOPERM]")
    b.ok("SELECT INBOX")
    expect(b, "COPY 1 " + TEAM, "NO", "NOPERM")
    # with i and s only: flags without their right are dropped (RFC 4314 4)
    a.ok("SETACL Team bob +is")
    append(b, TEAM, 1, flags="(\\Seen \\Flagged) ")
    b.ok("COPY 1 " + TEAM)
    a.ok("SELECT Team")
    assert a.ok("FETCH 1:* FLAGS") == [
        b"* 1 FETCH (FLAGS (\\Seen \\Recent))",
        b"* 2 FETCH (FLAGS (\\Seen \\Recent))"]
    # MOVE out of Team needs t and e on it (RFC 6851 4.2)
    b.ok("SELECT " + TEAM)
    expect(b, "MOVE 1 INBOX", "NO", "NOPERM")
    a.ok("SETACL Team bob +te")
    b.ok("MOVE 1 INBOX")


def test_create_delete_rename_rights(server):
    a = team(server, rights_for_bob="lr")
    b = login(server, "bob")
    expect(b, 'CREATE "Other Users/alice/Team/Sub"', "NO", "NOPERM")
    expect(b, 'CREATE "Other Users/alice/Top"', "NO", "NOPERM")
    expect(b, 'CREATE "Other Users/nobody/Top"', "NO", "NOPERM")
    expect(b, 'CREATE "Other Users"', "NO", "CANNOT")
    a.ok("SETACL Team bob +k")
    b.ok('CREATE "Other Users/alice/Team/Sub"')
    # owned by alice, with Team's ACL (RFC 4314 4: SHOULD inherit)
    assert a.ok("GETACL Team/Sub") == [
        b"* ACL Team/Sub alice lrswipkxteacd bob lrkc"]
    expect(b, 'DELETE "Other Users/alice/Team/Sub"', "NO", "NOPERM")
    expect(b, 'RENAME "Other Users/alice/Team/Sub" "Other Users/alice/Team/S2"',
           "NO", "NOPERM")
    a.ok("SETACL Team/Sub bob +x")
    b.ok('RENAME "Other Users/alice/Team/Sub" "Other Users/alice/Team/S2"')
    # across owners: refused
    expect(b, 'RENAME "Other Users/alice/Team/S2" Mine', "NO", "CANNOT")
    b.ok('DELETE "Other Users/alice/Team/S2"')
    assert b"Team/S2" not in b"\n".join(a.ok('LIST "" "*"'))


def test_negative_rights_and_anyone(server):
    a = team(server, messages=1)
    a.ok("SETACL Team anyone lr")
    a.ok("SETACL Team -bob r")
    b = login(server, "bob")
    c = login(server, "carol")
    assert b.ok("MYRIGHTS " + TEAM) == [b'* MYRIGHTS "Other Users/alice/Team" l']
    assert c.ok("MYRIGHTS " + TEAM) == [b'* MYRIGHTS "Other Users/alice/Team" lr']
    expect(b, "SELECT " + TEAM, "NO", "NOPERM")
    c.ok("EXAMINE " + TEAM)
    assert a.ok("GETACL Team") == [
        b"* ACL Team alice lrswipkxteacd -bob r anyone lr"]
    # a negative entry alone grants nothing; deleting it restores
    a.ok("DELETEACL Team -bob")
    b.ok("EXAMINE " + TEAM)
    a.ok("SETACL Team -anyone l")
    assert b"Team" not in b"\n".join(c.ok('LIST "" "*"'))


def test_acl_commands_need_a(server):
    a = team(server, rights_for_bob="lr")
    b = login(server, "bob")
    expect(b, "GETACL " + TEAM, "NO", "NOPERM")
    expect(b, "SETACL %s bob lrswipkxtea" % TEAM, "NO", "NOPERM")
    expect(b, "LISTRIGHTS %s carol" % TEAM, "NO", "NOPERM")
    expect(b, "DELETEACL %s bob" % TEAM, "NO", "NOPERM")
    a.ok("SETACL Team bob +a")
    b.ok("SETACL %s carol lr" % TEAM)
    assert b.ok("GETACL " + TEAM) == [
        b'* ACL "Other Users/alice/Team" alice lrswipkxteacd bob lra carol lr']
    c = login(server, "carol")
    assert b"Other Users/alice/Team" in b"\n".join(c.ok('LIST "" "*"'))


def test_two_users_see_each_others_flag_changes(server):
    a = team(server, rights_for_bob="lrsw", messages=2)
    a.ok("SELECT Team")
    b = login(server, "bob")
    b.ok("SELECT " + TEAM)
    b.ok("STORE 2 +FLAGS (\\Flagged)")
    assert a.ok("NOOP") == [b"* 2 FETCH (FLAGS (\\Flagged \\Recent))"]
    # and the other way round (flags are shared, \Seen too)
    a.ok("STORE 1 +FLAGS (\\Seen)")
    assert b.ok("NOOP") == [b"* 1 FETCH (FLAGS (\\Seen))"]
    # new mail from either side
    append(a, "Team", 1)
    assert b.ok("NOOP") == [b"* 3 EXISTS"]


def test_shared_namespace_and_admin(server_factory):
    srv = server_factory(admin_user="carol")
    srv.quire(["user", "add", "public", "--password-stdin"],
              stdin=b"public-secret\n")
    c = login(srv, "carol")
    # the admin acts as owner of the public user's mailboxes
    c.ok('CREATE "Shared/News"')
    c.ok('SETACL "Shared/News" anyone lr')
    b = login(srv, "bob")
    listing = b.ok('LIST "" "*"')
    assert b'* LIST (\\Noselect \\HasChildren) "/" Shared' in listing
    assert b'* LIST (\\HasNoChildren) "/" Shared/News' in listing
    assert b"Shared/INBOX" not in b"\n".join(listing)
    b.ok("EXAMINE Shared/News")
    expect(b, "CREATE Shared/Mine", "NO", "NOPERM")
    assert b.ok("MYRIGHTS Shared/News") == [b"* MYRIGHTS Shared/News lr"]


def test_cli_acl(server):
    team(server)
    server.quire(["acl", "set", "alice", "Team", "bob", "lrs"])
    server.quire(["acl", "set", "alice", "Team", "bob", "+w"])
    out = server.quire(["acl", "get", "alice", "Team"]).stdout.decode()
    assert out == "alice lrswipkxteacd\nbob lrsw\n"
    server.quire(["acl", "delete", "alice", "Team", "bob"])
    out = server.quire(["acl", "get", "alice", "Team"]).stdout.decode()
    assert out == "alice lrswipkxteacd\n"
    res = server.quire(["acl", "set", "alice", "Team", "bob", "Q"], check=False)
    assert res.returncode == 64
    res = server.quire(["acl", "get", "nobody", "Team"], check=False)
    assert res.returncode == 67


def test_deleted_user_loses_entries(server):
    team(server, rights_for_bob="lr")
    server.quire(["user", "del", "bob"])
    a = login(server, "alice")
    assert a.ok("GETACL Team") == [b"* ACL Team alice lrswipkxteacd"]
    expect(a, "SETACL Team bob lr", "NO")
