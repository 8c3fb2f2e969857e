#ifndef QUIRE_MAIL_SUBJECT_H
#define QUIRE_MAIL_SUBJECT_H
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/*
 * RFC 5256 2.1: the base subject of a Subject header value subject[0..len)
 * (raw: RFC 2047 words are decoded here, folding and tabs become single
 * spaces), appended to out. *is_reply_r (may be NULL) is set when a
 * subj-refwd, a "(fwd)" trailer or a "[fwd: ...]" wrapper was removed (the
 * "reply or forward" of the REFERENCES algorithm).
 */
void mail_base_subject(const char *subject, size_t len, struct buf *out,
		       bool *is_reply_r);

/*
 * Appends the normalized msg-ids found in s[0..len) ("<local@domain>",
 * RFC 5256 REFERENCES: quotes and whitespace removed) to *ids_r (grown
 * with xrealloc; each id caller-freed), at most max of them. Returns how
 * many were added.
 */
size_t mail_msgids_parse(const char *s, size_t len, size_t max,
			 char ***ids_r, size_t *count_r);

#endif
