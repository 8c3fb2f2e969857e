/*
 * libFuzzer target: FETCH section specs (mail_section_parse, the text
 * between "BODY[" and "]"). An accepted spec is also resolved against a
 * small fixed multipart message, and its range must lie inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "mail/mime.h"
#include "mail/section.h"

static const char message[] =
	"From: Alice <alice@example.org>\r\n"
	"To: bob@example.org\r\n"
	"Subject: fuzz\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"hello\r\n"
	"--b1\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"Subject: inner\r\n"
	"Content-Type: multipart/alternative; boundary=b2\r\n"
	"\r\n"
	"--b2\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"aGVsbG8K\r\n"
	"--b2--\r\n"
	"--b1--\r\n";

static struct mail_tree *tree;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (tree == NULL)
		tree = mail_mime_parse(message, sizeof(message) - 1);
	struct mail_section sec;
	const char *error = NULL;
	if (mail_section_parse((const char *)data, size, &sec, &error) < 0) {
		if (error == NULL)
			abort();
		return 0;
	}
	if (sec.path_len > MAIL_MIME_MAX_DEPTH)
		abort();
	if (sec.kind == MAIL_SECTION_MIME && sec.path_len == 0)
		abort();	/* RFC 3501 9: MIME only after a part number */
	for (unsigned i = 0; i < sec.path_len; i++)
		if (sec.path[i] == 0)
			abort();	/* nz-number */
	for (unsigned i = 0; i < sec.field_count; i++)
		if (sec.fields[i] == NULL)
			abort();
	struct mail_section_result res;
	mail_section_fetch(tree, message, sizeof(message) - 1, &sec, &res);
	if (!res.generated && (res.offset > sizeof(message) - 1 ||
			       res.size > sizeof(message) - 1 - res.offset))
		abort();
	(void)mail_section_result_ptr(&res, message);
	mail_section_result_free(&res);
	mail_section_free(&sec);
	return 0;
}
