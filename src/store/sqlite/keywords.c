/*
 * store/sqlite: keywords. A message keeps its keywords as one string of
 * space-separated atoms ("$Forwarded work"): what FETCH FLAGS prints, and
 * one column read for a whole mailbox snapshot. Each mailbox remembers the
 * keywords ever used in it (for FLAGS and PERMANENTFLAGS), with the
 * spelling first used: later uses in another case take that spelling.
 */
#include <string.h>
#include <strings.h>

#include "store/sqlite/internal.h"

bool store_keyword_valid(const char *kw)
{
	size_t len = strlen(kw);

	/* RFC 3501 9: flag-keyword = atom; atom-specials are
	 * "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials /
	 * resp-specials. A leading '\' would be a system flag. */
	if (len == 0 || len > STORE_KEYWORD_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)kw[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

bool store_keywords_contain(const char *list, const char *kw, size_t kw_len)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == kw_len && strncasecmp(p, kw, len) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static void append_kw(struct buf *out, const char *kw, size_t len)
{
	if (out->len > 0)
		buf_append_char(out, ' ');
	buf_append(out, kw, len);
}

void store_keywords_apply(const char *current, enum store_flags_op op,
			  const char *change, struct buf *out)
{
	const char *p;

	buf_reset(out);
	if (op == STORE_FLAGS_SET) {
		buf_append_str(out, change);
		return;
	}
	/* Keep current ones unless removed. */
	for (p = current; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (op == STORE_FLAGS_ADD ||
		    !store_keywords_contain(change, p, len))
			append_kw(out, p, len);
		p = end ? end + 1 : NULL;
	}
	if (op != STORE_FLAGS_ADD)
		return;
	for (p = change; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!store_keywords_contain(current, p, len))
			append_kw(out, p, len);
		p = end ? end + 1 : NULL;
	}
}

/* Finds kw in the mailbox's registry, adding it if new; appends the
 * registered spelling to out. */
static int register_one(struct store *s, int64_t mailbox_id, const char *kw,
			size_t len, struct buf *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT name FROM mailbox_keywords"
				      " WHERE mailbox_id = ?1 AND name = ?2");
	int ret = STORE_OK;

	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_text(st, 2, kw, (int)len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		append_kw(out, (const char *)sqlite3_column_text(st, 0),
			  (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc != SQLITE_DONE)
		return store_fail_db(s, "find keyword");
	st = store_stmt(s, "INSERT INTO mailbox_keywords (mailbox_id, name, seq)"
		" VALUES (?1, ?2, (SELECT coalesce(max(seq), 0) + 1"
		" FROM mailbox_keywords WHERE mailbox_id = ?1))");
	if (st == NULL)
		return STORE_ESERVERBUG;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_text(st, 2, kw, (int)len, SQLITE_STATIC);
	ret = store_exec_stmt(s, st, "add keyword");
	if (ret == STORE_OK)
		append_kw(out, kw, len);
	return ret;
}

int store_keywords_register(struct store *s, int64_t mailbox_id,
			    const char *const *keywords, size_t count,
			    struct buf *out)
{
	int ret = STORE_OK;

	buf_reset(out);
	for (size_t i = 0; i < count && ret == STORE_OK; i++) {
		size_t len = strlen(keywords[i]);
		if (!store_keyword_valid(keywords[i]))
			return store_fail(s, STORE_EINVALID, "invalid keyword");
		if (store_keywords_contain(buf_cstr(out), keywords[i], len))
			continue;
		ret = register_one(s, mailbox_id, keywords[i], len, out);
	}
	return ret;
}

int store_keywords_register_str(struct store *s, int64_t mailbox_id,
				const char *keywords)
{
	struct buf ignored = BUF_INIT;
	int ret = STORE_OK;

	for (const char *p = keywords; p != NULL && *p != '\0' &&
	     ret == STORE_OK;) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		ret = register_one(s, mailbox_id, p, len, &ignored);
		p = end ? end + 1 : NULL;
	}
	buf_free(&ignored);
	return ret;
}

/* Validates keywords for a removal, without registering them. */
int store_keywords_join(struct store *s, const char *const *keywords,
			size_t count, struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; i < count; i++) {
		if (!store_keyword_valid(keywords[i]))
			return store_fail(s, STORE_EINVALID, "invalid keyword");
		append_kw(out, keywords[i], strlen(keywords[i]));
	}
	return STORE_OK;
}
