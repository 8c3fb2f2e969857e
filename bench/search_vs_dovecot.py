#!/usr/bin/env python3
"""SEARCH BODY / TEXT on N generated messages: Quire beside Dovecot (no FTS
plugin, as Debian ships it), same machine, same run.

    bench/search_vs_dovecot.py [N] [WORKDIR]

Needs build/quire and /usr/lib/dovecot/imap (run as root: Dovecot is run
as `nobody` through setpriv on a Maildir, preauthenticated over a pipe).
Prints one line per query: both times and the ratio. Quire's first BODY
search includes catching its full-text index up with messages delivered
by `quire deliver`, which does not index yet; it is reported separately.
"""
import base64
import concurrent.futures
import os
import quopri
import random
import re
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
QUIRE = os.path.join(ROOT, "build", "quire")
DOVECOT_IMAP = "/usr/lib/dovecot/imap"


def vocabulary(rng, n=3000):
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10)))
            for _ in range(n)]


def gen_message(rng, vocab, i):
    words = [rng.choice(vocab) for _ in range(rng.randint(150, 700))]
    if i % 97 == 0:
        words.insert(rng.randrange(len(words)), "quokkaberry")
    if i % 61 == 0:
        words += ["meet", "me", "at", "the", "lighthouse"]
    lines, line = [], []
    for w in words:
        line.append(w)
        if len(line) > 10:
            lines.append(" ".join(line))
            line = []
    lines.append(" ".join(line))
    text = "\n".join(lines) + "\n"
    head = ("From: User %d <user%d@example.com>\r\nTo: list@example.org\r\n"
            "Subject: %s %s\r\nDate: Mon, %d Jan 2024 10:00:00 +0000\r\n"
            "Message-ID: <bench%d@example.com>\r\nMIME-Version: 1.0\r\n" % (
                i % 50, i % 50, rng.choice(vocab), rng.choice(vocab), 1 + i % 28, i))
    kind = i % 4
    crlf = text.replace("\n", "\r\n")
    if kind == 0:
        return (head + "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + crlf).encode()
    if kind == 1:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n").encode() + \
            base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")
    if kind == 2:
        return (head + "Content-Type: text/plain; charset=iso-8859-1\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode() + \
            quopri.encodestring(text.encode("latin-1")).replace(b"\n", b"\r\n")
    att = base64.encodebytes(bytes(rng.getrandbits(8) for _ in range(3000)))
    return (head + "Content-Type: multipart/mixed; boundary=BB\r\n\r\n"
            "--BB\r\nContent-Type: text/plain\r\n\r\n" + crlf +
            "--BB\r\nContent-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + \
        att.replace(b"\n", b"\r\n") + b"--BB--\r\n"


class Pipe:
    """Dovecot's imap binary, preauthenticated over stdin/stdout."""

    def __init__(self, maildir_home, conf):
        self.proc = subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             "env", "USER=nobody", "HOME=" + maildir_home, DOVECOT_IMAP, "-c", conf],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.proc.stdout.readline()
        self.n = 0

    def command(self, text):
        self.n += 1
        tag = b"d%d" % self.n
        self.proc.stdin.write(tag + b" " + text.encode() + b"\r\n")
        self.proc.stdin.flush()
        out = []
        while True:
            line = self.proc.stdout.readline()
            if line.startswith(tag + b" "):
                return out, line
            out.append(line)

    def close(self):
        self.command("LOGOUT")
        self.proc.wait()


class Sock:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        self.f.readline()
        self.n = 0

    def command(self, text):
        self.n += 1
        tag = b"q%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        out = []
        while True:
            line = self.f.readline()
            if line.startswith(tag + b" "):
                return out, line
            out.append(line)


def timed(conn, text):
    t = time.perf_counter()
    out, tagged = conn.command(text)
    dt = time.perf_counter() - t
    assert b" OK " in tagged, tagged
    hits = [l for l in out if l.startswith(b"* SEARCH")]
    return dt, len(hits[0].split()) - 2 if hits else -1


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/quire-search-bench"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = random.Random(20000)
    vocab = vocabulary(rng)
    msgs = [gen_message(rng, vocab, i) for i in range(n)]
    print("%d messages, %.1f MB" % (n, sum(map(len, msgs)) / 1e6))

    # Dovecot: a Maildir written directly.
    home = os.path.join(work, "dovecot")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(home, "Maildir", sub))
    for i, m in enumerate(msgs):
        with open(os.path.join(home, "Maildir", "cur", "%d.bench%d:2," % (1700000000 + i, i)), "wb") as f:
            f.write(m)
    conf = os.path.join(work, "dovecot.conf")
    with open(conf, "w") as f:
        f.write("mail_location = maildir:%s/Maildir\nssl = no\nprotocols = imap\n"
                "log_path = %s/dovecot.log\n" % (home, work))
    subprocess.run(["chown", "-R", "nobody:nogroup", home], check=True)
    open(os.path.join(work, "dovecot.log"), "w").close()
    os.chmod(os.path.join(work, "dovecot.log"), 0o666)

    # Quire: delivered with `quire deliver`.
    data = os.path.join(work, "quire")
    subprocess.run([QUIRE, "user", "add", "bench", "--password-stdin", "-o",
                    "data_dir=" + data], input=b"pw\n", check=True)
    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda m: subprocess.run(
            [QUIRE, "deliver", "bench", "-o", "data_dir=" + data], input=m, check=True), msgs))
    print("quire deliver: %.1f s" % (time.perf_counter() - t))
    log = open(os.path.join(work, "quire.log"), "wb")
    srv = subprocess.Popen([QUIRE, "serve", "-o", "data_dir=" + data, "-o",
                            "imap_listen=127.0.0.1:0", "-o", "imaps_listen="],
                           stdout=log, stderr=log)
    port = None
    for _ in range(200):
        time.sleep(0.05)
        m = re.search(r"listening imap \S+:(\d+)", open(os.path.join(work, "quire.log")).read())
        if m:
            port = int(m.group(1))
            break
    q = Sock(port)
    q.command("LOGIN bench pw")
    dv = Pipe(home, conf)

    print("%-36s %10s %10s %8s" % ("query", "dovecot", "quire", "ratio"))
    for conn, name in ((dv, "dovecot"), (q, "quire")):
        t = time.perf_counter()
        conn.command("SELECT INBOX")
        print("  SELECT (%s): %.2f s" % (name, time.perf_counter() - t))
    first_dt, first_hits = timed(q, 'SEARCH BODY "quokkaberry"')
    print("  quire first BODY search (indexes %d messages): %.2f s" % (n, first_dt))
    queries = ['SEARCH BODY "quokkaberry"', 'SEARCH TEXT "meet me at the lighthouse"',
               'SEARCH BODY "lighthouse"', 'SEARCH TEXT "user7@example.com"']
    for text in queries:
        timed(dv, text)  # warm Dovecot's caches first: its best case
        d_dt, d_hits = timed(dv, text)
        q_dt, q_hits = timed(q, text)
        flag = "" if d_hits == q_hits else "  (hits differ: %d vs %d)" % (d_hits, q_hits)
        print("%-36s %9.3fs %9.3fs %7.1fx%s" % (text[7:], d_dt, q_dt, d_dt / q_dt, flag))
    dv.close()
    srv.terminate()
    srv.wait()


if __name__ == "__main__":
    main()
