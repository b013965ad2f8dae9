/* id.c -- time-ordered ids. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "core/id.h"
#include "core/time.h"

static _Atomic int64_t last_us;

int yl_id_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void yl_id_new(char out[YL_ID_LEN + 1])
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuv";
	int64_t now = yl_now_us(), prev = atomic_load(&last_us), next;
	do
		next = now > prev ? now : prev + 1;
	while (!atomic_compare_exchange_weak(&last_us, &prev, next));
	now = next;
	uint64_t t = (uint64_t)now;
	for (int i = 11; i >= 0; i--) {
		out[i] = alphabet[t & 31];
		t >>= 5;
	}
	unsigned char rnd[5];
	randombytes_buf(rnd, sizeof rnd);
	uint64_t r = 0;
	for (int i = 0; i < 5; i++)
		r = r << 8 | rnd[i];
	for (int i = 19; i >= 12; i--) {
		out[i] = alphabet[r & 31];
		r >>= 5;
	}
	out[YL_ID_LEN] = '\0';
}

int yl_id_valid(const char *s, size_t n)
{
	if (n < 1 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return 0;
	}
	return 1;
}
