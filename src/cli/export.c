/*
 * quire export maildir USER PATH / quire export mbox USER FILE [--mailbox
 * NAME]: a user's mail in the formats other servers and tools read, for
 * backup and for moving away. Maildir export writes what `quire import
 * maildir` (and Dovecot) read back: flags in file names, keywords in
 * dovecot-keywords, UIDs and UIDVALIDITY in dovecot-uidlist, received
 * date as mtime, so an export/import round trip keeps everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

static void export_usage(FILE *out)
{
	fputs("usage: quire export maildir USER PATH [-c FILE] [-o key=value]...\n"
	      "       quire export mbox USER FILE [--mailbox NAME] [-c FILE] ...\n\n"
	      "maildir: writes every mailbox of USER as a Maildir++ tree under\n"
	      "  PATH (INBOX in PATH itself, A/B in PATH/.A.B), with flags in\n"
	      "  file names and Dovecot's dovecot-uidlist/dovecot-keywords, so\n"
	      "  `quire import maildir` or Dovecot restores UIDs and flags.\n"
	      "mbox: writes one mailbox (INBOX or NAME) as an mboxrd file\n"
	      "  (\"From \" lines escaped; flags are not kept in mbox).\n"
	      "The server may keep running: each mailbox is read in one\n"
	      "snapshot. Exit status: 0, 64 usage, 67 unknown user, 75 failure.\n",
	      out);
	cli_print_common_help(out);
}

struct export_msg {
	const struct store_message *info;
	struct buf data;
};

/* Reads one message body. Returns 0 or -1 (printed). */
static int read_body(struct store *st, const struct store_message *m,
		     struct buf *out)
{
	int fd;
	uint64_t size;
	const char *error;
	if (store_blob_open(st, m->blob_id, &fd, &size, &error) != STORE_OK) {
		fprintf(stderr, "quire export: uid %u: %s\n", m->uid, error);
		return -1;
	}
	buf_reset(out);
	buf_reserve(out, (size_t)size);
	size_t done = 0;
	while (done < size) {
		ssize_t n = pread(fd, out->data + done, (size_t)size - done,
				  (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	out->len = done;
	buf_cstr(out);
	if (done != size) {
		fprintf(stderr, "quire export: uid %u: short read\n", m->uid);
		return -1;
	}
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_file(int dirfd, const char *name, const struct buf *data,
		      time_t mtime)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);
	if (fd < 0)
		return -1;
	int ret = write_all(fd, data->data, data->len);
	if (ret == 0 && mtime != 0) {
		struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
		futimens(fd, ts);
	}
	if (close(fd) != 0)
		ret = -1;
	return ret;
}

/* Keyword letters a..z as listed in dovecot-keywords (26 at most: more
 * keywords than that cannot be expressed in Maildir file names). */
static char keyword_letter(char **names, size_t *count, const char *kw,
			   size_t len)
{
	for (size_t i = 0; i < *count; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], kw, len) == 0)
			return (char)('a' + i);
	}
	if (*count == 26)
		return 0;
	names[*count] = xstrndup(kw, len);
	return (char)('a' + (*count)++);
}

/* ":2," + flags in ASCII order, as Maildir requires. */
static void info_suffix(const struct store_message *m, char **names,
			size_t *count, struct buf *out)
{
	char letters[40];
	size_t n = 0;
	if (m->flags & STORE_FLAG_DRAFT) letters[n++] = 'D';
	if (m->flags & STORE_FLAG_FLAGGED) letters[n++] = 'F';
	const char *kw = m->keywords;
	bool passed = false;
	char lower[26];
	size_t nl = 0;
	while (kw != NULL && *kw != '\0') {
		const char *sp = strchr(kw, ' ');
		size_t len = sp ? (size_t)(sp - kw) : strlen(kw);
		if (len == 10 && strncmp(kw, "$Forwarded", 10) == 0) {
			passed = true;
		} else {
			char c = keyword_letter(names, count, kw, len);
			if (c != 0 && nl < 26 && memchr(lower, c, nl) == NULL)
				lower[nl++] = c;
		}
		kw = sp ? sp + 1 : NULL;
	}
	if (passed) letters[n++] = 'P';
	if (m->flags & STORE_FLAG_ANSWERED) letters[n++] = 'R';
	if (m->flags & STORE_FLAG_SEEN) letters[n++] = 'S';
	if (m->flags & STORE_FLAG_DELETED) letters[n++] = 'T';
	/* lowercase letters sort after the capitals; sort them too */
	for (size_t i = 1; i < nl; i++)
		for (size_t j = i; j > 0 && lower[j - 1] > lower[j]; j--) {
			char t = lower[j];
			lower[j] = lower[j - 1];
			lower[j - 1] = t;
		}
	buf_append_str(out, ":2,");
	buf_append(out, letters, n);
	buf_append(out, lower, nl);
}

static int mkdir_at(int dirfd, const char *name)
{
	return mkdirat(dirfd, name, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* Exports one mailbox into dirfd (which gets cur/ new/ tmp/). */
static int export_maildir_box(struct store *st, int64_t mailbox_id, int dirfd)
{
	struct store_mailbox mb;
	struct store_message_list list;
	struct store_uid_range all = { 1, UINT32_MAX };
	const char *error;
	if (mkdir_at(dirfd, "cur") < 0 || mkdir_at(dirfd, "new") < 0 ||
	    mkdir_at(dirfd, "tmp") < 0) {
		fprintf(stderr, "quire export: mkdir: %s\n", strerror(errno));
		return -1;
	}
	if (store_mailbox_get(st, mailbox_id, &mb, &error) != STORE_OK ||
	    store_messages_get(st, mailbox_id, &all, 1, &list, &error) != STORE_OK) {
		fprintf(stderr, "quire export: %s\n", error);
		return -1;
	}
	struct buf uidlist = BUF_INIT, name = BUF_INIT, body = BUF_INIT;
	char *keywords[26];
	size_t kw_count = 0;
	int ret = 0;
	buf_printf(&uidlist, "3 V%u N%u\n", mb.uidvalidity, mb.uidnext);
	for (size_t i = 0; i < list.count && ret == 0; i++) {
		const struct store_message *m = &list.msgs[i];
		ret = read_body(st, m, &body);
		if (ret < 0)
			break;
		buf_reset(&name);
		buf_printf(&name, "cur/%lld.U%u.quire", (long long)m->internaldate,
			   m->uid);
		buf_printf(&uidlist, "%u :%s\n", m->uid, buf_cstr(&name) + 4);
		info_suffix(m, keywords, &kw_count, &name);
		if (write_file(dirfd, buf_cstr(&name), &body, m->internaldate) < 0) {
			fprintf(stderr, "quire export: %s: %s\n", buf_cstr(&name),
				strerror(errno));
			ret = -1;
		}
	}
	struct buf kwfile = BUF_INIT;
	for (size_t k = 0; k < kw_count; k++) {
		buf_printf(&kwfile, "%zu %s\n", k, keywords[k]);
		free(keywords[k]);
	}
	if (ret == 0 && (write_file(dirfd, "dovecot-uidlist", &uidlist, 0) < 0 ||
			 (kw_count > 0 &&
			  write_file(dirfd, "dovecot-keywords", &kwfile, 0) < 0))) {
		fprintf(stderr, "quire export: %s\n", strerror(errno));
		ret = -1;
	}
	buf_free(&kwfile);
	buf_free(&uidlist);
	buf_free(&name);
	buf_free(&body);
	store_message_list_free(&list);
	return ret;
}

static int export_maildir(struct store *st, int64_t user_id, const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "quire export: %s: %s\n", path, strerror(errno));
		return CLI_EX_USAGE;
	}
	int root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct store_mailbox_list boxes;
	const char *error;
	if (root < 0 || store_mailbox_list(st, user_id, &boxes, &error) != STORE_OK) {
		fprintf(stderr, "quire export: %s: %s\n", path,
			root < 0 ? strerror(errno) : error);
		if (root >= 0)
			close(root);
		return CLI_EX_TEMPFAIL;
	}
	int ret = CLI_EX_OK;
	for (size_t i = 0; i < boxes.count && ret == CLI_EX_OK; i++) {
		const struct store_mailbox_entry *e = &boxes.entries[i];
		if (e->id == 0 || (e->attrs & (STORE_MBOX_NOSELECT |
					       STORE_MBOX_NONEXISTENT)))
			continue;
		int fd = -1;
		if (strcmp(e->name, "INBOX") == 0) {
			fd = dup(root);
		} else {
			struct buf dir = BUF_INIT;
			buf_append_char(&dir, '.');
			for (const char *c = e->name; *c != '\0'; c++)
				buf_append_char(&dir, *c == '/' ? '.' : *c);
			if (mkdir_at(root, buf_cstr(&dir)) == 0)
				fd = openat(root, buf_cstr(&dir),
					    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			buf_free(&dir);
		}
		if (fd < 0 || export_maildir_box(st, e->id, fd) < 0)
			ret = CLI_EX_TEMPFAIL;
		if (fd >= 0)
			close(fd);
		else
			fprintf(stderr, "quire export: %s: %s\n", e->name,
				strerror(errno));
		if (ret == CLI_EX_OK)
			printf("exported %s\n", e->name);
	}
	store_mailbox_list_free(&boxes);
	close(root);
	return ret;
}

/* mboxrd: every line matching ">*From " gets one more '>'. */
static void mbox_escape(const struct buf *body, struct buf *out)
{
	const char *p = body->data, *end = body->data + body->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl + 1 : end;
		const char *q = p;
		while (q < line_end && *q == '>')
			q++;
		if (line_end - q >= 5 && memcmp(q, "From ", 5) == 0)
			buf_append_char(out, '>');
		buf_append(out, p, (size_t)(line_end - p));
		p = line_end;
	}
}

static int export_mbox(struct store *st, int64_t user_id, const char *path,
		       const char *mailbox)
{
	struct store_mailbox mb;
	struct store_message_list list;
	struct store_uid_range all = { 1, UINT32_MAX };
	const char *error;
	if (store_mailbox_lookup(st, user_id, mailbox, &mb, &error) != STORE_OK ||
	    store_messages_get(st, mb.id, &all, 1, &list, &error) != STORE_OK) {
		fprintf(stderr, "quire export: %s: %s\n", mailbox, error);
		return CLI_EX_TEMPFAIL;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "quire export: %s: %s\n", path, strerror(errno));
		store_message_list_free(&list);
		return CLI_EX_USAGE;
	}
	struct buf body = BUF_INIT, out = BUF_INIT;
	int ret = CLI_EX_OK;
	for (size_t i = 0; i < list.count && ret == CLI_EX_OK; i++) {
		const struct store_message *m = &list.msgs[i];
		if (read_body(st, m, &body) < 0) {
			ret = CLI_EX_TEMPFAIL;
			break;
		}
		struct tm tm;
		char date[64];
		time_t t = m->internaldate;
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
		buf_reset(&out);
		buf_printf(&out, "From MAILER-DAEMON %s\n", date);
		mbox_escape(&body, &out);
		if (body.len > 0 && body.data[body.len - 1] != '\n')
			buf_append_char(&out, '\n');
		buf_append_char(&out, '\n');
		if (write_all(fd, out.data, out.len) < 0) {
			fprintf(stderr, "quire export: %s: %s\n", path,
				strerror(errno));
			ret = CLI_EX_TEMPFAIL;
		}
	}
	if (close(fd) != 0 && ret == CLI_EX_OK)
		ret = CLI_EX_TEMPFAIL;
	if (ret == CLI_EX_OK)
		printf("exported %zu messages from %s\n", list.count, mailbox);
	buf_free(&body);
	buf_free(&out);
	store_message_list_free(&list);
	return ret;
}

static int export_run(struct cli_args *args)
{
	const char *user, *path, *mailbox;
	int kind = cli_parse_transfer_args(args, &user, &path, &mailbox);
	bool maildir = kind == 1;
	if (kind == 0) {
		export_usage(stderr);
		return CLI_EX_USAGE;
	}
	struct store *st = NULL;
	char *error = NULL;
	if (store_open(args->cfg.data_dir, &st, &error) != STORE_OK) {
		fprintf(stderr, "quire export: cannot open the store: %s\n",
			error ? error : "unknown error");
		free(error);
		return CLI_EX_TEMPFAIL;
	}
	struct store_user account;
	const char *serr = "";
	int ret;
	int r = store_user_get(st, user, &account, &serr);
	if (r != STORE_OK) {
		fprintf(stderr, "quire export: %s '%s'\n", r == STORE_ENONEXISTENT ?
			"unknown user" : serr, user);
		ret = r == STORE_ENONEXISTENT ? CLI_EX_NOUSER : CLI_EX_TEMPFAIL;
	} else {
		ret = maildir ? export_maildir(st, account.id, path)
			      : export_mbox(st, account.id, path, mailbox);
		store_user_free(&account);
	}
	store_close(&st);
	return ret;
}

int cli_export(int argc, char **argv)
{
	struct cli_args args;
	int ret = cli_parse_common(argc, argv, &args);
	if (ret == 0 && args.help)
		export_usage(stdout);
	else if (ret == 0)
		ret = export_run(&args);
	cli_args_free(&args);
	return ret;
}
