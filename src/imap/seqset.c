#include "imap/seqset.h"

#include <assert.h>
#include <stdlib.h>

void seqset_init(struct seqset *set)
{
	set->ranges = NULL;
	set->count = 0;
	set->cap = 0;
}

void seqset_free(struct seqset *set)
{
	free(set->ranges);
	seqset_init(set);
}

void seqset_add_range(struct seqset *set, uint32_t lo, uint32_t hi)
{
	if (lo > hi) {
		uint32_t t = lo;
		lo = hi;
		hi = t;
	}
	if (set->count == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 8;
		set->ranges = xrealloc(set->ranges,
				       set->cap * sizeof(*set->ranges));
	}
	set->ranges[set->count].lo = lo;
	set->ranges[set->count].hi = hi;
	set->count++;
}

/* seq-number = nz-number / "*" (RFC 3501 9). Returns 0 and advances *pos,
 * or -1. */
static int parse_number(const char *s, size_t len, size_t *pos,
			uint32_t *n_r, const char **error_r)
{
	size_t i = *pos;
	if (i < len && s[i] == '*') {
		*n_r = SEQSET_STAR;
		*pos = i + 1;
		return 0;
	}
	if (i >= len || s[i] < '0' || s[i] > '9') {
		*error_r = (i >= len || s[i] == ',' || s[i] == ':') ?
			"Empty element in sequence set" :
			"Invalid character in sequence set";
		return -1;
	}
	if (s[i] == '0') {
		/* nz-number = digit-nz *DIGIT: no 0, no leading zeros */
		*error_r = "Invalid number 0 in sequence set";
		return -1;
	}
	uint64_t v = 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX) {
			*error_r = "Number too large in sequence set";
			return -1;
		}
	}
	*n_r = (uint32_t)v;
	*pos = i;
	return 0;
}

int seqset_parse(const char *s, size_t len, struct seqset *set_r,
		 const char **error_r)
{
	seqset_init(set_r);
	if (len == 0) {
		*error_r = "Empty sequence set";
		return -1;
	}
	size_t pos = 0;
	for (;;) {
		uint32_t lo, hi;
		if (parse_number(s, len, &pos, &lo, error_r) < 0)
			goto fail;
		hi = lo;
		if (pos < len && s[pos] == ':') {
			pos++;
			if (parse_number(s, len, &pos, &hi, error_r) < 0)
				goto fail;
		}
		seqset_add_range(set_r, lo, hi);
		if (pos == len)
			return 0;
		if (s[pos] != ',') {
			*error_r = "Invalid character in sequence set";
			goto fail;
		}
		pos++;
		if (pos == len) {
			*error_r = "Empty element in sequence set";
			goto fail;
		}
	}
fail:
	seqset_free(set_r);
	return -1;
}

static int range_cmp(const void *a, const void *b)
{
	const struct seqset_range *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

void seqset_normalize(struct seqset *set)
{
	if (set->count < 2)
		return;
	qsort(set->ranges, set->count, sizeof(*set->ranges), range_cmp);
	size_t out = 0;
	for (size_t i = 1; i < set->count; i++) {
		struct seqset_range *cur = &set->ranges[out];
		const struct seqset_range *r = &set->ranges[i];
		/* merge when overlapping or adjacent; the hi + 1 is done in
		   64 bits so UINT32_MAX cannot wrap */
		if ((uint64_t)r->lo <= (uint64_t)cur->hi + 1) {
			if (r->hi > cur->hi)
				cur->hi = r->hi;
		} else {
			set->ranges[++out] = *r;
		}
	}
	set->count = out + 1;
}

/* Resolves one stored range; returns false when nothing of it lies in
 * [1, max]. */
static bool resolve_range(const struct seqset_range *r, uint32_t star,
			  uint32_t max, uint32_t *lo_r, uint32_t *hi_r)
{
	uint32_t lo = r->lo == SEQSET_STAR ? star : r->lo;
	uint32_t hi = r->hi == SEQSET_STAR ? star : r->hi;
	if (lo > hi) {
		uint32_t t = lo;
		lo = hi;
		hi = t;
	}
	if (lo == 0)
		lo = 1;
	if (hi > max)
		hi = max;
	if (lo > hi)
		return false;
	*lo_r = lo;
	*hi_r = hi;
	return true;
}

void seqset_resolve(struct seqset *set, uint32_t star_value, uint32_t max)
{
	size_t out = 0;
	for (size_t i = 0; i < set->count; i++) {
		uint32_t lo, hi;
		if (resolve_range(&set->ranges[i], star_value, max, &lo, &hi)) {
			set->ranges[out].lo = lo;
			set->ranges[out].hi = hi;
			out++;
		}
	}
	set->count = out;
	seqset_normalize(set);
}

bool seqset_contains(const struct seqset *set, uint32_t n,
		     uint32_t star_value)
{
	for (size_t i = 0; i < set->count; i++) {
		uint32_t lo, hi;
		if (resolve_range(&set->ranges[i], star_value, UINT32_MAX,
				  &lo, &hi) && n >= lo && n <= hi)
			return true;
	}
	return false;
}

uint64_t seqset_count(const struct seqset *set)
{
	uint64_t total = 0;
	for (size_t i = 0; i < set->count; i++)
		total += (uint64_t)set->ranges[i].hi - set->ranges[i].lo + 1;
	return total;
}

void seqset_iter_init(struct seqset_iter *it, const struct seqset *set,
		      uint32_t star_value, uint32_t max)
{
	it->set = set;
	it->star_value = star_value;
	it->max = max;
	it->idx = 0;
	it->next = 0;
	it->end = 0;
	it->in_range = false;
}

bool seqset_iter_next(struct seqset_iter *it, uint32_t *n_r)
{
	while (!it->in_range || it->next > it->end) {
		uint32_t lo, hi;
		it->in_range = false;
		if (it->idx >= it->set->count)
			return false;
		if (resolve_range(&it->set->ranges[it->idx++], it->star_value,
				  it->max, &lo, &hi)) {
			it->next = lo;
			it->end = hi;
			it->in_range = true;
		}
	}
	*n_r = (uint32_t)it->next++;
	return true;
}

static void append_value(struct buf *out, uint32_t v)
{
	if (v == SEQSET_STAR)
		buf_append_char(out, '*');
	else
		buf_append_u64(out, v);
}

void seqset_format(struct buf *out, const struct seqset *set)
{
	for (size_t i = 0; i < set->count; i++) {
		const struct seqset_range *r = &set->ranges[i];
		if (i > 0)
			buf_append_char(out, ',');
		append_value(out, r->lo);
		if (r->hi != r->lo) {
			buf_append_char(out, ':');
			append_value(out, r->hi);
		}
	}
}

void seqset_format_array(struct buf *out, const uint32_t *nums, size_t count)
{
	size_t i = 0;
	while (i < count) {
		size_t j = i;
		while (j + 1 < count && nums[j] != UINT32_MAX &&
		       nums[j + 1] == nums[j] + 1)
			j++;
		if (i > 0)
			buf_append_char(out, ',');
		buf_append_u64(out, nums[i]);
		if (j > i) {
			buf_append_char(out, ':');
			buf_append_u64(out, nums[j]);
		}
		i = j + 1;
	}
}

bool sorted_u32_contains(const uint32_t *a, size_t count, uint32_t n)
{
	size_t lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < count && a[lo] == n;
}
