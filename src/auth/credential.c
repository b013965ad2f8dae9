/* credential.c -- password hashes, tokens, and the parsers of credentials (credential.h). */
#include "auth/credential.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

int yl_auth_hash(const char *password, size_t len, char out[YL_AUTH_HASH_LEN])
{
	return crypto_pwhash_str_alg(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                             crypto_pwhash_MEMLIMIT_INTERACTIVE,
	                             crypto_pwhash_ALG_ARGON2ID13) == 0
	           ? 0
	           : -1;
}

bool yl_auth_verify(const char *hash, const char *password, size_t len)
{
	return hash && strncmp(hash, "$argon2id$", 10) == 0 &&
	       crypto_pwhash_str_verify(hash, password, len) == 0;
}

bool yl_auth_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

enum yl_code yl_auth_password_ok(struct yl_arena *a, const char *password, size_t len,
                                 struct yl_err *err)
{
	if (len < YL_AUTH_PASSWORD_MIN || len > YL_AUTH_PASSWORD_MAX)
		return yl_err_add(err, a, YL_BAD_REQUEST, "password",
		                  "a password has %d to %d characters", YL_AUTH_PASSWORD_MIN,
		                  YL_AUTH_PASSWORD_MAX);
	if (memchr(password, 0, len))
		return yl_err_add(err, a, YL_BAD_REQUEST, "password",
		                  "a password cannot hold a NUL character");
	return YL_OK;
}

bool yl_auth_username_ok(const char *name, size_t len)
{
	if (!len || len > YL_AUTH_USERNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

void yl_auth_token_new(char token[YL_AUTH_TOKEN_LEN + 1])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, YL_AUTH_TOKEN_LEN + 1, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

void yl_auth_token_digest(const char *token, size_t len, char out[YL_AUTH_DIGEST_LEN + 1])
{
	unsigned char d[32];
	crypto_generichash(d, sizeof d, (const unsigned char *)token, len, NULL, 0);
	sodium_bin2hex(out, YL_AUTH_DIGEST_LEN + 1, d, sizeof d);
}

static bool base64url(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

enum yl_code yl_auth_bearer(struct yl_arena *a, const char *header, const char **token, size_t *len,
                            struct yl_err *err)
{
	*token = NULL;
	*len = 0;
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return yl_err_add(
		    err, a, YL_UNAUTHORIZED, "Authorization",
		    "send 'Authorization: Bearer <token>' (a token from POST /auth/login)");
	const char *t = header + 7;
	while (*t == ' ')
		t++;
	size_t n = strlen(t);
	while (n && t[n - 1] == ' ')
		n--;
	if (n != YL_AUTH_TOKEN_LEN || !base64url(t, n))
		return yl_err_add(err, a, YL_UNAUTHORIZED, "Authorization",
		                  "the bearer token is not one this server issues");
	*token = t;
	*len = n;
	return YL_OK;
}

enum yl_code yl_auth_login_body(struct yl_arena *a, const char *body, size_t len,
                                const char **username, const char **password, struct yl_err *err)
{
	*username = *password = NULL;
	json_error_t je;
	json_t *doc = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "the login body is a JSON object {\"username\", \"password\"}");
	}
	const char *k;
	json_t *v;
	json_object_foreach (doc, k, v)
		if (strcmp(k, "username") && strcmp(k, "password"))
			yl_err_add(err, a, YL_BAD_REQUEST, NULL,
			           "the login body has only \"username\" and \"password\"");
	json_t *u = json_object_get(doc, "username"), *p = json_object_get(doc, "password");
	size_t ulen = json_string_length(u), plen = json_string_length(p);
	if (!json_is_string(u) || !ulen || ulen > YL_AUTH_USERNAME_MAX ||
	    memchr(json_string_value(u), 0, ulen))
		yl_err_add(err, a, YL_BAD_REQUEST, "username",
		           "\"username\" is a string of 1 to %d characters", YL_AUTH_USERNAME_MAX);
	if (!json_is_string(p) || !plen || plen > YL_AUTH_PASSWORD_MAX ||
	    memchr(json_string_value(p), 0, plen))
		yl_err_add(err, a, YL_BAD_REQUEST, "password",
		           "\"password\" is a string of 1 to %d characters", YL_AUTH_PASSWORD_MAX);
	if (err->code == YL_OK) {
		*username = yl_arena_strndup(a, json_string_value(u), ulen);
		*password = yl_arena_strndup(a, json_string_value(p), plen);
		if (!*username || !*password)
			yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	}
	if (json_is_string(p)) /* the document's copy of the password */
		yl_auth_wipe((char *)json_string_value(p), plen);
	json_decref(doc);
	return err->code;
}

void yl_auth_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}
