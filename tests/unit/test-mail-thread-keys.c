/* The header keys of the THREADID rule (mail/thread-keys.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "mail/thread-keys.h"

static void read_keys(const char *msg, struct mail_thread_keys *keys)
{
	mail_thread_keys_read(msg, strlen(msg), keys);
}

static void test_order_and_dedup(void **state)
{
	(void)state;
	struct mail_thread_keys k;
	read_keys("Subject: Re: [list] Lunch Plans (fwd)\r\n"
		  "Message-ID: <c@x>\r\n"
		  "References: <a@x> <\"b\"@x>\r\n <c@x>\r\n"
		  "In-Reply-To: <b@x> (comment)\r\n"
		  "\r\n"
		  "Message-ID: <body@x>\r\n", &k);
	/* In-Reply-To, References from the last, own id; no repeats, and
	 * nothing from the body. */
	assert_int_equal(k.id_count, 3);
	assert_string_equal(k.ids[0], "<b@x>");
	assert_string_equal(k.ids[1], "<c@x>");
	assert_string_equal(k.ids[2], "<a@x>");
	assert_string_equal(k.subject, "lunch plans");
	mail_thread_keys_free(&k);
}

static void test_empty_and_limits(void **state)
{
	(void)state;
	struct mail_thread_keys k;
	read_keys("From: a@x\r\n\r\nbody\r\n", &k);
	assert_int_equal(k.id_count, 0);
	assert_string_equal(k.subject, "");
	mail_thread_keys_free(&k);
	mail_thread_keys_read(NULL, 0, &k);
	assert_int_equal(k.id_count, 0);
	mail_thread_keys_free(&k);

	/* Many references: only the nearest MAIL_THREAD_MAX_IDS are kept,
	 * and a long subject is cut. */
	struct buf msg = BUF_INIT;
	buf_append_str(&msg, "References:");
	for (int i = 0; i < 100; i++)
		buf_printf(&msg, " <r%d@x>", i);
	buf_append_str(&msg, "\r\nSubject: ");
	for (int i = 0; i < 400; i++)
		buf_append_char(&msg, 'S');
	buf_append_str(&msg, "\r\n\r\n");
	read_keys(buf_cstr(&msg), &k);
	assert_int_equal(k.id_count, MAIL_THREAD_MAX_IDS);
	assert_string_equal(k.ids[0], "<r99@x>");
	assert_int_equal(strlen(k.subject), MAIL_THREAD_SUBJECT_MAX);
	assert_int_equal(k.subject[0], 's');
	mail_thread_keys_free(&k);
	buf_free(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_dedup),
		cmocka_unit_test(test_empty_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
