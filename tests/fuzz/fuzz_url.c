/* fuzz_url.c -- libFuzzer target for the request-target parser and the router.
 * Properties checked beyond "no crash": every decoded parameter survives
 * yl_url_encode + re-parse unchanged, and route matching never reads past the segments.
 * The same bytes as an X-Forwarded-For value: a client taken from it is a numeric address
 * the value ends with. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "fhir/rest.h"
#include "http/router.h"
#include "http/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	struct yl_req r;
	memset(&r, 0, sizeof r);
	r.a = a;
	r.method = size && data[0] & 1 ? "GET" : "PUT";
	if (yl_url_parse(a, (const char *)data, size, &r.url, &err) == YL_OK) {
		bool known;
		yl_route_match(yl_fhir_routes, yl_fhir_route_count, &r, &known);
		for (size_t i = 0; i < r.url.nparams; i++) {
			struct yl_buf b;
			yl_buf_init(&b, a, 64, 1 << 20);
			yl_buf_adds(&b, "/x?v=");
			yl_url_encode(&b, r.url.params[i].value);
			struct yl_url again;
			struct yl_err e2;
			yl_err_init(&e2);
			if (yl_url_parse(a, b.p, b.len, &again, &e2) == YL_OK &&
			    strcmp(yl_url_param(&again, "v"), r.url.params[i].value) != 0)
				abort();
		}
	}
	/* the bytes as an X-Forwarded-For value: a client taken from it is a numeric address
	 * that the value ends with */
	char *xff = malloc(size + 1);
	if (xff) {
		memcpy(xff, data, size);
		xff[size] = '\0';
		char out[48];
		unsigned char bin[16];
		if (yl_forwarded_client(xff, out, sizeof out)) {
			size_t n = strlen(out), len = strlen(xff);
			const char *end = xff + len;
			while (end > xff && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			if (n >= sizeof out || (size_t)(end - xff) < n ||
			    memcmp(end - n, out, n) != 0 ||
			    (inet_pton(AF_INET, out, bin) != 1 &&
			     inet_pton(AF_INET6, out, bin) != 1))
				abort();
		}
		free(xff);
	}
	yl_arena_destroy(a);
	return 0;
}
