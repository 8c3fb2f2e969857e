#ifndef QUIRE_AUTH_SCRAM_H
#define QUIRE_AUTH_SCRAM_H
/*
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), server side only.
 *
 * Accounts store derived keys, never the password: at account creation
 * scram_credentials_derive() turns the password into salt, iteration count,
 * StoredKey and ServerKey (RFC 5802 section 3). scram_credentials_format()
 * and scram_credentials_parse() turn those into one text column for the
 * store.
 *
 * One exchange (normally driven by sasl.c, not called directly):
 *
 *   s = scram_server_new();
 *   scram_server_client_first(s, msg, len, &error)   -> user name to look up
 *   scram_server_server_first(s, &creds, known, out) -> send out to client
 *   scram_server_client_final(s, msg, len, out, &error)
 *       0: authenticated; out holds server-final "v=..." for the client
 *      -1: failed
 *   scram_server_free(&s);
 *
 * We do not offer SCRAM-SHA-256-PLUS, so channel binding ("p=") is refused;
 * clients that support it but think we do not send "y,," which is accepted.
 */
#include <stdbool.h>
#include <stddef.h>

struct buf;

#define SCRAM_KEY_LEN 32               /* SHA-256 output */
#define SCRAM_SALT_LEN 16              /* salt size we generate */
#define SCRAM_SALT_MAX 64              /* largest salt we accept from a store */
#define SCRAM_DEFAULT_ITERATIONS 10000 /* RFC 7677 section 4: at least 4096 */
#define SCRAM_MIN_ITERATIONS 4096
/* Upper bound so a corrupt or hostile stored record cannot make one login
   burn minutes of CPU. */
#define SCRAM_MAX_ITERATIONS 10000000

struct scram_credentials {
	unsigned char salt[SCRAM_SALT_MAX];
	size_t salt_len;                 /* 1..SCRAM_SALT_MAX */
	unsigned int iterations;
	unsigned char stored_key[SCRAM_KEY_LEN];
	unsigned char server_key[SCRAM_KEY_LEN];
};

/* Derives credentials for password with a fresh random SCRAM_SALT_LEN-byte
   salt and the given iteration count (0 means SCRAM_DEFAULT_ITERATIONS;
   otherwise it must be within SCRAM_MIN_ITERATIONS..SCRAM_MAX_ITERATIONS).
   The password is SASLprep'ed first (see saslprep.h). Returns 0 and fills
   *out, or -1 if the password fails SASLprep (e.g. a control character),
   the count is out of range, or no random bytes are available; *out is then
   zeroed. Such an account can still log in with PLAIN/LOGIN. */
int scram_credentials_derive(const char *password, unsigned int iterations,
			     struct scram_credentials *out);

/* As scram_credentials_derive() but with a caller-chosen salt (1..
   SCRAM_SALT_MAX bytes) and any iteration count >= 1: deterministic, for
   test vectors and for importing. Returns 0, or -1 on bad arguments or a
   password that fails SASLprep. */
int scram_credentials_derive_salt(const char *password, const void *salt,
				  size_t salt_len, unsigned int iterations,
				  struct scram_credentials *out);

/* Appends the storable text form
     SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
   (the layout PostgreSQL and Dovecot use) to out. */
void scram_credentials_format(const struct scram_credentials *creds,
			      struct buf *out);

/* Parses the text form produced by scram_credentials_format(). Returns 0
   and fills *out, or -1 if the string is malformed or its iteration count
   is outside 1..SCRAM_MAX_ITERATIONS. */
int scram_credentials_parse(const char *text, struct scram_credentials *out);

/* ---- server side of one exchange ---- */

struct scram_server;

/* Allocates a new exchange (aborts on out of memory, never NULL). */
struct scram_server *scram_server_new(void);

/* Frees *s (wiping the secrets it holds) and sets *s to NULL. NULL or *s
   NULL is a no-op. */
void scram_server_free(struct scram_server **s);

/* For tests only: use nonce_suffix (printable ASCII without ',') as the
   server's part of the nonce instead of random bytes. Must be called before
   scram_server_server_first(). The string is copied. */
void scram_server_set_nonce_suffix(struct scram_server *s,
				   const char *nonce_suffix);

/* Parses client-first-message msg[0..len) (RFC 5802 section 7):
   gs2-header "n,," or "y,," with an optional "a=" authzid, then
   [m=...] n=username,r=nonce[,extensions]. Refuses "p=" (no channel binding
   offered), a mandatory extension "m=", a malformed or empty username or
   nonce, bad "=2C"/"=3D" escapes, a username failing SASLprep, and an
   authzid different from the username (no proxy authorization).
   Returns 0 (the user name is then available from scram_server_username()),
   or -1 with *error_r set to a static reason for the log (not for the
   client). Must be the first call on s. */
int scram_server_client_first(struct scram_server *s, const void *msg,
			      size_t len, const char **error_r);

/* The unescaped, SASLprep'ed user name from client-first-message, owned by
   s. Only valid after scram_server_client_first() returned 0. */
const char *scram_server_username(const struct scram_server *s);

/* Builds server-first-message "r=<client nonce><server nonce>,s=<salt>,
   i=<iterations>" from creds and appends it to out. If user_known is false
   the exchange is doomed: it runs to the end with these (fake) credentials
   so a client cannot tell unknown users from wrong passwords, and
   scram_server_client_final() always fails. Returns 0, or -1 if no random
   bytes are available for the nonce. Call after a successful
   scram_server_client_first(). creds is copied. */
int scram_server_server_first(struct scram_server *s,
			      const struct scram_credentials *creds,
			      bool user_known, struct buf *out);

/* Fills *out with fake credentials for user: salt deterministic per user
   name for the life of the process (a client asking twice sees the same
   salt, as for a real account), SCRAM_DEFAULT_ITERATIONS, and keys derived
   from a per-process random secret that match no password anyone knows. */
void scram_fake_credentials(const char *user, struct scram_credentials *out);

/* Checks client-final-message msg[0..len): "c=" must be the base64 of the
   gs2-header the client sent ("biws" for "n,,"), "r=" the full nonce, then
   optional extensions, then "p=" the proof, verified in constant time.
   Returns 0 when the client is authenticated and appends
   server-final-message "v=<ServerSignature>" to out; returns -1 with
   *error_r set to a static reason for the log otherwise (and appends
   nothing). Call after scram_server_server_first(); once only. */
int scram_server_client_final(struct scram_server *s, const void *msg,
			      size_t len, struct buf *out,
			      const char **error_r);

#endif
