/*
 * MessageNew fetch attributes (RFC 5465 5.2). The FETCH command streams
 * its literals and suspends on a full output buffer; a notification is
 * written between commands, one message at a time (notify-session.c stops
 * between messages when the output is full), so it builds each response
 * whole instead.
 */
#include "imap/notify-fetch.h"

#include <string.h>

#include "core/imapdate.h"
#include "core/log.h"
#include "imap/message.h"
#include "imap/objectid.h"
#include "imap/session.h"
#include "imap/view.h"
#include "imap/writer.h"
#include "mail/mime.h"
#include "mail/preview.h"
#include "mail/section.h"
#include "store/store.h"

static void write_literal(struct buf *out, const char *data, size_t len,
			  bool literal8)
{
	if (len == 0) {
		buf_append_str(out, "\"\"");
		return;
	}
	buf_printf(out, "%s{%zu}\r\n", literal8 ? "~" : "", len);
	buf_append(out, data, len);
}

static void write_section(const struct message *msg,
			  const struct fetch_item *item, struct buf *out)
{
	struct mail_section_result res;
	size_t off = 0, len;

	mail_section_fetch(msg->tree, msg->data, msg->size, &item->section, &res);
	len = res.size;
	if (item->partial)
		mail_section_partial(res.size, item->origin, item->octets, &off, &len);
	buf_printf(out, "%s ", item->label);
	write_literal(out, mail_section_result_ptr(&res, msg->data) + off, len,
		      false);
	mail_section_result_free(&res);
}

static void write_binary(const struct message *msg,
			 const struct fetch_item *item, struct buf *out)
{
	struct buf bin = BUF_INIT;
	size_t off = 0, len;

	if (mail_binary_fetch(msg->tree, msg->data, msg->size,
			      item->section.path, item->section.path_len,
			      &bin) != MAIL_BINARY_OK) {
		buf_printf(out, "%s NIL", item->label);
		buf_free(&bin);
		return;
	}
	if (item->kind == FETCH_BINARY_SIZE) {
		buf_printf(out, "%s %zu", item->label, bin.len);
		buf_free(&bin);
		return;
	}
	len = bin.len;
	if (item->partial)
		mail_section_partial(bin.len, item->origin, item->octets, &off, &len);
	buf_printf(out, "%s ", item->label);
	write_literal(out, bin.data + off, len,
		      memchr(bin.data + off, '\0', len) != NULL);
	buf_free(&bin);
}

static int write_item(struct session *s, const struct fetch_item *item,
		      uint32_t seq, const struct store_message *rec,
		      const struct message *msg, struct buf *out)
{
	uint32_t uid = mailbox_view_uid(s->view, seq);

	switch (item->kind) {
	case FETCH_FLAGS:
		buf_append_str(out, "FLAGS ");
		mailbox_view_write_flags(s->view, seq, out);
		break;
	case FETCH_UID:
		buf_printf(out, "UID %u", uid);
		break;
	case FETCH_INTERNALDATE:
		buf_append_str(out, "INTERNALDATE \"");
		imapdate_format_datetime(rec->internaldate, rec->tz_offset_min, out);
		buf_append_char(out, '"');
		break;
	case FETCH_RFC822_SIZE:
		buf_printf(out, "RFC822.SIZE %llu", (unsigned long long)rec->size);
		break;
	case FETCH_ENVELOPE:
		buf_append_str(out, "ENVELOPE ");
		buf_append(out, msg->tree->envelope.data, msg->tree->envelope.len);
		break;
	case FETCH_BODY:
		buf_append_str(out, "BODY ");
		buf_append(out, msg->tree->body.data, msg->tree->body.len);
		break;
	case FETCH_BODYSTRUCTURE:
		buf_append_str(out, "BODYSTRUCTURE ");
		buf_append(out, msg->tree->bodystructure.data,
			   msg->tree->bodystructure.len);
		break;
	case FETCH_SECTION:
		write_section(msg, item, out);
		break;
	case FETCH_BINARY:
	case FETCH_BINARY_SIZE:
		write_binary(msg, item, out);
		break;
	case FETCH_MODSEQ:
		/* The view keeps no modseqs: MODSEQ reads the record. */
		buf_printf(out, "MODSEQ (%llu)", (unsigned long long)
			   (rec != NULL ? rec->modseq : s->view->modseq));
		break;
	case FETCH_EMAILID: {
		uint8_t sha[32];
		const char *error;
		if (store_blob_sha256(session_store(s), rec->blob_id, sha,
				      &error) != STORE_OK) {
			log_warn(session_id(s), "NOTIFY EMAILID of uid %u: %s",
				 uid, error);
			return -1;
		}
		buf_append_str(out, "EMAILID (");
		objectid_email(sha, rec->internaldate, out);
		buf_append_char(out, ')');
		break;
	}
	case FETCH_THREADID:
		/* RFC 8474 5.3: NIL only for a row stored without a thread. */
		if (rec->thread_id == 0) {
			buf_append_str(out, "THREADID NIL");
		} else {
			buf_append_str(out, "THREADID (");
			objectid_thread(rec->thread_id, out);
			buf_append_char(out, ')');
		}
		break;
	case FETCH_SAVEDATE:
		buf_append_str(out, "SAVEDATE \"");
		imapdate_format_datetime(rec->savedate, 0, out);
		buf_append_char(out, '"');
		break;
	case FETCH_PREVIEW: {
		struct buf text = BUF_INIT;
		mail_preview(msg->tree, msg->data, msg->size, &text);
		buf_append_str(out, "PREVIEW ");
		imap_write_string(out, text.data != NULL ? text.data : "", text.len,
				  s->enabled_utf8 ? IMAP_WRITE_UTF8 : 0);
		buf_free(&text);
		break;
	}
	}
	return 0;
}

int notify_fetch_write(struct session *s, const struct fetch_items *items,
		       uint32_t seq)
{
	uint32_t uid = mailbox_view_uid(s->view, seq);
	struct store_message_list recs = { 0 };
	const struct store_message *rec = NULL;
	struct message msg = { 0 };
	struct buf out = BUF_INIT;
	const char *error;
	int ret = 0;

	if (mailbox_view_flags(s->view, seq) & VIEW_FLAG_EXPUNGED)
		return -1;
	if (items->needs_record || items->has_modseq) {
		struct store_uid_range range = { uid, uid };
		if (store_messages_get(session_store(s), s->view->mailbox_id,
				       &range, 1, &recs, &error) != STORE_OK) {
			log_warn(session_id(s), "NOTIFY fetch of uid %u: %s",
				 uid, error);
			return -1;
		}
		if (recs.count != 1) {
			store_message_list_free(&recs);
			return -1;
		}
		rec = &recs.msgs[0];
	}
	if (items->needs_tree &&
	    message_load(session_store(s), rec->blob_id, rec->size, true,
			 items->needs_body, &msg, &error) != STORE_OK) {
		log_warn(session_id(s), "NOTIFY fetch of uid %u: %s", uid, error);
		ret = -1;
	}
	buf_printf(&out, "* %u FETCH (", seq);
	for (size_t i = 0; i < items->count && ret == 0; i++) {
		if (i > 0)
			buf_append_char(&out, ' ');
		ret = write_item(s, &items->items[i], seq, rec, &msg, &out);
	}
	buf_append_str(&out, ")\r\n");
	if (ret == 0)
		session_write(s, out.data, out.len);
	buf_free(&out);
	message_release(&msg);
	store_message_list_free(&recs);
	return ret;
}
