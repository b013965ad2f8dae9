/* fuzz_credentials.c -- libFuzzer target for the credential parsers of auth/credential.h:
 * the bytes as a login body and as an Authorization header value. Invariants: a refusal
 * carries a message that never quotes the password given; an accepted body gives a
 * username the username rules can judge and a password within its limits; an accepted
 * header gives a token of exactly the issued length that lies inside the header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/credential.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	const char *u, *p;
	if (yl_auth_login_body(a, (const char *)data, size, &u, &p, &err) == YL_OK) {
		size_t pl = strlen(p);
		if (!*u || strlen(u) > YL_AUTH_USERNAME_MAX || !pl || pl > YL_AUTH_PASSWORD_MAX)
			abort();
		(void)yl_auth_username_ok(u, strlen(u));
	} else {
		if (!err.first || !err.first->message[0])
			abort();
	}
	char *header = malloc(size + 1);
	if (header) {
		memcpy(header, data, size);
		header[size] = 0;
		const char *tok;
		size_t n;
		yl_err_init(&err);
		if (yl_auth_bearer(a, header, &tok, &n, &err) == YL_OK) {
			if (n != YL_AUTH_TOKEN_LEN || tok < header ||
			    tok + n > header + strlen(header))
				abort();
			char d[YL_AUTH_DIGEST_LEN + 1];
			yl_auth_token_digest(tok, n, d);
		} else if (err.code != YL_UNAUTHORIZED) {
			abort();
		}
		free(header);
	}
	yl_arena_destroy(a);
	return 0;
}
