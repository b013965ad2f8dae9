/* chain.c -- see chain.h. */
#include "core/chain.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void yl_chain_hash(const char *prev, int64_t seq, const char *body, size_t len,
                   char out[YL_CHAIN_HEX_LEN + 1])
{
	crypto_generichash_state st;
	unsigned char h[32];
	char num[32];
	int n = snprintf(num, sizeof num, "\n%lld\n", (long long)seq);
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)prev, strlen(prev));
	crypto_generichash_update(&st, (const unsigned char *)num, (size_t)n);
	crypto_generichash_update(&st, (const unsigned char *)body, len);
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, YL_CHAIN_HEX_LEN + 1, h, sizeof h);
}
