/*
 * quire migrate: the command line around the copier of migrate.c: which
 * two stores, refusing a pair that would share files, and the summary.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/migrate.h"

static void migrate_usage(FILE *out)
{
	fputs("usage: quire migrate --from KIND --to KIND [OPTIONS] [-c FILE]"
	      " [-o key=value]...\n\n"
	      "Copies every user, mailbox, message, flag, UID, uidvalidity,\n"
	      "modseq, ACL entry, subscription and quota limit from one store\n"
	      "to another, exactly. KIND is sqlite or postgresql. Run it again\n"
	      "at any time: it copies only what changed since (new mail, flag\n"
	      "changes, expunges) and changes nothing when nothing did. Stop\n"
	      "the servers on the source for the last run before switching.\n\n"
	      "Each side defaults to the configured data_dir, pg_conninfo and\n"
	      "blob_dir; override them per side with:\n"
	      "  --from-dir DIR, --to-dir DIR            data_dir\n"
	      "  --from-conninfo STR, --to-conninfo STR  pg_conninfo\n"
	      "  --from-blob-dir DIR, --to-blob-dir DIR  blob_dir\n\n"
	      "Exit status: 0 done, 64 usage, 75 failure (details on stderr).\n",
	      out);
	cli_print_common_help(out);
}

struct side {
	struct store_config config;
	const char *dir;
};

static bool parse_kind(const char *value, enum store_kind *kind_r)
{
	if (value != NULL && strcmp(value, "sqlite") == 0)
		*kind_r = STORE_SQLITE;
	else if (value != NULL && strcmp(value, "postgresql") == 0)
		*kind_r = STORE_POSTGRESQL;
	else
		return false;
	return true;
}

/* Takes --from/--to and their per-side overrides out of args->rest. */
static bool parse_sides(const struct cli_args *args, struct side *from,
			struct side *to)
{
	const char *from_kind = NULL, *to_kind = NULL;
	for (int i = 0; i < args->rest_count; i++) {
		const char *opt = args->rest[i];
		const char *val = i + 1 < args->rest_count ? args->rest[i + 1]
							   : NULL;
		const char **slot =
			strcmp(opt, "--from") == 0 ? &from_kind :
			strcmp(opt, "--to") == 0 ? &to_kind :
			strcmp(opt, "--from-dir") == 0 ? &from->dir :
			strcmp(opt, "--to-dir") == 0 ? &to->dir :
			strcmp(opt, "--from-conninfo") == 0 ?
				&from->config.pg_conninfo :
			strcmp(opt, "--to-conninfo") == 0 ?
				&to->config.pg_conninfo :
			strcmp(opt, "--from-blob-dir") == 0 ?
				&from->config.blob_dir :
			strcmp(opt, "--to-blob-dir") == 0 ?
				&to->config.blob_dir : NULL;
		if (slot == NULL || val == NULL)
			return false;
		*slot = val;
		i++;
	}
	return parse_kind(from_kind, &from->config.kind) &&
	       parse_kind(to_kind, &to->config.kind);
}

/* Where a side keeps message files: blob_dir, else data_dir/blobs. */
static void blob_home(const struct side *side, struct buf *out)
{
	char real[PATH_MAX];
	const char *dir = side->config.kind == STORE_POSTGRESQL &&
			  side->config.blob_dir != NULL &&
			  side->config.blob_dir[0] != '\0' ?
			  side->config.blob_dir : NULL;
	buf_reset(out);
	if (dir == NULL) {
		buf_append_str(out, realpath(side->dir, real) ? real : side->dir);
		buf_append_str(out, "/blobs");
	} else {
		buf_append_str(out, realpath(dir, real) ? real : dir);
	}
}

/* The two sides must not be one store, and must not share blob files:
 * each store unlinks the files it no longer refers to. */
static const char *sides_conflict(const struct side *from,
				  const struct side *to)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	const char *why = NULL;

	blob_home(from, &a);
	blob_home(to, &b);
	if (from->config.kind == STORE_POSTGRESQL &&
	    to->config.kind == STORE_POSTGRESQL &&
	    strcmp(from->config.pg_conninfo, to->config.pg_conninfo) == 0)
		why = "source and destination are the same database";
	else if (strcmp(buf_cstr(&a), buf_cstr(&b)) == 0)
		why = from->config.kind == to->config.kind ?
		      "source and destination are the same data dir" :
		      "source and destination would share one blob directory"
		      " (set blob_dir, or --to-blob-dir, to another one)";
	buf_free(&a);
	buf_free(&b);
	return why;
}

/* Opening creates a missing SQLite store: a mistyped source dir must not
 * be copied as an empty site. */
static bool source_exists(const struct side *from)
{
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/quire.db", from->dir);
	bool yes = from->config.kind != STORE_SQLITE ||
		   access(buf_cstr(&path), F_OK) == 0;
	buf_free(&path);
	return yes;
}

static int open_side(const struct side *side, const char *which,
		     struct store **store_r)
{
	char *error = NULL;
	if (store_open_with(&side->config, side->dir, store_r,
			    &error) == STORE_OK)
		return 0;
	fprintf(stderr, "quire migrate: cannot open the %s store: %s\n", which,
		error != NULL ? error : "unknown error");
	free(error);
	return -1;
}

static void print_counts(const struct migrate_counts *n)
{
	printf("users: %lu added, %lu updated\n"
	       "mailboxes: %lu created, %lu updated, %lu deleted\n"
	       "messages: %lu copied, %lu updated\n"
	       "acl entries: %lu changed\n"
	       "subscriptions: %lu changed\n"
	       "quota limits: %lu changed\n",
	       n->users_added, n->users_updated, n->mailboxes_created,
	       n->mailboxes_updated, n->mailboxes_deleted, n->messages_copied,
	       n->messages_updated, n->acl, n->subscriptions, n->quotas);
}

int cli_migrate(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);
	if (ret != 0 || args.help) {
		if (ret == 0)
			migrate_usage(stdout);
		cli_args_free(&args);
		return ret;
	}
	struct side from = {
		.config = { .pg_conninfo = args.cfg.pg_conninfo,
			    .blob_dir = args.cfg.blob_dir },
		.dir = args.cfg.data_dir,
	};
	struct side to = from;
	if (!parse_sides(&args, &from, &to)) {
		migrate_usage(stderr);
		cli_args_free(&args);
		return CLI_EX_USAGE;
	}
	const char *conflict = sides_conflict(&from, &to);
	if (conflict != NULL) {
		fprintf(stderr, "quire migrate: %s\n", conflict);
		cli_args_free(&args);
		return CLI_EX_USAGE;
	}
	if (!source_exists(&from)) {
		fprintf(stderr, "quire migrate: no store in %s\n", from.dir);
		cli_args_free(&args);
		return CLI_EX_USAGE;
	}
	struct store *src = NULL, *dst = NULL;
	ret = CLI_EX_TEMPFAIL;
	if (open_side(&from, "source", &src) == 0 &&
	    open_side(&to, "destination", &dst) == 0) {
		struct migrate_counts counts;
		unsigned long failures = migrate_copy(src, dst, &counts);
		print_counts(&counts);
		if (failures == 0)
			ret = CLI_EX_OK;
		else
			fprintf(stderr, "quire migrate: %lu failures\n",
				failures);
	}
	store_close(&src);
	store_close(&dst);
	cli_args_free(&args);
	return ret;
}
