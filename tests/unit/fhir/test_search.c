/* test_search.c -- the search conformance cases, as data: tests/data/search/fixtures.json
 * is loaded through the extractor into a fresh store; every case of
 * tests/data/search/cases.json (type + query -> expected ids, or the parameter an error
 * names) runs through the parser, the SQL builder and the store. Every failing case is
 * printed; the test fails if any does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "fhir/extract.h"
#include "fhir/search.h"
#include "fhir/ucum.h"
#include "store/search.h"
#include "store/store.h"

#define DATA YL_DATA_DIR "/tests/data/search/"

static const char *render_text(void *ctx, struct yl_arena *a, int64_t version, int64_t ts,
                               size_t *len)
{
	(void)version;
	(void)ts;
	const char *s = yl_arena_strdup(a, ctx);
	*len = strlen(s);
	return s;
}

static void load_fixtures(struct yl_store *s, struct yl_arena *a)
{
	json_error_t je;
	json_t *all = json_load_file(DATA "fixtures.json", 0, &je);
	assert_non_null(all);
	struct yl_err e;
	yl_err_init(&e);
	struct yl_store_conn *c = yl_store_conn(s, a, &e);
	size_t i;
	json_t *r;
	json_array_foreach (all, i, r) {
		const char *type = json_string_value(json_object_get(r, "resourceType"));
		const char *id = json_string_value(json_object_get(r, "id"));
		struct yl_index_row *rows;
		size_t n;
		assert_int_equal(yl_fhir_extract(a, type, r, &rows, &n, &e), YL_OK);
		char *text = json_dumps(r, JSON_COMPACT);
		struct yl_write w = {.op = YL_WRITE_UPDATE,
		                     .type = yl_arena_strdup(a, type),
		                     .id = yl_arena_strdup(a, id),
		                     .render = render_text,
		                     .render_ctx = yl_arena_strdup(a, text),
		                     .index = rows,
		                     .index_count = n};
		free(text);
		assert_int_equal(yl_store_write(c, a, &w, &e), YL_OK);
	}
	json_decref(all);
}

struct ids {
	char list[64][32];
	int n;
};

static int collect(void *ctx, const struct yl_row *row)
{
	struct ids *ids = ctx;
	if (ids->n < 64)
		snprintf(ids->list[ids->n++], 32, "%s", row->id);
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(x, y);
}

/* Returns 1 when the case passes; prints why not. */
static int run_case(struct yl_store *s, json_t *k)
{
	const char *type = json_string_value(json_object_get(k, "type"));
	const char *query = json_string_value(json_object_get(k, "query"));
	const char *why = json_string_value(json_object_get(k, "why"));
	const char *want_error = json_string_value(json_object_get(k, "error"));
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err e;
	yl_err_init(&e);
	char *target = yl_arena_printf(a, "/x?%s", query);
	struct yl_url u;
	int ok = 0;
	const char *types[] = {type};
	struct yl_search_req sr;
	enum yl_code code = yl_url_parse(a, target, strlen(target), &u, &e);
	if (code == YL_OK)
	{
		struct yl_search_opts o = {json_is_true(json_object_get(k, "strict")), NULL, NULL};
		code = yl_fhir_search_parse(a, types, 1, u.params, u.nparams, &o, &sr, &e);
	}
	if (want_error) {
		for (const struct yl_issue *is = e.first; is; is = is->next)
			ok |= is->expression && strcmp(is->expression, want_error) == 0;
		if (!ok)
			printf("FAIL %s [%s %s]: expected an error naming '%s', got %s\n", why,
			       type, query, want_error, code == YL_OK ? "none" : e.first->message);
		goto out;
	}
	if (code != YL_OK) {
		printf("FAIL %s [%s %s]: %s\n", why, type, query, e.first->message);
		goto out;
	}
	struct ids got = {0};
	int64_t total;
	sr.plan.count = 100;
	struct yl_store_conn *c = yl_store_conn(s, a, &e);
	code = yl_store_search(c, a, &sr.plan, collect, &got, &total, &e);
	if (code != YL_OK) {
		printf("FAIL %s [%s %s]: store: %s\n", why, type, query, e.first->message);
		goto out;
	}
	qsort(got.list, (size_t)got.n, sizeof got.list[0], cmp_str);
	json_t *expect = json_object_get(k, "expect");
	struct ids want = {0};
	size_t i;
	json_t *v;
	json_array_foreach (expect, i, v)
		snprintf(want.list[want.n++], 32, "%s", json_string_value(v));
	qsort(want.list, (size_t)want.n, sizeof want.list[0], cmp_str);
	ok = got.n == want.n;
	for (int j = 0; ok && j < got.n; j++)
		ok = strcmp(got.list[j], want.list[j]) == 0;
	if (!ok) {
		printf("FAIL %s [%s %s]: got", why, type, query);
		for (int j = 0; j < got.n; j++)
			printf(" %s", got.list[j]);
		printf(", want");
		for (int j = 0; j < want.n; j++)
			printf(" %s", want.list[j]);
		printf("\n");
	}
out:
	yl_arena_destroy(a);
	return ok;
}

static void test_conformance_cases(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_ucum_load(YL_DATA_DIR "/terminology/ucum-units.json", a, &e), YL_OK);
	char path[64];
	snprintf(path, sizeof path, "/tmp/yl-search-test-%d.db", getpid());
	unlink(path);
	struct yl_store *s;
	assert_int_equal(yl_store_open(path, &s, a, &e), YL_OK);
	load_fixtures(s, a);
	json_error_t je;
	json_t *cases = json_load_file(DATA "cases.json", 0, &je);
	assert_non_null(cases);
	size_t i;
	json_t *k;
	int pass = 0, fail = 0;
	json_array_foreach (cases, i, k) {
		if (run_case(s, k))
			pass++;
		else
			fail++;
	}
	printf("search conformance: %d passed, %d failed\n", pass, fail);
	json_decref(cases);
	yl_store_close(s);
	yl_ucum_unload();
	yl_arena_destroy(a);
	char p2[80];
	unlink(path);
	snprintf(p2, sizeof p2, "%s-wal", path);
	unlink(p2);
	snprintf(p2, sizeof p2, "%s-shm", path);
	unlink(p2);
	assert_int_equal(fail, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conformance_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
