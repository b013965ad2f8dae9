/* fuzz_resident_id.c -- libFuzzer target for yl_resident_id_parse() (care/resident-id.c):
 * any bytes are refused or accepted without reading past them (ASan), and what is accepted
 * is 18 characters whose normalised form parses again to the same fields, while every
 * other check character is refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "care/resident-id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so that a read past them is caught */
	char *s = malloc(size ? size : 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	struct yl_resident_id id, again;
	memset(&id, 0, sizeof id); /* padding equal for the memcmp below */
	memset(&again, 0, sizeof again);
	enum yl_rid_problem p = yl_resident_id_parse(s, size, 20261203, &id);
	if (p == YL_RID_OK) {
		if (size != 18 || strlen(id.number) != 18 ||
		    yl_resident_id_parse(id.number, 18, 20261203, &again) != YL_RID_OK ||
		    memcmp(&id, &again, sizeof id) != 0)
			abort();
		const char *all = "0123456789X";
		for (const char *c = all; *c; c++) {
			char other[18];
			memcpy(other, id.number, 18);
			if (*c == other[17])
				continue;
			other[17] = *c;
			if (yl_resident_id_parse(other, 18, 20261203, &again) != YL_RID_CHECK)
				abort();
		}
	} else if (!yl_resident_id_problem(p)[0]) {
		abort();
	}
	free(s);
	return 0;
}
