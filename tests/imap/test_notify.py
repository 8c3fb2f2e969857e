"""NOTIFY (RFC 5465): one session changes mailboxes, another is told.

Every negative check ("nothing was said about X") is made with a sentinel:
after the change that must stay silent, a change that must be told is
made, and the watcher reads up to the sentinel's notification. The bus
delivers changes in commit order, so whatever came before the sentinel
has been seen.
"""
import socket

import pytest

from conftest import USERS

MSG = (b"From: alice@example.org\r\nTo: bob@example.org\r\n"
       b"Subject: good morning\r\n\r\nHello.\r\n")


def login(server, user):
    c = server.raw()
    c.login(user, USERS[user])
    return c


def append(c, mailbox, msg=MSG, flags=""):
    c.send(('%s APPEND "%s" %s{%d+}\r\n' % (
        "ap", mailbox, "(%s) " % flags if flags else "", len(msg))).encode()
        + msg + b"\r\n")
    _, tagged = c.read_until_tagged("ap")
    assert tagged.startswith(b"ap OK"), tagged


def read_until(c, pred, limit=200):
    """Untagged lines read (without sending anything) up to and including
    the first for which pred is true."""
    seen = []
    for _ in range(limit):
        line = c.response()
        seen.append(line)
        if pred(line):
            return seen
    raise AssertionError("not seen in %r" % seen)


def status_of(name):
    prefix = b"* STATUS " + name.encode() + b" "
    return lambda line: line.startswith(prefix)


def test_capability_announces_notify(server):
    c = login(server, "alice")
    caps = c.ok("CAPABILITY")[0].split()
    assert b"NOTIFY" in caps


def test_new_message_in_selected_mailbox_is_pushed_between_commands(server):
    a = login(server, "alice")
    b = login(server, "alice")
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew (UID "
         "BODY.PEEK[HEADER.FIELDS (From To Subject)]) MessageExpunge))")
    append(b, "INBOX")
    # No command from a: the responses arrive on their own (RFC 5465 5.2).
    lines = read_until(a, lambda l: b"FETCH" in l)
    assert b"* 1 EXISTS" in lines
    fetch = lines[-1]
    assert fetch.startswith(b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (FROM TO SUBJECT)] {")
    assert b"Subject: good morning" in fetch
    # The FETCH did not set \Seen.
    flags = a.ok("FETCH 1 FLAGS")
    assert b"\\Seen" not in b"".join(flags)


def test_rfc_example_subtree_status_and_selected_fetch(server):
    """RFC 5465 3.1's example (events in parentheses as the ABNF has it)."""
    b = login(server, "alice")
    for name in ("Lists", "Lists/Lemonade", "Lists/Im2000", "misc"):
        b.ok('CREATE "%s"' % name)
    append(b, "Lists/Lemonade")
    a = login(server, "alice")
    untagged = a.ok("notify set status (selected (MessageNew (uid "
                    "body.peek[header.fields (from to subject)]) "
                    "MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))")
    text = b"\n".join(untagged)
    assert b"* STATUS Lists/Lemonade (MESSAGES 1 UIDNEXT 2 UNSEEN 1 UIDVALIDITY" in text
    assert b"* STATUS Lists/Im2000 (MESSAGES 0 UIDNEXT 1 UNSEEN 0 UIDVALIDITY" in text
    assert b"* STATUS Lists " in text
    assert b"misc" not in text and b"INBOX" not in text
    a.ok("select inbox")
    append(b, "Lists/Lemonade")
    line = read_until(a, status_of("Lists/Lemonade"))[-1]
    assert line == b"* STATUS Lists/Lemonade (MESSAGES 2 UIDNEXT 3 UNSEEN 2)"
    append(b, "INBOX")
    fetch = read_until(a, lambda l: b"FETCH" in l)[-1]
    assert fetch.startswith(b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (FROM TO SUBJECT)]")
    # misc is not watched until the next NOTIFY SET names it.
    append(b, "misc")
    a.ok("notify set (selected (MessageNew (uid) MessageExpunge)) "
         "(subtree Lists (MessageNew MessageExpunge)) "
         "(mailboxes misc (MessageNew MessageExpunge))")
    append(b, "misc")
    line = read_until(a, status_of("misc"))[-1]
    assert line == b"* STATUS misc (MESSAGES 2 UIDNEXT 3 UNSEEN 2)"


def test_rfc_section6_examples_are_accepted(server):
    a = login(server, "alice")
    a.ok("notify set (mailboxes INBOX (Messagenew messageExpunge)) "
         "(personal (SubscriptionChange))")
    a.ok("notify set (selected (Messagenew (uid flags) messageExpunge)) "
         "(personal (MessageNew FlagChange MessageExpunge))")
    a.ok("notify set (selected-delayed NONE) (inboxes NONE)")
    a.ok("NOTIFY NONE")


def test_other_mailbox_status_with_condstore_and_expunge(server):
    b = login(server, "alice")
    b.ok("CREATE Work")
    append(b, "Work")
    append(b, "Work")
    a = login(server, "alice")
    a.ok("ENABLE CONDSTORE")
    a.ok("NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))")
    b.ok("SELECT Work")
    b.ok("STORE 1 +FLAGS (\\Seen)")
    line = read_until(a, status_of("Work"))[-1]
    assert line.startswith(b"* STATUS Work (MESSAGES 2 UIDNEXT 3 UNSEEN 1 UIDVALIDITY ")
    assert b"HIGHESTMODSEQ" in line
    b.ok("STORE 2 +FLAGS (\\Deleted)")
    read_until(a, status_of("Work"))
    b.ok("EXPUNGE")
    line = read_until(a, status_of("Work"))[-1]
    assert line.startswith(b"* STATUS Work (MESSAGES 1 UIDNEXT 3 UNSEEN 0")


def test_flag_change_not_asked_for_is_not_told(server):
    b = login(server, "alice")
    b.ok("CREATE Work")
    b.ok("CREATE Sentinel")
    append(b, "Work")
    a = login(server, "alice")
    a.ok("NOTIFY SET (mailboxes Work (MessageNew MessageExpunge)) "
         "(mailboxes Sentinel (MessageNew MessageExpunge))")
    b.ok("SELECT Work")
    b.ok("STORE 1 +FLAGS (\\Seen)")
    append(b, "Sentinel")
    lines = read_until(a, status_of("Sentinel"))
    assert not any(b"Work" in l for l in lines), lines


def test_expunge_and_flags_in_selected_mailbox(server):
    b = login(server, "alice")
    append(b, "INBOX")
    append(b, "INBOX")
    a = login(server, "alice")
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew MessageExpunge FlagChange))")
    b.ok("SELECT INBOX")
    b.ok("STORE 2 +FLAGS (\\Flagged)")
    line = read_until(a, lambda l: b"FETCH" in l)[-1]
    # RFC 5465 5.1: UID and FLAGS.
    assert line == b"* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))"
    b.ok("STORE 1 +FLAGS (\\Deleted)")
    read_until(a, lambda l: b"FETCH" in l)
    b.ok("EXPUNGE")
    assert read_until(a, lambda l: b"EXPUNGE" in l)[-1] == b"* 1 EXPUNGE"


def test_vanished_under_qresync(server):
    b = login(server, "alice")
    append(b, "INBOX")
    append(b, "INBOX")
    a = login(server, "alice")
    a.ok("ENABLE QRESYNC")
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew MessageExpunge))")
    b.ok("SELECT INBOX")
    b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    assert read_until(a, lambda l: b"VANISHED" in l)[-1] == b"* VANISHED 1"


def test_selected_delayed_holds_expunge_until_a_command(server):
    b = login(server, "alice")
    append(b, "INBOX")
    a = login(server, "alice")
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected-delayed (MessageNew MessageExpunge))")
    b.ok("SELECT INBOX")
    b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    append(b, "INBOX")
    # The new message is told at once, the expunge is not.
    lines = read_until(a, lambda l: l.endswith(b"EXISTS"))
    assert not any(b"EXPUNGE" in l for l in lines), lines
    assert b"* 1 EXPUNGE" in a.ok("NOOP")


def test_mailbox_name_events(server):
    a = login(server, "alice")
    b = login(server, "alice")
    a.ok("NOTIFY SET (personal (MailboxName))")
    b.ok("CREATE Projects")
    assert read_until(a, lambda l: b"Projects" in l)[-1] == \
        b'* LIST (\\HasNoChildren) "/" Projects'
    b.ok("CREATE Projects/Q3")
    lines = read_until(a, lambda l: b"Projects/Q3" in l)
    lines += [a.response()]
    assert b'* LIST (\\HasNoChildren) "/" Projects/Q3' in lines
    # RFC 5465 5.4: the parent is affected too.
    assert b'* LIST (\\HasChildren) "/" Projects' in lines
    b.ok("RENAME Projects Archive2")
    line = read_until(a, lambda l: b"Archive2" in l)[-1]
    assert line == (b'* LIST (\\HasChildren) "/" Archive2 '
                    b'("OLDNAME" (Projects))')
    b.ok("DELETE Archive2/Q3")
    lines = read_until(a, lambda l: b"Archive2/Q3" in l)
    assert lines[-1] == b'* LIST (\\NonExistent) "/" Archive2/Q3'
    # The children of a renamed mailbox get no event of their own.
    assert not any(b"OLDNAME (Projects/Q3)" in l for l in lines)


def test_own_changes_are_not_echoed(server):
    a = login(server, "alice")
    b = login(server, "alice")
    a.ok("NOTIFY SET (personal (MailboxName SubscriptionChange))")
    untagged = a.ok("CREATE Mine")
    assert not any(b"Mine" in l for l in untagged)
    b.ok("CREATE Theirs")
    lines = read_until(a, lambda l: b"Theirs" in l)
    assert not any(b"Mine" in l for l in lines), lines


def test_subscription_change(server):
    a = login(server, "alice")
    b = login(server, "alice")
    b.ok("CREATE News")
    a.ok("NOTIFY SET (personal (SubscriptionChange))")
    b.ok("SUBSCRIBE News")
    assert read_until(a, lambda l: b"News" in l)[-1] == \
        b'* LIST (\\HasNoChildren \\Subscribed) "/" News'
    b.ok("UNSUBSCRIBE News")
    assert read_until(a, lambda l: b"News" in l)[-1] == \
        b'* LIST (\\HasNoChildren) "/" News'


def test_subscribed_filter_follows_subscriptions(server):
    b = login(server, "alice")
    b.ok("CREATE Feeds")
    b.ok("CREATE Sentinel")
    b.ok("SUBSCRIBE Sentinel")
    a = login(server, "alice")
    a.ok("NOTIFY SET (subscribed (MessageNew MessageExpunge))")
    append(b, "Feeds")
    append(b, "Sentinel")
    lines = read_until(a, status_of("Sentinel"))
    assert not any(b"Feeds" in l for l in lines), lines
    # RFC 5465 6.4: a new subscription is watched from then on; its
    # STATUS comes at once (MESSAGES 1, or 2 when the append below won
    # the race), then the append's.
    b.ok("SUBSCRIBE Feeds")
    append(b, "Feeds")
    lines = read_until(a, lambda l: l.startswith(b"* STATUS Feeds (MESSAGES 2 "))
    assert lines[-1].startswith(b"* STATUS Feeds (MESSAGES 2 UIDNEXT 3 UNSEEN 2")
    assert any(l.startswith(b"* STATUS Feeds (MESSAGES 1 UIDNEXT 2 UNSEEN 1 UIDVALIDITY ")
               for l in lines) or lines[-1].startswith(
                   b"* STATUS Feeds (MESSAGES 2 UIDNEXT 3 UNSEEN 2 UIDVALIDITY ")


def test_deliver_reaches_notify_through_the_socket(server):
    a = login(server, "alice")
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew (UID) MessageExpunge))")
    server.quire(["deliver", "alice"], stdin=MSG)
    lines = read_until(a, lambda l: b"FETCH" in l)
    assert b"* 1 EXISTS" in lines
    assert lines[-1] == b"* 1 FETCH (UID 1)"


@pytest.mark.parametrize("command, reason", [
    ("NOTIFY", b"SET or NONE"),
    ("NOTIFY FOO", b"SET or NONE"),
    ("NOTIFY SET", b"at least one event group"),
    ("NOTIFY SET STATUS", b"at least one event group"),
    ("NOTIFY SET (personal)", b"(filter events)"),
    ("NOTIFY SET personal (MessageNew)", b"(filter events)"),
    ("NOTIFY SET (nowhere (MessageNew MessageExpunge))", b"Unknown NOTIFY mailbox filter"),
    ("NOTIFY SET (personal ())", b"a list or NONE"),
    ("NOTIFY SET (personal (MessageNew))", b"together"),
    ("NOTIFY SET (personal (MessageExpunge))", b"together"),
    ("NOTIFY SET (personal (FlagChange))", b"FlagChange needs"),
    ("NOTIFY SET (selected (MailboxName))", b"Only message events"),
    ("NOTIFY SET (selected NONE) (selected-delayed NONE)", b"Only one SELECTED"),
    ("NOTIFY SET (personal (MessageNew (UID) MessageExpunge))", b"only for SELECTED"),
    ("NOTIFY SET (selected (MessageNew (NOSUCHITEM) MessageExpunge))", b"BAD"),
    ("NOTIFY SET (subtree (MessageNew MessageExpunge))", b"SUBTREE and MAILBOXES"),
    ("NOTIFY SET (mailboxes () (MessageNew MessageExpunge))", b"Empty mailbox list"),
    ("NOTIFY SET (mailboxes \"a\x01b\" (MailboxName))", b"BAD"),
    ("NOTIFY SET (personal \"MailboxName\")", b"a list or NONE"),
])
def test_bad_syntax_gets_bad_and_connection_survives(server, command, reason):
    a = login(server, "alice")
    untagged, tagged = a.command(command)
    assert tagged.split(b" ")[1] == b"BAD", tagged
    assert reason in tagged, tagged
    a.ok("NOOP")


@pytest.mark.parametrize("events", [
    "(MessageNew MessageExpunge AnnotationChange)",
    "(MailboxMetadataChange)",
    "(ServerMetadataChange)",
    "(SomeFutureEvent)",
])
def test_unsupported_events_get_badevent(server, events):
    a = login(server, "alice")
    _, tagged = a.command("NOTIFY SET (personal %s)" % events, tag="n1")
    # RFC 5465 3.1: NO (not BAD) [BADEVENT (every supported event)].
    assert tagged.startswith(b"n1 NO [BADEVENT (MessageNew MessageExpunge "
                             b"FlagChange MailboxName SubscriptionChange)]"), tagged


def test_bad_notify_keeps_the_previous_one(server):
    b = login(server, "alice")
    b.ok("CREATE Work")
    a = login(server, "alice")
    a.ok("NOTIFY SET (mailboxes Work (MessageNew MessageExpunge))")
    _, tagged = a.command("NOTIFY SET (personal (MessageNew))")
    assert b"BAD" in tagged
    append(b, "Work")
    assert read_until(a, status_of("Work"))[-1].startswith(b"* STATUS Work")


def test_notify_none_stops_notifications(server):
    b = login(server, "alice")
    b.ok("CREATE Work")
    a = login(server, "alice")
    a.ok("NOTIFY SET (mailboxes Work (MessageNew MessageExpunge))")
    a.ok("NOTIFY NONE")
    append(b, "Work")
    untagged = a.ok("NOOP")
    assert not any(b"Work" in l for l in untagged), untagged


def test_no_rights_no_events(server):
    """l without r: \\NoAccess and nothing else; no l: nothing at all."""
    bob = login(server, "bob")
    bob.ok("CREATE lookonly")
    bob.ok("CREATE hidden")
    bob.ok("SETACL lookonly alice l")
    alice = login(server, "alice")
    alice.ok("CREATE Sentinel")
    untagged = alice.ok('NOTIFY SET STATUS (subtree "Other Users/bob" '
                        '(MessageNew MessageExpunge MailboxName)) '
                        '(mailboxes Sentinel (MessageNew MessageExpunge)) '
                        '(mailboxes "Other Users/bob/hidden" '
                        '(MessageNew MessageExpunge))')
    text = b"\n".join(untagged)
    assert b'* LIST (\\NoAccess) "/" "Other Users/bob/lookonly"' in text
    assert b"hidden" not in text
    assert b"STATUS \"Other Users" not in text
    append(bob, "lookonly")
    append(bob, "hidden")
    bob.ok("CREATE hidden2")
    alice2 = login(server, "alice")
    append(alice2, "Sentinel")
    lines = read_until(alice, status_of("Sentinel"))
    assert not any(b"bob" in l for l in lines), lines


def test_acl_grant_counts_as_creation(server):
    bob = login(server, "bob")
    bob.ok("CREATE team")
    alice = login(server, "alice")
    alice.ok('NOTIFY SET (subtree "Other Users" (MailboxName))')
    bob.ok("SETACL team alice lr")
    line = read_until(alice, lambda l: b"team" in l)[-1]
    assert line == b'* LIST (\\HasNoChildren) "/" "Other Users/bob/team"'
    bob.ok("DELETEACL team alice")
    line = read_until(alice, lambda l: b"team" in l)[-1]
    assert line == b'* LIST (\\NonExistent) "/" "Other Users/bob/team"'


def test_idle_alongside_notify(server):
    b = login(server, "alice")
    b.ok("CREATE Work")
    a = login(server, "alice")
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge)) "
         "(mailboxes Work (MessageNew MessageExpunge))")
    a.send(b"i1 IDLE\r\n")
    assert a.response().startswith(b"+ ")
    append(b, "INBOX")
    lines = read_until(a, lambda l: b"FETCH" in l)
    assert b"* 1 EXISTS" in lines
    assert lines[-1] == b"* 1 FETCH (UID 1 FLAGS (\\Recent))"
    append(b, "Work")
    assert read_until(a, status_of("Work"))[-1] == \
        b"* STATUS Work (MESSAGES 1 UIDNEXT 2 UNSEEN 1)"
    a.send(b"DONE\r\n")
    untagged, tagged = a.read_until_tagged("i1")
    assert tagged.startswith(b"i1 OK")
    # Plain IDLE without NOTIFY still works.
    a.ok("NOTIFY NONE")
    a.send(b"i2 IDLE\r\n")
    assert a.response().startswith(b"+ ")
    append(b, "INBOX")
    assert read_until(a, lambda l: l.endswith(b"EXISTS"))[-1] == b"* 2 EXISTS"
    a.send(b"DONE\r\n")
    assert a.read_until_tagged("i2")[1].startswith(b"i2 OK")


def test_idle_under_notify_without_selected_is_quiet(server):
    b = login(server, "alice")
    b.ok("CREATE Sentinel")
    a = login(server, "alice")
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (mailboxes Sentinel (MessageNew MessageExpunge))")
    a.send(b"i1 IDLE\r\n")
    assert a.response().startswith(b"+ ")
    append(b, "INBOX")
    append(b, "Sentinel")
    lines = read_until(a, status_of("Sentinel"))
    # RFC 5465 4: IDLE sends exactly what NOTIFY asked for.
    assert not any(b"EXISTS" in l for l in lines), lines
    a.send(b"DONE\r\n")
    untagged, tagged = a.read_until_tagged("i1")
    assert tagged.startswith(b"i1 OK")
    # The usual sync at the end of a command still tells it.
    assert b"* 1 EXISTS" in untagged + a.ok("NOOP")


def test_notify_requires_login(server):
    c = server.raw()
    _, tagged = c.command("NOTIFY NONE")
    assert b"BAD" in tagged


def test_overflow_when_the_client_does_not_read(server_factory):
    server = server_factory(notify_max_pending=3)
    a = server.raw()
    # A small receive window, so the kernel holds little of what a does
    # not read (the server's send buffer still takes a few MB).
    a.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    a.login("alice", USERS["alice"])
    b = login(server, "alice")
    for i in range(6):
        b.ok("CREATE m%d" % i)
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew (BODY.PEEK[]) MessageExpunge)) "
         "(personal (MessageNew MessageExpunge))")
    big = MSG + b"x" * 100000 + b"\r\n"
    # a reads nothing: its output backs up, then changes pile up.
    for _ in range(80):
        append(b, "INBOX", big)
    for i in range(6):
        append(b, "m%d" % i)
    seen = []
    for _ in range(400):
        line = a.response()
        seen.append(line[:60])
        if b"NOTIFICATIONOVERFLOW" in line:
            break
    assert seen[-1].startswith(b"* OK [NOTIFICATIONOVERFLOW]"), seen[-5:]
    assert "NOTIFY overflow" in server.read_log()
    # NOTIFY is off now (RFC 5465 5.8: as after NOTIFY NONE), and the
    # session still works: the next command syncs the view as usual.
    append(b, "m0")
    untagged = a.ok("NOOP")
    assert not any(b"STATUS" in l for l in untagged), untagged
    assert b"* 80 FETCH (UID 80)" in a.ok("FETCH 80 UID")
