/* quire serve: run the IMAP server until SIGTERM/SIGINT. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/sd-notify.h"
#include "core/log.h"
#include "imap/imap-server.h"
#include "imap/notify.h"
#include "imap/search-indexer.h"
#include "imap/session.h"
#include "lmtp/lmtp.h"
#include "metrics/http.h"
#include "metrics/metrics.h"
#include "net/server.h"
#include "store/store.h"

static void serve_usage(FILE *out)
{
	fputs("usage: quire serve [-c FILE] [-o key=value]...\n\n"
	      "Runs the IMAP server in the foreground, logging to stderr, until\n"
	      "SIGTERM or SIGINT (clients get `* BYE`). Every setting has a\n"
	      "default, so no configuration file is needed: data in ./quire-data,\n"
	      "IMAP on 127.0.0.1:1143, IMAPS on 127.0.0.1:1993 with a self-signed\n"
	      "certificate generated on first start.\n", out);
	cli_print_common_help(out);
}

/* Opens the store once before serving, so a broken data_dir or a database
 * from a newer version stops start-up with a clear message. */
static int serve_check_store(const struct config *cfg)
{
	struct store *st = NULL;
	char *error = NULL;
	if (store_open(cfg->data_dir, &st, &error) != STORE_OK) {
		fprintf(stderr, "quire: cannot open the store in %s: %s\n",
			cfg->data_dir, error ? error : "unknown error");
		free(error);
		return -1;
	}
	store_close(&st);
	return 0;
}

/* Scrape-time gauges: runs on the worker serving the metrics request,
 * with that worker's store handle. */
static void serve_gauges(struct buf *out, void *context)
{
	struct server *server = context;
	buf_printf(out, "# HELP quire_connections_open Open connections "
		   "(all listeners).\n# TYPE quire_connections_open gauge\n"
		   "quire_connections_open %u\n",
		   server_connection_count(server));
	struct store *st = imap_server_store();
	struct store_stats stats;
	const char *error;
	if (st == NULL || store_stats(st, &stats, &error) != STORE_OK)
		return;
	buf_printf(out, "# HELP quire_store_users Accounts.\n"
		   "# TYPE quire_store_users gauge\nquire_store_users %llu\n"
		   "# HELP quire_store_messages Messages in all mailboxes.\n"
		   "# TYPE quire_store_messages gauge\n"
		   "quire_store_messages %llu\n"
		   "# HELP quire_store_bytes Bytes of distinct message bodies "
		   "on disk.\n# TYPE quire_store_bytes gauge\n"
		   "quire_store_bytes %llu\n",
		   (unsigned long long)stats.users,
		   (unsigned long long)stats.messages,
		   (unsigned long long)stats.blob_bytes);
}

/* LMTP and metrics listen beside IMAP, served by the same workers. */
static int serve_extra_listeners(struct server *server,
				 const struct config *cfg, char **error_r)
{
	if (cfg->lmtp_listen[0] != '\0') {
		lmtp_init(cfg, imap_server_store);
		if (server_add_listener(server, "lmtp", cfg->lmtp_listen,
					&lmtp_conn_ops, error_r) < 0)
			return -1;
	}
	if (cfg->metrics_listen[0] != '\0') {
		metrics_set_gauge_source(serve_gauges, server);
		if (server_add_listener(server, "metrics", cfg->metrics_listen,
					&metrics_http_ops, error_r) < 0)
			return -1;
	}
	return 0;
}

static int serve_run(struct config *cfg)
{
	char *error = NULL;
	struct server *server = NULL;
	int ret = CLI_EX_SOFTWARE;

	/* Until server_run can shut down cleanly, a SIGTERM/SIGINT stays
	 * pending instead of killing the process half started (threads
	 * started meanwhile inherit the mask and never take them). */
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

	if (serve_check_store(cfg) < 0)
		return CLI_EX_CONFIG;
	if (imap_server_init(cfg, &error) < 0)
		goto out;
	server = server_new(cfg, &imap_conn_ops, &error);
	if (server == NULL)
		goto out;
	if (serve_extra_listeners(server, cfg, &error) < 0)
		goto out;
	if (imap_notify_start(server, cfg->data_dir, &error) < 0)
		goto out;
	if (server_drop_privileges(server, cfg->user, &error) < 0)
		goto out;
	if (search_indexer_start(&error) < 0)
		goto out;
	log_info(NULL, "quire serving %s with %u workers", cfg->data_dir,
		 server_worker_count(server));
	/* Every listener is bound: systemd (Type=notify) may start what
	 * depends on us. Connections queue in the backlog until the workers
	 * run a moment later. */
	if (cli_sd_notify("READY=1\nSTATUS=serving") < 0)
		log_warn(NULL, "cannot notify systemd: %m");
	if (server_run(server) == 0)
		ret = CLI_EX_OK;
	cli_sd_notify("STOPPING=1");
	log_info(NULL, "quire stopped");
out:
	if (error != NULL) {
		fprintf(stderr, "quire: %s\n", error);
		free(error);
	}
	search_indexer_stop();
	imap_notify_stop();
	metrics_set_gauge_source(NULL, NULL);
	server_free(&server);
	imap_server_deinit();
	return ret;
}

int cli_serve(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);

	if (ret == 0 && args.help) {
		serve_usage(stdout);
	} else if (ret == 0 && args.rest_count > 0) {
		fprintf(stderr, "quire serve: unexpected argument '%s'\n", args.rest[0]);
		ret = CLI_EX_USAGE;
	} else if (ret == 0) {
		ret = serve_run(&args.cfg);
	}
	cli_args_free(&args);
	return ret;
}
