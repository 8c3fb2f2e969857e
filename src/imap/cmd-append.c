/*
 * APPEND (RFC 3501 6.3.11) with MULTIAPPEND (RFC 3502) and APPENDUID
 * (RFC 4315 3), and the UTF8 data extension of UTF8=ACCEPT (RFC 6855 4).
 *
 *	APPEND mailbox [flag-list] [date-time] literal
 *	               *(SP [flag-list] [date-time] literal)
 *
 * The parser has read every literal before the handler runs (in memory,
 * or spilled to an unlinked file whose fd the store links into place), so
 * every message is checked first and all of them go to the store in one
 * store_append call: all are stored or none (RFC 3502 6). A bad message
 * anywhere refuses the whole command; the bytes of the later messages were
 * consumed as literal data by the parser and never read as commands.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/imapdate.h"
#include "imap/command.h"
#include "imap/message.h"
#include "imap/flags.h"
#include "imap/mailbox-name.h"
#include "imap/seqset.h"
#include "mail/header.h"
#include "store/store.h"

struct append_batch {
	struct store_append_msg *msgs;
	struct imap_flag_set *flag_sets;	/* flag_sets[i] belongs to msgs[i] */
	size_t count;
};

static void append_batch_free(struct append_batch *batch)
{
	for (size_t i = 0; i < batch->count; i++)
		imap_flag_set_free(&batch->flag_sets[i]);
	free(batch->flag_sets);
	free(batch->msgs);
}

static int append_message_data(const struct imap_arg *arg, bool utf8_data,
			       struct store_append_msg *msg,
			       const char **error_r)
{
	/* UTF8 (...) takes a literal8 (RFC 6855 4). */
	if (utf8_data && !arg->literal8) {
		*error_r = "UTF8 takes a literal8: UTF8 (~{N}...)";
		return -1;
	}
	/* RFC 3501 9: a literal is CHAR8, which excludes NUL; a literal8
	 * (RFC 3516 4.4, BINARY) may carry any byte and is stored exactly
	 * as sent, so FETCH BINARY gives it back unchanged. */
	if (arg->has_nul && !arg->literal8) {
		*error_r = "Message contains NUL bytes";
		return -1;
	}
	if (arg->type == IMAP_ARG_LITERAL) {
		msg->data = arg->str;
		msg->fd = -1;
		msg->size = arg->len;
		return 0;
	}
	if (arg->type == IMAP_ARG_LITERAL_FILE) {
		msg->data = NULL;
		msg->fd = arg->fd;
		msg->size = arg->size;
		msg->sha256 = arg->sha256;
		return 0;
	}
	*error_r = "Message must be a literal";
	return -1;
}

/*
 * Parses one "[flag-list] [date-time] literal" starting at args[*pos] into
 * msg and flags, advancing *pos. Returns 0 or -1 with *error_r.
 */
static int append_parse_one(const struct imap_arg *args, size_t count,
			    size_t *pos, struct store_append_msg *msg,
			    struct imap_flag_set *flags, const char **error_r)
{
	size_t i = *pos;

	memset(msg, 0, sizeof(*msg));
	msg->fd = -1;
	memset(flags, 0, sizeof(*flags));
	if (i < count && args[i].type == IMAP_ARG_LIST) {
		if (imap_flags_parse_list(&args[i], flags, error_r) < 0)
			return -1;
		i++;
	}
	if (i < count && args[i].type == IMAP_ARG_QUOTED) {
		if (imapdate_parse_datetime(args[i].str, args[i].len,
					    &msg->internaldate,
					    &msg->tz_offset_min) < 0) {
			*error_r = "Invalid date-time";
			return -1;
		}
		i++;
	}
	if (i >= count) {
		*error_r = "Missing message literal";
		return -1;
	}
	/* RFC 6855 4: append-data =/ "UTF8" SP "(" literal8 ")", the way a
	 * client sends a message with UTF-8 header fields. */
	const struct imap_arg *data = &args[i];
	bool utf8_data = imap_arg_atom_equals(data, "UTF8");
	if (utf8_data) {
		if (++i >= count || args[i].type != IMAP_ARG_LIST ||
		    args[i].list_count != 1) {
			*error_r = "UTF8 takes a literal8 in parentheses";
			return -1;
		}
		data = &args[i].list[0];
	}
	if (append_message_data(data, utf8_data, msg, error_r) < 0)
		return -1;
	msg->flags = flags->flags;
	msg->keywords = flags->keywords;
	msg->keyword_count = flags->keyword_count;
	*pos = i + 1;
	return 0;
}

static int append_parse(const struct imap_arg *args, size_t count,
			struct append_batch *batch, const char **error_r)
{
	size_t pos = 0;

	memset(batch, 0, sizeof(*batch));
	while (pos < count) {
		batch->msgs = xrealloc(batch->msgs,
				       (batch->count + 1) * sizeof(*batch->msgs));
		batch->flag_sets = xrealloc(batch->flag_sets,
					    (batch->count + 1) * sizeof(*batch->flag_sets));
		size_t n = batch->count++;
		if (append_parse_one(args, count, &pos, &batch->msgs[n],
				     &batch->flag_sets[n], error_r) < 0)
			return -1;
	}
	if (batch->count == 0) {
		*error_r = "Missing message literal";
		return -1;
	}
	return 0;
}

static bool bytes_8bit(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)data[i] >= 0x80)
			return true;
	}
	return false;
}

/* Whether the message's header block holds a byte with the high bit set.
 * A spilled literal is mapped to read its header; one that cannot be
 * mapped is let through (the store reads it all the same). */
static bool header_8bit(const struct store_append_msg *msg)
{
	if (msg->size == 0)
		return false;
	if (msg->data != NULL)
		return bytes_8bit(msg->data, mail_header_block_size(msg->data,
								    msg->size));
	void *map = mmap(NULL, msg->size, PROT_READ, MAP_SHARED, msg->fd, 0);
	if (map == MAP_FAILED)
		return false;
	bool found = bytes_8bit(map, mail_header_block_size(map, msg->size));
	munmap(map, msg->size);
	return found;
}

/* RFC 6855 4: "If an IMAP server supports "UTF8=ACCEPT" and the IMAP
 * client has not issued the "ENABLE UTF8=ACCEPT" command, the server MUST
 * reject, with a "NO" response, an "APPEND" command that includes any
 * 8-bit character in message header fields." IMAP4rev2 permits them
 * (RFC 9051 6.3.12), so ENABLE IMAP4rev2 counts as enabled too. 8-bit
 * bodies are not concerned: only the top-level header is looked at. */
static bool append_header_refused(const struct session *s,
				  const struct append_batch *batch)
{
	if (s->enabled_utf8)
		return false;
	for (size_t i = 0; i < batch->count; i++) {
		if (header_8bit(&batch->msgs[i]))
			return true;
	}
	return false;
}

static bool append_store(struct command *cmd, const char *name,
			 struct append_batch *batch)
{
	struct store *st = session_store(cmd->session);
	struct store_mailbox mailbox;
	const char *error = NULL;
	uint32_t uidvalidity = 0;

	if (st == NULL)
		return command_no(cmd, "UNAVAILABLE", "Mail store unavailable");
	int r = store_mailbox_lookup(st, cmd->session->user_id, name, &mailbox,
				     &error);
	/* RFC 3501 6.3.11: a missing destination gets [TRYCREATE]; a name
	 * no mailbox can have ("") would make CREATE fail too. */
	if (r == STORE_EINVALID)
		return command_no(cmd, "NONEXISTENT", "Mailbox does not exist");
	if (r == STORE_ENONEXISTENT)
		r = STORE_ETRYCREATE;
	if (r != STORE_OK)
		return mailbox_name_reply_store_error(cmd, r, error);

	uint32_t *uids = xmalloc(batch->count * sizeof(uint32_t));
	struct message_append_prep *preps = xcalloc(batch->count, sizeof(*preps));
	for (size_t i = 0; i < batch->count; i++)
		message_append_prepare(&batch->msgs[i], &preps[i]);
	r = store_append(st, mailbox.id, batch->msgs, batch->count, uids,
			 &uidvalidity, &error);
	for (size_t i = 0; i < batch->count; i++) {
		if (r == STORE_OK)
			message_append_finish(st, &batch->msgs[i], &preps[i]);
		message_append_prep_free(&preps[i]);
	}
	free(preps);
	if (r != STORE_OK) {
		free(uids);
		return mailbox_name_reply_store_error(cmd, r, error);
	}
	/* RFC 4315 3: APPENDUID uidvalidity uid-set; the store commits and
	 * fsyncs before returning, so OK means durable. */
	struct buf code = BUF_INIT;
	buf_printf(&code, "APPENDUID %u ", uidvalidity);
	seqset_format_array(&code, uids, batch->count);
	free(uids);
	command_ok(cmd, buf_cstr(&code), "Append completed");
	buf_free(&code);
	return true;
}

bool cmd_append(struct command *cmd)
{
	const char *error = NULL;
	struct append_batch batch;
	struct buf name = BUF_INIT;

	if (cmd->args_count < 2)
		return command_bad(cmd, NULL, "APPEND needs a mailbox and a message");
	if (!mailbox_name_arg(cmd, &cmd->args[0], MAILBOX_NAME_EXISTING, &name)) {
		buf_free(&name);
		return true;
	}
	if (append_parse(cmd->args + 1, cmd->args_count - 1, &batch, &error) < 0)
		command_bad(cmd, NULL, "%s", error);
	else if (append_header_refused(cmd->session, &batch))
		command_no(cmd, NULL, "8-bit header fields need ENABLE UTF8=ACCEPT");
	else
		append_store(cmd, buf_cstr(&name), &batch);
	append_batch_free(&batch);
	buf_free(&name);
	return true;
}
