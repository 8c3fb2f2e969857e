/*
 * The COMPRESS=DEFLATE layer of a conn's I/O stack (RFC 4978): raw
 * deflate (RFC 1951, zlib with negative windowBits) in both directions,
 * between the conn's plaintext buffers and TLS or the socket. RFC 4978 3
 * puts compression above TLS whatever order the commands came in, which is
 * what stacking it on the current top gives.
 */
#include "net/net-private.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* Plaintext taken per write, and compressed bytes read from lower per
 * step: bounds what the layer holds. */
#define COMPRESS_CHUNK 16384
/* RFC 4978 4: the windowBits value must be in -8..-15 for raw deflate.
 * The client may use the largest window, so the inflater must too; the
 * deflater is free to use less memory: 2^(14+2) + 2^(7+9) = 96 KiB. */
#define INFLATE_WINDOW_BITS (-15)
#define DEFLATE_WINDOW_BITS (-14)
#define DEFLATE_MEM_LEVEL 7
/* IMAP responses compress well even at low levels (RFC 4978 4: "least
 * CPU-intensive setting ... 25-40%"), and CPU is what a busy server lacks. */
#define DEFLATE_LEVEL 3

struct compress_stream {
	struct stream s;
	z_stream def, inf;
	size_t passthrough;   /* bytes still to send uncompressed */
	struct buf out;       /* compressed, not yet taken by lower */
	size_t out_pos;
	struct buf in;        /* received, not yet inflated */
	size_t in_pos;
	bool inf_more;        /* inflate filled its output: it may hold more */
	bool in_end;          /* the client ended its deflate stream */
};

static void copy_lower_error(struct compress_stream *cs)
{
	const char *text = cs->s.lower->error;
	stream_set_error_text(&cs->s, text != NULL ? text : "I/O error");
}

/* ---- input -------------------------------------------------------------- */

/* Inflates buffered input into data. Returns STREAM_OK with *n_r > 0,
 * STREAM_WANT_READ when more input is needed, STREAM_EOF, STREAM_ERROR. */
static enum stream_result inflate_some(struct compress_stream *cs, void *data,
				       size_t size, size_t *n_r)
{
	z_stream *z = &cs->inf;
	size_t avail = cs->in.len - cs->in_pos;
	if (size > UINT_MAX)
		size = UINT_MAX;
	z->next_in = (Bytef *)cs->in.data + cs->in_pos;
	z->avail_in = (uInt)avail;
	z->next_out = data;
	z->avail_out = (uInt)size;
	int zr = inflate(z, Z_SYNC_FLUSH);
	cs->in_pos += avail - z->avail_in;
	if (cs->in_pos == cs->in.len) {
		buf_free(&cs->in);
		cs->in_pos = 0;
	}
	*n_r = size - z->avail_out;
	cs->inf_more = z->avail_out == 0;
	switch (zr) {
	case Z_OK:
	case Z_BUF_ERROR: /* no progress possible without more input */
		break;
	case Z_STREAM_END:
		/* Nothing may follow the end of the client's stream. */
		cs->in_end = true;
		break;
	default:
		stream_set_error_text(&cs->s, z->msg != NULL ?
				      z->msg : "invalid compressed data");
		return STREAM_ERROR;
	}
	if (*n_r > 0)
		return STREAM_OK;
	return cs->in_end ? STREAM_EOF : STREAM_WANT_READ;
}

static enum stream_result compress_read(struct stream *s, void *data,
					size_t size, size_t *n_r)
{
	struct compress_stream *cs = (struct compress_stream *)s;
	unsigned char chunk[COMPRESS_CHUNK];

	for (;;) {
		if (cs->in_pos < cs->in.len || cs->inf_more) {
			enum stream_result r = inflate_some(cs, data, size, n_r);
			if (r != STREAM_WANT_READ)
				return r;
		}
		if (cs->in_end)
			return STREAM_EOF;
		/* A sync-flush marker alone inflates to nothing: read on
		 * until there is output or lower has nothing more. */
		size_t n = 0;
		enum stream_result r = s->lower->v->read(s->lower, chunk,
							 sizeof(chunk), &n);
		if (r == STREAM_ERROR)
			copy_lower_error(cs);
		if (r != STREAM_OK)
			return r;
		buf_append(&cs->in, chunk, n);
	}
}

/* ---- output ------------------------------------------------------------- */

/* Hands held compressed bytes to lower: STREAM_OK once none are left. */
static enum stream_result drain(struct compress_stream *cs)
{
	struct stream *lower = cs->s.lower;
	while (cs->out_pos < cs->out.len) {
		size_t n = 0;
		enum stream_result r = lower->v->write(
			lower, cs->out.data + cs->out_pos,
			cs->out.len - cs->out_pos, &n);
		if (r == STREAM_ERROR)
			copy_lower_error(cs);
		if (r != STREAM_OK)
			return r;
		cs->out_pos += n;
	}
	/* Idle conns hold no output memory. */
	buf_free(&cs->out);
	cs->out_pos = 0;
	return STREAM_OK;
}

/* Compresses data[0..size) with a sync flush into cs->out. */
static int deflate_all(struct compress_stream *cs, const void *data,
		       size_t size)
{
	z_stream *z = &cs->def;
	unsigned char chunk[COMPRESS_CHUNK];
	z->next_in = (Bytef *)data;
	z->avail_in = (uInt)size;
	/* RFC 4978 3 asks nothing of flushing, but a response held back in
	 * the compressor would never reach a client waiting for it. zlib
	 * wants the call repeated while it fills the output space. */
	do {
		z->next_out = chunk;
		z->avail_out = sizeof(chunk);
		int zr = deflate(z, Z_SYNC_FLUSH);
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			stream_set_error_text(&cs->s, "compression failed");
			return -1;
		}
		buf_append(&cs->out, chunk, sizeof(chunk) - z->avail_out);
	} while (z->avail_out == 0);
	return 0;
}

static enum stream_result compress_write(struct stream *s, const void *data,
					 size_t size, size_t *n_r)
{
	struct compress_stream *cs = (struct compress_stream *)s;
	enum stream_result r = drain(cs);
	if (r != STREAM_OK)
		return r;
	if (cs->passthrough > 0) {
		/* Same data, same (or longer) length on a retry: what lower's
		 * write contract needs. */
		size_t want = size < cs->passthrough ? size : cs->passthrough;
		r = s->lower->v->write(s->lower, data, want, n_r);
		if (r == STREAM_OK)
			cs->passthrough -= *n_r;
		else if (r == STREAM_ERROR)
			copy_lower_error(cs);
		return r;
	}
	size_t take = size < COMPRESS_CHUNK * 4 ? size : COMPRESS_CHUNK * 4;
	if (deflate_all(cs, data, take) < 0)
		return STREAM_ERROR;
	*n_r = take;
	/* The bytes are ours now: a WANT here only means flush is due. */
	r = drain(cs);
	return r == STREAM_ERROR ? STREAM_ERROR : STREAM_OK;
}

static enum stream_result compress_flush(struct stream *s)
{
	return drain((struct compress_stream *)s);
}

static void compress_shutdown(struct stream *s)
{
	/* The deflate stream is not ended: RFC 4978 has the connection's
	 * end end it. TLS below still sends its close_notify. */
	s->lower->v->shutdown(s->lower);
}

static void compress_destroy(struct stream *s)
{
	struct compress_stream *cs = (struct compress_stream *)s;
	deflateEnd(&cs->def);
	inflateEnd(&cs->inf);
	buf_free(&cs->out);
	buf_free(&cs->in);
	free(cs);
}

static const struct stream_vfuncs compress_vfuncs = {
	compress_read, compress_write, compress_shutdown, compress_flush,
	compress_destroy,
};

struct stream *stream_compress_new(struct stream *lower, size_t passthrough,
				   const void *in, size_t in_len,
				   const char **error_r)
{
	struct compress_stream *cs = xcalloc(1, sizeof(*cs));
	if (deflateInit2(&cs->def, DEFLATE_LEVEL, Z_DEFLATED,
			 DEFLATE_WINDOW_BITS, DEFLATE_MEM_LEVEL,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(cs);
		*error_r = "cannot initialise the compressor";
		return NULL;
	}
	if (inflateInit2(&cs->inf, INFLATE_WINDOW_BITS) != Z_OK) {
		deflateEnd(&cs->def);
		free(cs);
		*error_r = "cannot initialise the decompressor";
		return NULL;
	}
	cs->s.v = &compress_vfuncs;
	cs->s.lower = lower;
	cs->s.fd = lower->fd;
	cs->passthrough = passthrough;
	if (in_len > 0)
		buf_append(&cs->in, in, in_len);
	return &cs->s;
}
