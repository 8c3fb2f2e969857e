#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth/const-time.h"
#include "auth/password.h"

static void test_hash_verify_round_trip(void **state)
{
	(void)state;
	char *hash = NULL, *hash2 = NULL;
	assert_int_equal(password_hash("correct horse", &hash), 0);
	assert_non_null(hash);
	assert_memory_equal(hash, "$y$", 3);
	assert_true(password_verify("correct horse", hash));
	assert_false(password_verify("correct horsf", hash));
	assert_false(password_verify("", hash));
	assert_false(password_verify("correct horse ", hash));
	/* fresh salt every time */
	assert_int_equal(password_hash("correct horse", &hash2), 0);
	assert_string_not_equal(hash, hash2);
	assert_true(password_verify("correct horse", hash2));
	free(hash);
	free(hash2);
}

static void test_other_schemes(void **state)
{
	(void)state;
	/* generated with crypt(3) for the password "pw" */
	const char *sha512 = "$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D."
		"PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/";
	const char *sha256 = "$5$saltsalt$0rl.MZtoLLPP3X0Rdl8riRnphIcAXJY27/aOAyK2hB5";
	const char *bcrypt = "$2b$05$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q";
	assert_true(password_verify("pw", sha512));
	assert_false(password_verify("pW", sha512));
	assert_true(password_verify("pw", sha256));
	assert_false(password_verify("px", sha256));
	assert_true(password_verify("pw", bcrypt));
	assert_false(password_verify("pw2", bcrypt));
}

static void test_bad_hashes(void **state)
{
	(void)state;
	assert_false(password_verify("pw", NULL));
	assert_false(password_verify("pw", ""));
	assert_false(password_verify("pw", "*"));
	assert_false(password_verify("pw", "!"));
	assert_false(password_verify("pw", "!$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D."
				     "PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/"));
	assert_false(password_verify("pw", "$9$garbage"));
	assert_false(password_verify("pw", "$y$"));
	assert_false(password_verify(NULL, password_dummy_hash()));
}

static void test_dummy_hash(void **state)
{
	(void)state;
	const char *dummy = password_dummy_hash();
	assert_memory_equal(dummy, "$y$", 3);
	assert_false(password_verify("", dummy));
	assert_false(password_verify("password", dummy));
	/* it must be a real hash with the default cost, so verifying costs the
	   same: same setting prefix as a fresh hash */
	char *hash = NULL;
	assert_int_equal(password_hash("x", &hash), 0);
	assert_memory_equal(hash, dummy, 7); /* "$y$j9T$" */
	free(hash);
}

static void test_hash_acceptable(void **state)
{
	(void)state;
	const char *sha512 = "$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D."
		"PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/";
	char *hash = NULL;
	assert_int_equal(password_hash("x", &hash), 0);
	assert_true(password_hash_acceptable(hash));
	free(hash);
	assert_true(password_hash_acceptable(sha512));
	assert_true(password_hash_acceptable(password_dummy_hash()));
	/* settings without the hash part, garbage, unknown schemes */
	assert_false(password_hash_acceptable("$6$saltsalt$"));
	assert_false(password_hash_acceptable("$6$saltsalt"));
	assert_false(password_hash_acceptable("$y$j9T$jxxpUEZZ6qb9JaA9vBtFV."));
	assert_false(password_hash_acceptable(NULL));
	assert_false(password_hash_acceptable(""));
	assert_false(password_hash_acceptable("secret"));
	assert_false(password_hash_acceptable("$9$garbage$garbage"));
	assert_false(password_hash_acceptable("*"));
	/* legacy DES, characters a passwd-style file cannot hold */
	assert_false(password_hash_acceptable("abJnggxhB/yWI"));
	assert_false(password_hash_acceptable("$6$salt:salt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D."
					      "PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/"));
	assert_false(password_hash_acceptable("$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D."
					      "PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/\n"));
	/* one character short of the real hash */
	assert_false(password_hash_acceptable("$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D."
					      "PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk"));
}

static void test_const_time_eq(void **state)
{
	(void)state;
	assert_true(auth_const_time_eq("abc", 3, "abc", 3));
	assert_false(auth_const_time_eq("abc", 3, "abd", 3));
	assert_false(auth_const_time_eq("abc", 3, "abcd", 4));
	assert_true(auth_const_time_eq("", 0, "", 0));
	assert_false(auth_const_time_eq("\0b", 2, "\0c", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify_round_trip),
		cmocka_unit_test(test_other_schemes),
		cmocka_unit_test(test_bad_hashes),
		cmocka_unit_test(test_dummy_hash),
		cmocka_unit_test(test_hash_acceptable),
		cmocka_unit_test(test_const_time_eq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
