/*
 * The compact message list of a selected-mailbox view (view-msgs.h).
 */
#include "imap/view-msgs.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* Growth by an eighth: geometric (so appends stay amortised O(1)) but with
 * little slack, since a long-idle session keeps whatever it grew to. */
static uint32_t grown(uint32_t cap, uint32_t need, uint32_t min_step)
{
	uint32_t next = cap + cap / 8 + min_step;
	return next < need ? need : next;
}

void view_msgs_free(struct view_msgs *m)
{
	for (uint32_t i = 0; i < m->kw_count; i++)
		free(m->kw[i].keywords);
	free(m->kw);
	free(m->flags);
	free(m->runs);
	free(m->noted);
	memset(m, 0, sizeof(*m));
}

void view_msgs_reserve(struct view_msgs *m, uint32_t count)
{
	if (m->count + count > m->flags_cap) {
		m->flags_cap = m->count + count;
		m->flags = xrealloc(m->flags, m->flags_cap);
	}
}

/* Index of the run holding message index (< count). */
static uint32_t run_of_index(const struct view_msgs *m, uint32_t index)
{
	uint32_t lo = 0, hi = m->run_count;
	/* Largest r with runs[r].index <= index; runs[0].index is 0. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (m->runs[mid].index <= index)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t run_length(const struct view_msgs *m, uint32_t r)
{
	uint32_t end = r + 1 < m->run_count ? m->runs[r + 1].index : m->count;
	return end - m->runs[r].index;
}

/* Largest r with runs[r].uid <= uid, or UINT32_MAX when uid is below the
 * first run (or m is empty). */
static uint32_t run_of_uid(const struct view_msgs *m, uint32_t uid)
{
	if (m->run_count == 0 || m->runs[0].uid > uid)
		return UINT32_MAX;
	uint32_t lo = 0, hi = m->run_count;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (m->runs[mid].uid <= uid)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

uint32_t view_msgs_uid(const struct view_msgs *m, uint32_t index)
{
	const struct view_run *run = &m->runs[run_of_index(m, index)];
	return run->uid + (index - run->index);
}

uint32_t view_msgs_last_uid(const struct view_msgs *m)
{
	return m->count > 0 ? view_msgs_uid(m, m->count - 1) : 0;
}

uint32_t view_msgs_lower_bound(const struct view_msgs *m, uint32_t uid)
{
	uint32_t r = run_of_uid(m, uid);
	if (r == UINT32_MAX)
		return 0;
	uint32_t off = uid - m->runs[r].uid, len = run_length(m, r);
	return m->runs[r].index + (off < len ? off : len);
}

bool view_msgs_find(const struct view_msgs *m, uint32_t uid, uint32_t *index_r)
{
	uint32_t r = run_of_uid(m, uid);
	if (r == UINT32_MAX)
		return false;
	uint32_t off = uid - m->runs[r].uid;
	if (off >= run_length(m, r))
		return false;
	*index_r = m->runs[r].index + off;
	return true;
}

/* ---- keywords ---- */

/* Position of uid in the keyword table, or where it would go. */
static uint32_t kw_pos(const struct view_msgs *m, uint32_t uid)
{
	uint32_t lo = 0, hi = m->kw_count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (m->kw[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *view_msgs_keywords(const struct view_msgs *m, uint32_t index)
{
	if (!(m->flags[index] & VIEW_FLAG_HAS_KEYWORDS_))
		return NULL;
	uint32_t uid = view_msgs_uid(m, index);
	uint32_t pos = kw_pos(m, uid);
	return pos < m->kw_count && m->kw[pos].uid == uid ? m->kw[pos].keywords : NULL;
}

void view_msgs_set_keywords(struct view_msgs *m, uint32_t index,
			    const char *keywords)
{
	bool want = keywords != NULL && *keywords != '\0';
	bool has = (m->flags[index] & VIEW_FLAG_HAS_KEYWORDS_) != 0;
	if (!want && !has)
		return;
	uint32_t uid = view_msgs_uid(m, index);
	uint32_t pos = kw_pos(m, uid);
	if (has) {
		if (want && strcmp(m->kw[pos].keywords, keywords) == 0)
			return;
		free(m->kw[pos].keywords);
		if (want) {
			m->kw[pos].keywords = xstrdup(keywords);
			return;
		}
		memmove(&m->kw[pos], &m->kw[pos + 1],
			(m->kw_count - pos - 1) * sizeof(*m->kw));
		m->kw_count--;
		m->flags[index] &= (uint8_t)~VIEW_FLAG_HAS_KEYWORDS_;
		if (m->kw_count == 0) {
			free(m->kw);
			m->kw = NULL;
			m->kw_cap = 0;
		}
		return;
	}
	if (m->kw_count == m->kw_cap) {
		m->kw_cap = grown(m->kw_cap, m->kw_count + 1, 4);
		m->kw = xrealloc(m->kw, m->kw_cap * sizeof(*m->kw));
	}
	memmove(&m->kw[pos + 1], &m->kw[pos], (m->kw_count - pos) * sizeof(*m->kw));
	m->kw[pos].uid = uid;
	m->kw[pos].keywords = xstrdup(keywords);
	m->kw_count++;
	m->flags[index] |= VIEW_FLAG_HAS_KEYWORDS_;
}

/* ---- append, flags ---- */

void view_msgs_append(struct view_msgs *m, uint32_t uid, uint8_t flags,
		      const char *keywords)
{
	if (m->count == m->flags_cap) {
		m->flags_cap = grown(m->flags_cap, m->count + 1, 16);
		m->flags = xrealloc(m->flags, m->flags_cap);
	}
	if (m->count == 0 || uid != view_msgs_last_uid(m) + 1) {
		if (m->run_count == m->run_cap) {
			m->run_cap = grown(m->run_cap, m->run_count + 1, 4);
			m->runs = xrealloc(m->runs, m->run_cap * sizeof(*m->runs));
		}
		m->runs[m->run_count].uid = uid;
		m->runs[m->run_count].index = m->count;
		m->run_count++;
	}
	uint32_t index = m->count++;
	m->flags[index] = flags & (uint8_t)~VIEW_FLAG_HAS_KEYWORDS_;
	view_msgs_set_keywords(m, index, keywords);
}

void view_msgs_set_flags(struct view_msgs *m, uint32_t index, uint8_t flags)
{
	m->flags[index] = (uint8_t)((m->flags[index] & VIEW_FLAG_HAS_KEYWORDS_) |
				    (flags & ~VIEW_FLAG_HAS_KEYWORDS_));
}

/* ---- removal ---- */

/* Drops the keyword entries of UIDs no longer in m. */
static void kw_filter(struct view_msgs *m)
{
	uint32_t w = 0, index;
	for (uint32_t i = 0; i < m->kw_count; i++) {
		if (view_msgs_find(m, m->kw[i].uid, &index))
			m->kw[w++] = m->kw[i];
		else
			free(m->kw[i].keywords);
	}
	m->kw_count = w;
}

static void noted_filter(struct view_msgs *m)
{
	uint32_t w = 0, index;
	for (uint32_t i = 0; i < m->noted_count; i++) {
		if (view_msgs_find(m, m->noted[i].uid, &index))
			m->noted[w++] = m->noted[i];
	}
	m->noted_count = w;
}

uint32_t view_msgs_remove_expunged(struct view_msgs *m)
{
	struct view_run *runs = NULL;
	uint32_t run_count = 0, run_cap = 0;
	uint32_t kept = 0, r = 0, last_uid = 0, recent = 0;

	for (uint32_t i = 0; i < m->count; i++) {
		if (r + 1 < m->run_count && m->runs[r + 1].index == i)
			r++;
		uint32_t uid = m->runs[r].uid + (i - m->runs[r].index);
		uint8_t f = m->flags[i];
		if (f & VIEW_FLAG_EXPUNGED) {
			if (f & VIEW_FLAG_RECENT)
				recent++;
			continue;
		}
		if (kept == 0 || uid != last_uid + 1) {
			if (run_count == run_cap) {
				run_cap = grown(run_cap, run_count + 1, 4);
				runs = xrealloc(runs, run_cap * sizeof(*runs));
			}
			runs[run_count].uid = uid;
			runs[run_count].index = kept;
			run_count++;
		}
		m->flags[kept++] = f;
		last_uid = uid;
	}
	free(m->runs);
	if (run_count > 0 && run_count < run_cap)
		runs = xrealloc(runs, run_count * sizeof(*runs));
	m->runs = runs;
	m->run_count = m->run_cap = run_count;
	m->count = kept;
	/* A view that lost many messages gives the memory back. */
	if (m->flags_cap > kept + kept / 4 + 64) {
		m->flags_cap = kept > 0 ? kept : 16;
		m->flags = xrealloc(m->flags, m->flags_cap);
	}
	kw_filter(m);
	noted_filter(m);
	return recent;
}

/* ---- noted modseqs ---- */

static uint32_t noted_pos(const struct view_msgs *m, uint32_t uid)
{
	uint32_t lo = 0, hi = m->noted_count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (m->noted[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void view_msgs_note_modseq(struct view_msgs *m, uint32_t uid, uint64_t modseq)
{
	uint32_t pos = noted_pos(m, uid);
	if (pos < m->noted_count && m->noted[pos].uid == uid) {
		if (modseq > m->noted[pos].modseq)
			m->noted[pos].modseq = modseq;
		return;
	}
	if (m->noted_count == m->noted_cap) {
		m->noted_cap = grown(m->noted_cap, m->noted_count + 1, 4);
		m->noted = xrealloc(m->noted, m->noted_cap * sizeof(*m->noted));
	}
	memmove(&m->noted[pos + 1], &m->noted[pos],
		(m->noted_count - pos) * sizeof(*m->noted));
	m->noted[pos].uid = uid;
	m->noted[pos].modseq = modseq;
	m->noted_count++;
}

uint64_t view_msgs_noted_modseq(const struct view_msgs *m, uint32_t uid)
{
	uint32_t pos = noted_pos(m, uid);
	return pos < m->noted_count && m->noted[pos].uid == uid ?
		m->noted[pos].modseq : 0;
}

void view_msgs_forget_modseqs(struct view_msgs *m, uint64_t modseq)
{
	uint32_t w = 0;
	for (uint32_t i = 0; i < m->noted_count; i++) {
		if (m->noted[i].modseq > modseq)
			m->noted[w++] = m->noted[i];
	}
	m->noted_count = w;
	if (w == 0) {
		/* The common case after every sync: hold nothing while idle. */
		free(m->noted);
		m->noted = NULL;
		m->noted_cap = 0;
	}
}

size_t view_msgs_memory(const struct view_msgs *m)
{
	size_t n = m->flags_cap + (size_t)m->run_cap * sizeof(*m->runs) +
		(size_t)m->kw_cap * sizeof(*m->kw) +
		(size_t)m->noted_cap * sizeof(*m->noted);
	for (uint32_t i = 0; i < m->kw_count; i++)
		n += strlen(m->kw[i].keywords) + 1;
	return n;
}
