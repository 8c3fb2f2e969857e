/*
 * SEARCH program evaluation over the selected mailbox (RFC 3501 6.4.4).
 *
 * Each message is read only as far as the keys need (enum search_cost):
 * flags, UIDs and sequence numbers come from the view; size and
 * INTERNALDATE from one store query for the whole mailbox; the fields of
 * the search header summary (FROM, TO, CC, BCC, SUBJECT, Message-ID) from
 * one more query; other header keys, and messages without a summary,
 * read only the header block of the blob; BODY/TEXT read the decoded text
 * from the full-text index. The index's trigram queries first narrow the
 * messages to candidates (for header keys: the header column, plus every
 * message not indexed yet). Every candidate is verified against the same
 * text a full scan reads, so the index changes speed, never results.
 */
#include "imap/search-program.h"

#include <stdlib.h>
#include <string.h>

#include "core/imapdate.h"
#include "core/log.h"
#include "imap/message.h"
#include "imap/command.h"
#include "imap/objectid.h"
#include "imap/search-fold.h"
#include "imap/search-text.h"
#include "imap/seqset.h"
#include "imap/searchres.h"
#include "imap/session.h"
#include "imap/view.h"
#include "mail/decode.h"
#include "mail/header.h"
#include "mail/mime.h"
#include "mail/search-headers.h"
#include "store/store.h"

/* Trigram queries need three characters; shorter strings scan. */
#define FTS_MIN_CHARS 3
/* Past this many messages missing from the index, header keys read every
 * header rather than carry a long list. */
#define UNINDEXED_MAX 1000
/* Summaries one search computes for bodies that lacked one, stored in
 * one transaction at its end; past this, the next search does more. */
#define BACKFILL_MAX 2000

struct eval_ctx {
	struct session *session;
	struct store *st;
	const struct mailbox_view *view;
	const struct searchres *saved;
	uint32_t max_uid;
	bool fts_ready;		/* the mailbox is fully indexed */
	/* Header candidates need to know which messages the index lacks:
	 * their blob ids, ascending (valid when header_fts). */
	bool header_fts;
	int64_t *unindexed;
	size_t unindexed_count;

	struct store_message_list records;
	size_t record_pos;

	/* Search header summaries (valid when has_summaries), UID order;
	 * the message's own, or NULL. Summaries computed from headers read
	 * for lack of one queue in backfill. */
	bool has_summaries;
	struct store_header_summary_list summaries;
	size_t summary_pos;
	const struct store_header_summary *summary;
	bool summary_done;
	struct store_header_summary_put *backfill;
	size_t backfill_count;
	struct buf backfill_data;

	/* The message being evaluated. */
	uint32_t seq;
	uint32_t uid;
	uint32_t flags;		/* the view's: store flags, VIEW_FLAG_* */
	const struct store_message *record;
	struct message msg;
	bool msg_mapped, msg_failed;
	const char *hdr;	/* the header block, NULL until read */
	size_t header_len;
	struct buf header_buf;	/* hdr when only the header was read */
	bool sent_done;
	bool sent_valid;
	time_t sent_day;
	bool text_done;
	struct buf text_header, text_body;

	struct buf scratch, value, header_scratch;
	int error;
	const char *error_str;
};

static void message_reset(struct eval_ctx *ctx)
{
	if (ctx->msg_mapped)
		message_release(&ctx->msg);
	ctx->msg_mapped = false;
	ctx->msg_failed = false;
	ctx->hdr = NULL;
	buf_reset(&ctx->header_buf);
	ctx->summary_done = false;
	ctx->sent_done = false;
	ctx->text_done = false;
	buf_reset(&ctx->text_header);
	buf_reset(&ctx->text_body);
}

/*
 * A message whose record was read but whose blob is gone was expunged by
 * another session meanwhile: not worth a warning. It matches no content
 * key and the command still succeeds (RFC 2180 4.3: a server may leave
 * out a message expunged under the client).
 */
static void log_unreadable(const struct eval_ctx *ctx, int r, const char *error)
{
	if (r == STORE_ENONEXISTENT)
		log_debug(session_id(ctx->session), "SEARCH of uid %u: %s "
			  "(expunged meanwhile)", ctx->uid, error);
	else
		log_warn(session_id(ctx->session), "SEARCH of uid %u: %s",
			 ctx->uid, error);
}

/* Maps the message bytes (and the tree when need_tree). False when the
 * message cannot be read; it then matches no content key. */
static bool message_need(struct eval_ctx *ctx, bool need_tree)
{
	const char *error;
	if (ctx->msg_failed || ctx->record == NULL)
		return false;
	if (ctx->msg_mapped && (!need_tree || ctx->msg.tree != NULL))
		return true;
	if (ctx->msg_mapped)
		message_release(&ctx->msg);
	int r = message_load(ctx->st, ctx->record->blob_id, ctx->record->size,
			     need_tree, true, &ctx->msg, &error);
	if (r != STORE_OK) {
		log_unreadable(ctx, r, error);
		message_release(&ctx->msg);
		ctx->msg_failed = true;
		return false;
	}
	ctx->msg_mapped = true;
	ctx->hdr = ctx->msg.data;
	ctx->header_len = mail_header_block_size(ctx->msg.data, ctx->msg.size);
	return true;
}

/* Reads the header block (from the mapped message when there is one).
 * False when the message cannot be read; it then matches no header key. */
static bool header_need(struct eval_ctx *ctx)
{
	const char *error;
	if (ctx->hdr != NULL)
		return true;
	if (ctx->msg_failed || ctx->record == NULL)
		return false;
	if (ctx->msg_mapped) {
		ctx->hdr = ctx->msg.data;
		ctx->header_len = mail_header_block_size(ctx->msg.data, ctx->msg.size);
		return true;
	}
	int r = message_load_header(ctx->st, ctx->record->blob_id,
				    &ctx->header_buf, &error);
	if (r != STORE_OK) {
		log_unreadable(ctx, r, error);
		ctx->msg_failed = true;
		return false;
	}
	ctx->hdr = ctx->header_buf.data == NULL ? "" : ctx->header_buf.data;
	ctx->header_len = ctx->header_buf.len;
	return true;
}

static bool blob_in(const int64_t *ids, size_t count, int64_t id)
{
	size_t lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < count && ids[lo] == id;
}

/* Whether a header key may match: the index's header text holds the
 * decoded value of every field of the top-level header, so a message it
 * has indexed can only match when it is a candidate; one it has not
 * indexed yet always has to be read. */
static bool header_candidate(const struct eval_ctx *ctx,
			     const struct search_node *node)
{
	return sorted_u32_contains(node->candidates, node->candidate_count, ctx->uid) ||
	       (ctx->record != NULL &&
		blob_in(ctx->unindexed, ctx->unindexed_count, ctx->record->blob_id));
}

/* The message's summary record, NULL when it has none. */
static const struct store_header_summary *summary_of(struct eval_ctx *ctx)
{
	if (!ctx->summary_done) {
		const struct store_header_summary_list *l = &ctx->summaries;
		while (ctx->summary_pos < l->count &&
		       l->items[ctx->summary_pos].uid < ctx->uid)
			ctx->summary_pos++;
		ctx->summary = ctx->summary_pos < l->count &&
			       l->items[ctx->summary_pos].uid == ctx->uid ?
			       &l->items[ctx->summary_pos] : NULL;
		ctx->summary_done = true;
	}
	return ctx->summary;
}

/* Answers a key from the summary: 1 match, 0 no match, -1 when the
 * summary cannot answer (none, or incomplete). */
static int summary_match(struct eval_ctx *ctx, const struct search_node *node)
{
	const struct store_header_summary *h = summary_of(ctx);
	struct mail_search_headers_iter it;
	if (h == NULL || !mail_search_headers_iter_init(&it, h->data, h->len))
		return -1;
	unsigned field;
	const char *value;
	size_t len;
	while (mail_search_headers_iter_next(&it, &field, &value, &len)) {
		if (field != node->summary_field)
			continue;
		if (node->str_len == 0 ||
		    search_fold_contains(value, len, node->str, node->str_len,
					 &ctx->scratch))
			return 1;
	}
	return 0;
}

/* A message read for lack of a summary gets one, stored at the end. */
static void backfill_note(struct eval_ctx *ctx)
{
	if (!ctx->has_summaries || ctx->backfill_count >= BACKFILL_MAX ||
	    summary_of(ctx) != NULL)
		return;
	if (ctx->backfill == NULL)
		ctx->backfill = xcalloc(BACKFILL_MAX, sizeof(*ctx->backfill));
	struct store_header_summary_put *p = &ctx->backfill[ctx->backfill_count++];
	p->blob_id = ctx->record->blob_id;
	p->blob_size = ctx->record->size;
	/* offset until the buffer stops moving (backfill_store) */
	p->data = (const void *)(uintptr_t)ctx->backfill_data.len;
	size_t before = ctx->backfill_data.len;
	mail_search_headers_build(ctx->hdr, ctx->header_len, &ctx->backfill_data);
	p->len = ctx->backfill_data.len - before;
	/* Answered from the file from now on, once is enough. */
	ctx->summary_done = true;
	ctx->summary = NULL;
}

static void backfill_store(struct eval_ctx *ctx)
{
	const char *error;
	for (size_t i = 0; i < ctx->backfill_count; i++)
		ctx->backfill[i].data = ctx->backfill_data.data +
					(uintptr_t)ctx->backfill[i].data;
	if (ctx->backfill_count > 0 &&
	    store_header_summaries_put(ctx->st, ctx->backfill,
				       ctx->backfill_count, &error) != STORE_OK)
		log_warn(session_id(ctx->session),
			 "cannot store header summaries: %s", error);
	free(ctx->backfill);
	buf_free(&ctx->backfill_data);
}

/* RFC 3501 6.4.4 HEADER: "contains the specified string in the text of
 * the header (what comes after the colon)"; an empty string matches every
 * message that has the field. Values are unfolded and RFC 2047 decoded
 * (mail_search_header_value, which the summary holds already). */
static bool match_header(struct eval_ctx *ctx, const struct search_node *node)
{
	struct mail_header_iter it;
	struct mail_header_field f;
	if (node->summary_field != 0) {
		int r = summary_match(ctx, node);
		if (r >= 0)
			return r == 1;
	}
	if (node->has_candidates && !header_candidate(ctx, node))
		return false;
	if (!header_need(ctx))
		return false;
	if (node->summary_field != 0)
		backfill_note(ctx);
	mail_header_iter_init(&it, ctx->hdr, ctx->header_len);
	while (mail_header_iter_next(&it, &f)) {
		if (!f.has_colon || !mail_header_name_is(&f, node->name))
			continue;
		if (node->str_len == 0)
			return true;
		mail_search_header_value(f.value, f.value_len, &ctx->value,
					 &ctx->header_scratch);
		if (search_fold_contains(ctx->value.data == NULL ? "" : ctx->value.data,
					 ctx->value.len, node->str, node->str_len,
					 &ctx->scratch))
			return true;
	}
	return false;
}

/* The day of the Date header as written (RFC 3501 6.4.4 SENT*: "the
 * RFC-2822 Date: header (disregarding time and timezone)"). A message
 * without a readable Date matches no SENT* key. */
static bool sent_day(struct eval_ctx *ctx, time_t *day_r)
{
	if (!ctx->sent_done) {
		struct mail_header_field f;
		ctx->sent_done = true;
		ctx->sent_valid = false;
		if (header_need(ctx) &&
		    mail_header_find(ctx->hdr, ctx->header_len, "Date", &f)) {
			time_t t;
			int tz;
			if (imapdate_parse_rfc5322(f.value, f.value_len, &t, &tz) == 0) {
				ctx->sent_day = imapdate_local_day_start(t, tz);
				ctx->sent_valid = true;
			}
		}
	}
	*day_r = ctx->sent_day;
	return ctx->sent_valid;
}

/* Loads the message's search text: from the index when it is complete,
 * else extracted from the message (the same function the index used). */
static bool need_text(struct eval_ctx *ctx)
{
	if (ctx->text_done)
		return true;
	if (ctx->record == NULL || ctx->msg_failed)
		return false;
	if (ctx->fts_ready) {
		const char *error;
		if (store_fts_text(ctx->st, ctx->record->blob_id, &ctx->text_header,
				   &ctx->text_body, &error) == STORE_OK) {
			ctx->text_done = true;
			return true;
		}
		buf_reset(&ctx->text_header);
		buf_reset(&ctx->text_body);
	}
	if (!message_need(ctx, true))
		return false;
	search_text_extract(ctx->msg.tree, ctx->msg.data, ctx->msg.size,
			    &ctx->text_header, &ctx->text_body);
	ctx->text_done = true;
	return true;
}

static bool match_text(struct eval_ctx *ctx, const struct search_node *node)
{
	if (node->has_candidates &&
	    !sorted_u32_contains(node->candidates, node->candidate_count, ctx->uid))
		return false;
	if (!need_text(ctx))
		return false;
	if (search_fold_contains(ctx->text_body.data, ctx->text_body.len,
				 node->str, node->str_len, &ctx->scratch))
		return true;
	return node->op == SEARCH_OP_TEXT &&
	       search_fold_contains(ctx->text_header.data, ctx->text_header.len,
				    node->str, node->str_len, &ctx->scratch);
}

static bool has_keyword(const char *list, const char *kw, size_t kw_len)
{
	const char *p = list;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ' ');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == kw_len && strncasecmp(p, kw, len) == 0)
			return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

static time_t internal_day(const struct eval_ctx *ctx)
{
	return imapdate_local_day_start(ctx->record->internaldate,
					ctx->record->tz_offset_min);
}

static time_t saved_day(const struct eval_ctx *ctx)
{
	return imapdate_local_day_start(ctx->record->savedate, 0);
}

/* RFC 8474 6: EMAILID is exactly the id FETCH gives. The INTERNALDATE
 * in it rules out nearly every message before the blob hash is read. */
static bool match_emailid(struct eval_ctx *ctx, const struct search_node *node)
{
	uint8_t sha[32];
	const char *error;
	if (ctx->record == NULL || ctx->record->internaldate != node->date)
		return false;
	if (store_blob_sha256(ctx->st, ctx->record->blob_id, sha, &error) != STORE_OK) {
		log_warn(session_id(ctx->session), "EMAILID of uid %u: %s",
			 ctx->uid, error);
		return false;
	}
	buf_reset(&ctx->value);
	objectid_email(sha, ctx->record->internaldate, &ctx->value);
	return ctx->value.len == node->str_len &&
	       memcmp(ctx->value.data, node->str, node->str_len) == 0;
}

static bool eval(struct eval_ctx *ctx, const struct search_node *node)
{
	time_t day;

	switch (node->op) {
	case SEARCH_OP_ALL:
		return true;
	case SEARCH_OP_AND:
		for (size_t i = 0; i < node->child_count; i++) {
			if (!eval(ctx, &node->children[i]))
				return false;
		}
		return true;
	case SEARCH_OP_OR:
		return eval(ctx, &node->children[0]) || eval(ctx, &node->children[1]);
	case SEARCH_OP_NOT:
		return !eval(ctx, &node->children[0]);
	case SEARCH_OP_FLAG:
		return (ctx->flags & node->flags) == node->flags;
	case SEARCH_OP_KEYWORD:
		return has_keyword(mailbox_view_keywords(ctx->view, ctx->seq),
				   node->str, node->str_len);
	case SEARCH_OP_RECENT:
		return (ctx->flags & VIEW_FLAG_RECENT) != 0;
	case SEARCH_OP_SEQSET:
		return seqset_contains(&node->set, ctx->seq,
				       mailbox_view_count(ctx->view));
	case SEARCH_OP_UIDSET:
		/* RFC 3501 6.4.8: "*" is the largest UID in use. */
		return seqset_contains(&node->set, ctx->uid, ctx->max_uid);
	case SEARCH_OP_SAVED:
		return ctx->saved != NULL && searchres_contains(ctx->saved, ctx->uid);
	case SEARCH_OP_LARGER:
		return ctx->record != NULL && ctx->record->size > node->number;
	case SEARCH_OP_SMALLER:
		return ctx->record != NULL && ctx->record->size < node->number;
	case SEARCH_OP_BEFORE:
		return ctx->record != NULL && internal_day(ctx) < node->date;
	case SEARCH_OP_ON:
		return ctx->record != NULL && internal_day(ctx) == node->date;
	case SEARCH_OP_SINCE:
		return ctx->record != NULL && internal_day(ctx) >= node->date;
	case SEARCH_OP_SENTBEFORE:
		return sent_day(ctx, &day) && day < node->date;
	case SEARCH_OP_SENTON:
		return sent_day(ctx, &day) && day == node->date;
	case SEARCH_OP_SENTSINCE:
		return sent_day(ctx, &day) && day >= node->date;
	case SEARCH_OP_HEADER:
		return match_header(ctx, node);
	case SEARCH_OP_BODY:
	case SEARCH_OP_TEXT:
		return match_text(ctx, node);
	case SEARCH_OP_MODSEQ:
		/* The view keeps no modseqs: MODSEQ costs a record. */
		return ctx->record != NULL && ctx->record->modseq >= node->number;
	/* RFC 5032 2: exact to the second, the bound included. */
	case SEARCH_OP_OLDER:
		return ctx->record != NULL && ctx->record->internaldate <= node->date;
	case SEARCH_OP_YOUNGER:
		return ctx->record != NULL && ctx->record->internaldate >= node->date;
	/* RFC 8514 4.3: the save date's day; FETCH SAVEDATE shows it in
	 * UTC, so the day is the UTC one. */
	case SEARCH_OP_SAVEDBEFORE:
		return ctx->record != NULL && saved_day(ctx) < node->date;
	case SEARCH_OP_SAVEDON:
		return ctx->record != NULL && saved_day(ctx) == node->date;
	case SEARCH_OP_SAVEDSINCE:
		return ctx->record != NULL && saved_day(ctx) >= node->date;
	case SEARCH_OP_EMAILID:
		return match_emailid(ctx, node);
	case SEARCH_OP_THREADID:
		return ctx->record != NULL && ctx->record->thread_id != 0 &&
		       (uint64_t)ctx->record->thread_id == node->number;
	}
	return false;
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* Whether the index can narrow a key: its trigrams need three
 * characters, and its text has no NULs (they became spaces). */
static bool fts_usable(const struct search_node *node)
{
	return utf8_chars(node->str, node->str_len) >= FTS_MIN_CHARS &&
	       memchr(node->str, '\0', node->str_len) == NULL;
}

/* Marks the header keys the summary answers; true when one is found. */
static bool mark_summary_keys(struct search_node *node)
{
	bool found = false;
	if (node->op == SEARCH_OP_HEADER) {
		node->summary_field = mail_search_headers_field(node->name);
		found = node->summary_field != 0;
	}
	for (size_t i = 0; i < node->child_count; i++)
		found |= mark_summary_keys(&node->children[i]);
	return found;
}

/* Whether a header key needs the index: the summary answers its own
 * fields for nearly every message, a trigram query costs more than
 * reading the few it lacks. */
static bool has_header_key(const struct search_node *node)
{
	if (node->op == SEARCH_OP_HEADER && node->summary_field == 0 &&
	    fts_usable(node))
		return true;
	for (size_t i = 0; i < node->child_count; i++) {
		if (has_header_key(&node->children[i]))
			return true;
	}
	return false;
}

/* Asks the index for the candidates of every BODY/TEXT key it can answer
 * (when the mailbox is fully indexed) and of every header key (when the
 * unindexed messages are known). A failing index only means scanning. */
static void find_candidates(struct eval_ctx *ctx, struct search_node *node)
{
	for (size_t i = 0; i < node->child_count; i++)
		find_candidates(ctx, &node->children[i]);
	bool text = (node->op == SEARCH_OP_BODY || node->op == SEARCH_OP_TEXT) &&
		    ctx->fts_ready;
	bool header = node->op == SEARCH_OP_HEADER && ctx->header_fts &&
		      node->summary_field == 0;
	if ((!text && !header) || !fts_usable(node))
		return;
	const char *error;
	free(node->candidates);
	node->candidates = NULL;
	int r = header ?
		store_fts_header_candidates(ctx->st, ctx->view->mailbox_id,
					    node->str, node->str_len,
					    &node->candidates,
					    &node->candidate_count, &error) :
		store_fts_candidates(ctx->st, ctx->view->mailbox_id, node->str,
				     node->str_len, node->op == SEARCH_OP_BODY,
				     &node->candidates, &node->candidate_count,
				     &error);
	node->has_candidates = r == STORE_OK;
	if (!node->has_candidates)
		log_warn(session_id(ctx->session), "full-text query failed, scanning: %s",
			 error);
}

static const struct store_message *find_record(struct eval_ctx *ctx, uint32_t uid)
{
	while (ctx->record_pos < ctx->records.count &&
	       ctx->records.msgs[ctx->record_pos].uid < uid)
		ctx->record_pos++;
	if (ctx->record_pos < ctx->records.count &&
	    ctx->records.msgs[ctx->record_pos].uid == uid)
		return &ctx->records.msgs[ctx->record_pos];
	return NULL;
}

static int prepare(struct eval_ctx *ctx, struct search_program *prog,
		   const char **error_r)
{
	const struct mailbox_view *view = ctx->view;
	if (prog->root.cost >= SEARCH_COST_RECORD) {
		struct store_uid_range range = {
			mailbox_view_uid(view, 1), view_msgs_last_uid(&view->msgs)
		};
		int r = store_messages_get(ctx->st, view->mailbox_id, &range, 1,
					   &ctx->records, error_r);
		if (r != STORE_OK)
			return r;
	}
	if (prog->root.cost >= SEARCH_COST_TEXT) {
		const char *error;
		ctx->fts_ready = search_text_index_mailbox(ctx->st, view->mailbox_id,
							   &error) == STORE_OK;
		if (!ctx->fts_ready)
			log_warn(session_id(ctx->session),
				 "full-text index unavailable, scanning: %s", error);
	}
	/* Header keys use the index without catching it up (that costs a
	 * write transaction): the messages it lacks are read whatever the
	 * index says. They are listed before the index is asked, so a message
	 * indexed in between is in one answer or the other. */
	if (prog->root.cost >= SEARCH_COST_HEADER && mark_summary_keys(&prog->root)) {
		struct store_uid_range range = {
			mailbox_view_uid(view, 1), view_msgs_last_uid(&view->msgs)
		};
		const char *error;
		ctx->has_summaries =
			store_header_summaries_get(ctx->st, view->mailbox_id,
						   &range, &ctx->summaries,
						   &error) == STORE_OK;
		if (!ctx->has_summaries)
			log_warn(session_id(ctx->session),
				 "header summaries unavailable, reading headers: %s",
				 error);
	}
	if (prog->root.cost >= SEARCH_COST_HEADER && has_header_key(&prog->root)) {
		const char *error;
		uint64_t *sizes = NULL;
		ctx->header_fts =
			store_fts_unindexed(ctx->st, view->mailbox_id,
					    UNINDEXED_MAX, &ctx->unindexed, &sizes,
					    &ctx->unindexed_count, &error) == STORE_OK &&
			ctx->unindexed_count < UNINDEXED_MAX;
		free(sizes);
	}
	find_candidates(ctx, &prog->root);
	return STORE_OK;
}

/* RFC 3501 7.4.1 lets EXPUNGE go out during a UID command, but a key
 * naming sequence numbers means the numbers the client had when it sent
 * the command: those hold the view as it is. */
static void sync_first_unless_seqs(struct session *s,
				   const struct search_program *prog)
{
	const struct command *cmd = s->cmd;
	if (!prog->uses_seqs && cmd != NULL && cmd->def != NULL &&
	    (cmd->def->flags & COMMAND_FLAG_USES_SEQS) == 0)
		session_sync_first(s);
}

int search_program_run(struct session *s, struct search_program *prog,
		       const struct searchres *saved, uint32_t **seqs_r,
		       size_t *count_r, const char **error_r)
{
	sync_first_unless_seqs(s, prog);
	struct eval_ctx ctx = {
		.session = s,
		.st = session_store(s),
		.view = s->view,
		.saved = saved,
	};
	const struct mailbox_view *view = s->view;
	uint32_t *seqs = NULL;
	size_t n = 0;

	*seqs_r = NULL;
	*count_r = 0;
	prog->highest_modseq = 0;
	if (mailbox_view_count(view) == 0)
		return STORE_OK;
	if (ctx.st == NULL) {
		*error_r = "Mail store unavailable";
		return STORE_EUNAVAILABLE;
	}
	ctx.max_uid = view_msgs_last_uid(&view->msgs);
	int r = prepare(&ctx, prog, error_r);
	if (r != STORE_OK)
		return r;
	uint32_t view_count = mailbox_view_count(view);
	seqs = xmalloc(view_count * sizeof(*seqs));
	for (uint32_t seq = 1; seq <= view_count; seq++) {
		ctx.seq = seq;
		ctx.flags = mailbox_view_flags(view, seq);
		if (ctx.flags & VIEW_FLAG_EXPUNGED)
			continue;
		ctx.uid = mailbox_view_uid(view, seq);
		ctx.record = prog->root.cost >= SEARCH_COST_RECORD ?
			find_record(&ctx, ctx.uid) : NULL;
		if (prog->root.cost >= SEARCH_COST_RECORD && ctx.record == NULL)
			continue;	/* expunged by someone else meanwhile */
		if (eval(&ctx, &prog->root)) {
			seqs[n++] = ctx.seq;
			/* RFC 7162 3.1.5: the result carries the highest
			 * modseq of the matches. */
			if (prog->uses_modseq && ctx.record != NULL &&
			    ctx.record->modseq > prog->highest_modseq)
				prog->highest_modseq = ctx.record->modseq;
		}
		message_reset(&ctx);
	}
	store_message_list_free(&ctx.records);
	backfill_store(&ctx);
	store_header_summary_list_free(&ctx.summaries);
	buf_free(&ctx.scratch);
	buf_free(&ctx.value);
	buf_free(&ctx.header_scratch);
	buf_free(&ctx.text_header);
	buf_free(&ctx.text_body);
	buf_free(&ctx.header_buf);
	free(ctx.unindexed);
	if (n == 0) {
		free(seqs);
		seqs = NULL;
	}
	*seqs_r = seqs;
	*count_r = n;
	return STORE_OK;
}
