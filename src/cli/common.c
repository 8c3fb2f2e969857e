#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/store.h"

static const char *find_config_file(int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "-c") == 0)
			path = argv[i + 1];
	}
	return path;
}

int cli_parse_common(int argc, char **argv, struct cli_args *args)
{
	char *error = NULL;
	memset(args, 0, sizeof(*args));
	config_init(&args->cfg);
	args->rest = xcalloc((size_t)argc + 1, sizeof(char *));

	/* The file first, so -o overrides it whatever the order on the line. */
	const char *path = find_config_file(argc, argv);
	if (path != NULL && config_load_file(&args->cfg, path, &error) < 0) {
		fprintf(stderr, "quire: %s\n", error);
		free(error);
		return CLI_EX_CONFIG;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-c") == 0 || strcmp(arg, "-o") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "quire: %s needs an argument\n", arg);
				return CLI_EX_USAGE;
			}
			i++;
			if (arg[1] == 'o' &&
			    config_set_option(&args->cfg, argv[i], &error) < 0) {
				fprintf(stderr, "quire: -o %s: %s\n", argv[i], error);
				free(error);
				return CLI_EX_CONFIG;
			}
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			args->help = true;
		} else {
			args->rest[args->rest_count++] = argv[i];
		}
	}
	enum log_level level;
	if (log_level_parse(args->cfg.log_level, &level) == 0)
		log_set_level(level);
	/* Every subcommand that opens the store enforces the same policy;
	 * set once, before any thread starts. */
	struct store_policy policy = {
		.admin_user = args->cfg.admin_user,
		.quota_storage = args->cfg.quota_storage,
		.quota_messages = args->cfg.quota_messages,
	};
	store_set_policy(&policy);
	struct store_config store_cfg = {
		.kind = strcmp(args->cfg.store, "postgresql") == 0 ?
			STORE_POSTGRESQL : STORE_SQLITE,
		.pg_conninfo = args->cfg.pg_conninfo,
		.blob_dir = args->cfg.blob_dir,
	};
	store_configure(&store_cfg);
	return 0;
}

void cli_args_free(struct cli_args *args)
{
	config_free(&args->cfg);
	free(args->rest);
	args->rest = NULL;
}

void cli_print_common_help(FILE *out)
{
	fputs("\nCommon options:\n"
	      "  -c FILE          read settings from FILE (key = value lines)\n"
	      "  -o KEY=VALUE     set one setting (after -c; may repeat)\n"
	      "  --help           this help\n"
	      "\nSettings (quire.conf keys, also usable with -o):\n", out);
	config_write_help(out);
}

int cli_parse_transfer_args(const struct cli_args *args, const char **first_r,
			    const char **second_r, const char **mailbox_r)
{
	const char *format = NULL, *first = NULL, *second = NULL;
	*mailbox_r = "INBOX";
	for (int i = 0; i < args->rest_count; i++) {
		const char *a = args->rest[i];
		if (strcmp(a, "--mailbox") == 0 && i + 1 < args->rest_count)
			*mailbox_r = args->rest[++i];
		else if ((a[0] == '-' && a[1] != '\0') || second != NULL)
			return 0;
		else if (format == NULL)
			format = a;
		else if (first == NULL)
			first = a;
		else
			second = a;
	}
	*first_r = first;
	*second_r = second;
	if (format == NULL || second == NULL)
		return 0;
	if (strcmp(format, "maildir") == 0)
		return 1;
	return strcmp(format, "mbox") == 0 ? 2 : 0;
}
