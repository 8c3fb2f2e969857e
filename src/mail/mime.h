#ifndef QUIRE_MAIL_MIME_H
#define QUIRE_MAIL_MIME_H
/*
 * The MIME tree of a message (RFC 2045, 2046), parsed in one pass over the
 * bytes at delivery and then cached (see cache.h), so that FETCH never
 * parses again.
 *
 * Decisions, so FETCH and SEARCH can rely on them:
 *  - Offsets and sizes are of the bytes as given (physical sizes). The
 *    message is served byte for byte, so BODYSTRUCTURE sizes and section
 *    cuts agree with what BODY[...] returns. If the store normalizes bare
 *    LF to CRLF it does so before calling the parser.
 *  - Line counts (RFC 3501 body-fld-lines) are the number of LF bytes in
 *    the body, as Dovecot counts them (a last line without LF is not
 *    counted).
 *  - Strings (type, subtype, parameter names, encoding, ...) keep the case
 *    in which the message wrote them; RFC 3501 makes them case-insensitive
 *    for the client, and Dovecot writes them as given too. Defaults are
 *    written lowercase: "text" "plain" ("charset" "us-ascii") "7bit".
 *  - A Content-Type that does not parse (no "/") falls back to the default
 *    text/plain; charset=us-ascii (RFC 2045 5.2), as if it were absent.
 *  - multipart/digest children default to message/rfc822 (RFC 2046 5.1.5).
 *  - A multipart with no boundary parameter is a leaf: its body is served
 *    as is and BODYSTRUCTURE shows it as a basic body with its declared
 *    type (Dovecot does the same).
 *  - A multipart whose boundary never occurs has no children: its whole
 *    body is preamble (RFC 2046 5.1.1 readers ignore preamble).
 *    BODYSTRUCTURE then shows one empty text/plain child, since the RFC
 *    3501 grammar needs at least one body (as Dovecot writes it).
 *  - Text parts without a charset parameter are written with
 *    ("charset" "us-ascii") added (RFC 2045 5.2; Dovecot does so).
 *  - A message/rfc822 part with a base64 or quoted-printable encoding
 *    cannot be parsed in place: it is a leaf, written as a basic body.
 *  - A missing final boundary ends the last part at the end of the
 *    enclosing body; the boundary of any enclosing multipart also closes
 *    the inner ones (Dovecot behaviour).
 *  - The CRLF (or LF) before a boundary line belongs to the boundary
 *    (RFC 2046 5.1.1), not to the part before it.
 *  - Beyond MAIL_MIME_MAX_DEPTH nesting or MAIL_MIME_MAX_PARTS parts, the
 *    rest of the content is an opaque leaf: a multipart or message part is
 *    kept as a leaf with its type, its body not parsed further.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MAIL_MIME_MAX_DEPTH 50
#define MAIL_MIME_MAX_PARTS 10000

enum mail_part_flags {
	/* multipart/ *: children are the body parts. */
	MAIL_PART_FLAG_MULTIPART = 1 << 0,
	/* message/rfc822 (or global): exactly one child, the inner message
	   root, whose header_offset is this part's body_offset. */
	MAIL_PART_FLAG_MESSAGE = 1 << 1,
	/* text/ *: body_lines is meaningful in BODYSTRUCTURE. */
	MAIL_PART_FLAG_TEXT = 1 << 2,
	/* No (valid) Content-Type header: the type is the default. */
	MAIL_PART_FLAG_DEFAULT_TYPE = 1 << 3,
	/* A limit was hit: a multipart/message part not parsed further. */
	MAIL_PART_FLAG_OPAQUE = 1 << 4,
	/* The body contains a NUL byte (RFC 3516 binary content). */
	MAIL_PART_FLAG_HAS_NUL = 1 << 5,
};

struct mail_param {
	/* Name as written (without a RFC 2231 "*N*" suffix); value with RFC
	   2231 continuations merged, %XX undone and converted from its
	   charset to UTF-8 (left as bytes when the charset is unknown), or
	   the unquoted value of an ordinary parameter. */
	char *name;
	char *value;
	/* For a RFC 2231 extended parameter, the merged value still in its
	   encoded form: "charset'lang'%XX..." (non-extended sections
	   percent-encoded), else NULL. BODYSTRUCTURE sends it as "name*"
	   with this value, as Dovecot does: clients decode RFC 2231
	   themselves, and IMAP4rev1 strings should stay 7-bit. */
	char *value_2231;
};

struct mail_part {
	struct mail_part *parent;
	struct mail_part *children;   /* first child */
	struct mail_part *next;       /* next sibling */
	unsigned int child_count;
	unsigned int flags;           /* enum mail_part_flags */

	/* Byte offsets within the whole message. header_size includes the
	   empty line ending the header (if any); body_offset ==
	   header_offset + header_size. */
	size_t header_offset;
	size_t header_size;
	size_t body_offset;
	size_t body_size;
	uint32_t body_lines;

	/* Never NULL after parsing: defaults filled in. */
	char *type;
	char *subtype;
	struct mail_param *params;
	unsigned int param_count;

	/* NULL when the header is absent. Raw, unfolded values. */
	char *id;
	char *description;
	char *encoding;       /* Content-Transfer-Encoding token; NULL = 7bit */
	char *md5;
	char *disposition;    /* the disposition token, e.g. "attachment" */
	struct mail_param *disp_params;
	unsigned int disp_param_count;
	char **languages;     /* Content-Language tags */
	unsigned int language_count;
	char *location;

	/* For a message root (the tree root, and the child of a
	   message/rfc822 part): the rendered IMAP ENVELOPE, else NULL. */
	char *envelope;
	size_t envelope_len;
};

struct mail_pool;

struct mail_tree {
	struct mail_pool *pool;       /* owns every part and string below */
	struct mail_part *root;
	unsigned int part_count;
	size_t msg_size;
	/* Pre-rendered FETCH items for the whole message (no trailing
	   space or CRLF): the parenthesized ENVELOPE, BODY (RFC 3501 body
	   without extension data) and BODYSTRUCTURE (with extensions). */
	struct buf envelope;
	struct buf body;
	struct buf bodystructure;
};

/*
 * Parses the message msg[0..len) (typically an mmap of the stored blob;
 * it is not copied and need not stay mapped after the call). Never fails:
 * any byte sequence gives a tree, malformed MIME degrading as described
 * above. Returns a new tree, freed with mail_tree_free().
 */
struct mail_tree *mail_mime_parse(const char *msg, size_t len);

/* Frees the tree and sets *tree to NULL; NULL is accepted. */
void mail_tree_free(struct mail_tree **tree);

/*
 * Returns the part addressed by an IMAP part number path (RFC 3501 6.4.5:
 * path[0].path[1]...; each number >= 1) or NULL when it does not exist.
 * count == 0 returns the root. Numbering: the parts of a multipart are
 * its children; a non-multipart entity has only part 1, itself; for a
 * message/rfc822 part, numbers address the parts of the inner message.
 */
const struct mail_part *mail_tree_find_part(const struct mail_tree *tree,
					    const uint32_t *path,
					    unsigned int count);

/* Returns the value of parameter name (case-insensitive) or NULL. */
const char *mail_part_param(const struct mail_part *part, const char *name);

/* Returns true when the part's type/subtype equals type and subtype
   (case-insensitive). */
bool mail_part_is(const struct mail_part *part, const char *type,
		  const char *subtype);

/* Re-renders tree->envelope, body and bodystructure from the parts (the
   parser and the cache loader call it; exported for tests). */
void mail_tree_render(struct mail_tree *tree);

#endif
