/*
 * ENVELOPE, BODY and BODYSTRUCTURE of the corpus messages. The expected
 * strings are written by hand from RFC 3501 7.4.2 and section 9 (sizes
 * and line counts counted from the corpus bytes: a part's body excludes
 * the line break before the next boundary, RFC 2046 5.1.1; lines are LF
 * bytes in the body).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/cache.h"
#include "mail/decode.h"
#include "mail/mime.h"
#include "test-mail-corpus.h"

struct parsed {
	struct buf msg;
	struct mail_tree *tree;
};

static void parse_file(const char *name, struct parsed *p)
{
	buf_init(&p->msg);
	corpus_load(name, &p->msg);
	p->tree = mail_mime_parse(p->msg.data, p->msg.len);
}

static void parsed_free(struct parsed *p)
{
	mail_tree_free(&p->tree);
	assert_null(p->tree);
	buf_free(&p->msg);
}

#define TERRY "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\"))"

static void test_simple(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("simple.eml", &p);
	assert_buf_equal(&p.tree->envelope,
		"(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
		"\"IMAP4rev1 WG mtg summary and minutes\" "
		TERRY " " TERRY " " TERRY " "
		"((NIL NIL \"imap\" \"cac.washington.edu\")) "
		"((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
		"(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) "
		"NIL NIL \"<B27397-0100000@cac.washington.edu>\")");
	assert_buf_equal(&p.tree->body,
		"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7bit\" 28 2)");
	assert_buf_equal(&p.tree->bodystructure,
		"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7bit\" 28 2"
		" NIL NIL NIL NIL)");
	assert_int_equal(p.tree->part_count, 1);
	const struct mail_part *root = p.tree->root;
	assert_int_equal(root->header_offset, 0);
	assert_int_equal(root->body_offset + root->body_size, p.msg.len);
	assert_true(mail_part_is(root, "text", "plain"));
	assert_string_equal(mail_part_param(root, "charset"), "US-ASCII");
	parsed_free(&p);
}

#define ALICE "((\"Alice\" NIL \"alice\" \"example.com\"))"

static void test_alternative(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("alternative.eml", &p);
	assert_buf_equal(&p.tree->envelope,
		"(\"Mon, 1 Jan 2024 10:00:00 +0000\" \"alt\" "
		ALICE " " ALICE " " ALICE " "
		"((\"Bob\" NIL \"bob\" \"example.org\")) NIL NIL NIL "
		"\"<alt@example.com>\")");
	assert_buf_equal(&p.tree->body,
		"((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 0)"
		"(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL "
		"\"quoted-printable\" 14 0) \"alternative\")");
	assert_buf_equal(&p.tree->bodystructure,
		"((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 0"
		" NIL NIL NIL NIL)"
		"(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL "
		"\"quoted-printable\" 14 0 NIL NIL NIL NIL) \"alternative\" "
		"(\"boundary\" \"XX\") NIL NIL NIL)");
	assert_int_equal(p.tree->part_count, 3);
	parsed_free(&p);
}

#define INNER_ADDR "((NIL NIL \"inner\" \"example.net\"))"
#define DOE "((\"Doe, John\" NIL \"john.doe\" \"example.com\"))"

static void test_nested(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("nested.eml", &p);
	assert_buf_equal(&p.tree->envelope,
		"(\"Tue, 2 Jan 2024 11:00:00 +0100\" \"nested\" "
		DOE " " DOE " " DOE " "
		"((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
		"NIL NIL NIL NIL)");
	assert_buf_equal(&p.tree->bodystructure,
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0"
		" NIL NIL NIL NIL)"
		"(\"message\" \"rfc822\" NIL NIL \"forwarded\" \"7bit\" 221 "
		"(NIL \"inner\" " INNER_ADDR " " INNER_ADDR " " INNER_ADDR
		" NIL NIL NIL NIL NIL) "
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0"
		" NIL NIL NIL NIL)"
		"(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0"
		" NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"inner\") NIL NIL NIL)"
		" 13 NIL NIL NIL NIL)"
		"(\"application\" \"octet-stream\" (\"name\" \"a.bin\") NIL NIL "
		"\"base64\" 8 NIL (\"attachment\" (\"filename\" \"a.bin\")) NIL NIL)"
		"(\"text\" \"plain\" (\"charset\" \"iso-8859-1\") \"<id1@example.com>\" "
		"NIL \"quoted-printable\" 14 1 \"MD5VALUE\" (\"inline\" NIL) "
		"(\"de\" \"en\") \"http://example.com/x.txt\") "
		"\"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)");
	assert_buf_equal(&p.tree->body,
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0)"
		"(\"message\" \"rfc822\" NIL NIL \"forwarded\" \"7bit\" 221 "
		"(NIL \"inner\" " INNER_ADDR " " INNER_ADDR " " INNER_ADDR
		" NIL NIL NIL NIL NIL) "
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0)"
		"(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0)"
		" \"alternative\") 13)"
		"(\"application\" \"octet-stream\" (\"name\" \"a.bin\") NIL NIL "
		"\"base64\" 8)"
		"(\"text\" \"plain\" (\"charset\" \"iso-8859-1\") \"<id1@example.com>\" "
		"NIL \"quoted-printable\" 14 1) \"mixed\")");
	/* root, 4 parts, inner root, 2 inner parts */
	assert_int_equal(p.tree->part_count, 8);
	uint32_t path[] = { 2, 1 };
	const struct mail_part *inner = mail_tree_find_part(p.tree, path, 2);
	assert_non_null(inner);
	assert_memory_equal(p.msg.data + inner->body_offset, "inner plain", 11);
	assert_int_equal(inner->body_size, 11);
	uint32_t bad[] = { 5 };
	assert_null(mail_tree_find_part(p.tree, bad, 1));
	uint32_t leaf_sub[] = { 1, 1 };
	assert_null(mail_tree_find_part(p.tree, leaf_sub, 2));
	parsed_free(&p);
}

static void test_rfc2231(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("rfc2231.eml", &p);
	/* RFC 3501: ENVELOPE strings are not RFC 2047 decoded */
	assert_buf_equal(&p.tree->envelope,
		"(NIL \"=?UTF-8?B?SGVsbG8gV8O2cmxk?=\" "
		"((NIL NIL \"x\" \"example.com\")) ((NIL NIL \"x\" \"example.com\")) "
		"((NIL NIL \"x\" \"example.com\")) NIL NIL NIL NIL NIL)");
	assert_buf_equal(&p.tree->bodystructure,
		"(\"application\" \"pdf\" (\"name*\" \"utf-8''%E2%82%AC%20rates.pdf\")"
		" NIL NIL \"base64\" 10 NIL (\"attachment\" (\"filename*\" "
		"\"utf-8''%E2%82%AC%20rates%20%C3%A9t%C3%A9.pdf\")) NIL NIL)");
	const struct mail_part *root = p.tree->root;
	assert_string_equal(mail_part_param(root, "name"),
			    "\xE2\x82\xAC rates.pdf");
	assert_int_equal(root->disp_param_count, 1);
	assert_string_equal(root->disp_params[0].name, "filename");
	assert_string_equal(root->disp_params[0].value,
			    "\xE2\x82\xAC rates \xC3\xA9t\xC3\xA9.pdf");
	parsed_free(&p);
}

static void test_rfc2231_latin1_and_plain_continuation(void **state)
{
	(void)state;
	const char msg[] =
		"Content-Type: text/plain; title*=iso-8859-1'fr'caf%E9;\r\n"
		" t*0=\"a b\"; t*1=c; charset=\"us-ascii\"\r\n\r\nx";
	struct mail_tree *tree = mail_mime_parse(msg, sizeof(msg) - 1);
	assert_string_equal(mail_part_param(tree->root, "title"), "caf\xC3\xA9");
	/* no extended section: a plain merged parameter */
	assert_string_equal(mail_part_param(tree->root, "t"), "a bc");
	assert_buf_equal(&tree->body,
		"(\"text\" \"plain\" (\"title*\" \"iso-8859-1'fr'caf%E9\" "
		"\"t\" \"a bc\" \"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0)");
	mail_tree_free(&tree);
}

static void test_encoded_words_envelope(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("encoded-words.eml", &p);
	assert_buf_equal(&p.tree->envelope,
		"(NIL \"=?ISO-8859-1?Q?Caf=E9_cr=E8me?= =?UTF-8?B?IOKCrA==?=\" "
		"((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"joerg\" \"example.de\")) "
		"((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"joerg\" \"example.de\")) "
		"((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"joerg\" \"example.de\")) "
		"((\"=?iso-8859-1?q?Ren=E9?=\" NIL \"rene\" \"example.fr\")) "
		"NIL NIL NIL NIL)");
	parsed_free(&p);
}

static void test_no_boundary_param(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("no-boundary.eml", &p);
	/* a leaf with its declared type, no line count (not text) */
	assert_buf_equal(&p.tree->bodystructure,
		"(\"multipart\" \"mixed\" NIL NIL NIL \"7bit\" 47 NIL NIL NIL NIL)");
	assert_int_equal(p.tree->part_count, 1);
	parsed_free(&p);
}

static void test_boundary_never_found(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("boundary-missing.eml", &p);
	assert_buf_equal(&p.tree->body,
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)"
		" \"mixed\")");
	assert_buf_equal(&p.tree->bodystructure,
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"
		" NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"zz\") NIL NIL NIL)");
	assert_int_equal(p.tree->root->body_size, 11);
	parsed_free(&p);
}

static void test_missing_final_boundary(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("no-final-boundary.eml", &p);
	assert_buf_equal(&p.tree->body,
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0)"
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1)"
		" \"mixed\")");
	assert_int_equal(p.tree->root->body_size, 76);
	parsed_free(&p);
}

static void test_garbage(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("garbage.eml", &p);
	/* "Content-Type: garbage" falls back to the RFC 2045 5.2 default; the
	   inner multipart without final boundary is closed by the outer one */
	assert_buf_equal(&p.tree->body,
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)"
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 28 0)"
		" \"alternative\") \"mixed\")");
	uint32_t path[] = { 2 };
	const struct mail_part *alt = mail_tree_find_part(p.tree, path, 1);
	assert_int_equal(alt->body_size, 36);
	assert_int_equal(alt->body_lines, 2);
	assert_int_equal(p.tree->root->body_size, 147);
	parsed_free(&p);
}

static void test_8bit_headers(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("8bit-headers.eml", &p);
	/* 8-bit bytes cannot be quoted: literals (RFC 3501 4.3) */
#define JOERG "(({5}\r\nJ\xC3\xB6rg NIL \"j\" \"example.de\"))"
	assert_buf_equal(&p.tree->envelope,
		"(NIL {7}\r\nGr\xC3\xBC\xC3\x9F" "e " JOERG " " JOERG " " JOERG
		" NIL NIL NIL NIL NIL)");
	assert_buf_equal(&p.tree->body,
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1)");
	parsed_free(&p);
}

static void test_bare_lf(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("bare-lf.eml", &p);
	/* sizes are of the bytes as stored */
	assert_buf_equal(&p.tree->body,
		"((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 1)"
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" 8 0)"
		" \"mixed\")");
	assert_int_equal(p.tree->root->body_size, 142);
	parsed_free(&p);
}

#define GROUP_FROM "((NIL NIL \"Group One\" NIL)(NIL NIL \"a\" \"example.com\")" \
	"(\"B b\" NIL \"b\" \"example.com\")(NIL NIL NIL NIL)" \
	"(NIL NIL \"c\" \"example.com\"))"

static void test_groups(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("groups.eml", &p);
	assert_buf_equal(&p.tree->envelope,
		"(NIL NIL " GROUP_FROM " " GROUP_FROM " " GROUP_FROM " "
		"((NIL NIL \"empty-group\" NIL)(NIL NIL NIL NIL)) "
		"((\"Full Name\" NIL \"user\" \"host\")"
		"(NIL \"@route1,@route2\" \"x\" \"example.com\")) "
		"((NIL NIL \"quoted local\" \"example.com\")) NIL NIL)");
	parsed_free(&p);
}

static void test_empty(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("empty.eml", &p);
	assert_buf_equal(&p.tree->envelope,
		"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	assert_buf_equal(&p.tree->bodystructure,
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"
		" NIL NIL NIL NIL)");
	parsed_free(&p);
}

static void test_headers_only(void **state)
{
	(void)state;
	struct parsed p;
	parse_file("headers-only.eml", &p);
	assert_buf_equal(&p.tree->envelope,
		"(NIL \"headers only\" ((NIL NIL \"a\" \"example.com\")) "
		"((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"a\" \"example.com\")) "
		"NIL NIL NIL NIL NIL)");
	assert_int_equal(p.tree->root->header_size, p.msg.len);
	assert_int_equal(p.tree->root->body_size, 0);
	parsed_free(&p);
}

static void test_digest_default(void **state)
{
	(void)state;
	const char msg[] =
		"Content-Type: multipart/digest; boundary=d\r\n\r\n"
		"--d\r\n\r\nSubject: one\r\n\r\nbody\r\n--d--\r\n";
	struct mail_tree *tree = mail_mime_parse(msg, sizeof(msg) - 1);
	/* RFC 2046 5.1.5: the child defaults to message/rfc822; the inner
	   message (20 bytes, 2 LFs) is a default text/plain body */
	assert_buf_equal(&tree->body,
		"((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 20 "
		"(NIL \"one\" NIL NIL NIL NIL NIL NIL NIL NIL) "
		"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0)"
		" 2) \"digest\")");
	mail_tree_free(&tree);
}

static void test_depth_limit(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT;
	for (int i = 0; i < MAIL_MIME_MAX_DEPTH + 20; i++)
		buf_printf(&msg, "Content-Type: multipart/mixed; boundary=b%d\r\n"
			   "\r\n--b%d\r\n", i, i);
	buf_append_str(&msg, "\r\ndeep\r\n");
	struct mail_tree *tree = mail_mime_parse(msg.data, msg.len);
	assert_true(tree->part_count <= MAIL_MIME_MAX_DEPTH);
	const struct mail_part *part = tree->root;
	while (part->children != NULL)
		part = part->children;
	assert_true((part->flags & MAIL_PART_FLAG_OPAQUE) != 0);
	assert_int_equal(part->body_offset + part->body_size, msg.len);
	mail_tree_free(&tree);
	buf_free(&msg);
}

static void test_part_limit(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT;
	buf_append_str(&msg, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (int i = 0; i < MAIL_MIME_MAX_PARTS + 50; i++)
		buf_append_str(&msg, "--p\r\n\r\nx\r\n");
	buf_append_str(&msg, "--p--\r\n");
	struct mail_tree *tree = mail_mime_parse(msg.data, msg.len);
	assert_int_equal(tree->part_count, MAIL_MIME_MAX_PARTS);
	/* the last part takes the rest of the message */
	const struct mail_part *last = tree->root->children;
	while (last->next != NULL)
		last = last->next;
	assert_int_equal(last->body_offset + last->body_size, msg.len);
	mail_tree_free(&tree);
	buf_free(&msg);
}

/* Checks that every part lies inside its parent and the message. */
static void check_bounds(const struct mail_part *part, size_t start, size_t end)
{
	assert_true(part->header_offset >= start);
	assert_int_equal(part->body_offset, part->header_offset + part->header_size);
	assert_true(part->body_offset + part->body_size <= end);
	size_t child_start = part->body_offset;
	for (const struct mail_part *c = part->children; c != NULL; c = c->next) {
		check_bounds(c, child_start, part->body_offset + part->body_size);
		child_start = c->body_offset + c->body_size;
	}
}

/* Mutated corpus messages (a fixed pseudo-random sequence, so a failure
   reproduces) must parse into a consistent tree without crashing. */
static void test_mutations(void **state)
{
	(void)state;
	static const char *const files[] = {
		"nested.eml", "alternative.eml", "rfc2231.eml", "garbage.eml",
		"groups.eml", "bare-lf.eml",
	};
	static const char alphabet[] = "-\r\n:;=\"<>()@,*'%? \t\x80\0";
	uint32_t seed = 12345;
	struct buf msg = BUF_INIT;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct buf orig = BUF_INIT;
		corpus_load(files[f], &orig);
		for (int round = 0; round < 300; round++) {
			buf_reset(&msg);
			buf_append(&msg, orig.data, orig.len);
			for (int k = 0; k < 1 + round % 8; k++) {
				seed = seed * 1103515245u + 12345u;
				size_t pos = (seed >> 8) % msg.len;
				seed = seed * 1103515245u + 12345u;
				msg.data[pos] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
			}
			seed = seed * 1103515245u + 12345u;
			size_t len = (round % 3 == 0) ? (seed >> 8) % (msg.len + 1) : msg.len;
			struct mail_tree *tree = mail_mime_parse(msg.data, len);
			check_bounds(tree->root, 0, len);
			assert_true(tree->bodystructure.len > 0);
			/* the parser's trees always pass the cache validation */
			struct buf rec = BUF_INIT, text = BUF_INIT;
			mail_tree_serialize(tree, &rec);
			struct mail_tree *copy = NULL;
			const char *error = NULL;
			if (mail_tree_deserialize(rec.data, rec.len, len, &copy,
						  &error) < 0) {
				fprintf(stderr, "%s round %d: %s\n", files[f],
					round, error);
				fail();
			}
			mail_text_for_search(copy, msg.data, len, &text);
			mail_tree_free(&copy);
			buf_free(&rec);
			buf_free(&text);
			mail_tree_free(&tree);
		}
		buf_free(&orig);
	}
	buf_free(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_alternative),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_rfc2231),
		cmocka_unit_test(test_rfc2231_latin1_and_plain_continuation),
		cmocka_unit_test(test_encoded_words_envelope),
		cmocka_unit_test(test_no_boundary_param),
		cmocka_unit_test(test_boundary_never_found),
		cmocka_unit_test(test_missing_final_boundary),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_8bit_headers),
		cmocka_unit_test(test_bare_lf),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_headers_only),
		cmocka_unit_test(test_digest_default),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_part_limit),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
