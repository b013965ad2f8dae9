/* test_credential.c -- the secrets of access control (auth/credential.h): a password hash
 * verifies its password and nothing else, is argon2id and salted (two hashes of one
 * password differ), tokens are random and stored only as digests, and the parsers of the
 * login body and the bearer header refuse what they must without quoting a secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth/credential.h"
#include "core/id.h"

static struct yl_arena *arena;

static int setup(void **state)
{
	(void)state;
	arena = yl_arena_create(0);
	return yl_id_init();
}

static int teardown(void **state)
{
	(void)state;
	yl_arena_destroy(arena);
	return 0;
}

static void test_password_hash(void **state)
{
	(void)state;
	const char *pw = "correct horse battery";
	char h1[YL_AUTH_HASH_LEN], h2[YL_AUTH_HASH_LEN];
	assert_int_equal(yl_auth_hash(pw, strlen(pw), h1), 0);
	assert_int_equal(yl_auth_hash(pw, strlen(pw), h2), 0);
	assert_true(strncmp(h1, "$argon2id$", 10) == 0);
	assert_string_not_equal(h1, h2); /* salted */
	assert_null(strstr(h1, pw));
	assert_true(yl_auth_verify(h1, pw, strlen(pw)));
	assert_true(yl_auth_verify(h2, pw, strlen(pw)));
	assert_false(yl_auth_verify(h1, "correct horse batterY", strlen(pw)));
	assert_false(yl_auth_verify(h1, pw, strlen(pw) - 1));
	assert_false(yl_auth_verify("$2y$10$notargon", pw, strlen(pw)));
	assert_false(yl_auth_verify(NULL, pw, strlen(pw)));
	assert_false(yl_auth_needs_rehash(h1));
}

static void test_password_and_username_rules(void **state)
{
	(void)state;
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_auth_password_ok(arena, "short", 5, &err), YL_BAD_REQUEST);
	yl_err_init(&err);
	assert_int_equal(yl_auth_password_ok(arena, "long enough\0x", 13, &err), YL_BAD_REQUEST);
	yl_err_init(&err);
	assert_int_equal(yl_auth_password_ok(arena, "long enough", 11, &err), YL_OK);
	assert_true(yl_auth_username_ok("li.ming-2", 9));
	assert_false(yl_auth_username_ok("Li", 2)); /* lower case only: one spelling per user */
	assert_false(yl_auth_username_ok(".li", 3));
	assert_false(yl_auth_username_ok("li ming", 7));
	assert_false(yl_auth_username_ok("", 0));
}

static void test_tokens(void **state)
{
	(void)state;
	char t1[YL_AUTH_TOKEN_LEN + 1], t2[YL_AUTH_TOKEN_LEN + 1];
	yl_auth_token_new(t1);
	yl_auth_token_new(t2);
	assert_int_equal(strlen(t1), YL_AUTH_TOKEN_LEN);
	assert_string_not_equal(t1, t2);
	char d1[YL_AUTH_DIGEST_LEN + 1], d1b[YL_AUTH_DIGEST_LEN + 1], d2[YL_AUTH_DIGEST_LEN + 1];
	yl_auth_token_digest(t1, strlen(t1), d1);
	yl_auth_token_digest(t1, strlen(t1), d1b);
	yl_auth_token_digest(t2, strlen(t2), d2);
	assert_int_equal(strlen(d1), YL_AUTH_DIGEST_LEN);
	assert_string_equal(d1, d1b);
	assert_string_not_equal(d1, d2);
	assert_null(strstr(d1, t1));

	/* the header */
	struct yl_err err;
	yl_err_init(&err);
	const char *tok;
	size_t n;
	char header[80];
	snprintf(header, sizeof header, "bearer  %s ", t1);
	assert_int_equal(yl_auth_bearer(arena, header, &tok, &n, &err), YL_OK);
	assert_int_equal(n, YL_AUTH_TOKEN_LEN);
	assert_memory_equal(tok, t1, n);
	const char *bad[] = {
	    NULL,      "",           "Basic dXNlcjpwYXNz",
	    "Bearer",  "Bearer abc", "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "Bearer+x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		yl_err_init(&err);
		assert_int_equal(yl_auth_bearer(arena, bad[i], &tok, &n, &err), YL_UNAUTHORIZED);
		assert_null(tok);
	}
}

static void test_login_body(void **state)
{
	(void)state;
	struct yl_err err;
	yl_err_init(&err);
	const char *u, *p;
	const char ok[] = "{\"username\":\"li.ming\",\"password\":\"s3cret-passw0rd\"}";
	assert_int_equal(yl_auth_login_body(arena, ok, strlen(ok), &u, &p, &err), YL_OK);
	assert_string_equal(u, "li.ming");
	assert_string_equal(p, "s3cret-passw0rd");
	const char *bad[] = {
	    "",
	    "[]",
	    "{\"username\":\"li\"}",
	    "{\"username\":\"li\",\"password\":7}",
	    "{\"username\":\"li\",\"password\":\"s3cret-passw0rd\",\"otp\":\"1\"}",
	    "{\"username\":\"li\",\"password\":\"a\\u0000b\"}",
	    "{\"username\":\"li\",\"username\":\"wang\",\"password\":\"s3cret-passw0rd\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		yl_err_init(&err);
		assert_int_equal(yl_auth_login_body(arena, bad[i], strlen(bad[i]), &u, &p, &err),
		                 YL_BAD_REQUEST);
		for (const struct yl_issue *is = err.first; is; is = is->next)
			assert_null(strstr(is->message, "s3cret"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_password_hash),
	    cmocka_unit_test(test_password_and_username_rules),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_login_body),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
