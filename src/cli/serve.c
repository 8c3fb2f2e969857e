/* quire serve: run the IMAP server until SIGTERM/SIGINT. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/log.h"
#include "imap/imap-server.h"
#include "imap/notify.h"
#include "imap/session.h"
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
	if (imap_notify_start(server, cfg->data_dir, &error) < 0)
		goto out;
	if (server_drop_privileges(server, cfg->user, &error) < 0)
		goto out;
	log_info(NULL, "quire serving %s with %u workers", cfg->data_dir,
		 server_worker_count(server));
	if (server_run(server) == 0)
		ret = CLI_EX_OK;
	log_info(NULL, "quire stopped");
out:
	if (error != NULL) {
		fprintf(stderr, "quire: %s\n", error);
		free(error);
	}
	imap_notify_stop();
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
