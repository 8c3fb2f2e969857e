/* The header keys of the THREADID rule (see thread-keys.h). */
#include "mail/thread-keys.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "mail/header.h"
#include "mail/subject.h"

/* Longer ids are not real Message-IDs (RFC 5322 2.1.1 line limits); they
 * would only bloat the records. */
#define MAX_ID_LEN 250
/* References parsed before the nearest ones are picked. */
#define MAX_REFERENCES 200

static void add_id(struct mail_thread_keys *keys, char *id)
{
	if (keys->id_count == MAIL_THREAD_MAX_IDS || strlen(id) > MAX_ID_LEN) {
		free(id);
		return;
	}
	for (size_t i = 0; i < keys->id_count; i++) {
		if (strcmp(keys->ids[i], id) == 0) {
			free(id);
			return;
		}
	}
	keys->ids[keys->id_count++] = id;
}

/* Adds the ids of header field name, the last one first when reverse. */
static void add_field_ids(struct mail_thread_keys *keys, const char *hdr,
			  size_t hdr_len, const char *name, size_t max,
			  bool reverse)
{
	struct mail_header_field f;
	char **ids = NULL;
	size_t n = 0;
	if (!mail_header_find(hdr, hdr_len, name, &f))
		return;
	mail_msgids_parse(f.value, f.value_len, max, &ids, &n);
	for (size_t i = 0; i < n; i++)
		add_id(keys, ids[reverse ? n - 1 - i : i]);
	free(ids);
}

void mail_thread_keys_read(const char *data, size_t len,
			   struct mail_thread_keys *keys_r)
{
	memset(keys_r, 0, sizeof(*keys_r));
	if (len > MAIL_THREAD_HEADER_MAX)
		len = MAIL_THREAD_HEADER_MAX;
	size_t hdr_len = data == NULL ? 0 : mail_header_block_size(data, len);

	add_field_ids(keys_r, data, hdr_len, "In-Reply-To", 1, false);
	add_field_ids(keys_r, data, hdr_len, "References", MAX_REFERENCES, true);
	add_field_ids(keys_r, data, hdr_len, "Message-ID", 1, false);

	struct mail_header_field f;
	struct buf base = BUF_INIT;
	if (hdr_len > 0 && mail_header_find(data, hdr_len, "Subject", &f))
		mail_base_subject(f.value, f.value_len, &base, NULL);
	if (base.len > MAIL_THREAD_SUBJECT_MAX)
		buf_truncate(&base, MAIL_THREAD_SUBJECT_MAX);
	for (size_t i = 0; i < base.len; i++) {
		if (base.data[i] >= 'A' && base.data[i] <= 'Z')
			base.data[i] = (char)(base.data[i] + 32);
	}
	keys_r->subject = base.data == NULL ? xstrdup("") : buf_steal(&base);
}

void mail_thread_keys_free(struct mail_thread_keys *keys)
{
	for (size_t i = 0; i < keys->id_count; i++)
		free(keys->ids[i]);
	free(keys->subject);
	memset(keys, 0, sizeof(*keys));
}
