#ifndef QUIRE_MAIL_POOL_H
#define QUIRE_MAIL_POOL_H
/*
 * A private bump allocator for one parsed tree: a tree is built once,
 * read many times and freed all at once, so its hundreds of small strings
 * go into a few big chunks instead of one malloc each. Internal to
 * src/mail (core's arena allocator may replace it later).
 */
#include <stddef.h>

struct mail_pool;

struct mail_pool *mail_pool_new(void);
/* Frees every allocation made from the pool, and the pool. NULL is ok. */
void mail_pool_free(struct mail_pool *pool);
/* Zeroed memory for size bytes, aligned for any type; aborts on OOM. */
void *mail_pool_alloc(struct mail_pool *pool, size_t size);
/* A NUL-terminated copy of s[0..len). */
char *mail_pool_strndup(struct mail_pool *pool, const char *s, size_t len);

#endif
