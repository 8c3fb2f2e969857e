#!/usr/bin/python3
"""Cross-front-end latency on PostgreSQL (issue 10 asks for < 100 ms):
two `quire serve` over one private database; a session IDLEs in INBOX on
front end B while another APPENDs through front end A. One sample is the
time from sending the APPEND until B's `* n EXISTS` arrives (so it
includes A's APPEND itself). Prints p50/p90/p99/max over N samples.

    QUIRE_BIN=build/quire /usr/bin/python3 bench/pg_idle_latency.py [N [GAP_S]]

Uses the protocol suite's harness (tests/imap/conftest.py) for the
cluster and the servers; run as root or as a user PostgreSQL accepts.
"""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "imap"))
os.environ["QUIRE_STORE"] = "postgresql"

import conftest  # noqa: E402
from conftest import USERS, PgCluster, Server, quire  # noqa: E402

MESSAGE = b"From: a@example.org\r\nSubject: latency\r\n\r\nbody\r\n"


def percentile(sorted_values, p):
    k = min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[k]


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    gap = float(sys.argv[2]) if len(sys.argv) > 2 else 0.02
    conftest.PG = PgCluster().start()
    top = tempfile.mkdtemp(prefix="quire-latency-")
    servers = []
    try:
        dirs = [os.path.join(top, n) for n in ("a", "b")]
        for d in dirs:
            os.mkdir(d)
        quire(["user", "add", "alice", "--password-stdin"], dirs[0],
              stdin=(USERS["alice"] + "\n").encode())
        a = Server(dirs[0])
        shared = {"pg_conninfo": a.options["pg_conninfo"],
                  "blob_dir": os.path.join(dirs[0], "blobs")}
        a.options.update(shared)
        b = Server(dirs[1], shared)
        servers = [a.start(), b.start()]
        writer = a.raw()
        writer.ok("LOGIN alice %s" % USERS["alice"])
        idler = b.raw()
        idler.ok("LOGIN alice %s" % USERS["alice"])
        idler.ok("SELECT INBOX")
        idler.send(b"i IDLE\r\n")
        assert idler.line().startswith(b"+ ")
        idler.sock.settimeout(10)
        lat = []
        for n in range(1, samples + 1):
            time.sleep(gap)
            start = time.monotonic()
            writer.send(b"a APPEND INBOX {%d+}\r\n" % len(MESSAGE) +
                        MESSAGE + b"\r\n")
            want = b"* %d EXISTS" % n
            while True:
                line = idler.response()
                if line == want:
                    break
            lat.append((time.monotonic() - start) * 1000)
            _, tagged = writer.read_until_tagged("a")
            assert tagged.startswith(b"a OK"), tagged
        idler.send(b"DONE\r\n")
        idler.read_until_tagged("i")
        lat.sort()
        print("samples %d: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (len(lat), percentile(lat, 50), percentile(lat, 90),
                 percentile(lat, 99), lat[-1]))
    finally:
        for srv in servers:
            srv.stop()
        conftest.PG.stop()
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
