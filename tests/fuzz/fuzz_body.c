/* fuzz_body.c -- libFuzzer target for the stored-body codec (store/body.h).
 * Properties beyond "no crash": any input read as a stored blob is rejected or unpacks to
 * exactly the length its header states; any input packed unpacks back byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "store/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yl_arena *a = yl_arena_create(0);
	size_t len = 0;
	const char *json = yl_body_unpack(a, data, size, &len);
	if (json && json[len] != '\0')
		abort();
	size_t packed_len = 0;
	const void *packed = yl_body_pack(a, (const char *)data, size, &packed_len);
	if (!packed)
		abort();
	const char *back = yl_body_unpack(a, packed, packed_len, &len);
	if (!back || len != size || memcmp(back, data, size) != 0)
		abort();
	yl_arena_destroy(a);
	return 0;
}
