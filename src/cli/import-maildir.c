/*
 * Maildir++ as Dovecot (and Courier) write it:
 *
 *   PATH/{cur,new,tmp}           INBOX
 *   PATH/.Work.Project/{cur,..}  mailbox "Work/Project" ('.' separates)
 *   FOLDER/dovecot-uidlist       "3 V<uidvalidity> N<uidnext> ..." then
 *                                "<uid> [ext...] :<base name>" per message
 *                                (version 1: "1 <uidvalidity> <uidnext>"
 *                                and "<uid> <base name>")
 *   FOLDER/dovecot-keywords      "<index> <keyword>": file name letter
 *                                'a' + index means that keyword
 *   file name                    <base>:2,<flags>: D draft, F flagged,
 *                                P passed ($Forwarded), R replied, S seen,
 *                                T trashed (\Deleted), a-z keywords
 *
 * The file's mtime is the received date (what Dovecot reports as
 * INTERNALDATE), so it becomes ours.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/import.h"
#include "core/strutil.h"
#include "store/store.h"

struct uid_entry {
	char *base;
	uint32_t uid;
};

struct uidlist {
	uint32_t uidvalidity, uidnext;
	struct uid_entry *entries;  /* sorted by base */
	size_t count;
};

struct mfile {
	char *name;         /* "cur/1234.M1.host:2,S" */
	uint32_t uid;
	time_t mtime;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct uid_entry *)a)->base,
		      ((const struct uid_entry *)b)->base);
}

/* Parses "V123" / "N45" style header fields of uidlist version 3. */
static void uidlist_header(struct uidlist *ul, char *line)
{
	uint32_t v;
	if (line[0] == '1' && line[1] == ' ') {
		char *p = line + 2, *sp = strchr(p, ' ');
		if (sp != NULL && str_to_u32(p, (size_t)(sp - p), &v) == 0)
			ul->uidvalidity = v;
		if (sp != NULL && str_to_u32(sp + 1, strlen(sp + 1), &v) == 0)
			ul->uidnext = v;
		return;
	}
	char *p = line;
	while (p != NULL && *p != '\0') {
		char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len > 1 && (p[0] == 'V' || p[0] == 'N') &&
		    str_to_u32(p + 1, len - 1, &v) == 0) {
			if (p[0] == 'V')
				ul->uidvalidity = v;
			else
				ul->uidnext = v;
		}
		p = sp ? sp + 1 : NULL;
	}
}

/* One record: "<uid> [ext ...] :<base>" (v3) or "<uid> <base>" (v1). */
static void uidlist_record(struct uidlist *ul, size_t *cap, char *line,
			   bool v1)
{
	char *sp = strchr(line, ' ');
	uint32_t uid;
	if (sp == NULL || str_to_u32(line, (size_t)(sp - line), &uid) < 0 ||
	    uid == 0)
		return;
	const char *base;
	if (v1) {
		base = sp + 1;
	} else {
		const char *colon = strstr(sp, " :");
		if (colon == NULL)
			return;
		base = colon + 2;
	}
	/* Some writers keep the flags part in the name: key on the base. */
	size_t len = strcspn(base, ":");
	if (len == 0)
		return;
	if (ul->count == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		ul->entries = xrealloc(ul->entries, *cap * sizeof(*ul->entries));
	}
	ul->entries[ul->count].base = xstrndup(base, len);
	ul->entries[ul->count++].uid = uid;
}

static void uidlist_load(int dirfd, struct uidlist *ul)
{
	struct buf text = BUF_INIT;
	memset(ul, 0, sizeof(*ul));
	if (import_read_file(dirfd, "dovecot-uidlist", &text) < 0) {
		buf_free(&text);
		return;
	}
	size_t cap = 0;
	bool v1 = false, first = true;
	char *p = (char *)buf_cstr(&text);
	while (*p != '\0') {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (first) {
			v1 = p[0] == '1' && p[1] == ' ';
			uidlist_header(ul, p);
			first = false;
		} else {
			uidlist_record(ul, &cap, p, v1);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	buf_free(&text);
	if (ul->count > 1)
		qsort(ul->entries, ul->count, sizeof(*ul->entries), cmp_entry);
}

static uint32_t uidlist_find(const struct uidlist *ul, const char *name)
{
	if (ul->count == 0)
		return 0;
	size_t len = strcspn(name, ":");
	char *base = xstrndup(name, len);
	struct uid_entry key = { .base = base };
	struct uid_entry *e = bsearch(&key, ul->entries, ul->count,
				      sizeof(*ul->entries), cmp_entry);
	free(base);
	return e != NULL ? e->uid : 0;
}

static void uidlist_free(struct uidlist *ul)
{
	for (size_t i = 0; i < ul->count; i++)
		free(ul->entries[i].base);
	free(ul->entries);
	memset(ul, 0, sizeof(*ul));
}

/* dovecot-keywords: "<index> <name>" lines, index 0..25. */
static void keywords_load(int dirfd, char *names[26])
{
	struct buf text = BUF_INIT;
	memset(names, 0, 26 * sizeof(*names));
	if (import_read_file(dirfd, "dovecot-keywords", &text) < 0) {
		buf_free(&text);
		return;
	}
	char *p = (char *)buf_cstr(&text);
	while (*p != '\0') {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *sp = memchr(p, ' ', len);
		uint32_t idx;
		if (sp != NULL && str_to_u32(p, (size_t)(sp - p), &idx) == 0 &&
		    idx < 26 && sp + 1 < p + len && names[idx] == NULL)
			names[idx] = xstrndup(sp + 1, (size_t)(p + len - sp - 1));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	buf_free(&text);
}

static void add_keyword(struct import_msg *m, const char *kw)
{
	for (size_t i = 0; i < m->keyword_count; i++) {
		if (strcmp(m->keywords[i], kw) == 0)
			return;
	}
	m->keywords = xrealloc(m->keywords,
			       (m->keyword_count + 1) * sizeof(*m->keywords));
	m->keywords[m->keyword_count++] = xstrdup(kw);
}

/* Flags from the ":2,..." info part of a file name. */
static void parse_info(const char *name, char *const keywords[26],
		       struct import_msg *m)
{
	const char *info = strstr(name, ":2,");
	if (info == NULL)
		return;
	for (const char *p = info + 3; *p != '\0'; p++) {
		switch (*p) {
		case 'D': m->flags |= STORE_FLAG_DRAFT; break;
		case 'F': m->flags |= STORE_FLAG_FLAGGED; break;
		case 'P': add_keyword(m, "$Forwarded"); break;
		case 'R': m->flags |= STORE_FLAG_ANSWERED; break;
		case 'S': m->flags |= STORE_FLAG_SEEN; break;
		case 'T': m->flags |= STORE_FLAG_DELETED; break;
		default:
			if (*p >= 'a' && *p <= 'z' && keywords[*p - 'a'] != NULL)
				add_keyword(m, keywords[*p - 'a']);
			break;
		}
	}
}

static int cmp_mfile(const void *a, const void *b)
{
	const struct mfile *x = a, *y = b;
	/* Known UIDs first, in UID order; then the rest by arrival. */
	if ((x->uid == 0) != (y->uid == 0))
		return x->uid == 0 ? 1 : -1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void list_sub(int dirfd, const char *sub, const struct uidlist *ul,
		     struct mfile **files, size_t *count, size_t *cap)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (e->d_name[0] == '.' ||
		    fstatat(fd, e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (*count == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			*files = xrealloc(*files, *cap * sizeof(**files));
		}
		struct buf name = BUF_INIT;
		buf_printf(&name, "%s/%s", sub, e->d_name);
		(*files)[*count] = (struct mfile){
			.name = buf_steal(&name),
			.uid = uidlist_find(ul, e->d_name),
			.mtime = st.st_mtime,
		};
		(*count)++;
	}
	closedir(d);
}

static int import_folder(struct import_ctx *ctx, int dirfd, const char *mailbox)
{
	int64_t mailbox_id;
	if (import_mailbox(ctx, mailbox, &mailbox_id) < 0)
		return -1;
	ctx->label = mailbox;
	struct uidlist ul;
	uidlist_load(dirfd, &ul);
	char *keywords[26];
	keywords_load(dirfd, keywords);
	/* uidnext is raised only after the messages went in: raising it
	 * first would push their recorded UIDs out of reach. */
	bool keep_uids = false;
	const char *error;
	if (ul.uidvalidity != 0) {
		keep_uids = store_import_set_uidvalidity(ctx->st, mailbox_id,
							 ul.uidvalidity, 0,
							 &error) == STORE_OK;
		if (!keep_uids)
			fprintf(stderr, "quire import: %s: UIDs not kept: %s\n",
				mailbox, error);
	}
	struct mfile *files = NULL;
	size_t count = 0, cap = 0;
	list_sub(dirfd, "cur", &ul, &files, &count, &cap);
	list_sub(dirfd, "new", &ul, &files, &count, &cap);
	if (count > 1)
		qsort(files, count, sizeof(*files), cmp_mfile);
	int ret = 0;
	for (size_t i = 0; i < count; i++) {
		struct buf data = BUF_INIT;
		if (ret == 0 && import_read_file(dirfd, files[i].name, &data) < 0) {
			fprintf(stderr, "quire import: %s: %s\n", files[i].name,
				strerror(errno));
			ctx->failed++;
		} else if (ret == 0) {
			struct import_msg m = {
				.size = data.len, .uid = files[i].uid,
				.internaldate = files[i].mtime,
			};
			/* Dovecot flags a message still in new/ by renaming
			 * it there (seen with doveadm flags), so the info part
			 * counts wherever the file is. */
			parse_info(files[i].name, keywords, &m);
			m.data = buf_steal(&data);
			ret = import_add(ctx, mailbox_id, &m);
		}
		buf_free(&data);
		free(files[i].name);
	}
	free(files);
	for (int k = 0; k < 26; k++)
		free(keywords[k]);
	if (ret == 0)
		ret = import_flush(ctx);
	if (ret == 0 && keep_uids && ul.uidnext > 0 &&
	    store_import_set_uidvalidity(ctx->st, mailbox_id, ul.uidvalidity,
					 ul.uidnext, &error) != STORE_OK)
		fprintf(stderr, "quire import: %s: %s\n", mailbox, error);
	uidlist_free(&ul);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ".Work.Project" -> "Work/Project"; NULL for names that are not folders
 * (".", "..", a leading or doubled dot). */
static char *folder_name(const char *entry)
{
	const char *p = entry + 1;
	size_t len = strlen(p);
	if (len == 0 || p[0] == '.' || p[len - 1] == '.' || strstr(p, "..") != NULL)
		return NULL;
	char *name = xstrdup(p);
	for (char *c = name; *c != '\0'; c++) {
		if (*c == '.')
			*c = '/';
	}
	return name;
}

int import_maildir(struct import_ctx *ctx, const char *path)
{
	int root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		fprintf(stderr, "quire import: %s: %s\n", path, strerror(errno));
		return CLI_EX_USAGE;
	}
	struct stat st;
	if (fstatat(root, "cur", &st, 0) != 0 && fstatat(root, "new", &st, 0) != 0) {
		fprintf(stderr, "quire import: %s is not a Maildir (no cur/ or "
			"new/)\n", path);
		close(root);
		return CLI_EX_USAGE;
	}
	int ret = import_folder(ctx, root, "INBOX") < 0 ? CLI_EX_TEMPFAIL : 0;

	/* Subfolders, parents before children (sorted names). */
	char **names = NULL;
	size_t count = 0;
	DIR *d = fdopendir(dup(root));
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' ||
		    fstatat(root, e->d_name, &st, 0) != 0 || !S_ISDIR(st.st_mode))
			continue;
		names = xrealloc(names, (count + 1) * sizeof(*names));
		names[count++] = xstrdup(e->d_name);
	}
	if (d != NULL)
		closedir(d);
	if (count > 1)
		qsort(names, count, sizeof(*names), cmp_str);
	for (size_t i = 0; i < count; i++) {
		char *mailbox = folder_name(names[i]);
		int fd = mailbox != NULL ?
			openat(root, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (fd >= 0 && ret == 0 && import_folder(ctx, fd, mailbox) < 0)
			ret = CLI_EX_TEMPFAIL;
		if (fd >= 0)
			close(fd);
		free(mailbox);
		free(names[i]);
	}
	free(names);
	close(root);
	return ret;
}
