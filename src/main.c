/* quire: subcommand dispatch; nothing else. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} subcommands[] = {
	{ "serve", cli_serve, "run the IMAP server" },
	{ "user", cli_user, "add, delete, list accounts, set passwords" },
	{ "deliver", cli_deliver, "store one message from stdin (an LDA for MTAs)" },
	{ "check", cli_check, "verify the store and repair orphans" },
	{ "import", cli_import, "import a Maildir tree or an mbox file" },
	{ "export", cli_export, "export a user's mail as Maildir or mbox" },
	{ "status", cli_status, "show a running server's counters" },
	{ "sample-config", cli_sample_config,
	  "print a quire.conf listing every setting" },
	{ "acl", cli_acl, "show or change the access control list of a mailbox" },
	{ "quota", cli_quota, "show or set a user's quota" },
	{ "migrate", cli_migrate,
	  "copy a whole site to another store (sqlite, postgresql)" },
};

static void usage(FILE *out)
{
	fputs("usage: quire COMMAND [-c FILE] [-o key=value]... [ARGS]\n\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fputs("\n`quire COMMAND --help` describes each command.\n", out);
	cli_print_common_help(out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EX_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "quire: unknown command '%s' (see quire --help)\n", argv[1]);
	return CLI_EX_USAGE;
}
