#!/usr/bin/env python3
"""Bounded load test: many concurrent IMAP connections on loopback.

Starts its own `quire serve` on an ephemeral port with a temporary data
dir, opens --connections connections (half IDLE on their user's INBOX,
half running mixed commands on a mailbox of their own: SELECT, FETCH,
STORE, APPEND, SEARCH, EXPUNGE, and APPENDs to the shared INBOX that wake
the IDLE sessions) for --seconds, then checks every session's view
against what the server acknowledged:

  - each worker's own record of its mailbox (UIDs, flags, bodies) equals
    UID FETCH 1:* in its session, and equals a fresh session's view for a
    sample of workers;
  - each IDLE session's message count (from the EXISTS it was pushed)
    equals the number of acknowledged APPENDs to that INBOX.

Any BAD, unexpected NO, dropped connection or mismatch is a protocol error.
Prints connections, commands, errors, messages verified and the server's
RSS; exits 1 on any error. Raises RLIMIT_NOFILE for itself and the server
(the hard limit must allow about 2 x connections + 100).

    python3 tests/load/load_test.py --quire build/quire [--connections 2000]
        [--seconds 60] [--users 20]
"""
import argparse
import asyncio
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

LITERAL_AT_END = re.compile(rb"\{(\d+)\}\r\n$")
FETCH_RE = re.compile(rb"\* \d+ FETCH \((.*)\)$", re.S)
UID_RE = re.compile(rb"UID (\d+)")
FLAGS_RE = re.compile(rb"FLAGS \(([^)]*)\)")
BODY_RE = re.compile(rb"BODY\[\] \{(\d+)\}\r\n", re.S)
SYSTEM_FLAGS = ("\\Flagged", "\\Answered", "\\Draft")
KEYWORDS = ("kwa", "kwb", "kwc")


class ProtocolError(Exception):
    pass


class Stats:
    def __init__(self):
        self.commands = {}
        self.errors = []
        self.verified = 0
        self.idle_pushes = 0
        self.connected = 0
        self.peak_connected = 0

    def count(self, name):
        self.commands[name] = self.commands.get(name, 0) + 1

    def error(self, who, text):
        if len(self.errors) < 50:
            print("ERROR %s: %s" % (who, text[:300]), file=sys.stderr)
        self.errors.append((who, text))


class Conn:
    def __init__(self, stats, name):
        self.stats = stats
        self.name = name
        self.tag = 0
        self.reader = self.writer = None

    async def open(self, port, user, password):
        self.reader, self.writer = await asyncio.open_connection(
            "127.0.0.1", port, limit=1 << 22)
        greeting = await self.response()
        if not greeting.startswith(b"* OK"):
            raise ProtocolError("greeting %r" % greeting[:100])
        self.stats.connected += 1
        self.stats.peak_connected = max(self.stats.peak_connected,
                                        self.stats.connected)
        await self.ok("LOGIN", b'LOGIN "%s" "%s"' % (user.encode(),
                                                     password.encode()))

    async def response(self):
        out = b""
        while True:
            piece = await self.reader.readuntil(b"\r\n")
            m = LITERAL_AT_END.search(piece)
            if not m:
                return out + piece[:-2]
            out += piece + await self.reader.readexactly(int(m.group(1)))

    async def command(self, name, text):
        self.tag += 1
        tag = b"c%d" % self.tag
        self.writer.write(tag + b" " + text + b"\r\n")
        await self.writer.drain()
        self.stats.count(name)
        untagged = []
        while True:
            resp = await asyncio.wait_for(self.response(), 120)
            if resp.startswith(tag + b" "):
                return untagged, resp
            if resp.startswith(b"* BYE") and name != "LOGOUT":
                raise ProtocolError("BYE during %s: %r" % (name, resp))
            untagged.append(resp)

    async def ok(self, name, text):
        untagged, tagged = await self.command(name, text)
        if tagged.split(b" ", 2)[1] != b"OK":
            raise ProtocolError("%s: %r -> %r" % (name, text[:80], tagged[:200]))
        return untagged, tagged

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.stats.connected -= 1
            self.writer = None


def parse_fetch(untagged):
    """{uid: (flags set, body or None)} from FETCH responses."""
    out = {}
    for line in untagged:
        m = FETCH_RE.match(line)
        if not m:
            continue
        items = m.group(1)
        uid = UID_RE.search(items)
        if not uid:
            continue
        body = None
        b = BODY_RE.search(items)
        if b:
            body = items[b.end():b.end() + int(b.group(1))]
            items = items[:b.start()] + items[b.end() + int(b.group(1)):]
        flags = FLAGS_RE.search(items)
        out[int(uid.group(1))] = (
            set(flags.group(1).decode().split()) - {"\\Recent"} if flags else None,
            body)
    return out


class Shared:
    def __init__(self, users):
        self.inbox_appends = {u: 0 for u in users}
        self.go = asyncio.Event()    # every connection is logged in
        self.stop = asyncio.Event()
        self.actives_done = asyncio.Event()
        self.parked = 0  # workers done with their mixed commands


def make_body(rng, who, n):
    size = rng.choice((300, 1500, 4000, 40000))
    head = b"Subject: load %s %d\r\nFrom: load@example.org\r\n\r\n" % (
        who.encode(), n)
    filler = bytes(rng.choice(b"abcdefghij klmnopqrstuvwxyz") for _ in range(64))
    return head + (filler + b"\r\n") * max(1, (size - len(head)) // 66)


async def worker(args, stats, shared, index, user, sem, verify_fresh):
    """Mixed commands on mailbox w<index>, keeping a model of it."""
    who = "w%d" % index
    rng = random.Random(args.seed * 100003 + index)
    model = {}  # uid -> [flags set, body]
    c = Conn(stats, who)
    try:
        async with sem:
            await c.open(args.port, user, args.password)
        await c.ok("CREATE", b"CREATE " + who.encode())
        await c.ok("SELECT", b"SELECT " + who.encode())
        await shared.go.wait()
        n = 0
        while not shared.stop.is_set():
            n += 1
            op = rng.random()
            if op < 0.25 or len(model) < 3:
                body = make_body(rng, who, n)
                _, tagged = await c.ok("APPEND", b"APPEND %s (\\Seen) {%d+}\r\n%s"
                                       % (who.encode(), len(body), body))
                m = re.search(rb"\[APPENDUID \d+ (\d+)\]", tagged)
                if not m:
                    raise ProtocolError("APPEND without APPENDUID: %r" % tagged)
                model[int(m.group(1))] = [{"\\Seen"}, body]
            elif op < 0.32:
                body = make_body(rng, who, n)
                await c.ok("APPEND", b"APPEND INBOX {%d+}\r\n%s" % (len(body), body))
                shared.inbox_appends[user] += 1
            elif op < 0.52:
                uid = rng.choice(list(model))
                untagged, _ = await c.ok("FETCH", b"UID FETCH %d (FLAGS BODY.PEEK[])"
                                         % uid)
                got = parse_fetch(untagged).get(uid)
                if got is None or got[1] != model[uid][1] or got[0] != model[uid][0]:
                    raise ProtocolError("FETCH %s UID %d: got %r, want flags %r"
                                        % (who, uid, got and got[0], model[uid][0]))
                stats.verified += 1
            elif op < 0.72:
                uid = rng.choice(list(model))
                flag = rng.choice(SYSTEM_FLAGS + KEYWORDS)
                add = rng.random() < 0.6
                untagged, _ = await c.ok("STORE", b"UID STORE %d %sFLAGS (%s)" % (
                    uid, b"+" if add else b"-", flag.encode()))
                if add:
                    model[uid][0].add(flag)
                else:
                    model[uid][0].discard(flag)
                got = parse_fetch(untagged).get(uid)
                if got is None or got[0] != model[uid][0]:
                    raise ProtocolError("STORE %s UID %d: flags %r, want %r"
                                        % (who, uid, got, model[uid][0]))
            elif op < 0.84 and args.search:
                flag = rng.choice(("ALL", "FLAGGED", "KEYWORD kwa", "UNANSWERED"))
                untagged, _ = await c.ok("SEARCH", b"UID SEARCH " + flag.encode())
                found = set()
                for line in untagged:
                    if line.startswith(b"* SEARCH"):
                        found |= {int(x) for x in line.split()[2:]}
                want = {u for u, (f, _) in model.items()
                        if flag == "ALL" or (flag == "FLAGGED" and "\\Flagged" in f)
                        or (flag == "KEYWORD kwa" and "kwa" in f)
                        or (flag == "UNANSWERED" and "\\Answered" not in f)}
                if found != want:
                    raise ProtocolError("SEARCH %s %s: %r != %r"
                                        % (who, flag, sorted(found), sorted(want)))
            elif op < 0.92:
                uid = rng.choice(list(model))
                await c.ok("STORE", b"UID STORE %d +FLAGS.SILENT (\\Deleted)" % uid)
                untagged, _ = await c.ok("EXPUNGE", b"EXPUNGE")
                gone = sum(1 for line in untagged if line.endswith(b" EXPUNGE"))
                if gone != 1:
                    raise ProtocolError("EXPUNGE %s: %d expunged, want 1" % (who, gone))
                del model[uid]
            else:
                untagged, _ = await c.ok("SELECT", b"SELECT " + who.encode())
                exists = [int(x.split()[1]) for x in untagged if x.endswith(b" EXISTS")]
                if exists != [len(model)]:
                    raise ProtocolError("SELECT %s: EXISTS %r, want %d"
                                        % (who, exists, len(model)))
    except (ProtocolError, OSError, asyncio.IncompleteReadError,
            asyncio.TimeoutError, asyncio.LimitOverrunError) as e:
        stats.error(who, "%s: %s" % (type(e).__name__, e))
        c.close()
        shared.parked += 1
        return
    shared.parked += 1
    await shared.actives_done.wait()
    # The final check: the whole mailbox, flags and bodies, in this
    # session and (for a sample) in a fresh one.
    try:
        await check_mailbox(c, stats, who, model)
        await c.ok("LOGOUT", b"LOGOUT")
        c.close()
        if verify_fresh:
            f = Conn(stats, who + "-fresh")
            async with sem:
                await f.open(args.port, user, args.password)
            await f.ok("EXAMINE", b"EXAMINE " + who.encode())
            await check_mailbox(f, stats, who + "-fresh", model)
            await f.ok("LOGOUT", b"LOGOUT")
            f.close()
    except (ProtocolError, OSError, asyncio.IncompleteReadError,
            asyncio.TimeoutError, asyncio.LimitOverrunError) as e:
        stats.error(who, "final check: %s: %s" % (type(e).__name__, e))
        c.close()


async def check_mailbox(c, stats, who, model):
    untagged, _ = await c.ok("FETCH", b"UID FETCH 1:* (FLAGS BODY.PEEK[])")
    got = parse_fetch(untagged)
    if set(got) != set(model):
        raise ProtocolError("%s: UIDs %r, want %r" % (who, sorted(got), sorted(model)))
    for uid, (flags, body) in model.items():
        if got[uid][0] != flags or got[uid][1] != body:
            raise ProtocolError("%s UID %d: flags %r want %r, body %s"
                                % (who, uid, got[uid][0], flags,
                                   "equal" if got[uid][1] == body else "differs"))
    stats.verified += len(model)


async def idler(args, stats, shared, index, user, sem):
    who = "i%d" % index
    c = Conn(stats, who)
    exists = None
    try:
        async with sem:
            await c.open(args.port, user, args.password)
        untagged, _ = await c.ok("SELECT", b"SELECT INBOX")
        for line in untagged:
            if line.endswith(b" EXISTS"):
                exists = int(line.split()[1])
        c.tag += 1
        tag = b"c%d" % c.tag
        c.writer.write(tag + b" IDLE\r\n")
        await c.writer.drain()
        stats.count("IDLE")
        first = await c.response()
        if not first.startswith(b"+"):
            raise ProtocolError("IDLE: %r" % first)
        # Read pushes until the workers have stopped writing.
        done_wait = asyncio.ensure_future(shared.actives_done.wait())
        while True:
            read = asyncio.ensure_future(c.response())
            finished, _ = await asyncio.wait({read, done_wait},
                                             return_when=asyncio.FIRST_COMPLETED)
            if read in finished:
                line = read.result()
                if line.endswith(b" EXISTS"):
                    exists = int(line.split()[1])
                    stats.idle_pushes += 1
                elif line.startswith(b"* BYE") or not line.startswith(b"*"):
                    raise ProtocolError("during IDLE: %r" % line)
                continue
            read.cancel()
            break
        c.writer.write(b"DONE\r\n")
        await c.writer.drain()
        while True:
            line = await asyncio.wait_for(c.response(), 120)
            if line.startswith(tag + b" "):
                if line.split(b" ")[1] != b"OK":
                    raise ProtocolError("IDLE ended with %r" % line)
                break
            if line.endswith(b" EXISTS"):
                exists = int(line.split()[1])
        untagged, _ = await c.ok("NOOP", b"NOOP")
        for line in untagged:
            if line.endswith(b" EXISTS"):
                exists = int(line.split()[1])
        want = shared.inbox_appends[user]
        if exists != want:
            raise ProtocolError("%s (%s): INBOX count %r, %d appends acknowledged"
                                % (who, user, exists, want))
        stats.verified += 1
        await c.ok("LOGOUT", b"LOGOUT")
        c.close()
    except (ProtocolError, OSError, asyncio.IncompleteReadError,
            asyncio.TimeoutError, asyncio.LimitOverrunError) as e:
        stats.error(who, "%s: %s" % (type(e).__name__, e))
        c.close()


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            text = f.read()
    except OSError:
        return 0, 0
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))
    hwm = int(re.search(r"VmHWM:\s+(\d+)", text).group(1))
    return rss, hwm


async def run(args, users, server_pid):
    stats = Stats()
    shared = Shared(users)
    sem = asyncio.Semaphore(args.login_concurrency)
    half = args.connections // 2
    tasks = []
    for i in range(args.connections - half):
        user = users[i % len(users)]
        tasks.append(asyncio.ensure_future(worker(
            args, stats, shared, i, user, sem, verify_fresh=(i % 20 == 0))))
    for i in range(half):
        user = users[i % len(users)]
        tasks.append(asyncio.ensure_future(idler(args, stats, shared, i, user, sem)))
    t0 = time.monotonic()
    # Wait until everyone is logged in (or failed), then run the clock.
    while stats.commands.get("LOGIN", 0) < args.connections and \
            time.monotonic() - t0 < args.login_timeout and \
            not all(t.done() for t in tasks):
        await asyncio.sleep(0.5)
    t_login = time.monotonic() - t0
    print("%d connections logged in after %.1f s (peak open %d)"
          % (stats.commands.get("LOGIN", 0), t_login, stats.peak_connected))
    commands_before = sum(stats.commands.values())
    shared.go.set()
    peak_rss = 0
    t1 = time.monotonic()
    while time.monotonic() - t1 < args.seconds:
        await asyncio.sleep(1)
        peak_rss = max(peak_rss, rss_kb(server_pid)[0])
    shared.stop.set()
    # The workers finish their current command, then the IDLE sessions
    # count, then everyone checks.
    while shared.parked < args.connections - half:
        await asyncio.sleep(0.1)
        if time.monotonic() - t1 > args.seconds + 120:
            break
    commands_run = sum(stats.commands.values()) - commands_before
    elapsed = time.monotonic() - t1
    rss, hwm = rss_kb(server_pid)
    peak_rss = max(peak_rss, rss)
    shared.actives_done.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 600)
    return stats, commands_run, elapsed, peak_rss, hwm


def start_server(args, data_dir, log):
    cmd = [args.quire, "serve", "-o", "data_dir=" + data_dir,
           "-o", "imap_listen=127.0.0.1:0", "-o", "imaps_listen=",
           "-o", "max_connections_per_ip=%d" % (args.connections + 200),
           "-o", "max_connections=%d" % (args.connections + 1000),
           "-o", "auth_timeout=600"]
    if args.workers:
        cmd += ["-o", "workers=%d" % args.workers]
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    deadline = time.time() + 30
    while time.time() < deadline:
        with open(log.name, "rb") as f:
            m = re.search(rb"listening imap \S+:(\d+)", f.read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("quire serve did not start; see " + log.name)


def make_users(args, data_dir, count):
    users = ["load%d" % i for i in range(count)]
    for u in users:
        subprocess.run([args.quire, "user", "add", u, "--password-stdin",
                        "-o", "data_dir=" + data_dir],
                       input=(args.password + "\n").encode(), check=True,
                       capture_output=True)
    cheap_hashes(data_dir, users, args.password)
    return users


def cheap_hashes(data_dir, users, password):
    """yescrypt costs ~70 ms of server CPU per LOGIN, which would make the
    logins of 2,000 connections the bulk of the test. This test is about
    connections, not hashing, so its users get SHA-512-crypt hashes (which
    the server accepts for imported accounts). If the schema is not what
    this expects, it keeps yescrypt and the logins just take longer."""
    import sqlite3
    res = subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                         input=password.encode(), capture_output=True)
    if res.returncode != 0:
        return
    try:
        db = sqlite3.connect(os.path.join(data_dir, "quire.db"))
        with db:
            for u in users:
                db.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                           (res.stdout.decode().strip(), u))
        db.close()
    except sqlite3.Error as e:
        print("keeping yescrypt hashes (%s)" % e)


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    if hard != resource.RLIM_INFINITY and hard < need:
        raise SystemExit("RLIMIT_NOFILE hard limit %d < %d needed: raise it "
                         "(ulimit -Hn, or LimitNOFILE=) or use fewer "
                         "--connections" % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return need


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quire", default="build/quire")
    p.add_argument("--connections", type=int, default=2000)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--login-concurrency", type=int, default=100)
    p.add_argument("--login-timeout", type=int, default=300)
    p.add_argument("--no-search", dest="search", action="store_false")
    p.add_argument("--keep", action="store_true", help="keep the data dir")
    args = p.parse_args()
    args.quire = os.path.abspath(args.quire)
    args.password = "load-secret"

    limit = raise_fd_limit(2 * args.connections + 200)
    print("load test: %d connections (%d IDLE), %d s, %d users, seed %d, "
          "RLIMIT_NOFILE %d" % (args.connections, args.connections // 2,
                                args.seconds, args.users, args.seed, limit))
    top = tempfile.mkdtemp(prefix="quire-load-")
    data_dir = os.path.join(top, "data")
    os.mkdir(data_dir)
    users = make_users(args, data_dir, args.users)
    log = open(os.path.join(top, "server.log"), "wb")
    proc, args.port = start_server(args, data_dir, log)
    ok = False
    try:
        stats, commands, elapsed, peak_rss, hwm = asyncio.run(
            run(args, users, proc.pid))
        fds = len(os.listdir("/proc/%d/fd" % proc.pid))
        total = sum(stats.commands.values())
        print("commands during the %.0f s run: %d (%.0f/s); all commands: %d"
              % (elapsed, commands, commands / max(elapsed, 1), total))
        print("by command: " + ", ".join("%s %d" % kv for kv in
                                         sorted(stats.commands.items())))
        print("IDLE pushes (EXISTS) received: %d" % stats.idle_pushes)
        print("messages and counts verified: %d" % stats.verified)
        print("server RSS: peak sampled %d KiB, high-water mark %d KiB, "
              "%d fds open at the end" % (peak_rss, hwm, fds))
        print("protocol errors: %d" % len(stats.errors))
        ok = not stats.errors
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        log.close()
        with open(log.name, "rb") as f:
            text = f.read().decode(errors="replace")
        for mark in ("ERROR: AddressSanitizer", "runtime error:",
                     "ERROR: LeakSanitizer"):
            if mark in text:
                print("sanitizer report in " + log.name)
                ok = False
        if rc != 0:
            print("quire serve exited with %d" % rc)
            ok = False
        if args.keep or not ok:
            print("data and log kept in " + top)
        else:
            shutil.rmtree(top)
    print("load test " + ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
