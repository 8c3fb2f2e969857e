/*
 * quire deliver USER [--mailbox NAME] < message: local delivery as an MTA
 * calls it (Postfix mailbox_command, Exim pipe transport). The message is
 * stored byte for byte. Exit codes are what MTAs understand: 0 delivered,
 * 67 (EX_NOUSER) unknown user, 75 (EX_TEMPFAIL) try again later, 64 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "imap/message.h"
#include "store/store.h"

static void deliver_usage(FILE *out)
{
	fputs("usage: quire deliver USER [--mailbox NAME] [-c FILE] [-o key=value]... < message\n\n"
	      "Stores the message read from standard input in USER's INBOX (or\n"
	      "NAME; a mailbox that does not exist falls back to INBOX).\n"
	      "Exit status: 0 delivered, 64 usage, 67 unknown user, 75 temporary\n"
	      "failure (the MTA retries later).\n", out);
	cli_print_common_help(out);
}

/* Reads all of stdin, up to limit bytes. Returns 0, or -1 (too big / error). */
static int read_message(struct buf *msg, uint64_t limit)
{
	for (;;) {
		buf_reserve(msg, 65536);
		ssize_t n = read(STDIN_FILENO, msg->data + msg->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		msg->len += (size_t)n;
		if (msg->len > limit)
			return -1;
	}
}

static int deliver_to(struct store *st, const char *user, const char *mailbox,
		      const struct buf *msg)
{
	struct store_user account;
	struct store_mailbox mbox;
	const char *error = "";

	int r = store_user_get(st, user, &account, &error);
	if (r == STORE_ENONEXISTENT) {
		fprintf(stderr, "quire deliver: unknown user '%s'\n", user);
		return CLI_EX_NOUSER;
	}
	if (r != STORE_OK) {
		fprintf(stderr, "quire deliver: %s\n", error);
		return CLI_EX_TEMPFAIL;
	}
	int64_t user_id = account.id;
	store_user_free(&account);

	r = store_mailbox_lookup(st, user_id, mailbox, &mbox, &error);
	if (r != STORE_OK || (mbox.attrs & STORE_MBOX_NOSELECT))
		r = store_mailbox_lookup(st, user_id, "INBOX", &mbox, &error);
	if (r != STORE_OK) {
		fprintf(stderr, "quire deliver: no INBOX for '%s': %s\n", user, error);
		return CLI_EX_TEMPFAIL;
	}
	struct store_append_msg append = {
		.data = msg->data, .fd = -1, .size = msg->len,
	};
	uint32_t uid;
	struct message_append_prep prep;
	message_append_prepare(&append, &prep);
	r = store_append(st, mbox.id, &append, 1, &uid, NULL, &error);
	if (r == STORE_OK)
		message_append_finish(st, &append, &prep);
	message_append_prep_free(&prep);
	if (r != STORE_OK) {
		fprintf(stderr, "quire deliver: cannot store the message: %s\n", error);
		return CLI_EX_TEMPFAIL;
	}
	return CLI_EX_OK;
}

static int deliver_run(struct cli_args *args)
{
	const char *user = NULL, *mailbox = "INBOX";
	for (int i = 0; i < args->rest_count; i++) {
		if (strcmp(args->rest[i], "--mailbox") == 0 && i + 1 < args->rest_count)
			mailbox = args->rest[++i];
		else if (user == NULL && args->rest[i][0] != '-')
			user = args->rest[i];
		else
			user = NULL, i = args->rest_count;
	}
	if (user == NULL) {
		deliver_usage(stderr);
		return CLI_EX_USAGE;
	}

	struct buf msg = BUF_INIT;
	if (read_message(&msg, args->cfg.max_literal_size) < 0) {
		fprintf(stderr, "quire deliver: cannot read the message (or larger than %llu bytes)\n",
			(unsigned long long)args->cfg.max_literal_size);
		buf_free(&msg);
		return CLI_EX_TEMPFAIL;
	}
	struct store *st = NULL;
	char *error = NULL;
	int ret;
	if (store_open(args->cfg.data_dir, &st, &error) != STORE_OK) {
		fprintf(stderr, "quire deliver: cannot open the store: %s\n",
			error ? error : "unknown error");
		free(error);
		ret = CLI_EX_TEMPFAIL;
	} else {
		ret = deliver_to(st, user, mailbox, &msg);
		store_close(&st);
	}
	buf_free(&msg);
	return ret;
}

int cli_deliver(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);
	if (ret == 0 && args.help)
		deliver_usage(stdout);
	else if (ret == 0)
		ret = deliver_run(&args);
	cli_args_free(&args);
	return ret;
}
