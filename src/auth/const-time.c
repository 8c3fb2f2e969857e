#include "auth/const-time.h"

#include <openssl/crypto.h>

bool auth_const_time_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return false;
	if (alen == 0)
		return true;
	/* OpenSSL's version is written so the compiler cannot turn it back
	   into an early-exit loop. */
	return CRYPTO_memcmp(a, b, alen) == 0;
}
