/* Buffers, clocks, random numbers and latency histograms for loadgen. */
#include "lg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oom(void)
{
	fputs("loadgen: out of memory\n", stderr);
	abort();
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (p == NULL)
		oom();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL)
		oom();
	return p;
}

void gbuf_reserve(struct gbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void gbuf_add(struct gbuf *b, const void *p, size_t n)
{
	gbuf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void gbuf_adds(struct gbuf *b, const char *s)
{
	gbuf_add(b, s, strlen(s));
}

void gbuf_vprintf(struct gbuf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	gbuf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void gbuf_printf(struct gbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

void gbuf_consume(struct gbuf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data != NULL)
		b->data[b->len] = '\0';
}

void gbuf_free(struct gbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint32_t rng_below(uint64_t *state, uint32_t n)
{
	return n ? (uint32_t)((rng_next(state) >> 32) % n) : 0;
}

/*
 * Log-linear buckets: values below 64 us exactly, then 32 sub-buckets per
 * power of two (about 3% resolution) up to 2^44 us.
 */
static unsigned bucket_of(uint64_t v)
{
	if (v < 64)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - 5;
	unsigned sub = (unsigned)((v >> shift) & 31u);
	unsigned idx = 64 + (msb - 6) * 32 + sub;
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

static uint64_t bucket_value(unsigned idx)
{
	if (idx < 64)
		return idx;
	unsigned msb = (idx - 64) / 32 + 6;
	unsigned sub = (idx - 64) % 32;
	return (uint64_t)(32 + sub) << (msb - 5);
}

void hist_add(struct hist *h, uint64_t us)
{
	h->count++;
	h->sum_us += us;
	h->bucket[bucket_of(us)]++;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	into->count += from->count;
	into->errors += from->errors;
	into->sum_us += from->sum_us;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->bucket[i] += from->bucket[i];
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t want = (uint64_t)(q * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen > want)
			return bucket_value(i);
	}
	return bucket_value(HIST_BUCKETS - 1);
}
