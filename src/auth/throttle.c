/*
 * Failed-login throttle: a fixed-size table of addresses, hashed for
 * lookup and kept in least-recently-failed order for eviction. All memory
 * is allocated up front, so the table never grows whatever an attacker
 * does.
 */
#include "auth/throttle.h"

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/buf.h"

#define NBUCKETS (AUTH_THROTTLE_MAX_ENTRIES * 2)
#define NONE UINT32_MAX

struct entry {
	char key[AUTH_THROTTLE_KEY_MAX + 1];
	unsigned int failures;
	time_t last_failure;
	uint32_t hash_next;       /* bucket chain, or free list when unused */
	uint32_t newer, older;    /* recency list */
};

struct auth_throttle {
	pthread_mutex_t lock;
	unsigned int base_delay_ms, max_delay_ms;
	unsigned int lockout_failures;
	time_t window;
	uint64_t seed;            /* so hash collisions cannot be planned */
	uint32_t newest, oldest;
	uint32_t free_list;
	size_t count;
	uint32_t buckets[NBUCKETS];
	struct entry entries[AUTH_THROTTLE_MAX_ENTRIES];
};

struct auth_throttle *auth_throttle_new(unsigned int base_delay_ms,
					unsigned int max_delay_ms,
					unsigned int lockout_failures,
					unsigned int lockout_seconds)
{
	struct auth_throttle *t = xcalloc(1, sizeof(*t));

	if (pthread_mutex_init(&t->lock, NULL) != 0)
		abort(); /* only fails for lack of memory */
	t->base_delay_ms = base_delay_ms;
	t->max_delay_ms = max_delay_ms;
	t->lockout_failures = lockout_failures;
	/* The window must be at least a second or failures never add up. */
	t->window = lockout_seconds > 0 ? (time_t)lockout_seconds : 1;
	if (RAND_bytes((unsigned char *)&t->seed, sizeof(t->seed)) != 1)
		t->seed = (uint64_t)(uintptr_t)t; /* still differs per run */
	t->newest = t->oldest = NONE;
	for (uint32_t i = 0; i < NBUCKETS; i++)
		t->buckets[i] = NONE;
	for (uint32_t i = 0; i < AUTH_THROTTLE_MAX_ENTRIES; i++)
		t->entries[i].hash_next = i + 1 < AUTH_THROTTLE_MAX_ENTRIES ? i + 1 : NONE;
	t->free_list = 0;
	return t;
}

void auth_throttle_free(struct auth_throttle **tp)
{
	struct auth_throttle *t = tp == NULL ? NULL : *tp;

	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
	*tp = NULL;
}

static size_t key_len(const char *ip)
{
	return strnlen(ip, AUTH_THROTTLE_KEY_MAX);
}

/* FNV-1a over the key, started from the per-table seed. */
static uint32_t bucket_of(const struct auth_throttle *t, const char *ip,
			  size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t->seed;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)ip[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return (uint32_t)(h % NBUCKETS);
}

static uint32_t find(const struct auth_throttle *t, const char *ip)
{
	size_t len = key_len(ip);
	uint32_t i = t->buckets[bucket_of(t, ip, len)];

	while (i != NONE) {
		const struct entry *e = &t->entries[i];
		if (strncmp(e->key, ip, len) == 0 && e->key[len] == '\0')
			return i;
		i = e->hash_next;
	}
	return NONE;
}

static void recency_unlink(struct auth_throttle *t, uint32_t i)
{
	struct entry *e = &t->entries[i];
	if (e->newer != NONE)
		t->entries[e->newer].older = e->older;
	else
		t->newest = e->older;
	if (e->older != NONE)
		t->entries[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
}

static void recency_push_newest(struct auth_throttle *t, uint32_t i)
{
	struct entry *e = &t->entries[i];
	e->newer = NONE;
	e->older = t->newest;
	if (t->newest != NONE)
		t->entries[t->newest].newer = i;
	t->newest = i;
	if (t->oldest == NONE)
		t->oldest = i;
}

static void remove_entry(struct auth_throttle *t, uint32_t i)
{
	struct entry *e = &t->entries[i];
	uint32_t *link = &t->buckets[bucket_of(t, e->key, strlen(e->key))];

	while (*link != i) {
		assert(*link != NONE);
		link = &t->entries[*link].hash_next;
	}
	*link = e->hash_next;
	recency_unlink(t, i);
	memset(e, 0, sizeof(*e));
	e->hash_next = t->free_list;
	t->free_list = i;
	t->count--;
}

static uint32_t insert(struct auth_throttle *t, const char *ip)
{
	if (t->free_list == NONE) {
		/* Full: forget the address that failed least recently. */
		assert(t->count == AUTH_THROTTLE_MAX_ENTRIES);
		remove_entry(t, t->oldest);
	}
	uint32_t i = t->free_list;
	struct entry *e = &t->entries[i];
	size_t len = key_len(ip);
	uint32_t b = bucket_of(t, ip, len);

	t->free_list = e->hash_next;
	memcpy(e->key, ip, len);
	e->key[len] = '\0';
	e->failures = 0;
	e->hash_next = t->buckets[b];
	t->buckets[b] = i;
	recency_push_newest(t, i);
	t->count++;
	return i;
}

/* Failures are forgotten a window after the last one. A clock that went
   backwards counts as no time passed. */
static bool expired(const struct auth_throttle *t, const struct entry *e,
		    time_t now)
{
	return now > e->last_failure && now - e->last_failure >= t->window;
}

static unsigned int delay_for(const struct auth_throttle *t,
			      unsigned int failures)
{
	assert(failures >= 1);
	unsigned int shift = failures - 1;
	if (shift >= 32)
		return t->max_delay_ms;
	uint64_t delay = (uint64_t)t->base_delay_ms << shift;
	return delay > t->max_delay_ms ? t->max_delay_ms : (unsigned int)delay;
}

unsigned int auth_throttle_failure(struct auth_throttle *t, const char *ip,
				   time_t now)
{
	pthread_mutex_lock(&t->lock);
	uint32_t i = find(t, ip);
	if (i == NONE) {
		i = insert(t, ip);
	} else {
		if (expired(t, &t->entries[i], now))
			t->entries[i].failures = 0;
		recency_unlink(t, i);
		recency_push_newest(t, i);
	}
	struct entry *e = &t->entries[i];
	if (e->failures < UINT_MAX)
		e->failures++;
	e->last_failure = now;
	unsigned int delay = delay_for(t, e->failures);
	pthread_mutex_unlock(&t->lock);
	return delay;
}

bool auth_throttle_locked(struct auth_throttle *t, const char *ip, time_t now)
{
	bool locked = false;

	pthread_mutex_lock(&t->lock);
	uint32_t i = find(t, ip);
	if (i != NONE) {
		const struct entry *e = &t->entries[i];
		if (expired(t, e, now))
			remove_entry(t, i); /* frees the slot early */
		else
			locked = t->lockout_failures > 0 &&
				e->failures >= t->lockout_failures;
	}
	pthread_mutex_unlock(&t->lock);
	return locked;
}

void auth_throttle_success(struct auth_throttle *t, const char *ip)
{
	pthread_mutex_lock(&t->lock);
	uint32_t i = find(t, ip);
	if (i != NONE)
		remove_entry(t, i);
	pthread_mutex_unlock(&t->lock);
}

size_t auth_throttle_count(struct auth_throttle *t)
{
	pthread_mutex_lock(&t->lock);
	size_t count = t->count;
	pthread_mutex_unlock(&t->lock);
	return count;
}
