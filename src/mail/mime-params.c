#include "mail/mime-params.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/decode.h"

/* More parameters than this in one header are dropped: the merge below is
   quadratic and no real mailer needs more. */
#define MAX_RAW_PARAMS 256
#define MAX_CONTINUATIONS 1000

struct lexer {
	const char *p;
	const char *end;
};

struct raw_param {
	const char *name;
	size_t name_len;
	struct buf value;
};

static void skip_cfws(struct lexer *lx)
{
	int depth = 0;
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (depth > 0 && c == '\\' && lx->p + 1 < lx->end) {
			lx->p += 2;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' &&
			 c != '\n')
			return;
		lx->p++;
	}
}

static bool is_token_char(unsigned char c)
{
	/* RFC 2045 5.1 tspecials, space and CTLs end a token; 8-bit bytes
	   are accepted since broken mailers put them in names. */
	return c > 0x20 && c != 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static size_t lex_token(struct lexer *lx, const char **start_r)
{
	*start_r = lx->p;
	while (lx->p < lx->end && is_token_char((unsigned char)*lx->p))
		lx->p++;
	return (size_t)(lx->p - *start_r);
}

/* Reads a quoted-string at lx->p (which is '"') into out, unescaped. An
   unterminated string runs to the end of the value. */
static void lex_quoted(struct lexer *lx, struct buf *out)
{
	lx->p++;
	while (lx->p < lx->end && *lx->p != '"') {
		if (*lx->p == '\\' && lx->p + 1 < lx->end)
			lx->p++;
		buf_append_char(out, *lx->p);
		lx->p++;
	}
	if (lx->p < lx->end)
		lx->p++;
}

/* A parameter value: quoted-string, or (lenient) anything up to ';' or
   whitespace: "boundary=----=_Part_1" unquoted is common. */
static void lex_value(struct lexer *lx, struct buf *out)
{
	if (lx->p < lx->end && *lx->p == '"') {
		lex_quoted(lx, out);
		return;
	}
	const char *start = lx->p;
	while (lx->p < lx->end && *lx->p != ';' && *lx->p != ' ' &&
	       *lx->p != '\t' && *lx->p != '(')
		lx->p++;
	buf_append(out, start, (size_t)(lx->p - start));
}

static unsigned int lex_params(struct lexer *lx, struct raw_param *raw)
{
	unsigned int n = 0;
	while (lx->p < lx->end) {
		/* skip to the next ';' (junk after a value is ignored) */
		while (lx->p < lx->end && *lx->p != ';') {
			if (*lx->p == '"') {
				struct buf junk = BUF_INIT;
				lex_quoted(lx, &junk);
				buf_free(&junk);
			} else {
				lx->p++;
			}
		}
		if (lx->p >= lx->end)
			break;
		lx->p++;
		skip_cfws(lx);
		const char *name;
		size_t name_len = lex_token(lx, &name);
		skip_cfws(lx);
		if (name_len == 0 || lx->p >= lx->end || *lx->p != '=')
			continue;
		lx->p++;
		skip_cfws(lx);
		if (n == MAX_RAW_PARAMS)
			continue;
		raw[n].name = name;
		raw[n].name_len = name_len;
		buf_init(&raw[n].value);
		lex_value(lx, &raw[n].value);
		n++;
	}
	return n;
}

/* RFC 2231 name forms: "name*" (extended), "name*N" (continuation),
   "name*N*" (extended continuation). Returns false for a plain name. */
static bool split_2231(const struct raw_param *r, size_t *base_len_r,
		       int *section_r, bool *extended_r)
{
	const char *star = memchr(r->name, '*', r->name_len);
	if (star == NULL || star == r->name)
		return false;
	size_t base_len = (size_t)(star - r->name);
	const char *p = star + 1, *end = r->name + r->name_len;
	int section = -1;
	bool extended;
	if (p < end && *p >= '0' && *p <= '9') {
		section = 0;
		while (p < end && *p >= '0' && *p <= '9' && section < 100000)
			section = section * 10 + (*p++ - '0');
		extended = p < end && *p == '*';
		if (extended)
			p++;
	} else {
		extended = true;  /* "name*": one extended section */
	}
	if (p != end)
		return false;
	*base_len_r = base_len;
	*section_r = section < 0 ? 0 : section;
	*extended_r = extended;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void percent_decode(const char *s, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		int h = -1, l = -1;
		if (s[i] == '%' && i + 2 < len) {
			h = hex_digit(s[i + 1]);
			l = hex_digit(s[i + 2]);
		}
		if (h >= 0 && l >= 0) {
			buf_append_char(out, (char)(h << 4 | l));
			i += 2;
		} else {
			buf_append_char(out, s[i]);
		}
	}
}

/* Joins the RFC 2231 sections of parameter base into out (RFC 2231 3, 4). */
static void percent_encode(const char *s, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		/* RFC 2231 7 attribute-char */
		if (c > 0x20 && c < 0x7f && strchr("*'%()<>@,;:\\\"/[]?=", c) == NULL)
			buf_append_char(out, (char)c);
		else
			buf_printf(out, "%%%02X", c);
	}
}

/* Joins the RFC 2231 sections of parameter base (RFC 2231 3, 4): the
   decoded UTF-8 value into out, and the still encoded value into raw when
   any section was extended (raw left empty otherwise). */
static void merge_2231(struct raw_param *raw, unsigned int n, const char *base,
		       size_t base_len, struct buf *out, struct buf *raw_out)
{
	struct buf bytes = BUF_INIT;
	bool any_ext = false, first_ext = false;
	char charset[64] = "";
	for (int want = 0; want < MAX_CONTINUATIONS; want++) {
		struct raw_param *found = NULL;
		bool ext = false;
		for (unsigned int i = 0; i < n && found == NULL; i++) {
			size_t bl;
			int sec;
			if (split_2231(&raw[i], &bl, &sec, &ext) && sec == want &&
			    bl == base_len && strncasecmp(raw[i].name, base, bl) == 0)
				found = &raw[i];
		}
		if (found == NULL)
			break;
		const char *v = found->value.data == NULL ? "" : found->value.data;
		size_t vlen = found->value.len;
		if (ext && want == 0) {
			/* charset'language'value */
			const char *q1 = memchr(v, '\'', vlen);
			const char *q2 = q1 == NULL ? NULL :
				memchr(q1 + 1, '\'', vlen - (size_t)(q1 + 1 - v));
			if (q2 != NULL) {
				size_t cs_len = (size_t)(q1 - v);
				if (cs_len < sizeof(charset)) {
					memcpy(charset, v, cs_len);
					charset[cs_len] = '\0';
				}
				vlen -= (size_t)(q2 + 1 - v);
				v = q2 + 1;
			}
		}
		if (want == 0)
			first_ext = ext;
		if (ext) {
			percent_decode(v, vlen, &bytes);
			buf_append(raw_out, found->value.data, found->value.len);
			any_ext = true;
		} else {
			buf_append(&bytes, v, vlen);
			percent_encode(v, vlen, raw_out);
		}
	}
	if (!any_ext) {
		buf_reset(raw_out);
	} else if (!first_ext) {
		/* the encoded form must start with charset'language' */
		struct buf fixed = BUF_INIT;
		buf_append_str(&fixed, "''");
		buf_append(&fixed, raw_out->data, raw_out->len);
		buf_reset(raw_out);
		buf_append(raw_out, fixed.data, fixed.len);
		buf_free(&fixed);
	}
	const char *b = bytes.data == NULL ? "" : bytes.data;
	if (charset[0] == '\0' ||
	    mail_charset_to_utf8(charset, b, bytes.len, out) < 0)
		buf_append(out, b, bytes.len);
	buf_free(&bytes);
}

static void build_params(struct mail_pool *pool, struct raw_param *raw,
			 unsigned int n, struct mail_param **params_r,
			 unsigned int *count_r)
{
	struct mail_param *params = mail_pool_alloc(pool, sizeof(*params) * (n + 1));
	unsigned int count = 0;
	struct buf v = BUF_INIT, v2231 = BUF_INIT;
	for (unsigned int i = 0; i < n; i++) {
		size_t base_len;
		int sec;
		bool ext;
		bool is_2231 = split_2231(&raw[i], &base_len, &sec, &ext);
		if (!is_2231)
			base_len = raw[i].name_len;
		/* one output per base name, at its first appearance; the
		   RFC 2231 form wins over a plain one of the same name */
		bool seen = false, has_2231 = is_2231;
		for (unsigned int j = 0; j < n; j++) {
			size_t bl;
			int s;
			bool e;
			bool j2231 = split_2231(&raw[j], &bl, &s, &e);
			if (!j2231)
				bl = raw[j].name_len;
			if (bl != base_len ||
			    strncasecmp(raw[j].name, raw[i].name, bl) != 0)
				continue;
			if (j < i)
				seen = true;
			has_2231 = has_2231 || j2231;
		}
		if (seen)
			continue;
		buf_reset(&v);
		buf_reset(&v2231);
		if (has_2231)
			merge_2231(raw, n, raw[i].name, base_len, &v, &v2231);
		else
			buf_append(&v, raw[i].value.data, raw[i].value.len);
		params[count].name = mail_pool_strndup(pool, raw[i].name, base_len);
		params[count].value = mail_pool_strndup(pool, v.data, v.len);
		if (v2231.len > 0)
			params[count].value_2231 =
				mail_pool_strndup(pool, v2231.data, v2231.len);
		count++;
	}
	buf_free(&v);
	buf_free(&v2231);
	*params_r = params;
	*count_r = count;
}

static void parse_params(struct mail_pool *pool, struct lexer *lx,
			 struct mail_param **params_r, unsigned int *count_r)
{
	struct raw_param *raw = xmalloc(sizeof(*raw) * MAX_RAW_PARAMS);
	unsigned int n = lex_params(lx, raw);
	build_params(pool, raw, n, params_r, count_r);
	for (unsigned int i = 0; i < n; i++)
		buf_free(&raw[i].value);
	free(raw);
}

bool mime_parse_content_type(struct mail_pool *pool, const char *value,
			     size_t len, struct mail_part *part)
{
	struct lexer lx = { value, value + len };
	const char *type, *sub;
	skip_cfws(&lx);
	size_t type_len = lex_token(&lx, &type);
	skip_cfws(&lx);
	if (type_len == 0 || lx.p >= lx.end || *lx.p != '/')
		return false;
	lx.p++;
	skip_cfws(&lx);
	size_t sub_len = lex_token(&lx, &sub);
	if (sub_len == 0)
		return false;
	part->type = mail_pool_strndup(pool, type, type_len);
	part->subtype = mail_pool_strndup(pool, sub, sub_len);
	parse_params(pool, &lx, &part->params, &part->param_count);
	return true;
}

bool mime_parse_disposition(struct mail_pool *pool, const char *value,
			    size_t len, struct mail_part *part)
{
	struct lexer lx = { value, value + len };
	const char *disp;
	skip_cfws(&lx);
	size_t disp_len = lex_token(&lx, &disp);
	if (disp_len == 0)
		return false;
	part->disposition = mail_pool_strndup(pool, disp, disp_len);
	parse_params(pool, &lx, &part->disp_params, &part->disp_param_count);
	return true;
}

char *mime_parse_token(struct mail_pool *pool, const char *value, size_t len)
{
	struct lexer lx = { value, value + len };
	const char *tok;
	skip_cfws(&lx);
	size_t tok_len = lex_token(&lx, &tok);
	return tok_len == 0 ? NULL : mail_pool_strndup(pool, tok, tok_len);
}

void mime_parse_languages(struct mail_pool *pool, const char *value,
			  size_t len, struct mail_part *part)
{
	const char *tags[64];
	size_t lens[64];
	unsigned int n = 0;
	struct lexer lx = { value, value + len };
	while (lx.p < lx.end && n < 64) {
		skip_cfws(&lx);
		const char *start = lx.p;
		while (lx.p < lx.end && *lx.p != ',' && *lx.p != ' ' &&
		       *lx.p != '\t' && *lx.p != '(')
			lx.p++;
		if (lx.p > start) {
			tags[n] = start;
			lens[n++] = (size_t)(lx.p - start);
		}
		skip_cfws(&lx);
		if (lx.p < lx.end && *lx.p == ',')
			lx.p++;
		else if (lx.p < lx.end && lx.p == start)
			lx.p++;
	}
	if (n == 0)
		return;
	part->languages = mail_pool_alloc(pool, sizeof(char *) * n);
	for (unsigned int i = 0; i < n; i++)
		part->languages[i] = mail_pool_strndup(pool, tags[i], lens[i]);
	part->language_count = n;
}
