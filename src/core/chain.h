/* chain.h -- the hash chain over the audit trail: each event's hash covers the previous
 * event's hash, its own sequence number and its body, so changing, removing, inserting or
 * reordering any event changes every hash from there on. BLAKE2b-256 (libsodium), as
 * lower-case hex. The store computes it when it appends (store.h yl_store_audit_append)
 * and `yilian audit verify` recomputes it (auth/audit.h).
 *
 * Pure function over the caller's buffers; thread-safe once sodium_init has run. */
#ifndef YL_CHAIN_H
#define YL_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define YL_CHAIN_HEX_LEN 64
/* The hash before the first event. */
#define YL_CHAIN_ORIGIN "0000000000000000000000000000000000000000000000000000000000000000"

/* hex(BLAKE2b-256(prev || "\n" || decimal seq || "\n" || body)) into out (NUL-ended). */
void yl_chain_hash(const char *prev, int64_t seq, const char *body, size_t len,
                   char out[YL_CHAIN_HEX_LEN + 1]);

#endif
