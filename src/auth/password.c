/*
 * crypt(3) password hashes through libxcrypt's reentrant API.
 */
#include "auth/password.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "auth/const-time.h"
#include "core/buf.h"

/* yescrypt at libxcrypt's default cost ("j9T"), password unknown to anyone.
   Regenerate only if password_hash()'s cost changes. */
static const char dummy_hash[] =
	"$y$j9T$jxxpUEZZ6qb9JaA9vBtFV."
	"$jx6fuYjRRQq9qWg9gtdqkVvbeONYk29bzG76JKoeXo1";

const char *password_dummy_hash(void)
{
	return dummy_hash;
}

/* struct crypt_data is about 32 KiB: too big for a worker thread's stack
   frame, so it lives on the heap and is wiped after use. */
static struct crypt_data *crypt_data_new(void)
{
	return xcalloc(1, sizeof(struct crypt_data));
}

static void crypt_data_free(struct crypt_data *data)
{
	explicit_bzero(data, sizeof(*data));
	free(data);
}

int password_hash(const char *password, char **hash_r)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	*hash_r = NULL;
	/* count 0 = libxcrypt's default cost; NULL rbytes = it reads the
	   kernel's random source itself. */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) == NULL)
		return -1;

	struct crypt_data *data = crypt_data_new();
	const char *hash = crypt_rn(password, setting, data, sizeof(*data));
	/* crypt_rn returns NULL on failure, never a "*0" token; still refuse
	   anything that is not a yescrypt string. */
	if (hash != NULL && strncmp(hash, "$y$", 3) == 0)
		*hash_r = xstrdup(hash);
	crypt_data_free(data);
	return *hash_r != NULL ? 0 : -1;
}

bool password_verify(const char *password, const char *hash)
{
	if (password == NULL || hash == NULL || hash[0] == '\0')
		return false;
	/* Disabled-account markers ("*", "!", "!$6$...") must never match, even
	   if some scheme would accept them as a setting. Real hashes start with
	   '$' or are legacy DES ("ab" + 11 chars), which libxcrypt may accept. */
	if (hash[0] == '*' || hash[0] == '!')
		return false;

	struct crypt_data *data = crypt_data_new();
	const char *computed = crypt_rn(password, hash, data, sizeof(*data));
	size_t hash_len = strlen(hash);
	bool ok = computed != NULL &&
		auth_const_time_eq(computed, strlen(computed), hash, hash_len);
	crypt_data_free(data);
	return ok;
}

bool password_hash_acceptable(const char *hash)
{
	size_t len = hash != NULL ? strlen(hash) : 0;
	if (len == 0 || len >= CRYPT_OUTPUT_SIZE || hash[0] != '$')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)hash[i];
		if (c <= ' ' || c >= 0x7f || c == ':')
			return false;
	}
	/* "Legacy" covers SHA-256-crypt and MD5-crypt, which imported
	   accounts may carry and password_verify accepts; DES, the other
	   legacy scheme, has no '$'. */
	int check = crypt_checksalt(hash);
	if (check != CRYPT_SALT_OK && check != CRYPT_SALT_METHOD_LEGACY)
		return false;
	/* A complete hash reproduces itself in length and setting when used
	   as the setting; a bare setting ("$6$salt$") gets a hash appended. */
	struct crypt_data *data = crypt_data_new();
	const char *computed = crypt_rn("", hash, data, sizeof(*data));
	const char *last = strrchr(hash, '$');
	size_t setting_len = (size_t)(last - hash) + 1;
	bool ok = computed != NULL && computed[0] == '$' &&
		  strlen(computed) == len &&
		  strncmp(computed, hash, setting_len) == 0 &&
		  last[1] != '\0';
	crypt_data_free(data);
	return ok;
}
