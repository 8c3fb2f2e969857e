#ifndef QUIRE_MAIL_SECTION_H
#define QUIRE_MAIL_SECTION_H
/*
 * FETCH body sections (RFC 3501 6.4.5 and 9 "section") and BINARY
 * sections (RFC 3516), resolved against a parsed tree and the message
 * bytes. Parsing the spec and resolving it are separate steps: the command
 * parser rejects bad syntax with BAD before any message is touched.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "mail/mime.h"

enum mail_section_kind {
	MAIL_SECTION_ALL,               /* "" or a bare part number */
	MAIL_SECTION_HEADER,
	MAIL_SECTION_HEADER_FIELDS,
	MAIL_SECTION_HEADER_FIELDS_NOT,
	MAIL_SECTION_TEXT,
	MAIL_SECTION_MIME,              /* only after a part number */
};

struct mail_section {
	uint32_t path[MAIL_MIME_MAX_DEPTH];
	unsigned int path_len;
	enum mail_section_kind kind;
	/* HEADER.FIELDS[.NOT] names, NUL-terminated, owned (freed by
	   mail_section_free()). */
	char **fields;
	unsigned int field_count;
};

/*
 * Parses spec[0..len), the text between "BODY[" and "]" (case-insensitive
 * keywords; header field names as atoms, quoted strings or literals
 * {N}CRLF...). Returns 0 and fills *section_r, or -1 with *error_r set to
 * a static reason for a tagged BAD. A section_r filled by a successful
 * call must be released with mail_section_free().
 */
int mail_section_parse(const char *spec, size_t len,
		       struct mail_section *section_r, const char **error_r);
void mail_section_free(struct mail_section *section);

/*
 * The bytes a section stands for: either a range of the message
 * (generated == false: msg + offset, size bytes) or bytes built in
 * data (generated == true, HEADER.FIELDS filtering). A part that does not
 * exist, or HEADER/TEXT of a part that is not a message, is an empty
 * range (RFC 3501 gives no error; Dovecot returns "").
 */
struct mail_section_result {
	bool generated;
	size_t offset;
	size_t size;
	struct buf data;
};

/*
 * Resolves section against tree for the message msg[0..msg_len) (the bytes
 * the tree was parsed from). HEADER.FIELDS gives the matching fields as
 * they are in the message (folding and line endings kept) followed by an
 * empty line (CRLF), per RFC 3501 6.4.5. *result_r must be released with
 * mail_section_result_free(). Never fails; if msg_len differs from the
 * size the tree was parsed for (a stale cache), the result is empty.
 */
void mail_section_fetch(const struct mail_tree *tree, const char *msg,
			size_t msg_len, const struct mail_section *section,
			struct mail_section_result *result_r);
void mail_section_result_free(struct mail_section_result *result);

/* Returns the bytes of result (msg + offset, or data). */
const char *mail_section_result_ptr(const struct mail_section_result *result,
				    const char *msg);

/*
 * Applies a FETCH partial <origin.octets> (RFC 3501 6.4.5) to a section of
 * size bytes: *offset_r and *len_r select the bytes to send, relative to
 * the section's start. An origin past the end gives an empty range.
 */
void mail_section_partial(size_t size, uint64_t origin, uint64_t octets,
			  size_t *offset_r, size_t *len_r);

/* Result codes of mail_binary_fetch(). */
#define MAIL_BINARY_OK 0
/* The part's Content-Transfer-Encoding is not one we can undo: answer
   NO [UNKNOWN-CTE] (RFC 3516 4.2). */
#define MAIL_BINARY_UNKNOWN_CTE (-1)

/*
 * BINARY[path] (RFC 3516): appends to out the content of the part with the
 * transfer encoding removed (base64, quoted-printable; 7bit/8bit/binary
 * and no header are copied as is). path_len == 0 and non-leaf parts give
 * the bytes unchanged (the whole message, or the part's body). A missing
 * part appends nothing and returns MAIL_BINARY_OK. BINARY.SIZE is
 * out->len after the call.
 */
int mail_binary_fetch(const struct mail_tree *tree, const char *msg,
		      size_t msg_len, const uint32_t *path,
		      unsigned int path_len, struct buf *out);

#endif
