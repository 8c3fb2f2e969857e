/*
 * libFuzzer target: sequence sets (imap/seqset.h). Parses the input; an
 * accepted set must format back to a string that parses to the same
 * ranges, and resolving, counting, membership and (bounded) iteration
 * must agree with each other for a few star/max values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "imap/seqset.h"

/* Numbers visited per iteration check: "1:4294967295" must not take
   minutes. */
#define MAX_ITER 2000

static bool same_ranges(const struct seqset *a, const struct seqset *b)
{
	return a->count == b->count &&
	       (a->count == 0 ||
		memcmp(a->ranges, b->ranges,
		       a->count * sizeof(a->ranges[0])) == 0);
}

static void copy_set(struct seqset *dst, const struct seqset *src)
{
	seqset_init(dst);
	for (size_t i = 0; i < src->count; i++)
		seqset_add_range(dst, src->ranges[i].lo, src->ranges[i].hi);
}

static void check_resolved(const struct seqset *parsed, uint32_t star,
			   uint32_t max)
{
	struct seqset set;
	copy_set(&set, parsed);
	seqset_resolve(&set, star, max);
	for (size_t i = 0; i < set.count; i++) {
		if (set.ranges[i].lo > set.ranges[i].hi ||
		    set.ranges[i].lo < 1 || set.ranges[i].hi > max)
			abort();
		/* normalized: sorted, neither overlapping nor adjacent */
		if (i > 0 && (uint64_t)set.ranges[i - 1].hi + 1 >=
			     set.ranges[i].lo)
			abort();
	}
	uint64_t count = seqset_count(&set);
	struct seqset_iter it;
	uint32_t n, prev = 0;
	uint64_t seen = 0;
	uint32_t *nums = xcalloc(MAX_ITER, sizeof(*nums));
	seqset_iter_init(&it, &set, star, max);
	while (seen < MAX_ITER && seqset_iter_next(&it, &n)) {
		if ((seen > 0 && n <= prev) || n < 1 || n > max)
			abort();
		/* the resolved set and the original agree on membership */
		if (!seqset_contains(&set, n, star) ||
		    !seqset_contains(parsed, n, star))
			abort();
		nums[seen++] = n;
		prev = n;
	}
	if (seen < MAX_ITER && seen != count)
		abort();
	if (seen > 0) {
		struct buf out = BUF_INIT;
		struct seqset back;
		const char *error;
		seqset_format_array(&out, nums, seen);
		if (seqset_parse(out.data, out.len, &back, &error) < 0)
			abort();
		seqset_free(&back);
		buf_free(&out);
	}
	free(nums);
	seqset_free(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seqset set;
	const char *error = NULL;
	if (seqset_parse((const char *)data, size, &set, &error) < 0) {
		if (error == NULL || set.count != 0)
			abort();
		seqset_free(&set);
		return 0;
	}
	if (set.count == 0)
		abort();
	struct buf out = BUF_INIT;
	seqset_format(&out, &set);
	struct seqset again;
	if (seqset_parse(out.data, out.len, &again, &error) < 0 ||
	    !same_ranges(&set, &again))
		abort();
	seqset_free(&again);
	buf_free(&out);

	static const uint32_t stars[] = { 0, 1, 7, 100, 65536, UINT32_MAX - 1 };
	for (size_t i = 0; i < sizeof(stars) / sizeof(stars[0]); i++)
		check_resolved(&set, stars[i], stars[i]);
	check_resolved(&set, 10, 1000);

	struct seqset norm;
	copy_set(&norm, &set);
	seqset_normalize(&norm);
	for (size_t i = 1; i < norm.count; i++)
		if (norm.ranges[i - 1].hi >= norm.ranges[i].lo)
			abort();
	seqset_free(&norm);
	seqset_free(&set);
	return 0;
}
