/* quire user add|passwd|del|list: account management. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth/password.h"
#include "auth/scram.h"
#include "cli/cli.h"
#include "store/store.h"

#define PASSWORD_MAX 1024

static void user_usage(FILE *out)
{
	fputs("usage: quire user add NAME [--password-stdin | --hash HASH] [-c FILE] [-o key=value]...\n"
	      "       quire user passwd NAME [--password-stdin | --hash HASH] ...\n"
	      "       quire user del NAME ...\n"
	      "       quire user list ...\n\n"
	      "add creates the account with INBOX, Drafts, Sent, Trash, Junk and\n"
	      "Archive. The password is read from the first line of standard input\n"
	      "with --password-stdin, else prompted for on the terminal (twice).\n"
	      "Passwords are stored as yescrypt crypt(3) strings plus SCRAM-SHA-256\n"
	      "keys, never in clear. --hash stores a ready-made crypt(3) string\n"
	      "instead (e.g. '$y$...' or '$6$...', as from another server); such an\n"
	      "account has no SCRAM keys, so it logs in with LOGIN/PLAIN only.\n", out);
	cli_print_common_help(out);
}

static int read_line(FILE *in, char *buf, size_t size)
{
	if (fgets(buf, (int)size, in) == NULL)
		return -1;
	size_t len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len == size - 1)
		return -1;	/* longer than PASSWORD_MAX */
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 0;
}

static int prompt_password(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	fputs(prompt, stderr);
	int ret = read_line(stdin, buf, size);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return ret;
}

static int get_password(bool from_stdin, char *buf, size_t size)
{
	char again[PASSWORD_MAX + 2];
	if (from_stdin || !isatty(STDIN_FILENO))
		return read_line(stdin, buf, size);
	if (prompt_password("Password: ", buf, size) < 0 ||
	    prompt_password("Again: ", again, sizeof(again)) < 0)
		return -1;
	int same = strcmp(buf, again) == 0;
	explicit_bzero(again, sizeof(again));
	if (!same) {
		fprintf(stderr, "quire: passwords differ\n");
		return -1;
	}
	return 0;
}

/* Hashes a password into its crypt(3) string and SCRAM keys. */
static int make_credentials(const char *password, char **hash_r,
			    struct scram_credentials *creds,
			    struct store_scram *scram_r)
{
	if (password_hash(password, hash_r) < 0) {
		fprintf(stderr, "quire: cannot hash the password\n");
		return -1;
	}
	if (scram_credentials_derive(password, 0, creds) < 0)
		return 1;	/* PLAIN/LOGIN only; SCRAM needs SASLprep-able text */
	scram_r->salt = creds->salt;
	scram_r->salt_len = creds->salt_len;
	scram_r->iterations = creds->iterations;
	memcpy(scram_r->stored_key, creds->stored_key, sizeof(scram_r->stored_key));
	memcpy(scram_r->server_key, creds->server_key, sizeof(scram_r->server_key));
	return 0;
}

/* Sets the account's credentials from a password (given_hash NULL) or
 * from a ready-made crypt(3) string. */
static int user_set(struct store *st, const char *name, bool add, bool from_stdin,
		    const char *given_hash)
{
	char password[PASSWORD_MAX + 2];
	char *hash = NULL;
	struct scram_credentials creds;
	struct store_scram scram;
	const char *error = "";
	int ret = CLI_EX_SOFTWARE;
	int made = 1;

	memset(&creds, 0, sizeof(creds));
	const char *reason;
	if (!store_user_name_valid(name, &reason)) {
		fprintf(stderr, "quire: invalid user name '%s': %s\n", name, reason);
		return CLI_EX_USAGE;
	}
	if (given_hash != NULL) {
		if (!password_hash_acceptable(given_hash)) {
			fprintf(stderr, "quire: --hash: not a complete crypt(3) hash "
				"of a supported scheme\n");
			return CLI_EX_USAGE;
		}
		hash = xstrdup(given_hash);
	} else {
		if (get_password(from_stdin, password, sizeof(password)) < 0 ||
		    password[0] == '\0') {
			fprintf(stderr, "quire: no password given (or longer than %d bytes)\n",
				PASSWORD_MAX);
			return CLI_EX_USAGE;
		}
		made = make_credentials(password, &hash, &creds, &scram);
		explicit_bzero(password, sizeof(password));
		if (made < 0)
			return CLI_EX_SOFTWARE;
	}
	const struct store_scram *scram_ptr = made == 0 ? &scram : NULL;
	int r = add ? store_user_add(st, name, hash, scram_ptr, NULL, &error)
		    : store_user_set_password(st, name, hash, scram_ptr, &error);
	if (r == STORE_OK)
		ret = CLI_EX_OK;
	else if (r == STORE_ENONEXISTENT)
		ret = CLI_EX_NOUSER;
	else if (r == STORE_EALREADYEXISTS || r == STORE_EINVALID)
		ret = CLI_EX_USAGE;
	if (r != STORE_OK)
		fprintf(stderr, "quire: %s '%s': %s\n", add ? "cannot add" :
			"cannot change the password of", name, error);
	explicit_bzero(&creds, sizeof(creds));
	free(hash);
	return ret;
}

static int user_list(struct store *st)
{
	char **names;
	const char *error = "";
	if (store_user_list(st, &names, NULL, &error) != STORE_OK) {
		fprintf(stderr, "quire: cannot list users: %s\n", error);
		return CLI_EX_SOFTWARE;
	}
	for (size_t i = 0; names[i] != NULL; i++)
		printf("%s\n", names[i]);
	store_strings_free(names);
	return CLI_EX_OK;
}

static int user_delete(struct store *st, const char *name)
{
	const char *error = "";
	int r = store_user_delete(st, name, &error);
	if (r == STORE_OK)
		return CLI_EX_OK;
	fprintf(stderr, "quire: cannot delete '%s': %s\n", name, error);
	return r == STORE_ENONEXISTENT ? CLI_EX_NOUSER : CLI_EX_SOFTWARE;
}

static int user_run(struct cli_args *args)
{
	const char *verb = args->rest_count > 0 ? args->rest[0] : "";
	const char *name = args->rest_count > 1 ? args->rest[1] : NULL;
	bool from_stdin = false;
	const char *hash = NULL;
	int extra = 0;
	for (int i = 2; i < args->rest_count; i++) {
		if (strcmp(args->rest[i], "--password-stdin") == 0)
			from_stdin = true;
		else if (strcmp(args->rest[i], "--hash") == 0 && i + 1 < args->rest_count)
			hash = args->rest[++i];
		else
			extra++;
	}
	bool list = strcmp(verb, "list") == 0;
	bool set = strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0;
	if (hash != NULL && (from_stdin || !set))
		extra++;
	if (extra > 0 || (list ? name != NULL : name == NULL) ||
	    (!list && strcmp(verb, "add") != 0 && strcmp(verb, "passwd") != 0 &&
	     strcmp(verb, "del") != 0)) {
		user_usage(stderr);
		return CLI_EX_USAGE;
	}

	struct store *st = NULL;
	char *error = NULL;
	if (store_open(args->cfg.data_dir, &st, &error) != STORE_OK) {
		fprintf(stderr, "quire: cannot open the store in %s: %s\n",
			args->cfg.data_dir, error ? error : "unknown error");
		free(error);
		return CLI_EX_TEMPFAIL;
	}
	int ret;
	if (list)
		ret = user_list(st);
	else if (strcmp(verb, "del") == 0)
		ret = user_delete(st, name);
	else
		ret = user_set(st, name, strcmp(verb, "add") == 0, from_stdin, hash);
	store_close(&st);
	return ret;
}

int cli_user(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);
	if (ret == 0 && args.help)
		user_usage(stdout);
	else if (ret == 0)
		ret = user_run(&args);
	cli_args_free(&args);
	return ret;
}
