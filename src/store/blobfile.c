/*
 * store: content-addressed body files shared by the database backends that
 * keep only rows (see blobfile.h for the layout and the safety argument).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/blobfile.h"

#define COPY_CHUNK (128 * 1024)

static int fail(struct buf *error, const char *what)
{
	buf_printf(error, "%s: %s", what, strerror(errno));
	return -1;
}

static void relpath(const uint8_t sha[STORE_BLOBFILE_SHA_LEN], struct buf *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < STORE_BLOBFILE_SHA_LEN; i++) {
		buf_append_char(out, hex[sha[i] >> 4]);
		buf_append_char(out, hex[sha[i] & 15]);
		if (i == 0)
			buf_append_char(out, '/');
	}
}

static int fsync_at(int dir_fd, const char *rel)
{
	int fd = openat(dir_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? -1 : fsync(fd);

	if (fd >= 0)
		close(fd);
	return rc;
}

static int mkdir_p(const char *path)
{
	struct buf b = BUF_INIT;
	int ret = 0;

	buf_append_str(&b, path);
	for (size_t i = 1; i <= b.len && ret == 0; i++) {
		if (i < b.len && b.data[i] != '/')
			continue;
		char saved = b.data[i];
		b.data[i] = '\0';
		if (mkdir(b.data, 0700) < 0 && errno != EEXIST)
			ret = -1;
		b.data[i] = saved;
	}
	buf_free(&b);
	return ret;
}

int store_blobfiles_open(struct store_blobfiles *f, const char *dir,
			 struct buf *error)
{
	char name[8];

	memset(f, 0, sizeof(*f));
	f->tmp_fd = -1;
	f->dir = xstrdup(dir);
	if (mkdir_p(dir) < 0)
		return fail(error, dir);
	f->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dir_fd < 0)
		return fail(error, dir);
	/* Every fan-out directory exists up front, so storing a body never
	 * creates (and fsyncs the creation of) a directory. */
	for (unsigned i = 0; i < 256; i++) {
		snprintf(name, sizeof(name), "%02x", i);
		if (mkdirat(f->dir_fd, name, 0700) < 0 && errno != EEXIST)
			return fail(error, "create blob directory");
	}
	if (mkdirat(f->dir_fd, "tmp", 0700) < 0 && errno != EEXIST)
		return fail(error, "create blob tmp directory");
	f->tmp_fd = openat(f->dir_fd, "tmp", O_RDONLY | O_DIRECTORY |
			   O_CLOEXEC);
	if (f->tmp_fd < 0)
		return fail(error, "open blob tmp directory");
	return 0;
}

void store_blobfiles_close(struct store_blobfiles *f)
{
	if (f->dir_fd > 0)
		close(f->dir_fd);
	if (f->tmp_fd >= 0)
		close(f->tmp_fd);
	free(f->dir);
	memset(f, 0, sizeof(*f));
	f->tmp_fd = -1;
}

static int sha256_src(const struct store_blobfile_src *src,
		      uint8_t out[STORE_BLOBFILE_SHA_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *chunk = src->fd >= 0 ? xmalloc(COPY_CHUNK) : NULL;
	size_t off = 0;
	int ret = 0;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort(); /* allocation failure, like xmalloc */
	if (src->fd < 0 && EVP_DigestUpdate(ctx, src->data, src->size) != 1)
		abort();
	while (src->fd >= 0 && off < src->size && ret == 0) {
		size_t want = src->size - off < COPY_CHUNK ?
			src->size - off : COPY_CHUNK;
		ssize_t n = pread(src->fd, chunk, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			ret = -1;
		} else if (EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1) {
			abort();
		} else {
			off += (size_t)n;
		}
	}
	if (ret == 0 && EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	free(chunk);
	return ret;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int copy_src(const struct store_blobfile_src *src, int to)
{
	char *chunk;
	size_t off = 0;
	int ret = 0;

	if (src->fd < 0)
		return write_all(to, src->data, src->size);
	chunk = xmalloc(COPY_CHUNK);
	while (off < src->size && ret == 0) {
		size_t want = src->size - off < COPY_CHUNK ?
			src->size - off : COPY_CHUNK;
		ssize_t n = pread(src->fd, chunk, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			ret = -1;
		} else {
			ret = write_all(to, chunk, (size_t)n);
			off += (size_t)n;
		}
	}
	free(chunk);
	return ret;
}

/* Names an fsynced O_TMPFILE fd (or the named temporary tmpname) at rel;
 * EEXIST is success: the same name holds the same bytes. */
static int link_into_place(struct store_blobfiles *f, int fd,
			   const char *tmpname, const char *rel)
{
	char proc[64];
	int rc;

	if (tmpname != NULL) {
		rc = linkat(f->tmp_fd, tmpname, f->dir_fd, rel, 0);
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		rc = linkat(AT_FDCWD, proc, f->dir_fd, rel, AT_SYMLINK_FOLLOW);
	}
	return rc < 0 && errno != EEXIST ? -1 : 0;
}

static int write_file(struct store_blobfiles *f,
		      struct store_blobfile_src *src, const char *rel,
		      struct buf *error)
{
	char tmpname[64];
	bool named = false;
	struct stat st;

	/* A spill file of exactly the message is linked, not copied. */
	if (src->fd >= 0 && fstat(src->fd, &st) == 0 &&
	    (uint64_t)st.st_size == src->size && fsync(src->fd) == 0 &&
	    link_into_place(f, src->fd, NULL, rel) == 0)
		goto done;
	int fd = openat(f->tmp_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* no O_TMPFILE here: a named temporary file, removed below */
		snprintf(tmpname, sizeof(tmpname), "blob.%ld.%lx",
			 (long)getpid(), (unsigned long)random());
		fd = openat(f->tmp_fd, tmpname, O_CREAT | O_EXCL | O_WRONLY |
			    O_CLOEXEC, 0600);
		named = true;
	}
	if (fd < 0)
		return fail(error, "create blob");
	int rc = copy_src(src, fd);
	if (rc == 0)
		rc = fsync(fd);
	if (rc == 0)
		rc = link_into_place(f, fd, named ? tmpname : NULL, rel);
	int saved = errno;
	if (named)
		unlinkat(f->tmp_fd, tmpname, 0);
	close(fd);
	errno = saved;
	if (rc < 0)
		return fail(error, "write blob");
done:
	src->wrote = true;
	f->dirty[src->sha[0] / 8] |= (uint8_t)(1u << (src->sha[0] % 8));
	return 0;
}

static int ensure_file(struct store_blobfiles *f,
		       struct store_blobfile_src *src, struct buf *error)
{
	struct buf rel = BUF_INIT;
	struct stat st;
	int ret = 0;

	relpath(src->sha, &rel);
	if (fstatat(f->dir_fd, buf_cstr(&rel), &st, 0) < 0) {
		ret = write_file(f, src, buf_cstr(&rel), error);
	} else if ((uint64_t)st.st_size != src->size) {
		/* a wrong-sized file is damage: replace it with good bytes */
		unlinkat(f->dir_fd, buf_cstr(&rel), 0);
		ret = write_file(f, src, buf_cstr(&rel), error);
	} else if (!src->wrote) {
		/* perhaps another front end's file, not yet committed by it:
		 * make its directory entry durable before relying on it */
		f->dirty[src->sha[0] / 8] |= (uint8_t)(1u << (src->sha[0] % 8));
	}
	buf_free(&rel);
	return ret;
}

int store_blobfile_prepare(struct store_blobfiles *f,
			   struct store_blobfile_src *src, bool have_sha,
			   struct buf *error)
{
	src->wrote = false;
	if (!have_sha && sha256_src(src, src->sha) < 0)
		return fail(error, "read message");
	return ensure_file(f, src, error);
}

int store_blobfile_ensure(struct store_blobfiles *f,
			  struct store_blobfile_src *src, struct buf *error)
{
	return ensure_file(f, src, error);
}

int store_blobfiles_sync(struct store_blobfiles *f, struct buf *error)
{
	char dir[8];

	for (unsigned i = 0; i < 256; i++) {
		if ((f->dirty[i / 8] & (1u << (i % 8))) == 0)
			continue;
		snprintf(dir, sizeof(dir), "%02x", i);
		if (fsync_at(f->dir_fd, dir) < 0)
			return fail(error, "fsync blob directory");
		f->dirty[i / 8] &= (uint8_t)~(1u << (i % 8));
	}
	return 0;
}

void store_blobfile_unlink(struct store_blobfiles *f,
			   const uint8_t sha[STORE_BLOBFILE_SHA_LEN])
{
	struct buf rel = BUF_INIT;

	relpath(sha, &rel);
	unlinkat(f->dir_fd, buf_cstr(&rel), 0);
	buf_free(&rel);
}

int store_blobfile_open(struct store_blobfiles *f,
			const uint8_t sha[STORE_BLOBFILE_SHA_LEN])
{
	struct buf rel = BUF_INIT;

	relpath(sha, &rel);
	int fd = openat(f->dir_fd, buf_cstr(&rel), O_RDONLY | O_CLOEXEC);
	int saved = errno;
	buf_free(&rel);
	errno = saved;
	return fd;
}

void store_blobfile_path(const struct store_blobfiles *f,
			 const uint8_t sha[STORE_BLOBFILE_SHA_LEN],
			 struct buf *path)
{
	buf_printf(path, "%s/", f->dir);
	relpath(sha, path);
}

int store_blobfile_spill(struct store_blobfiles *f, struct buf *error)
{
	int fd = openat(f->tmp_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		char name[64];
		snprintf(name, sizeof(name), "spill.%ld.%lx", (long)getpid(),
			 (unsigned long)random());
		fd = openat(f->tmp_fd, name, O_CREAT | O_EXCL | O_RDWR |
			    O_CLOEXEC, 0600);
		if (fd >= 0)
			unlinkat(f->tmp_fd, name, 0);
	}
	if (fd < 0)
		fail(error, "create spill file");
	return fd;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool store_blobfile_name_parse(const char *dir2, const char *name,
			       uint8_t sha[STORE_BLOBFILE_SHA_LEN])
{
	char hex[STORE_BLOBFILE_SHA_LEN * 2];

	if (strlen(dir2) != 2 || strlen(name) != sizeof(hex) - 2)
		return false;
	memcpy(hex, dir2, 2);
	memcpy(hex + 2, name, sizeof(hex) - 2);
	for (size_t i = 0; i < STORE_BLOBFILE_SHA_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		sha[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}
