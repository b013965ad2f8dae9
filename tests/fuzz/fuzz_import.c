/* fuzz_import.c -- libFuzzer target for `yilian import` (fhir/import.c): the input, saved as
 * an .ndjson file (first byte even) or a .json Bundle (odd), is imported into a real store.
 * Whatever it holds, every resource read is counted exactly once (created, updated,
 * unchanged, deleted or refused), and importing it again creates nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fhir/extract.h"
#include "fhir/import.h"
#include "fhir/ucum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct yl_store *store;
static char db[] = "/tmp/yl-fuzz-import-XXXXXX";
static char input[sizeof db + 16];

static void cleanup(void)
{
	yl_store_close(store);
	char p[sizeof db + 8];
	static const char *const ext[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", db, ext[i]);
		unlink(p);
	}
}

static void setup(void)
{
	int fd = mkstemp(db);
	if (fd < 0)
		abort();
	close(fd);
	unlink(db);
	static struct yl_arena *a; /* the store's and the UCUM table's: kept for the run */
	a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	if (yl_ucum_load(YL_DATA_DIR "/terminology/ucum-units.json", a, &err) != YL_OK ||
	    yl_store_open(db, &store, a, &err) != YL_OK)
		abort();
	atexit(cleanup);
}

static int64_t sum(const struct yl_import_stats *s)
{
	return s->created + s->updated + s->unchanged + s->deleted + s->failed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!store)
		setup();
	snprintf(input, sizeof input, "%s.%s", db, size && data[0] & 1 ? "json" : "ndjson");
	FILE *f = fopen(input, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	for (int round = 0; round < 2; round++) {
		struct yl_import im = {.store = store};
		struct yl_err err;
		yl_err_init(&err);
		enum yl_code code = yl_import_file(&im, input, &err);
		if (code == YL_OK)
			code = yl_import_finish(&im, &err);
		if (code != YL_OK && !err.first)
			abort(); /* a failure without a message */
		if (code == YL_OK && sum(&im.st) != im.st.resources)
			abort(); /* a resource counted twice or not at all */
		if (code == YL_OK && round == 1 && im.st.created)
			abort(); /* the second import of the same file created something */
		yl_import_free(&im);
	}
	unlink(input);
	return 0;
}
