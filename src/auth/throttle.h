#ifndef QUIRE_AUTH_THROTTLE_H
#define QUIRE_AUTH_THROTTLE_H
/*
 * Failed-login throttle per source address (DESIGN.md "Limits": failed
 * logins with a growing delay). Each failure from an address doubles the
 * delay before the server answers, up to a cap; after lockout_failures
 * failures the address is refused for lockout_seconds.
 *
 * Window: an address's failures are forgotten once lockout_seconds have
 * passed since its last failure, so a locked address becomes usable again
 * exactly when its lockout ends, and an occasional typo never adds up.
 *
 * Memory is bounded: at most AUTH_THROTTLE_MAX_ENTRIES addresses are
 * tracked; recording a new one when full evicts the least recently failed
 * address, so an attacker with many addresses cannot grow memory (he can
 * only make the table forget, which costs him as many addresses).
 *
 * Thread-safe: one mutex, held only for a hash lookup. Time is passed in
 * (seconds, normally time(NULL)) so tests are deterministic.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define AUTH_THROTTLE_MAX_ENTRIES 4096
/* Address strings are compared on at most this many bytes: longer than any
   textual IPv6 address with zone id. */
#define AUTH_THROTTLE_KEY_MAX 63

struct auth_throttle;

/* Creates a throttle. The n-th consecutive failure from an address returns
   a delay of base_delay_ms * 2^(n-1), never more than max_delay_ms.
   lockout_failures == 0 disables lockout (delays still apply); otherwise
   after that many failures the address is locked for lockout_seconds after
   its last failure. lockout_seconds is also the window (see above); 0 is
   taken as 1. The whole table (a few hundred KiB) is allocated here.
   Never returns NULL (aborts on out of memory). */
struct auth_throttle *auth_throttle_new(unsigned int base_delay_ms,
					unsigned int max_delay_ms,
					unsigned int lockout_failures,
					unsigned int lockout_seconds);

/* Frees *t and sets *t to NULL; NULL-safe. No other thread may be using
   it. */
void auth_throttle_free(struct auth_throttle **t);

/* Records a failed login from ip (string form of the address) at now and
   returns the delay in milliseconds to wait before answering. */
unsigned int auth_throttle_failure(struct auth_throttle *t, const char *ip,
				   time_t now);

/* Returns true while ip is locked out at now (refuse the login without
   checking the password). */
bool auth_throttle_locked(struct auth_throttle *t, const char *ip, time_t now);

/* Forgets ip's failures after a successful login. */
void auth_throttle_success(struct auth_throttle *t, const char *ip);

/* Number of addresses tracked (for tests and statistics). */
size_t auth_throttle_count(struct auth_throttle *t);

#endif
