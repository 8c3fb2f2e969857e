#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lmtp/address.h"
#include "lmtp/data.h"

static const char *parse(const char *arg, struct buf *addr, const char **params)
{
	const char *reason = NULL;
	buf_reset(addr);
	if (lmtp_address_parse(arg, strlen(arg), addr, params, &reason) < 0)
		return reason;
	buf_cstr(addr);
	return NULL;
}

static void test_address_parse(void **state)
{
	(void)state;
	struct buf a = BUF_INIT;
	const char *params;
	assert_null(parse("<alice@example.org>", &a, &params));
	assert_string_equal(buf_cstr(&a), "alice@example.org");
	assert_string_equal(params, "");
	assert_null(parse(" <bob@x> SIZE=100 BODY=8BITMIME", &a, &params));
	assert_string_equal(buf_cstr(&a), "bob@x");
	assert_string_equal(params, "SIZE=100 BODY=8BITMIME");
	assert_null(parse("<>", &a, &params));
	assert_int_equal(a.len, 0);
	assert_null(parse("<@relay.example,@b.example:carol@c>", &a, &params));
	assert_string_equal(buf_cstr(&a), "carol@c");
	assert_null(parse("<\"odd > name\"@x>", &a, &params));
	assert_string_equal(buf_cstr(&a), "\"odd > name\"@x");
	assert_null(parse("dave", &a, &params));
	assert_string_equal(buf_cstr(&a), "dave");

	assert_non_null(parse("<alice@x", &a, &params));
	assert_non_null(parse("<al ice@x>", &a, &params));
	assert_non_null(parse("<alice\r@x>", &a, &params));
	assert_non_null(parse("<alice@x>junk", &a, &params));
	assert_non_null(parse("<\"open@x>", &a, &params));
	assert_non_null(parse("", &a, &params));
	char longer[700];
	memset(longer, 'a', sizeof(longer));
	longer[0] = '<';
	longer[sizeof(longer) - 2] = '>';
	longer[sizeof(longer) - 1] = '\0';
	assert_non_null(parse(longer, &a, &params));
	buf_free(&a);
}

static void test_local_part_and_detail(void **state)
{
	(void)state;
	struct buf l = BUF_INIT;
	lmtp_address_local_part("alice+work@example.org", &l);
	assert_string_equal(buf_cstr(&l), "alice+work");
	lmtp_address_local_part("\"a\\\"b@c\"@example.org", &l);
	assert_string_equal(buf_cstr(&l), "a\"b@c");
	lmtp_address_local_part("plain", &l);
	assert_string_equal(buf_cstr(&l), "plain");
	buf_free(&l);

	size_t n;
	const char *detail;
	assert_true(lmtp_address_detail("alice+work+x", &n, &detail));
	assert_int_equal(n, 5);
	assert_string_equal(detail, "work+x");
	assert_false(lmtp_address_detail("alice", &n, &detail));
	assert_false(lmtp_address_detail("+work", &n, &detail));
	assert_false(lmtp_address_detail("alice+", &n, &detail));
}

static void test_param_find(void **state)
{
	(void)state;
	size_t len;
	const char *v = lmtp_param_find("BODY=8BITMIME size=42", "SIZE", &len);
	assert_non_null(v);
	assert_int_equal(len, 2);
	assert_memory_equal(v, "42", 2);
	v = lmtp_param_find("SMTPUTF8 BODY=7BIT", "SMTPUTF8", &len);
	assert_non_null(v);
	assert_int_equal(len, 0);
	assert_null(lmtp_param_find("SIZEX=1", "SIZE", &len));
	assert_null(lmtp_param_find("", "SIZE", &len));
}

/* Feeds wire in pieces of step bytes; returns the bytes left after ".". */
static size_t feed(struct lmtp_data *d, const char *wire, size_t step,
		   bool *done)
{
	size_t len = strlen(wire), pos = 0;
	struct buf pending = BUF_INIT;
	*done = false;
	while (!*done && pos < len) {
		size_t n = len - pos < step ? len - pos : step;
		buf_append(&pending, wire + pos, n);
		pos += n;
		size_t used;
		*done = lmtp_data_feed(d, pending.data, pending.len, &used);
		buf_consume(&pending, used);
	}
	size_t left = pending.len + (len - pos);
	buf_free(&pending);
	return left;
}

static void test_data_unstuffing_any_split(void **state)
{
	(void)state;
	const char *wire = "Subject: x\r\n\r\n..dot\r\n.\r\n";
	const char *want = "Subject: x\r\n\r\n.dot\r\n";
	for (size_t step = 1; step <= strlen(wire); step++) {
		struct lmtp_data d = { 0 };
		lmtp_data_begin(&d, 1000);
		bool done;
		size_t left = feed(&d, wire, step, &done);
		assert_true(done);
		assert_int_equal(left, 0);
		assert_int_equal(d.message.len, strlen(want));
		assert_memory_equal(d.message.data, want, strlen(want));
		lmtp_data_free(&d);
	}
}

static void test_data_end_and_pipelined_rest(void **state)
{
	(void)state;
	struct lmtp_data d = { 0 };
	lmtp_data_begin(&d, 1000);
	const char *wire = "a\r\n.\r\nQUIT\r\n";
	size_t used;
	assert_true(lmtp_data_feed(&d, wire, strlen(wire), &used));
	assert_string_equal(wire + used, "QUIT\r\n");
	assert_int_equal(d.message.len, 3);

	/* bare LF end, ". " is not the end, empty message */
	lmtp_data_begin(&d, 1000);
	assert_true(lmtp_data_feed(&d, ".\n", 2, &used));
	assert_int_equal(d.message.len, 0);
	lmtp_data_begin(&d, 1000);
	assert_false(lmtp_data_feed(&d, ". x\r\n", 5, &used));
	assert_int_equal(used, 5);
	assert_int_equal(d.message.len, 4);
	/* "." alone at the end waits for more */
	lmtp_data_begin(&d, 1000);
	assert_false(lmtp_data_feed(&d, "x\r\n.", 4, &used));
	assert_int_equal(used, 3);
	/* a dot in the middle of a line is data */
	lmtp_data_begin(&d, 1000);
	assert_false(lmtp_data_feed(&d, "a.\r\n", 4, &used));
	assert_int_equal(d.message.len, 4);
	lmtp_data_free(&d);
}

static void test_data_too_big(void **state)
{
	(void)state;
	struct lmtp_data d = { 0 };
	lmtp_data_begin(&d, 10);
	bool done;
	size_t left = feed(&d, "0123456789\r\nmore\r\n.\r\nNOOP\r\n", 4, &done);
	assert_true(done);
	assert_int_equal(left, 6);
	assert_true(d.too_big);
	assert_int_equal(d.message.len, 0);
	lmtp_data_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_parse),
		cmocka_unit_test(test_local_part_and_detail),
		cmocka_unit_test(test_param_find),
		cmocka_unit_test(test_data_unstuffing_any_split),
		cmocka_unit_test(test_data_end_and_pipelined_rest),
		cmocka_unit_test(test_data_too_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
