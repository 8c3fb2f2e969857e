#ifndef QUIRE_STORE_BLOBFILE_H
#define QUIRE_STORE_BLOBFILE_H
/*
 * Private to src/store: message bodies as content-addressed immutable
 * files, DIR/ab/cdef... named by the SHA-256 of their bytes, for backends
 * whose database only holds the rows (store/pg; the layout is the one
 * store/sqlite uses under data_dir/blobs, so a data_dir can move between
 * them). The directory may be shared by several front ends (NFS, a cluster
 * filesystem): files are written to tmp/ on the same filesystem, fsynced,
 * then linked into place, so a name never shows partial bytes.
 *
 * Errors: -1 with the reason appended to the caller's error buffer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define STORE_BLOBFILE_SHA_LEN 32

struct store_blobfiles {
	int dir_fd;                 /* the blob directory */
	int tmp_fd;                 /* its tmp/ for partial files and spills */
	char *dir;                  /* its path, for store_blob_path */
	uint8_t dirty[256 / 8];     /* fan-out dirs with unsynced entries */
};

/* One body to store: data+size, or bytes [0, size) of fd. */
struct store_blobfile_src {
	const void *data;
	int fd;                     /* -1 when data is given */
	size_t size;
	uint8_t sha[STORE_BLOBFILE_SHA_LEN];
	bool wrote;                 /* this handle created the file */
};

/* Opens (creating as needed) dir, its 256 fan-out directories and tmp/. */
int store_blobfiles_open(struct store_blobfiles *f, const char *dir,
			 struct buf *error);
void store_blobfiles_close(struct store_blobfiles *f);

/* Computes src->sha unless have_sha, and makes sure the file exists with
 * src->size bytes, fsynced; its directory is left for store_blobfiles_sync.
 * Call it before taking locks: it is the slow part of storing mail. */
int store_blobfile_prepare(struct store_blobfiles *f,
			   struct store_blobfile_src *src, bool have_sha,
			   struct buf *error);
/* Under the caller's lock on the blob: rewrites the file if a collector
 * removed it since prepare, and marks its directory for syncing. */
int store_blobfile_ensure(struct store_blobfiles *f,
			  struct store_blobfile_src *src, struct buf *error);
/* Fsyncs the fan-out directories with new entries (before the commit that
 * references them). */
int store_blobfiles_sync(struct store_blobfiles *f, struct buf *error);
/* Removes the file of sha (no error when it is already gone). */
void store_blobfile_unlink(struct store_blobfiles *f,
			   const uint8_t sha[STORE_BLOBFILE_SHA_LEN]);
/* Opens the file of sha read-only: fd, or -1 with errno. */
int store_blobfile_open(struct store_blobfiles *f,
			const uint8_t sha[STORE_BLOBFILE_SHA_LEN]);
/* Appends the absolute path of sha's file to path. */
void store_blobfile_path(const struct store_blobfiles *f,
			 const uint8_t sha[STORE_BLOBFILE_SHA_LEN],
			 struct buf *path);
/* An unlinked temporary file in tmp/ (same filesystem as the blobs) for a
 * parser to spill a literal into: fd, or -1 with the reason. */
int store_blobfile_spill(struct store_blobfiles *f, struct buf *error);
/* Whether name ("ab/cdef...", 65 characters) is a blob file name; fills
 * sha. For store_check's orphan scan. */
bool store_blobfile_name_parse(const char *dir2, const char *name,
			       uint8_t sha[STORE_BLOBFILE_SHA_LEN]);

#endif
