/*
 * quire import maildir PATH USER / quire import mbox FILE USER [--mailbox
 * NAME]: moving mail in from another server. What the formats mean is in
 * import-maildir.c and import-mbox.c; this file holds the batching,
 * de-duplication and the command line.
 */
#include "cli/import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

/* A batch is one transaction: big enough that commits do not dominate,
 * small enough that a failure loses little work and memory stays low. */
#define BATCH_MESSAGES 200
#define BATCH_BYTES (32u * 1024 * 1024)

static void import_usage(FILE *out)
{
	fputs("usage: quire import maildir PATH USER [-c FILE] [-o key=value]...\n"
	      "       quire import mbox FILE USER [--mailbox NAME] [-c FILE] ...\n\n"
	      "maildir: imports a Maildir++ tree (PATH/cur, PATH/new and\n"
	      "  subfolders PATH/.Name.Sub) into USER's mailboxes (INBOX,\n"
	      "  Name/Sub), creating missing ones. Flags come from file names\n"
	      "  (:2,DFPRST and keyword letters via dovecot-keywords); UIDs and\n"
	      "  UIDVALIDITY come from dovecot-uidlist when present and the\n"
	      "  mailbox is still empty, so clients keep their caches.\n"
	      "mbox: imports an mbox file (mboxrd or mboxo) into INBOX or NAME;\n"
	      "  >From lines are unescaped, Status/X-Status give the flags.\n\n"
	      "Messages are stored byte for byte. A message whose exact bytes\n"
	      "are already in the mailbox is skipped, so an import can be run\n"
	      "again (e.g. after more mail arrived on the old server).\n"
	      "Exit status: 0 done, 64 usage, 67 unknown user, 75 failure.\n",
	      out);
	cli_print_common_help(out);
}

static void progress(struct import_ctx *ctx, bool final)
{
	if (!ctx->progress)
		return;
	fprintf(stderr, "\r%s: %lu imported, %lu already there, %lu failed%s",
		ctx->label != NULL ? ctx->label : "", ctx->imported,
		ctx->skipped, ctx->failed, final ? "\n" : "   ");
}

int import_mailbox(struct import_ctx *ctx, const char *name, int64_t *id_r)
{
	struct store_mailbox mbox;
	const char *error = "";
	int r = store_mailbox_lookup(ctx->st, ctx->user_id, name, &mbox, &error);
	if (r == STORE_OK && !(mbox.attrs & STORE_MBOX_NOSELECT)) {
		*id_r = mbox.id;
		return 0;
	}
	if (r == STORE_OK || r == STORE_ENONEXISTENT)
		r = store_mailbox_create(ctx->st, ctx->user_id, name, 0, id_r,
					 &error);
	if (r != STORE_OK) {
		fprintf(stderr, "quire import: mailbox '%s': %s\n", name, error);
		return -1;
	}
	return 0;
}

static void msg_free(struct import_msg *m)
{
	free(m->data);
	for (size_t i = 0; i < m->keyword_count; i++)
		free(m->keywords[i]);
	free(m->keywords);
	memset(m, 0, sizeof(*m));
}

int import_flush(struct import_ctx *ctx)
{
	size_t n = ctx->batch_count;
	if (n == 0)
		return 0;
	struct store_append_msg *msgs = xcalloc(n, sizeof(*msgs));
	uint32_t *uids = xcalloc(n, sizeof(*uids));
	for (size_t i = 0; i < n; i++) {
		struct import_msg *m = &ctx->batch[i];
		msgs[i] = (struct store_append_msg){
			.data = m->data, .fd = -1, .size = m->size,
			.sha256 = m->hash, .flags = m->flags,
			.keywords = (const char *const *)m->keywords,
			.keyword_count = m->keyword_count,
			.internaldate = m->internaldate,
		};
		uids[i] = m->uid;
	}
	const char *error = "";
	int r = store_import_append(ctx->st, ctx->batch_mailbox, msgs, uids, n,
				    NULL, &error);
	if (r == STORE_EINVALID && n > 1) {
		/* One bad keyword must not sink its neighbours: retry one by
		 * one so only the bad message fails. */
		r = STORE_OK;
		for (size_t i = 0; i < n; i++) {
			if (store_import_append(ctx->st, ctx->batch_mailbox,
						&msgs[i], &uids[i], 1, NULL,
						&error) == STORE_OK) {
				ctx->imported++;
			} else {
				fprintf(stderr, "quire import: a message "
					"in %s: %s\n", ctx->label, error);
				ctx->failed++;
			}
		}
		n = 0;
	}
	if (r == STORE_OK) {
		ctx->imported += n;
	} else {
		fprintf(stderr, "quire import: cannot store %zu messages in "
			"%s: %s\n", n, ctx->label, error);
		ctx->failed += n;
	}
	for (size_t i = 0; i < ctx->batch_count; i++)
		msg_free(&ctx->batch[i]);
	ctx->batch_count = 0;
	ctx->batch_bytes = 0;
	free(msgs);
	free(uids);
	progress(ctx, false);
	return r == STORE_OK ? 0 : -1;
}

static bool in_batch(const struct import_ctx *ctx, const struct import_msg *m)
{
	for (size_t i = 0; i < ctx->batch_count; i++) {
		if (ctx->batch[i].size == m->size &&
		    memcmp(ctx->batch[i].hash, m->hash, sizeof(m->hash)) == 0)
			return true;
	}
	return false;
}

int import_add(struct import_ctx *ctx, int64_t mailbox_id,
	       struct import_msg *m)
{
	if (ctx->batch_count > 0 && ctx->batch_mailbox != mailbox_id &&
	    import_flush(ctx) < 0) {
		msg_free(m);
		return -1;
	}
	if (m->size > ctx->max_size) {
		fprintf(stderr, "quire import: skipping a message of %zu bytes "
			"in %s (max_literal_size)\n", m->size, ctx->label);
		ctx->failed++;
		msg_free(m);
		return 0;
	}
	store_import_hash(m->data, m->size, m->hash);
	const char *error;
	int r = store_import_find(ctx->st, mailbox_id, m->hash, m->size, NULL,
				  &error);
	if (r == STORE_OK || (r == STORE_ENONEXISTENT && in_batch(ctx, m))) {
		ctx->skipped++;
		msg_free(m);
		return 0;
	}
	if (r != STORE_ENONEXISTENT) {
		fprintf(stderr, "quire import: %s\n", error);
		msg_free(m);
		return -1;
	}
	if (ctx->batch_count == 0)
		ctx->batch = xrealloc(ctx->batch,
				      BATCH_MESSAGES * sizeof(*ctx->batch));
	ctx->batch_mailbox = mailbox_id;
	ctx->batch[ctx->batch_count++] = *m;
	ctx->batch_bytes += m->size;
	memset(m, 0, sizeof(*m));
	if (ctx->batch_count == BATCH_MESSAGES || ctx->batch_bytes >= BATCH_BYTES)
		return import_flush(ctx);
	return 0;
}

int import_read_file(int dirfd, const char *path, struct buf *out)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		buf_reserve(out, 65536);
		ssize_t n = read(fd, out->data + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return n == 0 ? 0 : -1;
		}
		out->len += (size_t)n;
	}
}

static int import_run(struct cli_args *args)
{
	const char *path, *user, *mailbox;
	int kind = cli_parse_transfer_args(args, &path, &user, &mailbox);
	bool maildir = kind == 1;
	if (kind == 0) {
		import_usage(stderr);
		return CLI_EX_USAGE;
	}
	struct import_ctx ctx = {
		.user = user, .progress = isatty(STDERR_FILENO) == 1,
		.max_size = args->cfg.max_literal_size,
	};
	char *error = NULL;
	if (store_open(args->cfg.data_dir, &ctx.st, &error) != STORE_OK) {
		fprintf(stderr, "quire import: cannot open the store: %s\n",
			error ? error : "unknown error");
		free(error);
		return CLI_EX_TEMPFAIL;
	}
	struct store_user account;
	const char *serr = "";
	int r = store_user_get(ctx.st, user, &account, &serr);
	int ret;
	if (r != STORE_OK) {
		fprintf(stderr, "quire import: %s '%s'\n", r == STORE_ENONEXISTENT ?
			"unknown user" : serr, user);
		ret = r == STORE_ENONEXISTENT ? CLI_EX_NOUSER : CLI_EX_TEMPFAIL;
	} else {
		ctx.user_id = account.id;
		store_user_free(&account);
		ret = maildir ? import_maildir(&ctx, path)
			      : import_mbox(&ctx, path, mailbox);
		if (import_flush(&ctx) < 0 && ret == CLI_EX_OK)
			ret = CLI_EX_TEMPFAIL;
		progress(&ctx, true);
		printf("imported %lu, already present %lu, failed %lu\n",
		       ctx.imported, ctx.skipped, ctx.failed);
		if (ret == CLI_EX_OK && ctx.failed > 0)
			ret = CLI_EX_TEMPFAIL;
	}
	free(ctx.batch);
	store_close(&ctx.st);
	return ret;
}

int cli_import(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);
	if (ret == 0 && args.help)
		import_usage(stdout);
	else if (ret == 0)
		ret = import_run(&args);
	cli_args_free(&args);
	return ret;
}
