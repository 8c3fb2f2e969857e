#ifndef QUIRE_NET_CONN_H
#define QUIRE_NET_CONN_H
/*
 * One client connection, owned by exactly one worker thread (net/worker.h).
 * The protocol layer (src/imap) sees a conn as two plaintext buffers:
 *
 *   socket <-> [TLS] <-> [COMPRESS] <-> conn input / output buffers
 *
 * Every conn_* function below must be called on the owning worker's thread
 * (from a conn_ops callback, a worker timer or a worker_post function of
 * that worker). Encryption and compression are applied when output
 * is flushed and when input is read, so the protocol never sees ciphertext.
 *
 * Lifetime: a conn is accepted, then (after the TLS handshake on an implicit
 * TLS listener) on_open runs. From then on, on_close runs exactly once,
 * whatever ends the connection. A conn is never freed while one of its
 * callbacks (or any callback of its worker) is running: conn_close and
 * fatal errors only mark it, and the worker frees it between events.
 *
 * Memory: an idle conn holds no I/O buffers; they are allocated when bytes
 * arrive or are written and released when they become empty.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct conn;
struct worker;

/*
 * The protocol's callbacks. All run on the conn's worker thread. Every one
 * except on_close may call any conn_* function, including conn_close.
 */
struct conn_ops {
	/* Accepted (for implicit TLS: after the handshake). Send the greeting. */
	void (*on_open)(struct conn *conn);
	/*
	 * New plaintext bytes were appended to conn_input(conn); consume what
	 * can be handled with buf_consume(). Also called, possibly without new
	 * bytes, after conn_pause_input(conn, false) while unconsumed input
	 * remains, so pipelined commands held back by a pause are not stuck.
	 */
	void (*on_input)(struct conn *conn);
	/* Output fell below the low watermark after conn_output_full() had
	 * returned true: resume a suspended producer (e.g. a long FETCH). */
	void (*on_drained)(struct conn *conn);
	/* The idle timeout (conn_set_idle_timeout) expired: nothing was read
	 * or written for that long. Typically writes `* BYE` and closes. If the
	 * conn stays open, the timeout is armed again for a full period. */
	void (*on_timeout)(struct conn *conn);
	/* The server is stopping: write `* BYE ...`. The network layer then
	 * closes the conn itself after flushing (for at most ~2 s). */
	void (*on_shutdown)(struct conn *conn);
	/* The conn is going away: free the protocol state and cancel the
	 * protocol's worker timers that refer to it. No conn_* call may be made
	 * here except the read-only getters. Called exactly once per on_open. */
	void (*on_close)(struct conn *conn);
};

/*
 * Unconsumed plaintext input. The protocol reads it and calls buf_consume();
 * it must not append to it. Its memory may be released between callbacks
 * when empty, so never keep pointers into it across callbacks.
 */
struct buf *conn_input(struct conn *conn);

/*
 * Queues plaintext output; it is sent (encrypted if TLS) after the current
 * callback returns. Never blocks. If the queued output would exceed the
 * configured output_buffer_max, the data is dropped, the client is
 * disconnected (without flushing) and a log line says why: a client that
 * never reads cannot make the server buffer more than the bound. Writes to a
 * closing conn are ignored.
 */
void conn_write(struct conn *conn, const void *data, size_t len);
/* conn_write of a NUL-terminated string. */
void conn_write_str(struct conn *conn, const char *s);
/* Bytes queued and not yet handed to the kernel. */
size_t conn_output_pending(const struct conn *conn);
/*
 * True when queued output is past the soft watermark (64 KiB, or half of
 * output_buffer_max if that is smaller): a producer should stop writing and
 * continue in on_drained, which a true return here arms.
 */
bool conn_output_full(struct conn *conn);

/*
 * Closes the conn after the current callback returns: reading stops,
 * queued output is flushed (bounded in time), then the socket is closed and
 * on_close runs. reason is a static string for the disconnect log line
 * ("logout", "too many bad commands"); NULL means "closed by server".
 * Idempotent; the first reason wins.
 */
void conn_close(struct conn *conn, const char *reason);

/* Sets the idle timeout in seconds (0 disables). Any byte read or written
 * restarts it. A new conn starts with the config's auth_timeout. */
void conn_set_idle_timeout(struct conn *conn, unsigned seconds);

/*
 * Stops (true) or resumes (false) reading and on_input calls, e.g. while a
 * command is suspended on a full output buffer. Independently of this, the
 * network layer stops reading while more than max(256 KiB, 2 *
 * max_line_length) of input is unconsumed.
 */
void conn_pause_input(struct conn *conn, bool paused);

/*
 * Switches to server-side TLS (RFC 3501 6.2.1 STARTTLS). Call it from
 * on_input after consuming exactly the STARTTLS command line and writing its
 * tagged OK: output queued before this call is sent in clear, then the
 * handshake starts. Input already buffered after the STARTTLS line is
 * discarded, and no plaintext received before the handshake completes ever
 * reaches on_input (a client cannot inject commands that would run inside
 * the TLS session). Output written after this call is sent encrypted once
 * the handshake completes. On handshake failure the conn is closed.
 * Returns 0, or -1 if the conn already uses TLS (or is switching to it) or
 * compression.
 */
int conn_starttls(struct conn *conn);
/* True once TLS is established, or being negotiated after conn_starttls. */
bool conn_is_tls(const struct conn *conn);
/*
 * True if the client's link is encrypted: TLS with us (conn_is_tls), or
 * TLS terminated by a trusted balancer whose PROXY v2 header said so
 * (PP2_CLIENT_SSL). What plaintext_auth and STARTTLS go by.
 */
bool conn_is_secure(const struct conn *conn);
/* True if the secure link is the balancer's TLS (see conn_is_secure). */
bool conn_is_proxy_tls(const struct conn *conn);
/* Negotiated protocol name ("TLSv1.3"), or NULL without an established TLS
 * session. Static string owned by OpenSSL. */
const char *conn_tls_version(const struct conn *conn);

/*
 * Starts COMPRESS=DEFLATE (RFC 4978) in both directions. Call it from
 * on_input after consuming exactly the COMPRESS command line and writing its
 * tagged OK: output queued before this call is sent uncompressed, output
 * after it compressed (above TLS, if any: RFC 4978 3). Input already
 * buffered after the command is taken as the start of the compressed
 * stream. Corrupt compressed input closes the conn. Returns 0, or -1 if
 * compression is already active, the conn is not open, or zlib failed.
 */
int conn_start_compress(struct conn *conn);
/* True once conn_start_compress succeeded. */
bool conn_is_compressed(const struct conn *conn);

/* Peer address without port: "192.0.2.7", "2001:db8::1". IPv4-mapped IPv6
 * addresses are shown as IPv4. Valid for the conn's lifetime. */
const char *conn_peer_ip(const struct conn *conn);
/* Peer address with port: "192.0.2.7:51234", "[2001:db8::1]:51234". */
const char *conn_peer(const struct conn *conn);
/* Local port the client connected to. */
unsigned conn_local_port(const struct conn *conn);
/* True if the conn came in on the implicit TLS listener (imaps_listen). */
bool conn_is_implicit_tls_listener(const struct conn *conn);
/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool conn_is_loopback(const struct conn *conn);
/* Short id unique within the process ("c7f3a2b1"), for log lines. */
const char *conn_session_id(const struct conn *conn);

/* Bytes read from and written to the socket so far (after TLS), e.g. for
 * metrics in on_close. */
uint64_t conn_bytes_in(const struct conn *conn);
uint64_t conn_bytes_out(const struct conn *conn);

/* Protocol state pointer; the network layer never touches it. */
void conn_set_data(struct conn *conn, void *data);
void *conn_get_data(const struct conn *conn);
/* The worker thread that owns the conn. */
struct worker *conn_worker(const struct conn *conn);

#endif
