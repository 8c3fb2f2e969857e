"""SEARCH on the fields of the search header summary (FROM, TO, CC, BCC,
SUBJECT, HEADER Message-ID; src/mail/search-headers.h): the answers are
the same whether a message's summary is there, missing (the header is
read, and the summary stored for next time), damaged or incomplete."""
import os
import sqlite3
import subprocess

import conftest
# client: the mailbox of test_search (its CORPUS delivered), selected
from test_search import CORPUS, client, lit, search  # noqa: F401

QUERIES = [
    ("FROM alice", "SEARCH"),
    ('FROM "Alice Example"', "SEARCH"),
    ("FROM EXAMPLE.ORG", "SEARCH"),
    ("TO bob", "SEARCH"),
    ("CC carol", "SEARCH"),
    ("BCC dave", "SEARCH"),
    ('SUBJECT "lunch PLANS"', "SEARCH"),
    ("SUBJECT inner", "SEARCH"),
    ('HEADER Message-ID ""', "SEARCH"),
    ("HEADER Message-ID m4@", "SEARCH"),
    ('HEADER cc ""', "SEARCH"),
    ("OR FROM bob SUBJECT lunch", "SEARCH"),
    ("NOT FROM alice", "SEARCH"),
    ('FROM "" SUBJECT re', "SEARCH"),
    (b"FROM " + lit("ren\u00e9"), "SEARCH CHARSET UTF-8"),
    (b"SUBJECT " + lit("caf\u00c9"), "SEARCH CHARSET UTF-8"),
]


def store_sql(server, sql):
    """Runs sql on the server's store; returns the rows as tuples of text."""
    if conftest.STORE == "postgresql":
        out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v",
                              "ON_ERROR_STOP=1", "-d",
                              server.options["pg_conninfo"], "-c", sql],
                             check=True, capture_output=True, timeout=60,
                             text=True)
        return [tuple(line.split("\t")) for line in out.stdout.splitlines()]
    db = sqlite3.connect(os.path.join(server.data_dir, "quire.db"), timeout=30)
    try:
        rows = db.execute(sql).fetchall()
        db.commit()
        return [tuple(str(v) for v in row) for row in rows]
    finally:
        db.close()


def summary_count(server):
    return int(store_sql(server, "SELECT count(*) FROM blob_headers")[0][0])


def answers(c):
    return [search(c, q, cmd) for q, cmd in QUERIES]


def test_stored_with_the_message(server, client):
    # deliver stored one per body; an IMAP APPEND stores its own too.
    assert summary_count(server) == len(CORPUS)
    client.ok(b"APPEND INBOX " + lit(b"From: Quinn <quinn@example.com>\r\n"
                                     b"Subject: zq-appended\r\n\r\nbody\r\n"))
    assert summary_count(server) == len(CORPUS) + 1
    client.ok("NOOP")
    assert search(client, "FROM quinn") == [len(CORPUS) + 1]
    assert search(client, "SUBJECT zq-appended") == [len(CORPUS) + 1]


def test_missing_summaries_read_headers_then_are_filled(server, client):
    expected = answers(client)
    assert expected[0] == [1, 6] and expected[5] == [3]
    store_sql(server, "DELETE FROM blob_headers")
    assert summary_count(server) == 0
    assert answers(client) == expected
    # The search that read the headers stored their summaries.
    assert summary_count(server) == len(CORPUS)
    assert answers(client) == expected


def test_damaged_summary_is_not_trusted(server, client):
    expected = answers(client)
    # Truncated entry, unknown version, incomplete mark: each message is
    # read instead of answered "no match".
    store_sql(server, "UPDATE blob_headers SET data = %s WHERE blob_id IN "
              "(SELECT blob_id FROM messages WHERE uid IN (1, 2))" % (
                  "'\\x0101ff'::bytea" if conftest.STORE == "postgresql"
                  else "x'0101ff'"))
    store_sql(server, "UPDATE blob_headers SET data = %s WHERE blob_id IN "
              "(SELECT blob_id FROM messages WHERE uid = 3)" % (
                  "'\\x09'::bytea" if conftest.STORE == "postgresql"
                  else "x'09'"))
    store_sql(server, "UPDATE blob_headers SET data = %s WHERE blob_id IN "
              "(SELECT blob_id FROM messages WHERE uid = 4)" % (
                  "'\\x81'::bytea" if conftest.STORE == "postgresql"
                  else "x'81'"))
    assert answers(client) == expected


def test_overlong_value_is_searched_in_the_message(server, client):
    # Past the summary's value limit the field is left out of it and the
    # record marked incomplete; the match still happens.
    long_subject = b"x" * 9000 + b" needle-at-the-end"
    client.ok(b"APPEND INBOX " + lit(b"From: Long <long@example.com>\r\n"
                                     b"Subject: " + long_subject + b"\r\n"
                                     b"\r\nbody\r\n"))
    client.ok("NOOP")
    n = len(CORPUS) + 1
    assert search(client, "SUBJECT needle-at-the-end") == [n]
    assert search(client, "FROM long@example") == [n]
    assert search(client, 'SUBJECT ""') == list(range(1, n + 1))


def test_folded_and_repeated_fields(server, client):
    client.ok(b"APPEND INBOX " + lit(
        b"From: First <first@example.com>\r\n"
        b"To: one@example.com\r\n"
        b"To: two@example.com\r\n"
        b"Subject: a folded\r\n =?UTF-8?Q?subj=C3=A9ct?= line\r\n"
        b"\r\nbody\r\n"))
    client.ok("NOOP")
    n = len(CORPUS) + 1
    assert search(client, "TO two@") == [n]
    assert search(client, "TO one@") == [n]
    assert search(client, b"SUBJECT " + lit("folded subj\u00e9ct line"),
                  "SEARCH CHARSET UTF-8") == [n]
