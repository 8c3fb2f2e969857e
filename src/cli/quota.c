/*
 * quire quota get|set USER ...: show a user's quota root (RFC 9208) or
 * set its limits, as the system (no admin_user needed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/strutil.h"
#include "store/store.h"

static void quota_usage(FILE *out)
{
	fputs("usage: quire quota get USER\n"
	      "       quire quota set USER STORAGE_KIB MESSAGES\n"
	      "       quire quota set USER default\n\n"
	      "Shows USER's usage and limits, or sets the limits: storage in\n"
	      "KiB and a number of messages, each a number or \"none\" for no\n"
	      "limit; \"default\" returns to quota_storage / quota_messages.\n",
	      out);
	cli_print_common_help(out);
}

static int quota_get(struct store *st, const char *user)
{
	struct store_quota q;
	const char *error = "";
	int r = store_quota_get(st, user, &q, &error);
	if (r != STORE_OK) {
		fprintf(stderr, "quire quota: %s: %s\n", user, error);
		return r == STORE_ENONEXISTENT ? CLI_EX_NOUSER : CLI_EX_SOFTWARE;
	}
	printf("storage %llu KiB", (unsigned long long)((q.storage_used + 1023) / 1024));
	if (q.storage_limited)
		printf(" of %llu KiB\n", (unsigned long long)q.storage_limit);
	else
		printf(" (unlimited)\n");
	printf("messages %llu", (unsigned long long)q.messages_used);
	if (q.messages_limited)
		printf(" of %llu\n", (unsigned long long)q.messages_limit);
	else
		printf(" (unlimited)\n");
	store_quota_free(&q);
	return CLI_EX_OK;
}

/* "none" gives NULL; a number gives value; else -1. */
static int parse_limit(const char *arg, uint64_t *value, const uint64_t **limit_r)
{
	if (strcmp(arg, "none") == 0) {
		*limit_r = NULL;
		return 0;
	}
	if (str_to_u64(arg, strlen(arg), value) < 0)
		return -1;
	*limit_r = value;
	return 0;
}

static int quota_set(struct store *st, struct cli_args *args)
{
	const char *user = args->rest[1], *error = "";
	uint64_t storage, messages;
	const uint64_t *sp = NULL, *mp = NULL;
	bool use_default = args->rest_count == 3 &&
		strcmp(args->rest[2], "default") == 0;
	if (!use_default && (args->rest_count != 4 ||
			     parse_limit(args->rest[2], &storage, &sp) < 0 ||
			     parse_limit(args->rest[3], &messages, &mp) < 0)) {
		quota_usage(stderr);
		return CLI_EX_USAGE;
	}
	int r = store_quota_set(st, user, sp, mp, use_default, &error);
	if (r != STORE_OK) {
		fprintf(stderr, "quire quota: %s: %s\n", user, error);
		return r == STORE_ENONEXISTENT ? CLI_EX_NOUSER : CLI_EX_SOFTWARE;
	}
	return CLI_EX_OK;
}

static int quota_run(struct cli_args *args)
{
	const char *verb = args->rest_count > 0 ? args->rest[0] : "";
	bool get = strcmp(verb, "get") == 0;
	if ((get && args->rest_count != 2) ||
	    (!get && (strcmp(verb, "set") != 0 || args->rest_count < 3))) {
		quota_usage(stderr);
		return CLI_EX_USAGE;
	}
	struct store *st = NULL;
	char *error = NULL;
	if (store_open(args->cfg.data_dir, &st, &error) != STORE_OK) {
		fprintf(stderr, "quire quota: cannot open the store in %s: %s\n",
			args->cfg.data_dir, error ? error : "unknown error");
		free(error);
		return CLI_EX_TEMPFAIL;
	}
	int ret = get ? quota_get(st, args->rest[1]) : quota_set(st, args);
	store_close(&st);
	return ret;
}

int cli_quota(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);
	if (ret == 0 && args.help)
		quota_usage(stdout);
	else if (ret == 0)
		ret = quota_run(&args);
	cli_args_free(&args);
	return ret;
}
