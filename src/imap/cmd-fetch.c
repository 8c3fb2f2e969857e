/*
 * FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8; RFC 3516 BINARY), with the
 * modifiers CHANGEDSINCE and VANISHED (RFC 7162 3.1.4.1, 3.2.6) and the
 * items MODSEQ (RFC 7162), EMAILID/THREADID (RFC 8474), SAVEDATE (RFC
 * 8514) and PREVIEW (RFC 8970).
 *
 * Responses are written message by message; a body literal is sent from
 * the mapped blob in chunks, and whenever the connection's output passes
 * its soft limit the command suspends and resumes where it stopped when
 * the client has read (DESIGN.md: large bodies are streamed, never loaded
 * whole into memory, and a slow reader cannot make the server buffer more
 * than a bound).
 */
#include <stdlib.h>
#include <string.h>

#include "core/imapdate.h"
#include "core/log.h"
#include "core/strutil.h"
#include "imap/command.h"
#include "imap/fetch-items.h"
#include "imap/message.h"
#include "imap/objectid.h"
#include "imap/seqset.h"
#include "imap/view.h"
#include "imap/writer.h"
#include "mail/mime.h"
#include "mail/preview.h"
#include "mail/section.h"
#include "net/conn.h"
#include "store/store.h"

#define FETCH_CHUNK 65536

struct fetch_ctx {
	struct fetch_items items;
	uint32_t *seqs;
	size_t count;
	size_t pos;
	struct store_message_list records;
	size_t record_pos;
	/* Sequence numbers whose \Seen this command set: their FLAGS go out
	 * with the response (RFC 3501 6.4.5). Ascending. */
	uint32_t *seen_set;
	size_t seen_count;

	/* The message being written. */
	bool in_message;
	size_t item_pos;
	struct message msg;
	const struct store_message *record;
	/* A literal being streamed: from the mapping or from owned bytes. */
	const char *literal;
	size_t literal_left;
	struct buf owned;

	/* The record is read only for MODSEQ: a message expunged meanwhile
	 * is still answered from the view, as without MODSEQ. */
	bool record_for_modseq;
	bool missing;		/* some messages were expunged meanwhile */
	bool uid;		/* UID FETCH */
	bool unknown_cte;	/* a BINARY part had an unknown encoding */
	bool failed;
};

static void fetch_ctx_free(void *ptr)
{
	struct fetch_ctx *ctx = ptr;
	fetch_items_free(&ctx->items);
	free(ctx->seqs);
	free(ctx->seen_set);
	store_message_list_free(&ctx->records);
	message_release(&ctx->msg);
	buf_free(&ctx->owned);
	free(ctx);
}

/* Sets \Seen on the unseen messages a non-PEEK body fetch touches, before
 * any response, so the FLAGS sent are the new ones. */
static int fetch_set_seen(struct command *cmd, struct fetch_ctx *ctx)
{
	struct mailbox_view *view = cmd->session->view;
	uint32_t *unseen = xmalloc((ctx->count + 1) * sizeof(uint32_t));
	size_t n = 0;

	for (size_t i = 0; i < ctx->count; i++) {
		uint32_t flags = mailbox_view_flags(view, ctx->seqs[i]);
		if (!(flags & (STORE_FLAG_SEEN | VIEW_FLAG_EXPUNGED)))
			unseen[n++] = ctx->seqs[i];
	}
	if (n == 0) {
		free(unseen);
		return 0;
	}
	struct store_uid_range *ranges;
	size_t range_count;
	struct store_flags_result result;
	const char *error;
	mailbox_view_uid_ranges(view, unseen, n, &ranges, &range_count);
	int r = store_flags_update(session_store(cmd->session), view->mailbox_id,
				   ranges, range_count, STORE_FLAGS_ADD,
				   STORE_FLAG_SEEN, NULL, 0, 0, &result, &error);
	free(ranges);
	/* RFC 4314 4: without s the fetch goes on, \Seen stays unset. */
	if (r == STORE_ENOPERM) {
		free(unseen);
		return 0;
	}
	if (r != STORE_OK) {
		free(unseen);
		log_warn(session_id(cmd->session), "cannot set \\Seen: %s", error);
		return r;
	}
	for (size_t i = 0; i < result.msgs.count; i++) {
		const struct store_msg *m = &result.msgs.msgs[i];
		uint32_t seq = mailbox_view_seq_of(view, m->uid);
		if (seq != 0 && m->changed)
			mailbox_view_set_flags(view, seq, m->flags, m->keywords, m->modseq);
	}
	store_flags_result_free(&result);
	ctx->seen_set = unseen;
	ctx->seen_count = n;
	return 0;
}

static void fetch_write_literal_start(struct command *cmd, struct fetch_ctx *ctx,
				      const char *data, size_t len, bool literal8)
{
	struct buf head = BUF_INIT;
	if (len == 0) {
		session_write_str(cmd->session, "\"\"");
		buf_free(&head);
		return;
	}
	buf_printf(&head, "%s{%zu}\r\n", literal8 ? "~" : "", len);
	session_write(cmd->session, head.data, head.len);
	buf_free(&head);
	ctx->literal = data;
	ctx->literal_left = len;
}

/* Sends literal bytes until done or the output is full. True when done. */
static bool fetch_stream_literal(struct command *cmd, struct fetch_ctx *ctx)
{
	while (ctx->literal_left > 0) {
		size_t n = ctx->literal_left < FETCH_CHUNK ? ctx->literal_left : FETCH_CHUNK;
		session_write(cmd->session, ctx->literal, n);
		ctx->literal += n;
		ctx->literal_left -= n;
		if (ctx->literal_left > 0 && conn_output_full(cmd->session->conn))
			return false;
	}
	buf_reset(&ctx->owned);
	return true;
}

static void fetch_write_section(struct command *cmd, struct fetch_ctx *ctx,
				const struct fetch_item *item)
{
	struct mail_section_result res;
	size_t off = 0, len;

	mail_section_fetch(ctx->msg.tree, ctx->msg.data, ctx->msg.size,
			   &item->section, &res);
	len = res.size;
	if (item->partial)
		mail_section_partial(res.size, item->origin, item->octets, &off, &len);
	const char *ptr = mail_section_result_ptr(&res, ctx->msg.data) + off;
	if (res.generated) {
		/* Generated bytes must outlive a suspension. */
		buf_reset(&ctx->owned);
		buf_append(&ctx->owned, ptr, len);
		ptr = ctx->owned.data;
	}
	mail_section_result_free(&res);
	fetch_write_literal_start(cmd, ctx, ptr, len, false);
}

static void fetch_write_binary(struct command *cmd, struct fetch_ctx *ctx,
			       const struct fetch_item *item, struct buf *line)
{
	buf_reset(&ctx->owned);
	if (mail_binary_fetch(ctx->msg.tree, ctx->msg.data, ctx->msg.size,
			      item->section.path, item->section.path_len,
			      &ctx->owned) != MAIL_BINARY_OK) {
		ctx->unknown_cte = true;
		buf_printf(line, "%s NIL", item->label);
		return;
	}
	if (item->kind == FETCH_BINARY_SIZE) {
		buf_printf(line, "%s %zu", item->label, ctx->owned.len);
		buf_reset(&ctx->owned);
		return;
	}
	size_t off = 0, len = ctx->owned.len;
	if (item->partial)
		mail_section_partial(ctx->owned.len, item->origin, item->octets, &off, &len);
	buf_printf(line, "%s ", item->label);
	session_write(cmd->session, line->data, line->len);
	buf_reset(line);
	bool has_nul = memchr(ctx->owned.data + off, '\0', len) != NULL;
	fetch_write_literal_start(cmd, ctx, ctx->owned.data + off, len, has_nul);
}

static void fetch_write_emailid(struct command *cmd, struct fetch_ctx *ctx,
				struct buf *line)
{
	uint8_t sha[32];
	const char *error;
	if (store_blob_sha256(session_store(cmd->session), ctx->record->blob_id,
			      sha, &error) != STORE_OK) {
		/* The message is there (its record was just read); a failure
		 * is the store's, and the id must not be made up. */
		log_warn(session_id(cmd->session), "EMAILID of uid %u: %s",
			 ctx->record->uid, error);
		ctx->failed = true;
		memset(sha, 0, sizeof(sha));
	}
	buf_append_str(line, "EMAILID (");
	objectid_email(sha, ctx->record->internaldate, line);
	buf_append_char(line, ')');
}

/* The view keeps no modseqs; MODSEQ makes the record needed. A message
 * gone from the store since the view's sync last changed at or below the
 * view's modseq, or at the modseq this session noted for it. */
static uint64_t fetch_modseq(const struct command *cmd,
			     const struct fetch_ctx *ctx, uint32_t seq)
{
	const struct mailbox_view *view = cmd->session->view;
	if (ctx->record != NULL)
		return ctx->record->modseq;
	uint64_t noted = mailbox_view_noted_modseq(view, mailbox_view_uid(view, seq));
	return noted > view->modseq ? noted : view->modseq;
}

/* Writes one item (a literal may be left to stream). */
static void fetch_write_item(struct command *cmd, struct fetch_ctx *ctx,
			     const struct fetch_item *item, uint32_t seq)
{
	const struct mailbox_view *view = cmd->session->view;
	struct buf line = BUF_INIT;

	if (ctx->item_pos > 0)
		buf_append_char(&line, ' ');
	switch (item->kind) {
	case FETCH_FLAGS:
		buf_append_str(&line, "FLAGS ");
		mailbox_view_write_flags(view, seq, &line);
		break;
	case FETCH_UID:
		buf_append_str(&line, "UID ");
		buf_append_u64(&line, mailbox_view_uid(view, seq));
		break;
	case FETCH_INTERNALDATE:
		buf_append_str(&line, "INTERNALDATE \"");
		imapdate_format_datetime(ctx->record->internaldate,
					 ctx->record->tz_offset_min, &line);
		buf_append_char(&line, '"');
		break;
	case FETCH_RFC822_SIZE:
		buf_append_str(&line, "RFC822.SIZE ");
		buf_append_u64(&line, ctx->record->size);
		break;
	case FETCH_ENVELOPE:
		buf_append_str(&line, "ENVELOPE ");
		buf_append(&line, ctx->msg.tree->envelope.data, ctx->msg.tree->envelope.len);
		break;
	case FETCH_BODY:
		buf_append_str(&line, "BODY ");
		buf_append(&line, ctx->msg.tree->body.data, ctx->msg.tree->body.len);
		break;
	case FETCH_BODYSTRUCTURE:
		buf_append_str(&line, "BODYSTRUCTURE ");
		buf_append(&line, ctx->msg.tree->bodystructure.data,
			   ctx->msg.tree->bodystructure.len);
		break;
	case FETCH_SECTION:
		buf_append_str(&line, item->label);
		buf_append_char(&line, ' ');
		session_write(cmd->session, line.data, line.len);
		buf_reset(&line);
		fetch_write_section(cmd, ctx, item);
		break;
	case FETCH_BINARY:
	case FETCH_BINARY_SIZE:
		fetch_write_binary(cmd, ctx, item, &line);
		break;
	case FETCH_MODSEQ:
		buf_printf(&line, "MODSEQ (%llu)",
			   (unsigned long long)fetch_modseq(cmd, ctx, seq));
		break;
	case FETCH_EMAILID:
		fetch_write_emailid(cmd, ctx, &line);
		break;
	case FETCH_THREADID:
		/* RFC 8474 5.3: NIL only for a row that has no thread (none
		 * is stored without one since schema migration 4). */
		if (ctx->record->thread_id == 0) {
			buf_append_str(&line, "THREADID NIL");
		} else {
			buf_append_str(&line, "THREADID (");
			objectid_thread(ctx->record->thread_id, &line);
			buf_append_char(&line, ')');
		}
		break;
	case FETCH_SAVEDATE:
		/* RFC 8514 4.2: every message here has a save date. */
		buf_append_str(&line, "SAVEDATE \"");
		imapdate_format_datetime(ctx->record->savedate, 0, &line);
		buf_append_char(&line, '"');
		break;
	case FETCH_PREVIEW: {
		struct buf text = BUF_INIT;
		mail_preview(ctx->msg.tree, ctx->msg.data, ctx->msg.size, &text);
		buf_append_str(&line, "PREVIEW ");
		imap_write_string(&line, text.data != NULL ? text.data : "", text.len,
				  cmd->session->enabled_utf8 ? IMAP_WRITE_UTF8 : 0);
		buf_free(&text);
		break;
	}
	}
	session_write(cmd->session, line.data, line.len);
	buf_free(&line);
}

/* Finds the store record of uid (records and seqs both ascend). */
static const struct store_message *fetch_find_record(struct fetch_ctx *ctx, uint32_t uid)
{
	while (ctx->record_pos < ctx->records.count &&
	       ctx->records.msgs[ctx->record_pos].uid < uid)
		ctx->record_pos++;
	if (ctx->record_pos < ctx->records.count &&
	    ctx->records.msgs[ctx->record_pos].uid == uid)
		return &ctx->records.msgs[ctx->record_pos];
	return NULL;
}

/* Starts message pos: false when it is skipped (expunged meanwhile). */
static bool fetch_begin_message(struct command *cmd, struct fetch_ctx *ctx)
{
	const struct mailbox_view *view = cmd->session->view;
	uint32_t seq = ctx->seqs[ctx->pos];
	uint32_t uid = mailbox_view_uid(view, seq);
	const char *error;

	if (mailbox_view_flags(view, seq) & VIEW_FLAG_EXPUNGED) {
		ctx->missing = true;
		return false;
	}
	ctx->record = NULL;
	if (ctx->items.needs_record) {
		ctx->record = fetch_find_record(ctx, uid);
		if (ctx->record == NULL && !ctx->record_for_modseq) {
			ctx->missing = true;
			return false;
		}
	}
	int r = STORE_OK;
	if (ctx->items.needs_tree)
		r = message_load(session_store(cmd->session), ctx->record->blob_id,
				 ctx->record->size, true, ctx->items.needs_body,
				 &ctx->msg, &error);
	if (r == STORE_ENONEXISTENT) {
		/* Its record was read, then another session expunged it and
		 * its blob went: as expunged before the record was read. */
		message_release(&ctx->msg);
		ctx->missing = true;
		return false;
	}
	if (r != STORE_OK) {
		log_warn(session_id(cmd->session), "FETCH of uid %u: %s", uid, error);
		message_release(&ctx->msg);
		ctx->failed = true;
		return false;
	}
	struct buf head = BUF_INIT;
	/* Formatted by hand: printf was 4% of the CPU of a FETCH-heavy load. */
	buf_append_str(&head, "* ");
	buf_append_u64(&head, seq);
	buf_append_str(&head, " FETCH (");
	session_write(cmd->session, head.data, head.len);
	buf_free(&head);
	ctx->in_message = true;
	ctx->item_pos = 0;
	return true;
}

static void fetch_end_message(struct command *cmd, struct fetch_ctx *ctx)
{
	struct session *s = cmd->session;
	uint32_t seq = ctx->seqs[ctx->pos];
	bool has[FETCH_PREVIEW + 1] = { false };
	for (size_t i = 0; i < ctx->items.count; i++)
		has[ctx->items.items[i].kind] = true;
	if (sorted_u32_contains(ctx->seen_set, ctx->seen_count, seq)) {
		/* The \Seen this FETCH set is reported with the message; a
		 * CONDSTORE client also gets UID and the new MODSEQ (RFC 7162
		 * 3.2.4), as for any flag change. */
		struct buf line = BUF_INIT;
		if (!has[FETCH_FLAGS]) {
			buf_append_str(&line, " FLAGS ");
			mailbox_view_write_flags(s->view, seq, &line);
		}
		uint32_t uid = mailbox_view_uid(s->view, seq);
		if (s->enabled_condstore && !has[FETCH_UID]) {
			buf_append_str(&line, " UID ");
			buf_append_u64(&line, uid);
		}
		if (s->enabled_condstore && !has[FETCH_MODSEQ]) {
			/* The record was read after \Seen was set. */
			buf_printf(&line, " MODSEQ (%llu)",
				   (unsigned long long)fetch_modseq(cmd, ctx, seq));
		}
		session_write(s, line.data, line.len);
		buf_free(&line);
	}
	session_write_str(cmd->session, ")\r\n");
	message_release(&ctx->msg);
	ctx->in_message = false;
}

static bool fetch_finish(struct command *cmd, struct fetch_ctx *ctx)
{
	if (ctx->unknown_cte)
		return command_no(cmd, "UNKNOWN-CTE", "Unknown Content-Transfer-Encoding");
	if (ctx->failed)
		return command_no(cmd, "SERVERBUG", "Some messages could not be read");
	/* A UID that no longer exists is ignored without error (RFC 3501
	 * 6.4.8), and the sync before the tagged reply may announce its
	 * EXPUNGE (7.4.1 allows it during a UID command). By sequence number
	 * the client named a message it believes exists: NO (RFC 2180
	 * 4.1.2). */
	if (ctx->missing && !ctx->uid)
		return command_no(cmd, "EXPUNGEISSUED",
				  "Some of the requested messages no longer exist");
	return command_ok(cmd, NULL, "Fetch completed");
}

static bool fetch_continue(struct command *cmd)
{
	struct fetch_ctx *ctx = cmd->ctx;
	struct conn *conn = cmd->session->conn;

	while (ctx->pos < ctx->count) {
		if (!ctx->in_message && !fetch_begin_message(cmd, ctx)) {
			ctx->pos++;
			continue;
		}
		while (ctx->item_pos < ctx->items.count || ctx->literal_left > 0) {
			if (ctx->literal_left > 0) {
				if (!fetch_stream_literal(cmd, ctx))
					goto suspend;
				continue;
			}
			fetch_write_item(cmd, ctx, &ctx->items.items[ctx->item_pos],
					 ctx->seqs[ctx->pos]);
			ctx->item_pos++;
		}
		fetch_end_message(cmd, ctx);
		ctx->pos++;
		if (conn_output_full(conn))
			goto suspend;
	}
	return fetch_finish(cmd, ctx);
suspend:
	cmd->resume = fetch_continue;
	cmd->wait_output = true;
	return false;
}

struct fetch_modifiers {
	bool changedsince;
	uint64_t modseq;
	bool vanished;
};

/* True for "(LAZY)" after a lone PREVIEW item: FETCH 1 PREVIEW (LAZY) is
 * a fetch-att with its modifier (RFC 8970 6), not a FETCH modifier. */
static bool is_preview_lazy(const struct command *cmd)
{
	const struct imap_arg *list;
	size_t count;
	if (!imap_arg_atom_equals(&cmd->args[1], "PREVIEW") ||
	    !imap_arg_as_list(&cmd->args[2], &list, &count) || count != 1)
		return false;
	return imap_arg_atom_equals(&list[0], "LAZY");
}

/* RFC 4466 2.4 fetch-modifiers: CHANGEDSINCE n, VANISHED. Returns NULL or
 * the BAD text. */
static const char *parse_modifiers(const struct command *cmd, bool uid,
				   struct fetch_modifiers *mods)
{
	const struct imap_arg *list;
	size_t count;

	memset(mods, 0, sizeof(*mods));
	if (cmd->args_count == 2 || is_preview_lazy(cmd))
		return NULL;
	if (!imap_arg_as_list(&cmd->args[2], &list, &count) || count == 0)
		return "FETCH modifiers are a list";
	for (size_t i = 0; i < count; i++) {
		if (imap_arg_atom_equals(&list[i], "CHANGEDSINCE") && !mods->changedsince &&
		    i + 1 < count && list[i + 1].type == IMAP_ARG_ATOM &&
		    str_to_u64(list[i + 1].str, list[i + 1].len, &mods->modseq) == 0 &&
		    mods->modseq <= INT64_MAX) {
			mods->changedsince = true;
			i++;
		} else if (imap_arg_atom_equals(&list[i], "VANISHED") && !mods->vanished) {
			mods->vanished = true;
		} else {
			return "Unknown, repeated or invalid FETCH modifier";
		}
	}
	/* RFC 7162 3.2.6: VANISHED only in UID FETCH, only after ENABLE
	 * QRESYNC, only with CHANGEDSINCE. */
	if (mods->vanished && !uid)
		return "VANISHED is a UID FETCH modifier";
	if (mods->vanished && !cmd->session->enabled_qresync)
		return "VANISHED needs ENABLE QRESYNC first";
	if (mods->vanished && !mods->changedsince)
		return "VANISHED needs CHANGEDSINCE";
	return NULL;
}

/* RFC 7162 3.2.6: the UIDs of the set expunged after modseq, as
 * VANISHED (EARLIER), before any FETCH response. */
static int fetch_write_vanished(struct command *cmd, uint64_t modseq)
{
	struct session *s = cmd->session;
	struct seqset set;
	uint32_t *uids;
	size_t count, n = 0;
	const char *error;

	if (seqset_parse(cmd->args[0].str, cmd->args[0].len, &set, &error) < 0)
		return -1;
	int r = store_expunged_since(session_store(s), s->view->mailbox_id,
				     modseq, &uids, &count, &error);
	if (r != STORE_OK) {
		seqset_free(&set);
		return r;
	}
	/* "*" is the highest UID there ever was; messages still in the view
	 * go out as VANISHED proper when the view learns of them. */
	for (size_t i = 0; i < count; i++) {
		if (seqset_contains(&set, uids[i], UINT32_MAX) &&
		    mailbox_view_seq_of(s->view, uids[i]) == 0)
			uids[n++] = uids[i];
	}
	struct buf out = BUF_INIT;
	mailbox_view_write_vanished_earlier(uids, n, &out);
	session_write(s, out.data, out.len);
	buf_free(&out);
	free(uids);
	seqset_free(&set);
	return 0;
}

/* Keeps the messages whose modseq is above modseq (RFC 7162 3.1.4.1),
 * asking the store which those are (the view keeps no modseqs). */
static int fetch_filter_changed(struct command *cmd, struct fetch_ctx *ctx,
				uint64_t modseq, const char **error_r)
{
	const struct mailbox_view *view = cmd->session->view;
	struct store_changes changes;
	int r = store_changes_since(session_store(cmd->session), view->mailbox_id,
				    modseq, &changes, error_r);
	if (r != STORE_OK)
		return r;
	/* Both ascend by UID: one merge pass. */
	const struct store_msg_list *changed = &changes.changed;
	size_t n = 0, c = 0;
	for (size_t i = 0; i < ctx->count; i++) {
		uint32_t uid = mailbox_view_uid(view, ctx->seqs[i]);
		while (c < changed->count && changed->msgs[c].uid < uid)
			c++;
		if (c < changed->count && changed->msgs[c].uid == uid)
			ctx->seqs[n++] = ctx->seqs[i];
	}
	ctx->count = n;
	store_changes_free(&changes);
	return STORE_OK;
}

bool cmd_fetch(struct command *cmd)
{
	struct session *s = cmd->session;
	bool uid = cmd->def->name[0] == 'U';
	const char *error = NULL;
	struct fetch_modifiers mods;

	if (cmd->args_count < 2 || cmd->args_count > 3 ||
	    cmd->args[0].type != IMAP_ARG_ATOM)
		return command_bad(cmd, NULL, "FETCH needs a sequence set and items");
	struct fetch_ctx *ctx = xcalloc(1, sizeof(*ctx));
	cmd->ctx = ctx;
	cmd->ctx_free = fetch_ctx_free;
	ctx->uid = uid;
	if (fetch_items_parse(&cmd->args[1], uid, &ctx->items, &error) < 0)
		return command_bad(cmd, NULL, "%s", error);
	if ((error = parse_modifiers(cmd, uid, &mods)) != NULL)
		return command_bad(cmd, NULL, "%s", error);
	if (mailbox_view_resolve(s->view, cmd->args[0].str, cmd->args[0].len, uid,
				 &ctx->seqs, &ctx->count, &error) < 0)
		return command_bad(cmd, NULL, "%s", error);
	/* RFC 7162 3.1: MODSEQ and CHANGEDSINCE are CONDSTORE enabling;
	 * CHANGEDSINCE implies MODSEQ (3.1.4.1). */
	if (mods.changedsince)
		fetch_items_add_modseq(&ctx->items);
	if (ctx->items.has_modseq)
		mailbox_view_enable_condstore(s);
	if (mods.vanished) {
		int r = fetch_write_vanished(cmd, mods.modseq);
		if (r != 0)
			return command_no(cmd, "UNAVAILABLE", "Cannot read expunged messages");
	}
	if (mods.changedsince) {
		int r = fetch_filter_changed(cmd, ctx, mods.modseq, &error);
		if (r != STORE_OK)
			return command_no(cmd, store_error_code(r), "%s", error);
	}
	/* MODSEQ comes from the store's record; so does the new MODSEQ a
	 * CONDSTORE client gets with the \Seen this FETCH sets. */
	if (ctx->items.has_modseq || (s->enabled_condstore && ctx->items.sets_seen)) {
		ctx->record_for_modseq = !ctx->items.needs_record;
		ctx->items.needs_record = true;
	}
	if (ctx->count == 0)
		return command_ok(cmd, NULL, "Fetch completed (no messages)");

	if (ctx->items.sets_seen && !s->view->readonly &&
	    fetch_set_seen(cmd, ctx) != 0)
		return command_no(cmd, "UNAVAILABLE", "Cannot set \\Seen now");
	if (ctx->items.needs_record) {
		struct store_uid_range *ranges;
		size_t range_count;
		mailbox_view_uid_ranges(s->view, ctx->seqs, ctx->count, &ranges, &range_count);
		int r = store_messages_get(session_store(s), s->view->mailbox_id,
					   ranges, range_count, &ctx->records, &error);
		free(ranges);
		if (r != STORE_OK)
			return command_no(cmd, store_error_code(r), "%s", error);
	}
	return fetch_continue(cmd);
}
