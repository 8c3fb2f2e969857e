#ifndef QUIRE_NET_SERVER_H
#define QUIRE_NET_SERVER_H
/*
 * The server: listeners, TLS context, worker threads and global connection
 * bounds. Typical use from `quire serve`:
 *
 *   struct server *srv = server_new(cfg, &imap_conn_ops, &error);
 *   server_drop_privileges(srv, cfg->user, &error);
 *   server_run(srv);          returns after SIGTERM/SIGINT
 *   server_free(&srv);
 */
#include <stdbool.h>

#include "core/config.h"
#include "net/conn.h"
#include "net/worker.h"

struct server;

enum server_listener {
	SERVER_LISTENER_IMAP = 0,  /* imap_listen: plaintext, STARTTLS */
	SERVER_LISTENER_IMAPS,     /* imaps_listen: implicit TLS (RFC 8314) */
};

/*
 * Binds imap_listen and imaps_listen ("host:port", "[::1]:143", "*:143"
 * for all addresses; "" disables one; port 0 binds an ephemeral port),
 * loads or generates the TLS certificate (net/tls.h) and creates (but does
 * not start) cfg->workers worker loops (0 = one per online CPU). After
 * binding it logs "listening imap 127.0.0.1:54321" / "listening imaps ..."
 * with the real port. max_connections / max_connections_per_ip of 0 mean
 * unlimited; past a limit only the new connection is refused, with
 * "* BYE Too many connections from your address" (per address) or
 * "* BYE [UNAVAILABLE] ..." (server-wide); nothing is written on the
 * implicit TLS port. The listeners cfg->proxy_protocol names (see
 * config_proxy_protocol_on) accept only peers in cfg->proxy_trusted and
 * read a PROXY header (net/proxy-protocol.h) before anything else; the
 * client it names is then the conn's peer. ops must stay valid until
 * server_free; cfg is only read during this call.
 * Returns the server, or NULL with a message in *error_r (caller frees),
 * e.g. "cannot listen on 127.0.0.1:1143: Address already in use".
 */
struct server *server_new(const struct config *cfg, const struct conn_ops *ops,
			  char **error_r);

/*
 * Binds one more listener whose connections are served by ops instead of
 * the server's (LMTP, the metrics endpoint). spec is "host:port" as above
 * or an absolute path for a Unix socket (mode 0666, removed at
 * server_free). Logs "listening NAME ADDRESS" like the others. Expects a
 * PROXY header when the proxy_protocol setting names NAME. Call after
 * server_new and before server_run; ops must stay valid until server_free.
 * Returns 0, or -1 with *error_r (caller frees).
 */
int server_add_listener(struct server *server, const char *name,
			const char *spec, const struct conn_ops *ops,
			char **error_r);

/*
 * When running as root and username is non-empty: setgid, initgroups and
 * setuid to that user (after server_new bound the privileged ports).
 * Otherwise a no-op returning 0. Returns -1 with *error_r (caller frees) if
 * the user does not exist or a call fails; the process must then exit.
 */
int server_drop_privileges(struct server *server, const char *username,
			   char **error_r);

/* The bound port of a listener, or -1 if that listener is disabled. */
int server_listen_port(const struct server *server, enum server_listener which);

/*
 * Starts the workers and blocks until SIGTERM/SIGINT or server_stop(). Then
 * it stops accepting, calls on_shutdown for every open conn, flushes output
 * for up to ~2 s, closes every conn (on_close runs), joins the workers and
 * returns 0. Installs SIGTERM/SIGINT handlers while running (restored on
 * return) and sets SIGPIPE to ignored for the process. Call it once.
 * Returns -1 only if threads cannot be started.
 *
 * While it waits it unblocks SIGTERM/SIGINT in the calling thread (the
 * caller's mask is restored on return), so a caller that blocks them from
 * start-up on gets a stop requested during start-up as a clean shutdown
 * here instead of being killed by the default action.
 */
int server_run(struct server *server);

/* Makes server_run return. Callable from any thread and from a signal
 * handler (it only writes to an eventfd). */
void server_stop(struct server *server);

/* Frees everything (after server_run returned, or if it never ran) and sets
 * *server to NULL. */
void server_free(struct server **server);

/*
 * Watches an extra fd (e.g. a notification socket) on worker 0: cb runs on
 * that worker's thread whenever fd is readable (level-triggered, so cb must
 * drain it). Callable before or during server_run. The fd stays owned by
 * the caller, who must keep it open until server_free. Returns 0, or -1
 * with *error_r (caller frees).
 */
typedef void server_watch_fn(struct worker *worker, int fd, void *arg);
int server_watch_fd(struct server *server, int fd, server_watch_fn *cb,
		    void *arg, char **error_r);

/* Worker access, e.g. for a change bus that posts to every worker. Valid
 * from server_new to server_free. */
unsigned server_worker_count(const struct server *server);
struct worker *server_worker(struct server *server, unsigned index);

/* Open connections right now (all workers). */
unsigned server_connection_count(const struct server *server);

#endif
