/* The cached tree record: round trips, and untrusted records rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/cache.h"
#include "mail/section.h"
#include "test-mail-corpus.h"

static const char *const corpus[] = {
	"simple.eml", "alternative.eml", "nested.eml", "rfc2231.eml",
	"encoded-words.eml", "no-boundary.eml", "boundary-missing.eml",
	"no-final-boundary.eml", "garbage.eml", "8bit-headers.eml",
	"bare-lf.eml", "groups.eml", "empty.eml", "headers-only.eml",
};

static void assert_same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_same_params(const struct mail_param *a, unsigned int an,
			       const struct mail_param *b, unsigned int bn)
{
	assert_int_equal(an, bn);
	for (unsigned int i = 0; i < an; i++) {
		assert_string_equal(a[i].name, b[i].name);
		assert_string_equal(a[i].value, b[i].value);
		assert_same_str(a[i].value_2231, b[i].value_2231);
	}
}

static void assert_same_part(const struct mail_part *a, const struct mail_part *b)
{
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->child_count, b->child_count);
	assert_int_equal(a->header_offset, b->header_offset);
	assert_int_equal(a->header_size, b->header_size);
	assert_int_equal(a->body_offset, b->body_offset);
	assert_int_equal(a->body_size, b->body_size);
	assert_int_equal(a->body_lines, b->body_lines);
	assert_string_equal(a->type, b->type);
	assert_string_equal(a->subtype, b->subtype);
	assert_same_str(a->id, b->id);
	assert_same_str(a->description, b->description);
	assert_same_str(a->encoding, b->encoding);
	assert_same_str(a->md5, b->md5);
	assert_same_str(a->disposition, b->disposition);
	assert_same_str(a->location, b->location);
	assert_same_str(a->envelope, b->envelope);
	assert_same_params(a->params, a->param_count, b->params, b->param_count);
	assert_same_params(a->disp_params, a->disp_param_count,
			   b->disp_params, b->disp_param_count);
	assert_int_equal(a->language_count, b->language_count);
	const struct mail_part *ca = a->children, *cb = b->children;
	for (; ca != NULL && cb != NULL; ca = ca->next, cb = cb->next) {
		assert_ptr_equal(cb->parent, b);
		assert_same_part(ca, cb);
	}
	assert_null(ca);
	assert_null(cb);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT, rec = BUF_INIT;
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		corpus_load(corpus[i], &msg);
		struct mail_tree *tree = mail_mime_parse(msg.data, msg.len);
		buf_reset(&rec);
		mail_tree_serialize(tree, &rec);
		struct mail_tree *copy = NULL;
		const char *error = NULL;
		assert_int_equal(mail_tree_deserialize(rec.data, rec.len, msg.len,
						       &copy, &error), 0);
		assert_int_equal(copy->part_count, tree->part_count);
		assert_int_equal(copy->envelope.len, tree->envelope.len);
		assert_memory_equal(copy->envelope.data, tree->envelope.data,
				    tree->envelope.len);
		assert_string_equal(buf_cstr(&copy->body), buf_cstr(&tree->body));
		assert_string_equal(buf_cstr(&copy->bodystructure),
				    buf_cstr(&tree->bodystructure));
		assert_same_part(tree->root, copy->root);
		/* and the loaded tree renders the same strings */
		struct buf saved = BUF_INIT;
		buf_append(&saved, copy->bodystructure.data, copy->bodystructure.len);
		mail_tree_render(copy);
		assert_string_equal(buf_cstr(&copy->bodystructure), buf_cstr(&saved));
		buf_free(&saved);
		mail_tree_free(&copy);
		mail_tree_free(&tree);
	}
	buf_free(&msg);
	buf_free(&rec);
}

static void test_sections_from_cache(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT, rec = BUF_INIT;
	corpus_load("nested.eml", &msg);
	struct mail_tree *tree = mail_mime_parse(msg.data, msg.len);
	mail_tree_serialize(tree, &rec);
	mail_tree_free(&tree);
	const char *error;
	assert_int_equal(mail_tree_deserialize(rec.data, rec.len, msg.len, &tree,
					       &error), 0);
	struct mail_section sec;
	assert_int_equal(mail_section_parse("2.1", 3, &sec, &error), 0);
	struct mail_section_result res;
	mail_section_fetch(tree, msg.data, msg.len, &sec, &res);
	assert_int_equal(res.size, 11);
	assert_memory_equal(mail_section_result_ptr(&res, msg.data), "inner plain", 11);
	mail_section_result_free(&res);
	mail_section_free(&sec);
	mail_tree_free(&tree);
	buf_free(&msg);
	buf_free(&rec);
}

static void test_peek(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT, rec = BUF_INIT;
	corpus_load("8bit-headers.eml", &msg);
	struct mail_tree *tree = mail_mime_parse(msg.data, msg.len);
	mail_tree_serialize(tree, &rec);
	struct mail_cache_rendered r;
	const char *error;
	assert_int_equal(mail_cache_peek(rec.data, rec.len, msg.len, &r, &error), 0);
	assert_int_equal(r.envelope_len, tree->envelope.len);
	assert_memory_equal(r.envelope, tree->envelope.data, r.envelope_len);
	assert_int_equal(r.body_len, tree->body.len);
	assert_memory_equal(r.body, tree->body.data, r.body_len);
	assert_int_equal(r.bodystructure_len, tree->bodystructure.len);
	assert_memory_equal(r.bodystructure, tree->bodystructure.data,
			    r.bodystructure_len);
	assert_int_equal(mail_cache_peek(rec.data, rec.len, msg.len + 1, &r,
					 &error), -1);
	assert_int_equal(mail_cache_peek(rec.data, 10, msg.len, &r, &error), -1);
	rec.data[3]++;
	assert_int_equal(mail_cache_peek(rec.data, rec.len, msg.len, &r, &error), -1);
	assert_string_equal(error, "Unsupported record version");
	mail_tree_free(&tree);
	buf_free(&msg);
	buf_free(&rec);
}

static void test_rejects(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT, rec = BUF_INIT;
	corpus_load("nested.eml", &msg);
	struct mail_tree *tree = mail_mime_parse(msg.data, msg.len);
	mail_tree_serialize(tree, &rec);
	struct mail_tree *out = NULL;
	const char *error = NULL;

	/* another message size */
	assert_int_equal(mail_tree_deserialize(rec.data, rec.len, msg.len - 1,
					       &out, &error), -1);
	assert_null(out);
	assert_non_null(error);
	/* every truncation */
	for (size_t n = 0; n < rec.len; n++) {
		assert_int_equal(mail_tree_deserialize(rec.data, n, msg.len,
						       &out, &error), -1);
		assert_null(out);
	}
	/* trailing junk */
	struct buf longer = BUF_INIT;
	buf_append(&longer, rec.data, rec.len);
	buf_append_char(&longer, 0);
	assert_int_equal(mail_tree_deserialize(longer.data, longer.len, msg.len,
					       &out, &error), -1);
	buf_free(&longer);
	/* another version */
	rec.data[3] = MAIL_CACHE_VERSION + 1;
	assert_int_equal(mail_tree_deserialize(rec.data, rec.len, msg.len,
					       &out, &error), -1);
	assert_string_equal(error, "Unsupported record version");
	rec.data[3] = MAIL_CACHE_VERSION;
	rec.data[0] = 'X';
	assert_int_equal(mail_tree_deserialize(rec.data, rec.len, msg.len,
					       &out, &error), -1);
	rec.data[0] = 'Q';

	/* a part running past its parent */
	struct mail_part *p3 = tree->root->children->next->next;
	p3->body_size = msg.len;
	buf_reset(&rec);
	mail_tree_serialize(tree, &rec);
	assert_int_equal(mail_tree_deserialize(rec.data, rec.len, msg.len,
					       &out, &error), -1);
	assert_string_equal(error, "Part outside its parent");
	p3->body_size = 8;

	/* flipped bytes never crash; whatever is accepted stays in bounds */
	buf_reset(&rec);
	mail_tree_serialize(tree, &rec);
	for (size_t i = 4; i < rec.len; i++) {
		char saved = rec.data[i];
		rec.data[i] = (char)(saved ^ 0x5a);
		if (mail_tree_deserialize(rec.data, rec.len, msg.len, &out,
					  &error) == 0) {
			assert_true(out->root->body_offset + out->root->body_size
				    <= msg.len);
			mail_tree_free(&out);
		}
		rec.data[i] = saved;
	}
	mail_tree_free(&tree);
	buf_free(&msg);
	buf_free(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_sections_from_cache),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
