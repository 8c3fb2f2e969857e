#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "metrics/metrics.h"

static bool has_line(struct buf *b, const char *line)
{
	const char *text = buf_cstr(b);
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

static void test_counters_render(void **state)
{
	(void)state;
	metrics_reset();
	metrics_login(true);
	metrics_login(false);
	metrics_login(false);
	metrics_delivery(true);
	metrics_bytes(100, 2000);
	metrics_session_state(METRICS_STATE_NONE, METRICS_STATE_NOTAUTH);
	metrics_session_state(METRICS_STATE_NOTAUTH, METRICS_STATE_SELECTED);
	metrics_session_state(METRICS_STATE_NONE, METRICS_STATE_LMTP);
	metrics_command_done("FETCH", 50);
	metrics_command_done("FETCH", 700);
	metrics_command_done("FETCH", 9000000);
	struct buf b = BUF_INIT;
	metrics_render(&b);
	assert_true(has_line(&b, "quire_logins_total{result=\"ok\"} 1"));
	assert_true(has_line(&b, "quire_logins_total{result=\"failed\"} 2"));
	assert_true(has_line(&b, "quire_deliveries_total{result=\"ok\"} 1"));
	assert_true(has_line(&b, "quire_bytes_total{direction=\"out\"} 2000"));
	assert_true(has_line(&b, "quire_connections{state=\"selected\"} 1"));
	assert_true(has_line(&b, "quire_connections{state=\"not_authenticated\"} 0"));
	assert_true(has_line(&b, "quire_connections{state=\"lmtp\"} 1"));
	/* buckets are cumulative; +Inf counts everything */
	assert_true(has_line(&b, "quire_command_duration_seconds_bucket{command=\"FETCH\",le=\"0.0001\"} 1"));
	assert_true(has_line(&b, "quire_command_duration_seconds_bucket{command=\"FETCH\",le=\"0.001\"} 2"));
	assert_true(has_line(&b, "quire_command_duration_seconds_bucket{command=\"FETCH\",le=\"5\"} 2"));
	assert_true(has_line(&b, "quire_command_duration_seconds_bucket{command=\"FETCH\",le=\"+Inf\"} 3"));
	assert_true(has_line(&b, "quire_command_duration_seconds_count{command=\"FETCH\"} 3"));
	assert_true(has_line(&b, "# TYPE quire_command_duration_seconds histogram"));
	buf_free(&b);
}

static void test_hostile_and_many_names(void **state)
{
	(void)state;
	metrics_reset();
	metrics_command_done("X\"}\n evil", 1);
	for (int i = 0; i < METRICS_MAX_COMMANDS + 20; i++) {
		char name[16];
		snprintf(name, sizeof(name), "CMD%d", i);
		metrics_command_done(name, 1);
	}
	struct buf b = BUF_INIT;
	metrics_render(&b);
	assert_true(has_line(&b, "quire_command_duration_seconds_count{command=\"X___ evil\"} 1"));
	/* 1 + 96 slots used: the rest (21) share OTHER */
	assert_true(has_line(&b, "quire_command_duration_seconds_count{command=\"OTHER\"} 21"));
	assert_null(strstr(buf_cstr(&b), "\"CMD100\""));
	buf_free(&b);
}

static void extra(struct buf *out, void *context)
{
	buf_printf(out, "quire_test_gauge %d\n", *(int *)context);
}

static void test_gauge_source(void **state)
{
	(void)state;
	int value = 7;
	metrics_set_gauge_source(extra, &value);
	struct buf b = BUF_INIT;
	metrics_render(&b);
	assert_true(has_line(&b, "quire_test_gauge 7"));
	metrics_set_gauge_source(NULL, NULL);
	buf_reset(&b);
	metrics_render(&b);
	assert_null(strstr(buf_cstr(&b), "quire_test_gauge"));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_render),
		cmocka_unit_test(test_hostile_and_many_names),
		cmocka_unit_test(test_gauge_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
