#ifndef QUIRE_AUTH_SASL_H
#define QUIRE_AUTH_SASL_H
/*
 * Server side of a SASL exchange (RFC 4422), independent of the protocol
 * carrying it: IMAP AUTHENTICATE (RFC 3501 6.2.2, SASL-IR RFC 4959), later
 * LMTP/others. Raw bytes in and out: the protocol layer does the base64
 * coding and recognizes the client's "*" cancel (then it just frees the
 * exchange). Credentials come through sasl_credentials_ops, so this module
 * knows nothing of the store.
 *
 * Mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login),
 * SCRAM-SHA-256 (RFC 5802, RFC 7677).
 *
 * Driving it from IMAP:
 *
 *   s = sasl_server_new(mech, &ops, ctx);       NULL: "NO Unsupported mechanism"
 *   first step: with SASL-IR, have_input = true and the decoded initial
 *     response ("=" decodes to in_len 0); without it, have_input = false.
 *   loop:
 *     SASL_CONTINUE: send "+ " base64(challenge_out) (empty challenge: "+ "),
 *       read the client's line, decode it, call step again (have_input true).
 *     SASL_OK: authenticated as sasl_server_user(s). If challenge_out is
 *       not empty (SCRAM's "v=..." server-final message, "additional data
 *       with success"), IMAP cannot carry it in the tagged OK (RFC 3501 6.2.2
 *       has no such field), so send it as one more "+ " base64 continuation,
 *       require an empty client line, then send the tagged OK (RFC 4422
 *       section 4 point 3; this is what clients expect). A client answering
 *       "*" there gets a tagged NO and is not logged in.
 *     SASL_FAIL: tagged NO [AUTHENTICATIONFAILED]; error_r is for the log
 *       only (it may say "unknown user", which the client must not learn).
 *   sasl_server_free(&s);
 *
 * Unknown users cost the same as known ones: PLAIN/LOGIN verify against a
 * dummy yescrypt hash, SCRAM runs the whole exchange with fake credentials
 * and fails only at the end.
 */
#include <stdbool.h>
#include <stddef.h>

struct buf;
struct scram_credentials;

/* Longest single client message accepted by any mechanism. */
#define SASL_MAX_INPUT 8192

enum sasl_status {
	SASL_CONTINUE, /* send challenge_out, then step again with the reply */
	SASL_OK,       /* authenticated; see above for a non-empty challenge_out */
	SASL_FAIL,     /* authentication failed or the client broke the protocol */
};

/* How the exchange looks up an account. Both functions get the user name
   exactly as the client sent it (after SASLprep for SCRAM): mapping to a
   canonical form (case folding, domains) is the callback's job, and the
   authenticated identity returned by sasl_server_user() is the name the
   client sent, not the canonical one. A callback returns -1 for an unknown
   user and also for a lookup error (the login then fails). */
struct sasl_credentials_ops {
	/* On 0, *hash_r is a malloc()ed crypt(3) string (see password.h) that
	   the SASL code free()s. On -1, *hash_r is ignored. */
	int (*get_password_hash)(void *ctx, const char *user, char **hash_r);
	/* On 0, *r is filled. -1 also when the account has no SCRAM
	   credentials (e.g. created before they were stored); SCRAM then fails
	   while PLAIN still works. */
	int (*get_scram)(void *ctx, const char *user,
			 struct scram_credentials *r);
};

struct sasl_server;

/* Space-separated mechanism names for CAPABILITY "AUTH=" entries, static:
   "PLAIN LOGIN SCRAM-SHA-256". */
const char *sasl_mechanisms_list(void);

/* Starts an exchange for mech_name (case-insensitive). ops and ops_ctx must
   outlive the exchange. Returns NULL for an unknown mechanism. */
struct sasl_server *sasl_server_new(const char *mech_name,
				    const struct sasl_credentials_ops *ops,
				    void *ops_ctx);

/* Frees *s (wiping secrets) and sets *s to NULL; NULL-safe. */
void sasl_server_free(struct sasl_server **s);

/* Feeds the client's next message in[0..in_len) (raw, already base64-
   decoded) to the exchange. have_input is false only on the first step when
   the client sent no initial response. challenge_out is reset first, then
   holds the bytes to send (see the top of this file). Returns
   SASL_CONTINUE, SASL_OK or SASL_FAIL; on SASL_FAIL *error_r is set to a
   static reason for the log. After SASL_OK or SASL_FAIL the exchange is
   finished and further steps return SASL_FAIL. Inputs longer than
   SASL_MAX_INPUT fail. */
enum sasl_status sasl_server_step(struct sasl_server *s, const void *in,
				  size_t in_len, bool have_input,
				  struct buf *challenge_out,
				  const char **error_r);

/* The authenticated user name, owned by s, or NULL unless the exchange
   ended with SASL_OK. */
const char *sasl_server_user(const struct sasl_server *s);

/* The mechanism's canonical name ("PLAIN", ...), static. */
const char *sasl_server_mech_name(const struct sasl_server *s);

#endif
