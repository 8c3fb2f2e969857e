#ifndef QUIRE_AUTH_PASSWORD_H
#define QUIRE_AUTH_PASSWORD_H
/*
 * Password hashes stored as crypt(3) strings (libxcrypt).
 * New hashes use yescrypt ("$y$") with libxcrypt's default cost; verification
 * accepts every scheme the installed libxcrypt supports, so accounts imported
 * with SHA-512-crypt ("$6$"), SHA-256-crypt ("$5$") or bcrypt ("$2b$") keep
 * working. Only the reentrant crypt_rn/crypt_gensalt_rn are used: several
 * worker threads hash at once.
 * Nothing here logs: passwords and hashes never reach the log.
 */
#include <stdbool.h>

/* Hashes password (a NUL-terminated string, any bytes but NUL) with yescrypt
   and a fresh random salt. On success returns 0 and sets *hash_r to a
   malloc()ed crypt(3) string the caller free()s. Returns -1 (and leaves
   *hash_r NULL) if libxcrypt fails, e.g. no random bytes for the salt or a
   password longer than libxcrypt accepts. */
int password_hash(const char *password, char **hash_r);

/* Returns true if password matches hash, a crypt(3) string of any scheme
   libxcrypt supports. Returns false on mismatch, on a NULL, empty, malformed
   or unsupported hash (including disabled-account markers such as "*" or
   "!"). The final comparison is constant-time. */
bool password_verify(const char *password, const char *hash);

/* Whether hash is a complete crypt(3) string (not just a setting) of a
   '$'-prefixed scheme libxcrypt has enabled, made of printable characters
   without ':' or spaces: what `quire user add --hash` accepts from an
   administrator. */
bool password_hash_acceptable(const char *hash);

/* A valid yescrypt hash of a random password nobody knows, with the same
   cost as password_hash() produces. Verifying against it spends the same
   time as a real verification: used for unknown users so response time does
   not reveal which user names exist. Static storage; never matches. */
const char *password_dummy_hash(void);

#endif
