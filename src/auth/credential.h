/* credential.h -- the secrets of identity and access control (issue 7), as pure functions
 * over libsodium: password hashes (argon2id, libsodium's crypto_pwhash_str with its
 * interactive limits), opaque session and API tokens (32 random bytes, base64url, stored
 * only as an unkeyed BLAKE2b-256 digest so a stolen database holds no usable token), and
 * the parsers of what a client sends: the login body {"username", "password"} and the
 * `Authorization: Bearer` header. Nothing here touches the store or the network; the
 * sessions, users and policy that use it come with the rest of the issue.
 *
 * Memory: outputs in the caller's buffers or arena. Secrets passed in are not copied except
 * where stated; yl_auth_wipe() clears a buffer the compiler may not optimise away.
 * Threads: reentrant once yl_id_init() (sodium_init) has run.
 * Errors: parsers answer YL_BAD_REQUEST with a message that never quotes the secret. */
#ifndef YL_AUTH_CREDENTIAL_H
#define YL_AUTH_CREDENTIAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

#define YL_AUTH_HASH_LEN     128 /* crypto_pwhash_STRBYTES: "$argon2id$v=19$m=...", NUL-ended */
#define YL_AUTH_TOKEN_LEN    43  /* 32 bytes, base64url without padding */
#define YL_AUTH_DIGEST_LEN   64  /* BLAKE2b-256 of a token, lower-case hex */
#define YL_AUTH_PASSWORD_MIN 10  /* characters (bytes) a new password has at least */
#define YL_AUTH_PASSWORD_MAX 256 /* and at most: argon2 takes any length, a request does not */
#define YL_AUTH_USERNAME_MAX 64

/* Hash a password for storage; 0, or -1 when out of memory (argon2id needs 64 MiB). */
int yl_auth_hash(const char *password, size_t len, char out[YL_AUTH_HASH_LEN]);
/* Whether password matches a stored hash (in constant time for the comparison). */
bool yl_auth_verify(const char *hash, const char *password, size_t len);
/* Whether a stored hash was made with weaker limits than today's (rehash at next login). */
bool yl_auth_needs_rehash(const char *hash);

/* Whether a new password is acceptable: YL_OK, or YL_BAD_REQUEST saying why (length,
 * a NUL byte). */
enum yl_code yl_auth_password_ok(struct yl_arena *a, const char *password, size_t len,
                                 struct yl_err *err);
/* A username: 1..64 of [a-z0-9._-], starting with a letter or digit. */
bool yl_auth_username_ok(const char *name, size_t len);

/* A new random token (base64url, NUL-ended) and its digest (what the store keeps). */
void yl_auth_token_new(char token[YL_AUTH_TOKEN_LEN + 1]);
void yl_auth_token_digest(const char *token, size_t len, char out[YL_AUTH_DIGEST_LEN + 1]);

/* The token of an Authorization header value "Bearer <token>" (scheme case-insensitive,
 * one space or more): YL_OK with *token and *len pointing into header, else
 * YL_UNAUTHORIZED (401) with a message. A token is YL_AUTH_TOKEN_LEN base64url
 * characters. */
enum yl_code yl_auth_bearer(struct yl_arena *a, const char *header, const char **token, size_t *len,
                            struct yl_err *err);

/* The login body: a JSON object with exactly the string members "username" and
 * "password" (within their limits, no NUL bytes); *username and *password are arena copies.
 * YL_BAD_REQUEST naming the member, never quoting the password. */
enum yl_code yl_auth_login_body(struct yl_arena *a, const char *body, size_t len,
                                const char **username, const char **password, struct yl_err *err);

/* Clear a secret. */
void yl_auth_wipe(void *p, size_t n);

#endif
