/* store-write.c -- the store's write cost without HTTP: N creates of the create benchmark's
 * Patient (bench/create.lua, a distinct family name each) through yl_store_write(), K
 * creates per transaction, with or without their search-index rows. Prints µs per create.
 * It isolates what the index rows cost per commit (docs/benchmarks.md, "What the create
 * costs now").
 * usage: yl_bench_store DB N K INDEX(0|1) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/id.h"
#include "core/time.h"
#include "fhir/extract.h"
#include "store/store.h"

static const char patient[] =
    "{\"resourceType\":\"Patient\",\"identifier\":[{\"use\":\"official\",\"system\":\"urn:oid:"
    "1.2.156.112604.1.1\",\"value\":\"330106196804120000\"},{\"system\":\"https://"
    "yilian.example/health-record\",\"value\":\"HR-33010600042\"}],\"active\":true,\"name\":[{"
    "\"use\":\"official\",\"family\":\"Zhang\",\"given\":[\"Xiaoming\"]}],\"telecom\":[{"
    "\"system\":\"phone\",\"value\":\"13800138000\",\"use\":\"mobile\"}],\"gender\":\"male\","
    "\"birthDate\":\"1968-04-12\",\"address\":[{\"use\":\"home\",\"line\":[\"Building 12, "
    "Unit 3, Room 502\",\"Wenyi West Road 88\"],\"city\":\"Hangzhou\",\"district\":\"Xihu\","
    "\"state\":\"Zhejiang\",\"postalCode\":\"310012\",\"country\":\"CN\"}],\"maritalStatus\":{"
    "\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus\","
    "\"code\":\"M\"}]},\"communication\":[{\"language\":{\"coding\":[{\"system\":\"urn:ietf:"
    "bcp:47\",\"code\":\"zh-CN\"}]},\"preferred\":true}],\"managingOrganization\":{"
    "\"reference\":\"Organization/org-7\"}}";

struct body {
	const char *text;
	size_t len;
};

static const char *render(void *ctx, struct yl_arena *a, int64_t version, int64_t ts, size_t *len)
{
	(void)a;
	(void)version;
	(void)ts;
	const struct body *b = ctx;
	*len = b->len;
	return b->text;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: yl_bench_store DB N K INDEX(0|1)\n");
		return 2;
	}
	char *end1, *end2;
	long n = strtol(argv[2], &end1, 10), k = strtol(argv[3], &end2, 10);
	int index = strcmp(argv[4], "1") == 0;
	if (*end1 || *end2 || (strcmp(argv[4], "0") != 0 && !index))
		n = 0; /* refused below */
	struct yl_arena *a = yl_arena_create(1 << 16);
	struct yl_err err;
	yl_err_init(&err);
	json_t *doc = json_loads(patient, 0, NULL);
	struct yl_store *s = NULL;
	if (!a || !doc || n <= 0 || k <= 0 || yl_store_open(argv[1], &s, a, &err) != YL_OK) {
		fprintf(stderr, "yl_bench_store: cannot start (%s)\n",
		        err.first ? err.first->message : "bad arguments");
		return 1;
	}
	struct yl_store_conn *c = yl_store_conn(s, a, &err);
	int64_t t0 = yl_monotonic_us();
	for (long i = 0; i < n && c; i++) {
		if (k > 1 && i % k == 0 && yl_store_begin(c, a, &err) != YL_OK)
			break;
		struct yl_arena *ra = yl_arena_create(1 << 16);
		char family[32], id[YL_ID_LEN + 1];
		snprintf(family, sizeof family, "Fam%08lx", (unsigned long)(i * 2654435761UL));
		json_object_set_new(json_array_get(json_object_get(doc, "name"), 0), "family",
		                    json_string(family));
		char *text = json_dumps(doc, JSON_COMPACT);
		struct body b = {text, text ? strlen(text) : 0};
		struct yl_index_row *rows = NULL;
		size_t nrows = 0;
		yl_id_new(id);
		if (!ra || !text ||
		    (index && yl_fhir_extract(ra, "Patient", doc, &rows, &nrows, &err) != YL_OK))
			break;
		struct yl_write w = {.op = YL_WRITE_CREATE,
		                     .type = "Patient",
		                     .id = id,
		                     .render = render,
		                     .render_ctx = &b,
		                     .index = rows,
		                     .index_count = nrows};
		enum yl_code code = yl_store_write(c, ra, &w, &err);
		free(text);
		yl_arena_destroy(ra);
		if (code != YL_OK)
			break;
		if (k > 1 && (i % k == k - 1 || i == n - 1) && yl_store_commit(c, a, &err) != YL_OK)
			break;
	}
	if (err.code != YL_OK) {
		fprintf(stderr, "yl_bench_store: %s\n", err.first ? err.first->message : "failed");
		return 1;
	}
	printf("%ld creates, %ld per transaction, index rows %s: %.1f us per create\n", n, k,
	       index ? "on" : "off", (double)(yl_monotonic_us() - t0) / (double)n);
	json_decref(doc);
	yl_store_close(s);
	yl_arena_destroy(a);
	return 0;
}
