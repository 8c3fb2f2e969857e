#include "mail/pool.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define POOL_CHUNK_SIZE 4096

struct pool_chunk {
	struct pool_chunk *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct mail_pool {
	struct pool_chunk *head;
};

struct mail_pool *mail_pool_new(void)
{
	return xcalloc(1, sizeof(struct mail_pool));
}

void mail_pool_free(struct mail_pool *pool)
{
	if (pool == NULL)
		return;
	struct pool_chunk *c = pool->head;
	while (c != NULL) {
		struct pool_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(pool);
}

void *mail_pool_alloc(struct mail_pool *pool, size_t size)
{
	const size_t align = alignof(max_align_t);
	size = (size + align - 1) & ~(align - 1);
	struct pool_chunk *c = pool->head;
	if (c == NULL || c->size - c->used < size) {
		size_t cap = size > POOL_CHUNK_SIZE ? size : POOL_CHUNK_SIZE;
		c = xmalloc(sizeof(*c) + cap);
		c->size = cap;
		c->used = 0;
		c->next = pool->head;
		pool->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *mail_pool_strndup(struct mail_pool *pool, const char *s, size_t len)
{
	char *p = mail_pool_alloc(pool, len + 1);
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
