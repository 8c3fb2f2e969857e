#ifndef QUIRE_CORE_BUF_H
#define QUIRE_CORE_BUF_H
/*
 * Length-carrying byte buffer: the only way Quire builds strings.
 * Memory exhaustion aborts the process (a mail server that cannot allocate
 * a few bytes cannot do anything useful; Dovecot does the same).
 * data is always NUL-terminated past len once anything was appended, so
 * buf_cstr() is free, but data may also hold NUL bytes inside [0, len).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
/* Frees the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);
/* Empties the buffer but keeps its memory. */
void buf_reset(struct buf *b);
/* Ensures room for extra more bytes (plus the terminating NUL). */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_append_str(struct buf *b, const char *s);
void buf_append_char(struct buf *b, char c);
void buf_append_u64(struct buf *b, uint64_t v);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Drops the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* Shortens the buffer to len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* Returns a NUL-terminated view of the contents ("" when empty). */
const char *buf_cstr(struct buf *b);
/* Hands the allocation to the caller (free() it) and empties the buffer. */
char *buf_steal(struct buf *b);

/* Allocation helpers that abort on exhaustion. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

#endif
