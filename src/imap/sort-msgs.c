/*
 * Sort keys of messages (RFC 5256 3, RFC 5957), read from the ENVELOPE
 * the parse cache already holds: date, subject and addresses need no
 * message bytes. Only THREAD=REFERENCES maps the message, for References.
 */
#include "imap/sort.h"

#include <stdlib.h>
#include <string.h>

#include "core/imapdate.h"
#include "core/log.h"
#include "imap/message.h"
#include "imap/session.h"
#include "imap/view.h"
#include "mail/decode.h"
#include "mail/header.h"
#include "mail/mime.h"
#include "store/store.h"

/* References beyond this many are dropped (the oldest ones kept first
 * matter least: the parent is the last). */
#define MAX_REFERENCES 100

/* ---- reading the rendered ENVELOPE (RFC 3501 7.4.2 syntax) ---- */

struct env_token {
	const char *start;
	size_t len;
};

/* Skips one item (atom, quoted string, literal, list) at *p. */
static bool env_skip(const char **p, const char *end)
{
	const char *s = *p;
	while (s < end && *s == ' ')
		s++;
	if (s >= end)
		return false;
	if (*s == '"') {
		for (s++; s < end && *s != '"'; s++) {
			if (*s == '\\')
				s++;
		}
		if (s >= end)
			return false;
		s++;
	} else if (*s == '{') {
		size_t n = 0;
		for (s++; s < end && *s >= '0' && *s <= '9'; s++)
			n = n * 10 + (size_t)(*s - '0');
		if (end - s < 3 || (size_t)(end - s - 3) < n)
			return false;
		s += 3 + n;	/* "}\r\n" then the bytes */
	} else if (*s == '(') {
		s++;
		for (;;) {
			while (s < end && *s == ' ')
				s++;
			if (s < end && *s == ')') {
				s++;
				break;
			}
			if (!env_skip(&s, end))
				return false;
		}
	} else {
		while (s < end && *s != ' ' && *s != '(' && *s != ')')
			s++;
	}
	*p = s;
	return true;
}

/* The index-th item of the list at data (0-based). */
static bool env_item(const char *data, size_t len, unsigned index,
		     struct env_token *tok)
{
	const char *p = data, *end = data + len;
	if (len == 0 || *p != '(')
		return false;
	p++;
	for (unsigned i = 0;; i++) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end || *p == ')')
			return false;
		const char *start = p;
		if (!env_skip(&p, end))
			return false;
		if (i == index) {
			tok->start = start;
			tok->len = (size_t)(p - start);
			return true;
		}
	}
}

/* Appends the value of a string token; false for NIL or a non-string. */
static bool env_string(const struct env_token *tok, struct buf *out)
{
	const char *s = tok->start, *end = tok->start + tok->len;
	if (tok->len >= 2 && *s == '"') {
		for (s++; s < end - 1; s++) {
			if (*s == '\\' && s + 1 < end - 1)
				s++;
			buf_append_char(out, *s);
		}
		return true;
	}
	if (tok->len > 0 && *s == '{') {
		const char *nl = memchr(s, '\n', tok->len);
		if (nl == NULL)
			return false;
		buf_append(out, nl + 1, (size_t)(end - nl - 1));
		return true;
	}
	return false;
}

/* The first address of an address list token with a host (groups'
 * markers have none): fills personal, mailbox and host. */
static bool env_first_address(const struct env_token *list, struct buf *personal,
			      struct buf *mailbox, struct buf *host)
{
	struct env_token addr, field;
	for (unsigned i = 0; env_item(list->start, list->len, i, &addr); i++) {
		if (!env_item(addr.start, addr.len, 3, &field))
			continue;
		buf_reset(host);
		if (!env_string(&field, host))
			continue;
		buf_reset(personal);
		buf_reset(mailbox);
		if (env_item(addr.start, addr.len, 0, &field))
			env_string(&field, personal);
		if (env_item(addr.start, addr.len, 2, &field))
			env_string(&field, mailbox);
		return true;
	}
	return false;
}

/* ---- keys ---- */

int sort_casemap_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'a' && x <= 'z')
			x -= 32;
		if (y >= 'a' && y <= 'z')
			y -= 32;
		if (x != y || x == '\0')
			return (int)x - (int)y;
	}
}

static char *buf_take(struct buf *b)
{
	char *s = b->data == NULL ? xstrdup("") : buf_steal(b);
	return s;
}

/* Address keys: RFC 5256 uses the addr-mailbox; RFC 5957 the decoded
 * display name, or the addr-spec when there is none. */
static void address_keys(const char *env, size_t env_len, unsigned index,
			 char **mailbox_r, char **display_r)
{
	struct env_token list;
	struct buf personal = BUF_INIT, mailbox = BUF_INIT, host = BUF_INIT;
	struct buf display = BUF_INIT;
	if (env_item(env, env_len, index, &list) &&
	    env_first_address(&list, &personal, &mailbox, &host)) {
		if (personal.len > 0)
			mail_rfc2047_decode(personal.data, personal.len, &display);
		if (display.len == 0) {
			buf_append(&display, mailbox.data == NULL ? "" : mailbox.data, mailbox.len);
			buf_append_char(&display, '@');
			buf_append(&display, host.data == NULL ? "" : host.data, host.len);
		}
	}
	*mailbox_r = buf_take(&mailbox);
	if (display_r != NULL)
		*display_r = buf_take(&display);
	buf_free(&personal);
	buf_free(&host);
	buf_free(&display);
}

static char *first_msgid(const char *env, size_t env_len, unsigned index)
{
	struct env_token tok;
	struct buf value = BUF_INIT;
	char **ids = NULL;
	size_t n = 0;
	char *result = NULL;
	if (env_item(env, env_len, index, &tok) && env_string(&tok, &value) &&
	    mail_msgids_parse(value.data, value.len, 1, &ids, &n) == 1)
		result = ids[0];
	free(ids);
	buf_free(&value);
	return result;
}

static void load_references(const struct message *msg, struct sort_msg *m)
{
	struct mail_header_field f;
	size_t hdr_len = mail_header_block_size(msg->data, msg->size);
	if (mail_header_find(msg->data, hdr_len, "References", &f))
		mail_msgids_parse(f.value, f.value_len, MAX_REFERENCES,
				  &m->references, &m->reference_count);
}

/* Fills m from the message's envelope (and header, for references). */
static void fill_keys(const struct store_message *rec, const struct message *msg,
		      bool with_references, struct sort_msg *m)
{
	const char *env = msg->tree->envelope.data;
	size_t env_len = msg->tree->envelope.len;
	struct env_token tok;
	struct buf value = BUF_INIT;
	int tz;

	m->arrival = rec->internaldate;
	m->size = rec->size;
	/* RFC 5256 2.2: no usable Date means the INTERNALDATE. */
	m->sent = rec->internaldate;
	if (env_item(env, env_len, 0, &tok) && env_string(&tok, &value) &&
	    imapdate_parse_rfc5322(value.data, value.len, &m->sent, &tz) < 0)
		m->sent = rec->internaldate;
	buf_reset(&value);
	struct buf base = BUF_INIT;
	if (env_item(env, env_len, 1, &tok) && env_string(&tok, &value))
		mail_base_subject(value.data, value.len, &base, &m->is_reply);
	m->subject = buf_take(&base);
	buf_free(&value);
	address_keys(env, env_len, 2, &m->from, &m->display_from);
	address_keys(env, env_len, 5, &m->to, &m->display_to);
	address_keys(env, env_len, 6, &m->cc, NULL);
	m->in_reply_to = first_msgid(env, env_len, 8);
	m->message_id = first_msgid(env, env_len, 9);
	if (with_references && msg->data != NULL)
		load_references(msg, m);
}

int sort_msgs_load(struct session *s, const uint32_t *seqs, size_t count,
		   bool with_references, struct sort_msg **msgs_r,
		   size_t *count_r, const char **error_r)
{
	const struct mailbox_view *view = s->view;
	struct store *st = session_store(s);
	struct store_message_list records;
	struct store_uid_range *ranges;
	size_t range_count, n = 0, r = 0;

	*msgs_r = NULL;
	*count_r = 0;
	if (count == 0)
		return STORE_OK;
	if (st == NULL) {
		*error_r = "Mail store unavailable";
		return STORE_EUNAVAILABLE;
	}
	mailbox_view_uid_ranges(view, seqs, count, &ranges, &range_count);
	int ret = store_messages_get(st, view->mailbox_id, ranges, range_count,
				     &records, error_r);
	free(ranges);
	if (ret != STORE_OK)
		return ret;
	struct sort_msg *msgs = xcalloc(count, sizeof(*msgs));
	for (size_t i = 0; i < count; i++) {
		uint32_t uid = mailbox_view_uid(view, seqs[i]);
		while (r < records.count && records.msgs[r].uid < uid)
			r++;
		if (r >= records.count || records.msgs[r].uid != uid)
			continue;
		struct message msg;
		const char *error;
		if (message_load(st, records.msgs[r].blob_id, records.msgs[r].size,
				 true, with_references, &msg, &error) != STORE_OK) {
			log_warn(session_id(s), "SORT of uid %u: %s", uid, error);
			message_release(&msg);
			continue;
		}
		msgs[n].seq = seqs[i];
		msgs[n].uid = uid;
		fill_keys(&records.msgs[r], &msg, with_references, &msgs[n]);
		message_release(&msg);
		n++;
	}
	store_message_list_free(&records);
	*msgs_r = msgs;
	*count_r = n;
	return STORE_OK;
}

void sort_msgs_free(struct sort_msg *msgs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct sort_msg *m = &msgs[i];
		free(m->subject);
		free(m->from);
		free(m->to);
		free(m->cc);
		free(m->display_from);
		free(m->display_to);
		free(m->message_id);
		free(m->in_reply_to);
		for (size_t k = 0; k < m->reference_count; k++)
			free(m->references[k]);
		free(m->references);
	}
	free(msgs);
}
