/*
 * quire acl get|set|delete USER MAILBOX ...: an administrator's view of
 * the access control lists (RFC 4314) of USER's mailboxes, acting as the
 * system (every right), whatever the ACL says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/acl-rights.h"
#include "cli/cli.h"
#include "store/store.h"

static void acl_usage(FILE *out)
{
	fputs("usage: quire acl get USER MAILBOX\n"
	      "       quire acl set USER MAILBOX IDENTIFIER [+|-]RIGHTS\n"
	      "       quire acl delete USER MAILBOX IDENTIFIER\n\n"
	      "Shows or changes the access control list of USER's MAILBOX.\n"
	      "IDENTIFIER is a user name, \"anyone\", or either with a leading\n"
	      "'-' for negative rights. RIGHTS are letters of " ACL_RIGHTS_LETTERS
	      "\n(RFC 4314; c = k, d = xte); a leading + adds, - removes, else\n"
	      "they replace. The owner always holds every right.\n", out);
	cli_print_common_help(out);
}

static void print_entry(const char *id, uint32_t rights)
{
	struct buf b = BUF_INIT;
	acl_rights_write(rights, &b);
	printf("%s %s\n", id, buf_cstr(&b));
	buf_free(&b);
}

static int acl_get(struct store *st, int64_t user_id, const char *mailbox)
{
	struct store_acl acl;
	const char *error = "";
	int r = store_acl_get(st, user_id, mailbox, &acl, &error);
	if (r != STORE_OK) {
		fprintf(stderr, "quire acl: %s: %s\n", mailbox, error);
		return CLI_EX_SOFTWARE;
	}
	print_entry(acl.owner, ACL_RIGHTS_ALL);
	for (size_t i = 0; i < acl.count; i++)
		print_entry(acl.entries[i].identifier, acl.entries[i].rights);
	store_acl_free(&acl);
	return CLI_EX_OK;
}

static int acl_set(struct store *st, int64_t user_id, const char *mailbox,
		   const char *id, const char *mod)
{
	enum store_acl_op op = STORE_ACL_REPLACE;
	const char *error = "";
	uint32_t rights;

	if (mod[0] == '+' || mod[0] == '-')
		op = *mod++ == '+' ? STORE_ACL_ADD : STORE_ACL_REMOVE;
	if (acl_rights_parse(mod, strlen(mod), &rights, &error) < 0) {
		fprintf(stderr, "quire acl: %s\n", error);
		return CLI_EX_USAGE;
	}
	int r = store_acl_set(st, user_id, mailbox, id, op, rights, &error);
	if (r != STORE_OK) {
		fprintf(stderr, "quire acl: %s: %s\n", mailbox, error);
		return CLI_EX_SOFTWARE;
	}
	return CLI_EX_OK;
}

static int acl_run(struct cli_args *args)
{
	const char *verb = args->rest_count > 0 ? args->rest[0] : "";
	int want = strcmp(verb, "get") == 0 ? 3 : strcmp(verb, "set") == 0 ? 5 :
		strcmp(verb, "delete") == 0 ? 4 : -1;
	if (want < 0 || args->rest_count != want) {
		acl_usage(stderr);
		return CLI_EX_USAGE;
	}
	struct store *st = NULL;
	struct store_user user;
	char *open_error = NULL;
	const char *error = "";
	if (store_open(args->cfg.data_dir, &st, &open_error) != STORE_OK) {
		fprintf(stderr, "quire acl: cannot open the store in %s: %s\n",
			args->cfg.data_dir, open_error ? open_error : "unknown error");
		free(open_error);
		return CLI_EX_TEMPFAIL;
	}
	int ret;
	if (store_user_get(st, args->rest[1], &user, &error) != STORE_OK) {
		fprintf(stderr, "quire acl: unknown user '%s'\n", args->rest[1]);
		ret = CLI_EX_NOUSER;
	} else {
		const char *mailbox = args->rest[2];
		if (want == 3) {
			ret = acl_get(st, user.id, mailbox);
		} else if (want == 5) {
			ret = acl_set(st, user.id, mailbox, args->rest[3],
				      args->rest[4]);
		} else {
			int r = store_acl_delete(st, user.id, mailbox,
						 args->rest[3], &error);
			if (r != STORE_OK)
				fprintf(stderr, "quire acl: %s: %s\n", mailbox,
					error);
			ret = r == STORE_OK ? CLI_EX_OK : CLI_EX_SOFTWARE;
		}
		store_user_free(&user);
	}
	store_close(&st);
	return ret;
}

int cli_acl(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);
	if (ret == 0 && args.help)
		acl_usage(stdout);
	else if (ret == 0)
		ret = acl_run(&args);
	cli_args_free(&args);
	return ret;
}
