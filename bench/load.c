/* load.c -- fill a store with N synthetic Patients (ids p0000000..) through the store API,
 * in bulk transactions, for the read benchmark. Deterministic content (no randomness), so
 * the response hash printed by the read benchmark is repeatable.
 * usage: yl_bench_load DB N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "store/store.h"

#define BATCH 5000

static const char *const given[] = {"Wei", "Fang", "Jing", "Lei", "Min", "Yan", "Hui", "Jun"};
static const char *const family[] = {"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao"};

struct ctx {
	long n;
	const char *id;
};

static const char *render(void *vctx, struct yl_arena *a, int64_t version, int64_t ts, size_t *len)
{
	struct ctx *c = vctx;
	char when[YL_INSTANT_LEN];
	yl_format_instant(ts, when);
	struct yl_buf b;
	yl_buf_init(&b, a, 1400, 1 << 20);
	yl_buf_printf(
	    &b,
	    "{\"resourceType\":\"Patient\",\"id\":\"%s\",\"meta\":{\"versionId\":\"%lld\","
	    "\"lastUpdated\":\"%s\"},\"text\":{\"status\":\"generated\",\"div\":\"<div "
	    "xmlns=\\\"http://www.w3.org/1999/xhtml\\\">Synthetic resident %ld</div>\"},"
	    "\"identifier\":[{\"use\":\"official\",\"system\":\"urn:oid:1.2.156.112604.1.1\","
	    "\"value\":\"BENCH%010ld\"},{\"system\":\"https://yilian.example/health-record\","
	    "\"value\":\"HR-%08ld\"}],\"active\":true,\"name\":[{\"use\":\"official\","
	    "\"family\":\"%s\",\"given\":[\"%s\"]}],\"telecom\":[{\"system\":\"phone\","
	    "\"value\":\"1380000%04ld\",\"use\":\"mobile\"}],\"gender\":\"%s\","
	    "\"birthDate\":\"%04ld-%02ld-%02ld\",\"address\":[{\"use\":\"home\","
	    "\"line\":[\"Building %ld, Unit %ld\"],\"city\":\"Hangzhou\","
	    "\"district\":\"Xihu\",\"state\":\"Zhejiang\",\"postalCode\":\"310000\","
	    "\"country\":\"CN\"}],\"maritalStatus\":{\"coding\":[{\"system\":"
	    "\"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus\",\"code\":\"M\"}]},"
	    "\"communication\":[{\"language\":{\"coding\":[{\"system\":\"urn:ietf:bcp:47\","
	    "\"code\":\"zh-CN\"}]},\"preferred\":true}],\"managingOrganization\":{"
	    "\"reference\":\"Organization/org-%ld\"}}",
	    c->id, (long long)version, when, c->n, c->n, c->n, family[c->n % 7], given[c->n % 8],
	    c->n % 10000, c->n % 2 ? "male" : "female", 1930 + c->n % 90, 1 + c->n % 12,
	    1 + c->n % 28, c->n % 300, c->n % 6, c->n % 40);
	*len = b.len;
	return b.err ? NULL : b.p;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: yl_bench_load DB N\n");
		return 2;
	}
	long total = strtol(argv[2], NULL, 10);
	struct yl_arena *a = yl_arena_create(1 << 16);
	struct yl_err err;
	yl_err_init(&err);
	struct yl_store *s;
	if (yl_store_open(argv[1], &s, a, &err) != YL_OK) {
		fprintf(stderr, "open: %s\n", err.first ? err.first->message : "?");
		return 1;
	}
	struct yl_store_conn *c = yl_store_conn(s, a, &err);
	int64_t t0 = yl_monotonic_us();
	for (long i = 0; i < total;) {
		struct yl_arena *ba = yl_arena_create(1 << 20);
		if (!c || yl_store_begin(c, ba, &err) != YL_OK)
			return 1;
		for (long k = 0; k < BATCH && i < total; k++, i++) {
			char id[24];
			snprintf(id, sizeof id, "p%07ld", i);
			struct ctx cx = {i, id};
			struct yl_write w = {.op = YL_WRITE_UPDATE,
			                     .type = "Patient",
			                     .id = id,
			                     .patient = id,
			                     .render = render,
			                     .render_ctx = &cx};
			if (yl_store_write(c, ba, &w, &err) != YL_OK) {
				fprintf(stderr, "write: %s\n",
				        err.first ? err.first->message : "?");
				return 1;
			}
		}
		if (yl_store_commit(c, ba, &err) != YL_OK)
			return 1;
		yl_arena_destroy(ba);
		if (i % 100000 == 0)
			fprintf(stderr, "loaded %ld\n", i);
	}
	double secs = (double)(yl_monotonic_us() - t0) / 1e6;
	printf("loaded %ld Patients in %.1f s (%.0f/s)\n", total, secs, (double)total / secs);
	yl_store_close(s);
	yl_arena_destroy(a);
	return 0;
}
