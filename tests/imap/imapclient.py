"""A small raw IMAP client for protocol tests: exact bytes in, exact lines out.

imaplib hides what the server sent; these tests need to see every untagged
line, send malformed input and pipeline commands, so they speak the protocol
by hand. Literals in responses ({N}\r\n...) are folded into the line they
belong to, so each response is one bytes value.
"""
import re
import socket
import ssl

LITERAL_AT_END = re.compile(rb"\{(\d+)\}\r\n$")


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class RawClient:
    def __init__(self, host, port, tls=False, timeout=10):
        sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            sock = tls_context().wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self.buf = b""
        self.tag_counter = 0
        self.greeting = self.response()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def line(self):
        """One raw line including CRLF (without literal folding)."""
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n") + 2
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_bytes(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self):
        """One response line with any literals it carries, CRLF stripped."""
        out = b""
        while True:
            piece = self.line()
            m = LITERAL_AT_END.search(piece)
            if not m:
                return out + piece[:-2]
            out += piece + self.read_bytes(int(m.group(1)))

    def next_tag(self):
        self.tag_counter += 1
        return "t%d" % self.tag_counter

    def command(self, text, tag=None):
        """Sends one command; returns (untagged list, tagged line) as bytes."""
        tag = tag or self.next_tag()
        if isinstance(text, str):
            text = text.encode()
        self.send(tag.encode() + b" " + text + b"\r\n")
        return self.read_until_tagged(tag)

    def read_until_tagged(self, tag):
        untagged = []
        prefix = tag.encode() + b" "
        while True:
            resp = self.response()
            if resp.startswith(prefix):
                return untagged, resp
            untagged.append(resp)

    def ok(self, text):
        """Sends a command that must succeed; returns its untagged lines."""
        untagged, tagged = self.command(text)
        status = tagged.split(b" ", 2)[1]
        assert status == b"OK", "expected OK for %r, got %r" % (text, tagged)
        return untagged

    def login(self, user, password):
        return self.ok('LOGIN "%s" "%s"' % (user, password))

    def closed(self, timeout=5):
        """True when the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, ssl.SSLError):
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
