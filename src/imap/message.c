#include "imap/message.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "imap/search-text.h"
#include "mail/cache.h"
#include "mail/header.h"
#include "mail/mime.h"
#include "mail/search-headers.h"
#include "store/store.h"

/* Messages up to this size are read into the heap: for a small message
 * open + pread is far cheaper than mmap + munmap, whose unmapping
 * flushes the TLB of every core running one of our threads. Larger ones
 * are mapped, so a 50 MB attachment never sits in the heap. */
#define MESSAGE_READ_MAX (256 * 1024)
/* First read of a header: most header blocks fit. */
#define HEADER_READ_CHUNK 4096

/* Reads [offset, offset + len) of fd into dst; false on error or EOF. */
static bool read_exact(int fd, char *dst, size_t len, off_t offset)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, dst + done, len - done, offset + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

static int message_map(struct store *st, struct message *msg, const char **error_r)
{
	int fd;
	uint64_t size;
	int r = store_blob_open(st, msg->blob_id, &fd, &size, error_r);
	if (r != STORE_OK)
		return r;
	msg->size = (size_t)size;
	if (size == 0) {
		close(fd);
		msg->data = "";
		return STORE_OK;
	}
	if (size <= MESSAGE_READ_MAX) {
		char *heap = xmalloc((size_t)size);
		bool ok = read_exact(fd, heap, (size_t)size, 0);
		close(fd);
		if (!ok) {
			free(heap);
			*error_r = "cannot read message file";
			return STORE_EUNAVAILABLE;
		}
		msg->heap_ = heap;
		msg->data = heap;
		return STORE_OK;
	}
	void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		*error_r = "cannot map message file";
		return STORE_EUNAVAILABLE;
	}
	msg->map_ = map;
	msg->data = map;
	return STORE_OK;
}

int message_load_header(struct store *st, int64_t blob_id, struct buf *out,
			const char **error_r)
{
	int fd;
	uint64_t size;
	int r = store_blob_open(st, blob_id, &fd, &size, error_r);
	if (r != STORE_OK)
		return r;
	buf_reset(out);
	/* Chunks double, so a huge header costs a few reads; the block ends
	 * at the first empty line, or is the whole message without one. */
	size_t want = HEADER_READ_CHUNK;
	for (;;) {
		if (want > size)
			want = (size_t)size;
		size_t have = out->len;
		buf_reserve(out, want - have);
		if (!read_exact(fd, out->data + have, want - have, (off_t)have)) {
			close(fd);
			buf_reset(out);
			*error_r = "cannot read message file";
			return STORE_EUNAVAILABLE;
		}
		out->len = want;
		size_t block = mail_header_block_size(out->data, out->len);
		/* A block ending exactly at the end of what was read may
		 * continue (a CR whose LF is not read yet). */
		if (block < out->len || want == size) {
			out->len = block;
			break;
		}
		want *= 2;
	}
	close(fd);
	return STORE_OK;
}

static void message_cache_store(struct store *st, int64_t blob_id,
				const struct mail_tree *tree)
{
	struct buf record = BUF_INIT;
	const char *error;
	mail_tree_serialize(tree, &record);
	if (store_blob_cache_put(st, blob_id, record.data, record.len, &error) != STORE_OK)
		log_warn(NULL, "cannot cache the parse of blob %lld: %s",
			 (long long)blob_id, error);
	buf_free(&record);
}

static bool message_tree_from_cache(struct store *st, struct message *msg)
{
	struct buf record = BUF_INIT;
	const char *error;
	bool ok = false;
	if (store_blob_cache_get(st, msg->blob_id, &record, &error) == STORE_OK)
		ok = mail_tree_deserialize(record.data, record.len, msg->size,
					   &msg->tree, &error) == 0;
	buf_free(&record);
	return ok;
}

int message_load(struct store *st, int64_t blob_id, uint64_t size,
		 bool need_tree, bool need_body, struct message *msg,
		 const char **error_r)
{
	memset(msg, 0, sizeof(*msg));
	msg->blob_id = blob_id;
	msg->size = (size_t)size;
	if (need_tree && message_tree_from_cache(st, msg))
		need_tree = false;
	if (need_body || need_tree) {
		int r = message_map(st, msg, error_r);
		if (r != STORE_OK)
			return r;
	}
	if (need_tree) {
		msg->tree = mail_mime_parse(msg->data, msg->size);
		message_cache_store(st, blob_id, msg->tree);
	}
	return STORE_OK;
}

void message_release(struct message *msg)
{
	if (msg->map_ != NULL)
		munmap(msg->map_, msg->size);
	free(msg->heap_);
	mail_tree_free(&msg->tree);
	memset(msg, 0, sizeof(*msg));
}

static void append_prepare_bytes(const char *data, size_t size,
				 struct message_append_prep *prep)
{
	struct mail_tree *tree = mail_mime_parse(data, size);
	mail_tree_serialize(tree, &prep->cache);
	mail_tree_free(&tree);
	mail_search_headers_build(data, mail_header_block_size(data, size),
				  &prep->headers);
}

void message_append_prepare(struct store_append_msg *m,
			    struct message_append_prep *prep)
{
	memset(prep, 0, sizeof(*prep));
	m->blob_id_r = &prep->blob_id;
	if (m->data != NULL || m->size == 0) {
		append_prepare_bytes(m->size > 0 ? m->data : "", m->size, prep);
	} else {
		void *map = mmap(NULL, m->size, PROT_READ, MAP_SHARED, m->fd, 0);
		if (map == MAP_FAILED)
			return;
		append_prepare_bytes(map, m->size, prep);
		munmap(map, m->size);
	}
	m->cache = prep->cache.data != NULL ? prep->cache.data : "";
	m->cache_len = prep->cache.len;
	m->headers = prep->headers.data;
	m->headers_len = prep->headers.len;
}

void message_append_finish(struct store *st, const struct store_append_msg *m,
			   const struct message_append_prep *prep)
{
	if (prep->blob_id != 0)
		search_text_index_later(st, prep->blob_id, m->size);
}

void message_append_prep_free(struct message_append_prep *prep)
{
	buf_free(&prep->cache);
	buf_free(&prep->headers);
}
