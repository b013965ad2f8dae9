/* fuzz_bundle.c -- libFuzzer target for transaction and batch Bundles (fhir/bundle.c): any
 * body POSTed to /fhir against a real store must be answered with a well-formed
 * transaction-/batch-response Bundle or an error with an OperationOutcome, and a refused
 * Bundle (a failed transaction among them) must leave the store as it was: the change log
 * has not grown. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fhir/rest.h"
#include "fhir/ucum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct yl_app app;

static int64_t changes(struct yl_arena *a)
{
	struct yl_err err;
	yl_err_init(&err);
	int64_t n = 0;
	yl_store_history_count(yl_store_conn(app.store, a, &err), a, NULL, NULL, 0, &n, &err);
	return n;
}

static char path[] = "/tmp/yl-fuzz-bundle-XXXXXX";

static void cleanup(void)
{
	yl_store_close(app.store);
	char p[sizeof path + 8];
	static const char *const ext[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", path, ext[i]);
		unlink(p);
	}
}

static void setup(void)
{
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	unlink(path);
	static struct yl_arena *a; /* the store's and the UCUM table's: kept for the run */
	a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	if (yl_ucum_load(YL_DATA_DIR "/terminology/ucum-units.json", a, &err) != YL_OK ||
	    yl_store_open(path, &app.store, a, &err) != YL_OK)
		abort();
	atexit(cleanup);
	app.routes = yl_fhir_routes;
	app.nroutes = yl_fhir_route_count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!app.store)
		setup();
	struct yl_arena *a = yl_arena_create(0);
	static const struct yl_header headers[] = {{"Content-Type", "application/fhir+json"},
	                                           {"Host", "fuzz"}};
	struct yl_req r = {.a = a,
	                   .app = &app,
	                   .method = "POST",
	                   .raw_url = "/fhir",
	                   .body = (const char *)data,
	                   .body_len = size,
	                   .in_headers = headers,
	                   .nin_headers = 2};
	struct yl_err err;
	yl_err_init(&err);
	int64_t before = changes(a);
	if (yl_url_parse(a, r.raw_url, strlen(r.raw_url), &r.url, &err) != YL_OK)
		abort();
	enum yl_code code = yl_fhir_dispatch(&r, &err);
	if (code == YL_OK) {
		json_t *resp = json_loadb(r.resp_body, r.resp_len, 0, NULL);
		const char *type = json_string_value(json_object_get(resp, "type"));
		if (r.status != 200 || !type || !strstr(type, "-response"))
			abort(); /* the response Bundle is not well-formed */
		json_decref(resp);
	} else {
		if (!err.first || err.code != code)
			abort(); /* an error without a message for the user */
		if (changes(a) != before)
			abort(); /* a refused Bundle left writes behind */
	}
	yl_arena_destroy(a);
	return 0;
}
