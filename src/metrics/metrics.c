/*
 * The counters behind metrics.h, and their Prometheus text rendering.
 * Counters are relaxed atomics: a scrape may see one counter a moment
 * ahead of another, which Prometheus tolerates by design.
 */
#include "metrics/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* Latency buckets in microseconds, from a NOOP to a large FETCH or SEARCH. */
static const uint64_t bucket_usec[] = {
	100, 500, 1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000,
};
#define BUCKETS (sizeof(bucket_usec) / sizeof(bucket_usec[0]))

struct command_slot {
	atomic_bool used;       /* name is set and final */
	char name[32];
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t usec_sum;
	atomic_uint_fast64_t buckets[BUCKETS]; /* non-cumulative */
};

static atomic_int_fast64_t states[METRICS_STATE_COUNT_];
static atomic_uint_fast64_t logins_ok, logins_failed;
static atomic_uint_fast64_t bytes_in, bytes_out;
static atomic_uint_fast64_t deliveries_ok, deliveries_failed;
/* The last slot is "OTHER", used when the table is full. */
static struct command_slot commands[METRICS_MAX_COMMANDS + 1];
static atomic_size_t command_count;
static pthread_mutex_t command_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t gauge_lock = PTHREAD_MUTEX_INITIALIZER;
static metrics_gauge_fn *gauge_fn;
static void *gauge_context;

static const char *const state_names[METRICS_STATE_COUNT_] = {
	[METRICS_STATE_NONE] = "none",
	[METRICS_STATE_NOTAUTH] = "not_authenticated",
	[METRICS_STATE_AUTH] = "authenticated",
	[METRICS_STATE_SELECTED] = "selected",
	[METRICS_STATE_LMTP] = "lmtp",
};

void metrics_session_state(enum metrics_state from, enum metrics_state to)
{
	if (from == to)
		return;
	if (from > METRICS_STATE_NONE && from < METRICS_STATE_COUNT_)
		atomic_fetch_sub_explicit(&states[from], 1, memory_order_relaxed);
	if (to > METRICS_STATE_NONE && to < METRICS_STATE_COUNT_)
		atomic_fetch_add_explicit(&states[to], 1, memory_order_relaxed);
}

void metrics_login(bool ok)
{
	atomic_fetch_add_explicit(ok ? &logins_ok : &logins_failed, 1,
				  memory_order_relaxed);
}

void metrics_bytes(uint64_t in, uint64_t out)
{
	atomic_fetch_add_explicit(&bytes_in, in, memory_order_relaxed);
	atomic_fetch_add_explicit(&bytes_out, out, memory_order_relaxed);
}

void metrics_delivery(bool ok)
{
	atomic_fetch_add_explicit(ok ? &deliveries_ok : &deliveries_failed, 1,
				  memory_order_relaxed);
}

/* Command names become label values: keep only characters that need no
 * escaping, so a hostile name cannot break the exposition format. */
static void clean_name(const char *name, char out[32])
{
	size_t n = 0;
	for (const char *p = name; *p != '\0' && n < 31; p++) {
		char c = *p;
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == ' ' || c == '_' ||
			  c == '-' || c == '.';
		out[n++] = ok ? c : '_';
	}
	out[n] = '\0';
}

/* Finds the slot of name among the published ones. */
static struct command_slot *command_find(const char *name, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (atomic_load_explicit(&commands[i].used, memory_order_acquire) &&
		    strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

static struct command_slot *command_slot(const char *raw_name)
{
	char name[32];
	clean_name(raw_name, name);
	size_t count = atomic_load_explicit(&command_count, memory_order_acquire);
	struct command_slot *slot = command_find(name, count);
	if (slot != NULL)
		return slot;
	/* New names are rare (the command table is small): a lock for them
	 * keeps the common path lock-free. */
	pthread_mutex_lock(&command_lock);
	count = atomic_load_explicit(&command_count, memory_order_acquire);
	slot = command_find(name, count);
	if (slot == NULL && count < METRICS_MAX_COMMANDS) {
		slot = &commands[count];
		memcpy(slot->name, name, sizeof(name));
		atomic_store_explicit(&slot->used, true, memory_order_release);
		atomic_store_explicit(&command_count, count + 1,
				      memory_order_release);
	}
	pthread_mutex_unlock(&command_lock);
	if (slot == NULL) {
		slot = &commands[METRICS_MAX_COMMANDS];
		if (!atomic_load_explicit(&slot->used, memory_order_acquire)) {
			pthread_mutex_lock(&command_lock);
			memcpy(slot->name, "OTHER", 6);
			atomic_store_explicit(&slot->used, true,
					      memory_order_release);
			pthread_mutex_unlock(&command_lock);
		}
	}
	return slot;
}

void metrics_command_done(const char *name, uint64_t usec)
{
	struct command_slot *slot = command_slot(name);
	size_t b = 0;
	while (b < BUCKETS && usec > bucket_usec[b])
		b++;
	atomic_fetch_add_explicit(&slot->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&slot->usec_sum, usec, memory_order_relaxed);
	if (b < BUCKETS)
		atomic_fetch_add_explicit(&slot->buckets[b], 1,
					  memory_order_relaxed);
}

void metrics_set_gauge_source(metrics_gauge_fn *fn, void *context)
{
	pthread_mutex_lock(&gauge_lock);
	gauge_fn = fn;
	gauge_context = context;
	pthread_mutex_unlock(&gauge_lock);
}

static uint64_t load(atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void header(struct buf *out, const char *name, const char *type,
		   const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_command(struct buf *out, struct command_slot *slot)
{
	uint64_t cumulative = 0;
	for (size_t b = 0; b < BUCKETS; b++) {
		cumulative += load(&slot->buckets[b]);
		buf_printf(out, "quire_command_duration_seconds_bucket"
			   "{command=\"%s\",le=\"%g\"} %llu\n", slot->name,
			   (double)bucket_usec[b] / 1e6,
			   (unsigned long long)cumulative);
	}
	uint64_t count = load(&slot->count);
	buf_printf(out, "quire_command_duration_seconds_bucket"
		   "{command=\"%s\",le=\"+Inf\"} %llu\n", slot->name,
		   (unsigned long long)count);
	buf_printf(out, "quire_command_duration_seconds_sum{command=\"%s\"} "
		   "%.6f\n", slot->name, (double)load(&slot->usec_sum) / 1e6);
	buf_printf(out, "quire_command_duration_seconds_count{command=\"%s\"} "
		   "%llu\n", slot->name, (unsigned long long)count);
}

void metrics_render(struct buf *out)
{
	header(out, "quire_connections", "gauge",
	       "Open connections by protocol state.");
	for (int s = METRICS_STATE_NOTAUTH; s < METRICS_STATE_COUNT_; s++) {
		int64_t v = atomic_load_explicit(&states[s],
						 memory_order_relaxed);
		buf_printf(out, "quire_connections{state=\"%s\"} %lld\n",
			   state_names[s], (long long)(v < 0 ? 0 : v));
	}
	header(out, "quire_logins_total", "counter", "Login attempts.");
	buf_printf(out, "quire_logins_total{result=\"ok\"} %llu\n"
		   "quire_logins_total{result=\"failed\"} %llu\n",
		   (unsigned long long)load(&logins_ok),
		   (unsigned long long)load(&logins_failed));
	header(out, "quire_bytes_total", "counter",
	       "Bytes on closed connections' sockets.");
	buf_printf(out, "quire_bytes_total{direction=\"in\"} %llu\n"
		   "quire_bytes_total{direction=\"out\"} %llu\n",
		   (unsigned long long)load(&bytes_in),
		   (unsigned long long)load(&bytes_out));
	header(out, "quire_deliveries_total", "counter",
	       "Messages delivered per recipient (LMTP).");
	buf_printf(out, "quire_deliveries_total{result=\"ok\"} %llu\n"
		   "quire_deliveries_total{result=\"failed\"} %llu\n",
		   (unsigned long long)load(&deliveries_ok),
		   (unsigned long long)load(&deliveries_failed));
	header(out, "quire_command_duration_seconds", "histogram",
	       "Commands by name and their latency.");
	size_t count = atomic_load_explicit(&command_count, memory_order_acquire);
	for (size_t i = 0; i < count; i++)
		render_command(out, &commands[i]);
	if (atomic_load_explicit(&commands[METRICS_MAX_COMMANDS].used,
				 memory_order_acquire))
		render_command(out, &commands[METRICS_MAX_COMMANDS]);
	pthread_mutex_lock(&gauge_lock);
	if (gauge_fn != NULL)
		gauge_fn(out, gauge_context);
	pthread_mutex_unlock(&gauge_lock);
}

void metrics_reset(void)
{
	pthread_mutex_lock(&command_lock);
	for (int s = 0; s < METRICS_STATE_COUNT_; s++)
		atomic_store(&states[s], 0);
	atomic_store(&logins_ok, 0);
	atomic_store(&logins_failed, 0);
	atomic_store(&bytes_in, 0);
	atomic_store(&bytes_out, 0);
	atomic_store(&deliveries_ok, 0);
	atomic_store(&deliveries_failed, 0);
	memset(commands, 0, sizeof(commands));
	atomic_store(&command_count, 0);
	pthread_mutex_unlock(&command_lock);
}
