#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "auth/throttle.h"

static void test_growth_and_cap(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(100, 5000, 0, 60);
	const unsigned int want[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000 };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(auth_throttle_failure(t, "192.0.2.1", 1000), want[i]);
	/* many more: no overflow, stays at the cap */
	for (int i = 0; i < 100; i++)
		assert_int_equal(auth_throttle_failure(t, "192.0.2.1", 1000), 5000);
	/* lockout disabled */
	assert_false(auth_throttle_locked(t, "192.0.2.1", 1000));
	/* another address starts from the base */
	assert_int_equal(auth_throttle_failure(t, "2001:db8::1", 1000), 100);
	assert_int_equal(auth_throttle_count(t), 2);
	auth_throttle_free(&t);
	assert_null(t);
	auth_throttle_free(&t);
}

static void test_success_clears(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(10, 1000, 3, 60);
	auth_throttle_failure(t, "192.0.2.1", 0);
	auth_throttle_failure(t, "192.0.2.1", 0);
	auth_throttle_failure(t, "192.0.2.2", 0);
	auth_throttle_success(t, "192.0.2.1");
	assert_int_equal(auth_throttle_count(t), 1);
	assert_int_equal(auth_throttle_failure(t, "192.0.2.1", 0), 10);
	/* the other address kept its count */
	assert_int_equal(auth_throttle_failure(t, "192.0.2.2", 0), 20);
	auth_throttle_success(t, "198.51.100.7"); /* unknown: no-op */
	assert_int_equal(auth_throttle_count(t), 2);
	auth_throttle_free(&t);
}

static void test_lockout_and_expiry(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(10, 1000, 3, 60);
	const char *ip = "203.0.113.9";

	assert_false(auth_throttle_locked(t, ip, 1000));
	auth_throttle_failure(t, ip, 1000);
	auth_throttle_failure(t, ip, 1010);
	assert_false(auth_throttle_locked(t, ip, 1010));
	auth_throttle_failure(t, ip, 1020);
	assert_true(auth_throttle_locked(t, ip, 1020));
	assert_true(auth_throttle_locked(t, ip, 1079));
	assert_false(auth_throttle_locked(t, "203.0.113.10", 1020));
	/* a clock stepping backwards does not unlock */
	assert_true(auth_throttle_locked(t, ip, 900));
	/* lockout ends lockout_seconds after the last failure */
	assert_false(auth_throttle_locked(t, ip, 1080));
	/* and the count starts over */
	assert_int_equal(auth_throttle_failure(t, ip, 1081), 10);
	assert_false(auth_throttle_locked(t, ip, 1081));

	/* a failure while locked extends the lockout */
	auth_throttle_failure(t, ip, 1082);
	auth_throttle_failure(t, ip, 1083);
	assert_true(auth_throttle_locked(t, ip, 1083));
	auth_throttle_failure(t, ip, 1140);
	assert_true(auth_throttle_locked(t, ip, 1199));
	assert_false(auth_throttle_locked(t, ip, 1200));

	/* success ends a lockout */
	auth_throttle_failure(t, ip, 2000);
	auth_throttle_failure(t, ip, 2000);
	auth_throttle_failure(t, ip, 2000);
	assert_true(auth_throttle_locked(t, ip, 2000));
	auth_throttle_success(t, ip);
	assert_false(auth_throttle_locked(t, ip, 2000));
	auth_throttle_free(&t);
}

static void test_window(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(10, 1000, 3, 60);
	/* failures further apart than the window never add up */
	for (int i = 0; i < 10; i++)
		assert_int_equal(auth_throttle_failure(t, "192.0.2.5", i * 60), 10);
	assert_false(auth_throttle_locked(t, "192.0.2.5", 9 * 60));
	/* closer together they do */
	assert_int_equal(auth_throttle_failure(t, "192.0.2.5", 9 * 60 + 59), 20);
	/* an expired entry is dropped when looked at */
	assert_false(auth_throttle_locked(t, "192.0.2.5", 10000));
	assert_int_equal(auth_throttle_count(t), 0);
	auth_throttle_free(&t);
}

static void ip_for(unsigned int n, char *out, size_t size)
{
	snprintf(out, size, "10.%u.%u.%u", (n >> 16) & 255, (n >> 8) & 255, n & 255);
}

static void test_eviction_bound(void **state)
{
	(void)state;
	/* lockout after one failure, so locked() tells whether an address is
	   still remembered */
	struct auth_throttle *t = auth_throttle_new(10, 1000, 1, 3600);
	char ip[32];
	const unsigned int total = AUTH_THROTTLE_MAX_ENTRIES + 1000;

	for (unsigned int n = 0; n < AUTH_THROTTLE_MAX_ENTRIES; n++) {
		ip_for(n, ip, sizeof(ip));
		auth_throttle_failure(t, ip, 100);
	}
	assert_int_equal(auth_throttle_count(t), AUTH_THROTTLE_MAX_ENTRIES);
	/* refresh address 0: it is now the most recent, address 1 the oldest */
	auth_throttle_failure(t, "10.0.0.0", 100);
	for (unsigned int n = AUTH_THROTTLE_MAX_ENTRIES; n < total; n++) {
		ip_for(n, ip, sizeof(ip));
		auth_throttle_failure(t, ip, 100);
		assert_true(auth_throttle_count(t) <= AUTH_THROTTLE_MAX_ENTRIES);
	}
	assert_int_equal(auth_throttle_count(t), AUTH_THROTTLE_MAX_ENTRIES);
	assert_true(auth_throttle_locked(t, "10.0.0.0", 100));
	/* addresses 1..1000 were the least recent and are gone */
	for (unsigned int n = 1; n <= 1000; n++) {
		ip_for(n, ip, sizeof(ip));
		assert_false(auth_throttle_locked(t, ip, 100));
	}
	ip_for(1001, ip, sizeof(ip));
	assert_true(auth_throttle_locked(t, ip, 100));
	ip_for(total - 1, ip, sizeof(ip));
	assert_true(auth_throttle_locked(t, ip, 100));
	/* every slot still works after heavy churn */
	for (unsigned int n = 0; n < total; n++) {
		ip_for(n, ip, sizeof(ip));
		auth_throttle_success(t, ip);
	}
	assert_int_equal(auth_throttle_count(t), 0);
	auth_throttle_free(&t);
}

static void test_long_keys(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(10, 1000, 0, 60);
	char a[200], b[200];
	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[150] = 'b';
	/* only the first AUTH_THROTTLE_KEY_MAX bytes count */
	assert_int_equal(auth_throttle_failure(t, a, 0), 10);
	assert_int_equal(auth_throttle_failure(t, b, 0), 20);
	assert_int_equal(auth_throttle_count(t), 1);
	assert_int_equal(auth_throttle_failure(t, "", 0), 10);
	assert_int_equal(auth_throttle_count(t), 2);
	auth_throttle_free(&t);
}

struct worker_arg {
	struct auth_throttle *t;
	unsigned int id;
};

static void *worker(void *p)
{
	struct worker_arg *arg = p;
	char ip[32];
	for (unsigned int n = 0; n < 3000; n++) {
		ip_for((n * 7 + arg->id) % 5000, ip, sizeof(ip));
		auth_throttle_failure(arg->t, ip, (time_t)n);
		if (n % 5 == 0)
			auth_throttle_success(arg->t, ip);
		(void)auth_throttle_locked(arg->t, ip, (time_t)n);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(10, 1000, 5, 60);
	pthread_t threads[4];
	struct worker_arg args[4];

	for (unsigned int i = 0; i < 4; i++) {
		args[i] = (struct worker_arg){ t, i };
		assert_int_equal(pthread_create(&threads[i], NULL, worker, &args[i]), 0);
	}
	for (unsigned int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	assert_true(auth_throttle_count(t) <= AUTH_THROTTLE_MAX_ENTRIES);
	/* still consistent: a fresh address behaves normally */
	assert_int_equal(auth_throttle_failure(t, "198.51.100.1", 0), 10);
	auth_throttle_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth_and_cap),
		cmocka_unit_test(test_success_clears),
		cmocka_unit_test(test_lockout_and_expiry),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_eviction_bound),
		cmocka_unit_test(test_long_keys),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
