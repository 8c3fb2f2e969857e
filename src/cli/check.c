/* quire check [--repair]: verify the store (blobs, counters, UIDs, quota
 * usage). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

static void check_usage(FILE *out)
{
	fputs("usage: quire check [--repair] [-c FILE] [-o key=value]...\n\n"
	      "Verifies that every message file exists with its recorded size,\n"
	      "that counters and UIDs are consistent, that each user's quota\n"
	      "usage matches their messages, and looks for orphan files left by\n"
	      "a crash. With --repair, removes orphans, fixes UIDNEXT and\n"
	      "recounts quota usage.\n"
	      "Exit status: 0 consistent (or repaired), 1 problems found, 75 the\n"
	      "store could not be opened.\n", out);
	cli_print_common_help(out);
}

static int check_run(struct cli_args *args)
{
	bool repair = false;
	for (int i = 0; i < args->rest_count; i++) {
		if (strcmp(args->rest[i], "--repair") != 0) {
			check_usage(stderr);
			return CLI_EX_USAGE;
		}
		repair = true;
	}
	struct store *st = NULL;
	char *open_error = NULL;
	if (store_open(args->cfg.data_dir, &st, &open_error) != STORE_OK) {
		fprintf(stderr, "quire check: cannot open the store: %s\n",
			open_error ? open_error : "unknown error");
		free(open_error);
		return CLI_EX_TEMPFAIL;
	}
	struct buf report = BUF_INIT;
	unsigned problems = 0;
	const char *error = "";
	int r = store_check(st, repair, &report, &problems, &error);
	store_close(&st);
	fputs(buf_cstr(&report), stdout);
	buf_free(&report);
	if (r != STORE_OK) {
		fprintf(stderr, "quire check: %s\n", error);
		return CLI_EX_TEMPFAIL;
	}
	printf("%u problem%s found%s\n", problems, problems == 1 ? "" : "s",
	       repair && problems ? " and repaired" : "");
	return problems == 0 || repair ? CLI_EX_OK : 1;
}

int cli_check(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);
	if (ret == 0 && args.help)
		check_usage(stdout);
	else if (ret == 0)
		ret = check_run(&args);
	cli_args_free(&args);
	return ret;
}
