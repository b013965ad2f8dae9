/* test_url.c -- request-target parsing and route matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "fhir/rest.h"
#include "http/router.h"
#include "http/url.h"

static enum yl_code parse(struct yl_arena *a, const char *s, struct yl_url *u)
{
	struct yl_err e;
	yl_err_init(&e);
	return yl_url_parse(a, s, strlen(s), u, &e);
}

static void test_path_and_query(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_url u;
	assert_int_equal(
	    parse(a, "/fhir/Patient/a%2Fb//x?name=a+b&name:exact=%E7%8E%8B&flag&=", &u),
	    YL_BAD_REQUEST); /* empty parameter name */
	assert_int_equal(parse(a, "/fhir/Patient/a%2Fb//x?name=a+b&name:exact=%E7%8E%8B&flag", &u),
	                 YL_OK);
	assert_int_equal(u.nsegs, 4);
	assert_string_equal(u.segs[2], "a/b");
	assert_string_equal(u.segs[3], "x");
	assert_int_equal(u.nparams, 3);
	assert_string_equal(u.params[0].value, "a b");
	assert_string_equal(u.params[1].name, "name:exact");
	assert_string_equal(u.params[1].value, "王");
	assert_string_equal(u.params[2].value, "");
	assert_string_equal(yl_url_param(&u, "name"), "a b");
	assert_null(yl_url_param(&u, "nope"));
	yl_arena_destroy(a);
}

static void test_bad_targets(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_url u;
	assert_int_equal(parse(a, "/fhir/%zz", &u), YL_BAD_REQUEST);
	assert_int_equal(parse(a, "/fhir/%4", &u), YL_BAD_REQUEST);
	assert_int_equal(parse(a, "/fhir/a%00b", &u), YL_BAD_REQUEST);
	assert_int_equal(parse(a, "/fhir?a=%", &u), YL_BAD_REQUEST);
	assert_int_equal(parse(a, "/", &u), YL_OK);
	assert_int_equal(u.nsegs, 0);
	yl_arena_destroy(a);
}

static void test_encode_round_trip(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_buf b;
	yl_buf_init(&b, a, 0, 1000);
	yl_buf_adds(&b, "/x?v=");
	yl_url_encode(&b, "2026-01-01T00:00:00+08:00 &=王");
	struct yl_url u;
	assert_int_equal(parse(a, b.p, &u), YL_OK);
	assert_string_equal(yl_url_param(&u, "v"), "2026-01-01T00:00:00+08:00 &=王");
	yl_arena_destroy(a);
}

static const char *match(struct yl_arena *a, const char *method, const char *target, bool *known,
                         struct yl_req *r)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
	r->method = method;
	assert_int_equal(parse(a, target, &r->url), YL_OK);
	const struct yl_route *rt = yl_route_match(yl_fhir_routes, yl_fhir_route_count, r, known);
	return rt ? rt->interaction : NULL;
}

static void test_routes(void **state)
{
	(void)state;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_req r;
	bool known;
	assert_string_equal(match(a, "GET", "/fhir/metadata", &known, &r), "capabilities");
	assert_string_equal(match(a, "GET", "/fhir/Patient/1", &known, &r), "read");
	assert_string_equal(r.vars[0], "Patient");
	assert_string_equal(r.vars[1], "1");
	assert_string_equal(match(a, "HEAD", "/fhir/Patient/1", &known, &r), "read");
	assert_string_equal(match(a, "GET", "/fhir/Patient/1/_history/2", &known, &r), "vread");
	assert_string_equal(r.vars[2], "2");
	assert_string_equal(match(a, "GET", "/fhir/Patient/_history", &known, &r), "history-type");
	assert_string_equal(match(a, "GET", "/fhir/_history", &known, &r), "history-system");
	assert_string_equal(match(a, "PATCH", "/fhir/Patient/1", &known, &r), "patch");
	assert_string_equal(match(a, "PUT", "/fhir/Patient", &known, &r), "update");
	assert_string_equal(match(a, "POST", "/fhir", &known, &r), "transaction batch");
	assert_null(match(a, "OPTIONS", "/fhir/Patient/1", &known, &r));
	assert_true(known);
	assert_null(match(a, "GET", "/fhir/a/b/c/d/e", &known, &r));
	assert_false(known);
	yl_arena_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_and_query),
	    cmocka_unit_test(test_bad_targets),
	    cmocka_unit_test(test_encode_round_trip),
	    cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
