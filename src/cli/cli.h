#ifndef QUIRE_CLI_CLI_H
#define QUIRE_CLI_CLI_H
/*
 * The subcommands of the quire binary. Each returns the process exit code;
 * main.c only dispatches. Exit codes follow sysexits(3) where an MTA or a
 * script looks at them (64 usage, 67 unknown user, 75 temporary failure).
 */
#include <stdbool.h>
#include "core/config.h"

#define CLI_EX_OK 0
#define CLI_EX_USAGE 64
#define CLI_EX_NOUSER 67
#define CLI_EX_SOFTWARE 70
#define CLI_EX_TEMPFAIL 75
#define CLI_EX_CONFIG 78

/* Options every subcommand takes, parsed by cli_parse_common(). */
struct cli_args {
	struct config cfg;
	/* positional arguments and unrecognised flags, in order */
	char **rest;
	int rest_count;
	bool help;
};

/*
 * Parses -c FILE (loaded first, wherever it appears), -o key=value
 * (applied after the file, in order) and --help from argv[1..]; other
 * arguments go to rest. On a config error prints it and returns
 * CLI_EX_CONFIG; on a usage error CLI_EX_USAGE; else 0. Free with
 * cli_args_free.
 */
int cli_parse_common(int argc, char **argv, struct cli_args *args);
void cli_args_free(struct cli_args *args);
/* Prints the common options and the configuration keys. */
void cli_print_common_help(FILE *out);

/*
 * The argument shape of import and export: FORMAT FIRST SECOND
 * [--mailbox NAME], FORMAT "maildir" or "mbox". *mailbox_r defaults to
 * "INBOX". Returns 1 for maildir, 2 for mbox, or 0 (usage error).
 */
int cli_parse_transfer_args(const struct cli_args *args, const char **first_r,
			    const char **second_r, const char **mailbox_r);

int cli_serve(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_deliver(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_sample_config(int argc, char **argv);
int cli_acl(int argc, char **argv);
int cli_quota(int argc, char **argv);
int cli_migrate(int argc, char **argv);

#endif
