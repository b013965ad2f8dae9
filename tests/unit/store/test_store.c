/* test_store.c -- the store contract: every backend must pass these. Run on a SQLite file,
 * and on a fresh PostgreSQL database when YL_TEST_PG is set (testdb.h; tests/run.sh does
 * both). Migrations recorded; create/update/delete versions; If-Match; tombstones; history
 * order and cursors; one transaction per write (a failing render leaves nothing);
 * bulk transactions; concurrent writers from several threads. The tests of SQLite's own
 * mechanisms (deferred index builds, the exclusive bulk load) skip on PostgreSQL. */
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "testdb.h"

#include "core/time.h"
#include "core/hash.h"
#include "store/migrations.h"
#include "store/search.h"
#include "store/store.h"

struct fixture {
	struct yl_testdb db;
	struct yl_arena *a;
	struct yl_store *s;
	struct yl_store_conn *c;
};

static const char *render(void *ctx, struct yl_arena *a, int64_t version, int64_t ts, size_t *len)
{
	(void)ts;
	if (!ctx)
		return NULL; /* simulate failure */
	char *s = yl_arena_printf(a, "{\"v\":%lld,\"tag\":\"%s\"}", (long long)version,
	                          (const char *)ctx);
	*len = strlen(s);
	return s;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_int_equal(yl_testdb_create(&f->db, "store-test"), 0);
	f->a = yl_arena_create(0);
	struct yl_err e;
	yl_err_init(&e);
	if (yl_store_open(f->db.where, &f->s, f->a, &e) != YL_OK)
		fail_msg("open %s: %s", f->db.where, e.first ? e.first->message : "?");
	f->c = yl_store_conn(f->s, f->a, &e);
	if (!f->c)
		fail_msg("connection: %s", e.first ? e.first->message : "?");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	yl_store_close(f->s);
	yl_arena_destroy(f->a);
	yl_testdb_drop(&f->db);
	free(f);
	return 0;
}

static enum yl_code put(struct fixture *f, enum yl_write_op op, const char *type, const char *id,
                        const char *tag, int64_t if_match, struct yl_write *out)
{
	struct yl_err e;
	yl_err_init(&e);
	struct yl_write w = {.op = op,
	                     .type = type,
	                     .id = id,
	                     .if_match = if_match,
	                     .patient = id,
	                     .render = render,
	                     .render_ctx = (void *)tag};
	enum yl_code c = yl_store_write(f->c, f->a, &w, &e);
	if (out)
		*out = w;
	return c;
}

static void test_migrations_recorded_and_idempotent(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(yl_store_schema_version(f->c),
	                 yl_migrations[yl_migrations_count - 1].version);
	struct yl_store *again;
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_open(f->db.where, &again, f->a, &e), YL_OK);
	yl_store_close(again);
}

static void test_versions_and_tombstones(void **state)
{
	struct fixture *f = *state;
	struct yl_write w;
	assert_int_equal(put(f, YL_WRITE_CREATE, "Patient", "a", "one", 0, &w), YL_OK);
	assert_true(w.created);
	assert_int_equal(w.version, 1);
	assert_int_equal(put(f, YL_WRITE_CREATE, "Patient", "a", "dup", 0, NULL), YL_CONFLICT);
	assert_int_equal(put(f, YL_WRITE_UPDATE, "Patient", "a", "two", 0, &w), YL_OK);
	assert_false(w.created);
	assert_int_equal(w.version, 2);
	assert_int_equal(put(f, YL_WRITE_UPDATE, "Patient", "a", "x", 1, NULL),
	                 YL_PRECONDITION_FAILED);
	assert_int_equal(put(f, YL_WRITE_UPDATE, "Patient", "a", "three", 2, &w), YL_OK);
	struct yl_row row;
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_read(f->c, f->a, "Patient", "a", 0, &row, &e), YL_OK);
	assert_string_equal(row.body, "{\"v\":3,\"tag\":\"three\"}");
	assert_int_equal(yl_store_read(f->c, f->a, "Patient", "a", 1, &row, &e), YL_OK);
	assert_string_equal(row.body, "{\"v\":1,\"tag\":\"one\"}");
	assert_int_equal(yl_store_read(f->c, f->a, "Patient", "a", 9, &row, &e), YL_NOT_FOUND);
	assert_int_equal(yl_store_read(f->c, f->a, "Observation", "a", 0, &row, &e), YL_NOT_FOUND);
	assert_int_equal(put(f, YL_WRITE_DELETE, "Patient", "a", NULL, 0, &w), YL_OK);
	assert_int_equal(w.version, 4);
	assert_false(w.noop);
	assert_int_equal(yl_store_read(f->c, f->a, "Patient", "a", 0, &row, &e), YL_OK);
	assert_true(row.deleted);
	assert_null(row.body);
	assert_int_equal(put(f, YL_WRITE_DELETE, "Patient", "a", NULL, 0, &w), YL_OK);
	assert_true(w.noop);
	assert_int_equal(put(f, YL_WRITE_DELETE, "Patient", "never", NULL, 0, NULL), YL_NOT_FOUND);
	assert_int_equal(put(f, YL_WRITE_UPDATE, "Patient", "a", "back", 0, &w), YL_OK);
	assert_true(w.created);
	assert_int_equal(w.version, 5);
	int64_t n;
	assert_int_equal(yl_store_history_count(f->c, f->a, "Patient", "a", 0, &n, &e), YL_OK);
	assert_int_equal(n, 5);
	/* every old version still reads back after updates, a delete and a re-create */
	const char *want[] = {NULL, "one", "two", "three", NULL, "back"};
	for (int v = 1; v <= 5; v++) {
		assert_int_equal(yl_store_read(f->c, f->a, "Patient", "a", v, &row, &e), YL_OK);
		if (!want[v]) {
			assert_true(row.deleted);
			continue;
		}
		char body[64];
		snprintf(body, sizeof body, "{\"v\":%d,\"tag\":\"%s\"}", v, want[v]);
		assert_string_equal(row.body, body);
	}
	/* each body stored once, the current one only in resource (both backends' migration
	 * 0006) */
	char got[64], msg[256];
	const char *sql = f->db.pg ? "SELECT string_agg(version::text, ',' ORDER BY version) "
	                             "FROM history WHERE body IS NOT NULL"
	                           : "SELECT group_concat(version) FROM (SELECT version "
	                             "FROM history WHERE body IS NOT NULL ORDER BY version)";
	if (yl_testdb_sql(&f->db, sql, got, sizeof got, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	assert_string_equal(got, "1,2,3");
}

static void test_failed_write_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct yl_write w = {.op = YL_WRITE_CREATE,
	                     .type = "Patient",
	                     .id = "b",
	                     .render = render,
	                     .render_ctx = NULL};
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_write(f->c, f->a, &w, &e), YL_NOMEM);
	struct yl_row row;
	assert_int_equal(yl_store_read(f->c, f->a, "Patient", "b", 0, &row, &e), YL_NOT_FOUND);
	int64_t n;
	assert_int_equal(yl_store_history_count(f->c, f->a, NULL, NULL, 0, &n, &e), YL_OK);
	assert_int_equal(n, 0);
	/* and the connection still works */
	assert_int_equal(put(f, YL_WRITE_CREATE, "Patient", "b", "ok", 0, NULL), YL_OK);
}

struct collect {
	int n;
	char ids[16][16];
	int64_t last;
};

static int collect_row(void *ctx, const struct yl_row *row)
{
	struct collect *c = ctx;
	snprintf(c->ids[c->n++], 16, "%s/%lld", row->id, (long long)row->version);
	c->last = row->seq;
	return c->n == 16;
}

static void test_history_order_and_cursor(void **state)
{
	struct fixture *f = *state;
	put(f, YL_WRITE_CREATE, "Basic", "x", "1", 0, NULL);
	put(f, YL_WRITE_CREATE, "Basic", "y", "1", 0, NULL);
	put(f, YL_WRITE_UPDATE, "Basic", "x", "2", 0, NULL);
	put(f, YL_WRITE_CREATE, "Patient", "z", "1", 0, NULL);
	struct collect c = {0};
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_history(f->c, f->a, "Basic", NULL, 0, 0, 2, collect_row, &c, &e),
	                 YL_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.ids[0], "x/2");
	assert_string_equal(c.ids[1], "y/1");
	struct collect c2 = {0};
	assert_int_equal(
	    yl_store_history(f->c, f->a, "Basic", NULL, 0, c.last, 10, collect_row, &c2, &e),
	    YL_OK);
	assert_int_equal(c2.n, 1);
	assert_string_equal(c2.ids[0], "x/1");
	struct collect all = {0};
	yl_store_history(f->c, f->a, NULL, NULL, 0, 0, 10, collect_row, &all, &e);
	assert_int_equal(all.n, 4);
	assert_string_equal(all.ids[0], "z/1");
	struct collect inst = {0};
	yl_store_history(f->c, f->a, "Basic", "x", 0, 0, 10, collect_row, &inst, &e);
	assert_int_equal(inst.n, 2);
	assert_string_equal(inst.ids[0], "x/2");
	struct collect none = {0};
	yl_store_history(f->c, f->a, NULL, NULL, yl_now_us() + 1000000, 0, 10, collect_row, &none,
	                 &e);
	assert_int_equal(none.n, 0);
}

static void test_bulk_transaction(void **state)
{
	struct fixture *f = *state;
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	for (int i = 0; i < 100; i++) {
		char id[16];
		snprintf(id, sizeof id, "bulk%d", i);
		assert_int_equal(
		    put(f, YL_WRITE_UPDATE, "Basic", yl_arena_strdup(f->a, id), "b", 0, NULL),
		    YL_OK);
	}
	yl_store_rollback(f->c);
	struct yl_row row;
	assert_int_equal(yl_store_read(f->c, f->a, "Basic", "bulk5", 0, &row, &e), YL_NOT_FOUND);
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	put(f, YL_WRITE_UPDATE, "Basic", "bulk5", "b", 0, NULL);
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	assert_int_equal(yl_store_read(f->c, f->a, "Basic", "bulk5", 0, &row, &e), YL_OK);
}

struct worker {
	struct yl_store *s;
	int n;
	int ok;
};

static void *writer(void *p)
{
	struct worker *w = p;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err e;
	yl_err_init(&e);
	struct yl_store_conn *c = yl_store_conn(w->s, a, &e);
	for (int i = 0; c && i < 200; i++) {
		struct yl_write wr = {.op = YL_WRITE_UPDATE,
		                      .type = "Basic",
		                      .id = "shared",
		                      .render = render,
		                      .render_ctx = "t"};
		if (yl_store_write(c, a, &wr, &e) == YL_OK)
			w->ok++;
	}
	yl_arena_destroy(a);
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	struct fixture *f = *state;
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){f->s, i, 0};
		pthread_create(&t[i], NULL, writer, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	struct yl_row row;
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_read(f->c, f->a, "Basic", "shared", 0, &row, &e), YL_OK);
	assert_int_equal(w[0].ok + w[1].ok + w[2].ok + w[3].ok, 800);
	assert_int_equal(row.version, 800);
}

static int count_rows(void *ctx, const struct yl_row *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

static int search_token(struct fixture *f, const char *code)
{
	struct yl_pred_value v = {.match = YL_M_TOKEN_CODE,
	                          .h1 = yl_hash_sql(yl_hash_parts(1, code))};
	struct yl_pred pred = {.match = YL_M_TOKEN_CODE,
	                       .kind = YL_IDX_TOKEN,
	                       .param_hash = yl_hash_sql(yl_hash_parts(2, "Basic", "code")),
	                       .values = &v,
	                       .nvalues = 1};
	const char *types[] = {"Basic"};
	struct yl_search_plan plan = {
	    .types = types, .ntypes = 1, .preds = &pred, .npreds = 1, .count = 10, .total = true};
	int n = 0;
	int64_t total = -1;
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_search(f->c, f->a, &plan, count_rows, &n, &total, &e), YL_OK);
	assert_int_equal(total, n);
	return n;
}

static struct yl_index_row token_row(const char *code)
{
	struct yl_index_row r = {.kind = YL_IDX_TOKEN, .code = code};
	r.param_hash = yl_hash_sql(yl_hash_parts(2, "Basic", "code"));
	r.value_hash = yl_hash_sql(yl_hash_parts(2, "", code));
	r.code_hash = yl_hash_sql(yl_hash_parts(1, code));
	return r;
}

static enum yl_code put_indexed(struct fixture *f, const char *id, const char *code)
{
	struct yl_index_row row = token_row(code);
	struct yl_err e;
	yl_err_init(&e);
	struct yl_write w = {.op = YL_WRITE_UPDATE,
	                     .type = "Basic",
	                     .id = id,
	                     .render = render,
	                     .render_ctx = (void *)code,
	                     .index = &row,
	                     .index_count = 1};
	return yl_store_write(f->c, f->a, &w, &e);
}

/* index rows are written with the resource, replaced on update, gone on delete */
static void test_index_rows_follow_versions(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(put_indexed(f, "b1", "red"), YL_OK);
	assert_int_equal(put_indexed(f, "b2", "red"), YL_OK);
	assert_int_equal(search_token(f, "red"), 2);
	assert_int_equal(put_indexed(f, "b1", "blue"), YL_OK);
	assert_int_equal(search_token(f, "red"), 1);
	assert_int_equal(search_token(f, "blue"), 1);
	assert_int_equal(put(f, YL_WRITE_DELETE, "Basic", "b2", NULL, 0, NULL), YL_OK);
	assert_int_equal(search_token(f, "red"), 0);
}

static enum yl_code reindex_green(void *ctx, struct yl_arena *a, const struct yl_row *row,
                                  const char *patient, struct yl_index_row **rows, size_t *n,
                                  struct yl_err *err)
{
	(void)ctx;
	(void)row;
	(void)patient;
	(void)err;
	*rows = yl_arena_alloc(a, sizeof(**rows));
	**rows = token_row("green");
	*n = 1;
	return YL_OK;
}

static void test_reindex_rebuilds_rows(void **state)
{
	struct fixture *f = *state;
	put_indexed(f, "b1", "red");
	put_indexed(f, "b2", "red");
	put(f, YL_WRITE_CREATE, "Basic", "b3", "x", 0, NULL);
	put(f, YL_WRITE_DELETE, "Basic", "b3", NULL, 0, NULL);
	int64_t count = 0;
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_reindex(f->s, reindex_green, NULL, &count, &e, f->a), YL_OK);
	assert_int_equal(count, 2); /* the deleted one is not reindexed */
	assert_int_equal(search_token(f, "red"), 0);
	assert_int_equal(search_token(f, "green"), 2);
}

struct ids {
	char got[8][16];
	int n;
};

static int collect_ids(void *ctx, const struct yl_row *row)
{
	struct ids *ids = ctx;
	if (ids->n < 8)
		snprintf(ids->got[ids->n++], sizeof ids->got[0], "%s", row->id);
	return 0;
}

/* A page of a code that many resources have, but only after thousands that do not: the
 * walk in row order runs out of budget, and the page comes from the code's index rows,
 * first created first, as the walk would have found them. */
static void test_page_after_long_walk(void **state)
{
	struct fixture *f = *state;
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	for (int i = 0; i < 6000; i++) {
		char id[16];
		snprintf(id, sizeof id, "n%05d", i);
		assert_int_equal(put_indexed(f, id, i < 5900 ? "common" : "late"), YL_OK);
	}
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	struct yl_pred_value v = {.match = YL_M_TOKEN_CODE,
	                          .h1 = yl_hash_sql(yl_hash_parts(1, "late"))};
	struct yl_pred pred = {.match = YL_M_TOKEN_CODE,
	                       .kind = YL_IDX_TOKEN,
	                       .param_hash = yl_hash_sql(yl_hash_parts(2, "Basic", "code")),
	                       .values = &v,
	                       .nvalues = 1};
	const char *types[] = {"Basic"};
	struct yl_search_plan plan = {
	    .types = types, .ntypes = 1, .preds = &pred, .npreds = 1, .count = 3};
	struct ids ids = {0};
	int64_t total;
	assert_int_equal(yl_store_search(f->c, f->a, &plan, collect_ids, &ids, &total, &e), YL_OK);
	assert_int_equal(ids.n, 3);
	assert_string_equal(ids.got[0], "n05900");
	assert_string_equal(ids.got[1], "n05901");
	assert_string_equal(ids.got[2], "n05902");
	/* and a common code still pages from the walk */
	v.h1 = yl_hash_sql(yl_hash_parts(1, "common"));
	ids.n = 0;
	assert_int_equal(yl_store_search(f->c, f->a, &plan, collect_ids, &ids, &total, &e), YL_OK);
	assert_int_equal(ids.n, 3);
	assert_string_equal(ids.got[0], "n00000");
	assert_string_equal(ids.got[2], "n00002");
}

static enum yl_code put_names(struct fixture *f, const char *id, const char *const *names, size_t n)
{
	struct yl_index_row rows[2];
	for (size_t i = 0; i < n; i++)
		rows[i] = (struct yl_index_row){.kind = YL_IDX_STRING,
		                                .param_hash =
		                                    yl_hash_sql(yl_hash_parts(2, "Basic", "name")),
		                                .norm = names[i],
		                                .exact = names[i]};
	struct yl_err e;
	yl_err_init(&e);
	struct yl_write w = {.op = YL_WRITE_UPDATE,
	                     .type = "Basic",
	                     .id = id,
	                     .render = render,
	                     .render_ctx = (void *)names[0],
	                     .index = rows,
	                     .index_count = n};
	return yl_store_write(f->c, f->a, &w, &e);
}

struct seqs {
	char id[8][16];
	int64_t seq[8];
	int n;
};

static int collect_seqs(void *ctx, const struct yl_row *row)
{
	struct seqs *s = ctx;
	if (s->n < 8) {
		snprintf(s->id[s->n], sizeof s->id[0], "%s", row->id);
		s->seq[s->n++] = row->seq;
	}
	return 0;
}

/* A name prefix that thousands of resources share is walked in row order through the
 * string rows (YL_DRIVER_WALK): the first page is the first matches created, each once
 * although two of its names match, and the next page goes on from the cursor; a rare
 * prefix is listed, with the same order. */
static void test_page_by_walk(void **state)
{
	struct fixture *f = *state;
	struct yl_err e;
	yl_err_init(&e);
	static const char *const wang[] = {"wang", "wangfang"}, *const li[] = {"li"},
	                         *const zhou[] = {"zhou"};
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	for (int i = 0; i < 11000; i++) {
		char id[16];
		snprintf(id, sizeof id, "m%05d", i);
		enum yl_code code = i % 1000 == 999 ? put_names(f, id, zhou, 1)
		                    : i % 2 == 0    ? put_names(f, id, wang, 2)
		                                    : put_names(f, id, li, 1);
		assert_int_equal(code, YL_OK);
	}
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	struct yl_pred_value v = {.match = YL_M_STRING_START, .s1 = "wan"};
	struct yl_pred pred = {.match = YL_M_STRING_START,
	                       .kind = YL_IDX_STRING,
	                       .param_hash = yl_hash_sql(yl_hash_parts(2, "Basic", "name")),
	                       .values = &v,
	                       .nvalues = 1};
	const char *types[] = {"Basic"};
	struct yl_search_plan plan = {
	    .types = types, .ntypes = 1, .preds = &pred, .npreds = 1, .count = 3};
	assert_true(yl_search_walkable(&plan, 0));
	struct seqs page = {0};
	int64_t total;
	assert_int_equal(yl_store_search(f->c, f->a, &plan, collect_seqs, &page, &total, &e),
	                 YL_OK);
	assert_int_equal(page.n, 3);
	assert_string_equal(page.id[0], "m00000");
	assert_string_equal(page.id[1], "m00002");
	assert_string_equal(page.id[2], "m00004");
	/* the next page, after the last row of this one */
	plan.cursor = (struct yl_cursor){.set = true, .rowid = page.seq[2]};
	struct seqs next = {0};
	assert_int_equal(yl_store_search(f->c, f->a, &plan, collect_seqs, &next, &total, &e),
	                 YL_OK);
	assert_int_equal(next.n, 3);
	assert_string_equal(next.id[0], "m00006");
	assert_string_equal(next.id[2], "m00010");
	/* and the page before it, nearest first */
	plan.cursor = (struct yl_cursor){.set = true, .before = true, .rowid = next.seq[0]};
	struct seqs prev = {0};
	assert_int_equal(yl_store_search(f->c, f->a, &plan, collect_seqs, &prev, &total, &e),
	                 YL_OK);
	assert_int_equal(prev.n, 3);
	assert_string_equal(prev.id[0], "m00004");
	assert_string_equal(prev.id[2], "m00000");
	/* a rare prefix: listed, first created first */
	v.s1 = "zho";
	plan.cursor = (struct yl_cursor){0};
	struct seqs rare = {0};
	assert_int_equal(yl_store_search(f->c, f->a, &plan, collect_seqs, &rare, &total, &e),
	                 YL_OK);
	assert_int_equal(rare.n, 3);
	assert_string_equal(rare.id[0], "m00999");
	assert_string_equal(rare.id[1], "m01999");
}

/* A search by one name prefix with no _sort (YL_SORT_MATCH) pages straight off the string
 * index in (matched value, row) order: each resource once, at its smallest matching name;
 * forward and back through cursors, names longer than a cursor's key included. */
struct keyed_page {
	int64_t seq[16];
	char key[16][400];
	bool cut[16];
	int n;
};

static int collect_keyed(void *ctx, const struct yl_row *row)
{
	struct keyed_page *pg = ctx;
	if (pg->n < 16) {
		pg->seq[pg->n] = row->seq;
		snprintf(pg->key[pg->n], sizeof pg->key[0], "%s", row->keys[0].s);
		pg->cut[pg->n] = row->keys[0].cut;
		pg->n++;
	}
	return 0;
}

struct want_row {
	const char *key;
	int64_t seq;
};

static int want_cmp(const void *x, const void *y)
{
	const struct want_row *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static void test_page_by_value(void **state)
{
	struct fixture *f = *state;
	struct yl_err e;
	yl_err_init(&e);
	static char long_a[320], long_b[320];
	memset(long_a, 'x', sizeof long_a - 1);
	memcpy(long_a, "wan", 3);
	memcpy(long_b, long_a, sizeof long_b);
	long_a[300] = 'a'; /* equal for 300 bytes: beyond a cursor's key */
	long_b[300] = 'b';
	static const char *const pool[] = {"wang",    "wan",  "wanfang", "li",     "zhou",
	                                   "wanting", long_a, long_b,    "wangxi", "chen"};
	enum { N = 120, PAGE = 7 };
	static struct want_row want[N];
	int nwant = 0;
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof id, "v%03d", i);
		const char *names[2] = {pool[(i * 7) % 10], pool[(i * 3 + 1) % 10]};
		if (i % 11 == 5) { /* both long names: its key is the smaller */
			names[0] = long_b;
			names[1] = long_a;
		}
		assert_int_equal(put_names(f, id, names, 2), YL_OK);
		const char *best = NULL;
		for (int k = 0; k < 2; k++)
			if (strncmp(names[k], "wan", 3) == 0 &&
			    (!best || strcmp(names[k], best) < 0))
				best = names[k];
		if (best) /* rows are numbered in creation order from 1 in a fresh store */
			want[nwant++] = (struct want_row){best, i + 1};
	}
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	qsort(want, (size_t)nwant, sizeof want[0], want_cmp);
	assert_true(nwant > 3 * PAGE);

	const int64_t param = yl_hash_sql(yl_hash_parts(2, "Basic", "name"));
	struct yl_pred_value v = {.match = YL_M_STRING_START, .s1 = "wan"};
	struct yl_pred pred = {.match = YL_M_STRING_START,
	                       .kind = YL_IDX_STRING,
	                       .param_hash = param,
	                       .params = &param,
	                       .nparams = 1,
	                       .values = &v,
	                       .nvalues = 1};
	struct yl_sort_key order = {.by = YL_SORT_MATCH, .kind = YL_IDX_STRING, .pred = &pred};
	const char *types[] = {"Basic"};
	struct yl_search_plan plan = {.types = types,
	                              .ntypes = 1,
	                              .preds = &pred,
	                              .npreds = 1,
	                              .sort = &order,
	                              .nsort = 1,
	                              .count = PAGE};
	assert_true(yl_search_by_value(&plan));
	struct yl_key key;
	int got = 0;
	struct keyed_page pg;
	int64_t total;
	do { /* forward to the end */
		memset(&pg, 0, sizeof pg);
		assert_int_equal(yl_store_search(f->c, f->a, &plan, collect_keyed, &pg, &total, &e),
		                 YL_OK);
		for (int i = 0; i < pg.n; i++, got++) {
			assert_true(got < nwant);
			if (pg.seq[i] != want[got].seq)
				fail_msg("row %d: got %lld, want %lld (%.8s)", got,
				         (long long)pg.seq[i], (long long)want[got].seq,
				         want[got].key);
			assert_int_equal(pg.cut[i], strlen(want[got].key) > YL_MATCH_KEY_MAX);
		}
		if (pg.n) {
			key = (struct yl_key){.kind = YL_KEY_TEXT,
			                      .s = yl_arena_strdup(f->a, pg.key[pg.n - 1]),
			                      .cut = pg.cut[pg.n - 1]};
			plan.cursor = (struct yl_cursor){
			    .set = true, .rowid = pg.seq[pg.n - 1], .keys = &key, .nkeys = 1};
		}
	} while (pg.n == PAGE);
	assert_int_equal(got, nwant);
	/* and back from the last row, nearest first */
	key = (struct yl_key){.kind = YL_KEY_TEXT, .s = want[nwant - 1].key};
	if (strlen(key.s) > YL_MATCH_KEY_MAX) {
		key.s = yl_arena_strndup(f->a, key.s, YL_MATCH_KEY_MAX);
		key.cut = true;
	}
	plan.cursor = (struct yl_cursor){
	    .set = true, .before = true, .rowid = want[nwant - 1].seq, .keys = &key, .nkeys = 1};
	memset(&pg, 0, sizeof pg);
	assert_int_equal(yl_store_search(f->c, f->a, &plan, collect_keyed, &pg, &total, &e), YL_OK);
	assert_int_equal(pg.n, PAGE);
	for (int i = 0; i < PAGE; i++)
		assert_int_equal(pg.seq[i], want[nwant - 2 - i].seq);
}

/* Counts of a single-valued date parameter: one-sided comparisons are summed from the
 * spans of idx_date_bucket (migration 0009) plus the boundary span's rows; every prefix
 * must give the count a resource-by-resource test gives, for ranges before and after
 * 1970, across span edges, at every width, and after updates and deletes. */
struct span_doc {
	int64_t lo, hi;
	bool live;
};

static uint64_t rnd_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void rnd_range(uint64_t *x, int64_t *lo, int64_t *hi)
{
	static const int64_t width[] = {0,
	                                999999,
	                                86400000000LL - 1,
	                                30 * 86400000000LL,
	                                365 * 86400000000LL,
	                                (int64_t)1 << 38};
	*lo = (int64_t)(rnd_next(x) % ((uint64_t)1 << 43)) - ((int64_t)1 << 42);
	if (rnd_next(x) % 4 == 0)
		*lo &= ~(((int64_t)1 << 38) - 1); /* on a span edge */
	*hi = *lo + width[rnd_next(x) % (sizeof width / sizeof width[0])];
}

static bool span_match(enum yl_cmp c, int64_t lo, int64_t hi, int64_t slo, int64_t shi)
{
	bool in = lo >= slo && hi <= shi;
	switch (c) {
	case YL_CMP_EQ:
		return in;
	case YL_CMP_NE:
		return !in;
	case YL_CMP_GT:
		return hi > shi;
	case YL_CMP_GE:
		return hi > shi || (in && hi >= slo);
	case YL_CMP_LT:
		return lo < slo;
	case YL_CMP_LE:
		return lo < slo || (in && lo <= shi);
	case YL_CMP_SA:
		return lo > shi;
	case YL_CMP_EB:
		return hi < slo;
	case YL_CMP_AP:
		return lo <= shi && hi >= slo;
	}
	return false;
}

static enum yl_code put_date(struct fixture *f, int i, const struct span_doc *d)
{
	char id[16];
	snprintf(id, sizeof id, "d%04d", i);
	struct yl_index_row row = {.kind = YL_IDX_DATE,
	                           .param_hash = yl_hash_sql(yl_hash_parts(2, "Basic", "created")),
	                           .date_lo = d->lo,
	                           .date_hi = d->hi};
	struct yl_err e;
	yl_err_init(&e);
	struct yl_write w = {.op = d->live ? YL_WRITE_UPDATE : YL_WRITE_DELETE,
	                     .type = "Basic",
	                     .id = id,
	                     .render = render,
	                     .render_ctx = "date",
	                     .index = d->live ? &row : NULL,
	                     .index_count = d->live ? 1 : 0};
	return yl_store_write(f->c, f->a, &w, &e);
}

static void check_date_counts(struct fixture *f, const struct span_doc *docs, int n, uint64_t *x)
{
	struct yl_err e;
	yl_err_init(&e);
	for (int q = 0; q < 60; q++) {
		int64_t slo, shi;
		if (q % 3 == 0) { /* a stored range itself: equal ends */
			const struct span_doc *d = &docs[rnd_next(x) % (uint64_t)n];
			slo = d->lo;
			shi = d->hi;
		} else {
			rnd_range(x, &slo, &shi);
		}
		for (enum yl_cmp c = YL_CMP_EQ; c <= YL_CMP_AP; c++) {
			int64_t want = 0;
			for (int i = 0; i < n; i++)
				want +=
				    docs[i].live && span_match(c, docs[i].lo, docs[i].hi, slo, shi);
			struct yl_pred_value v = {
			    .match = YL_M_DATE, .cmp = c, .i_lo = slo, .i_hi = shi};
			const int64_t param = yl_hash_sql(yl_hash_parts(2, "Basic", "created"));
			/* the parser names the parameter in `params` too, one per type searched */
			struct yl_pred pred = {.match = YL_M_DATE,
			                       .kind = YL_IDX_DATE,
			                       .param_hash = param,
			                       .params = q % 2 ? &param : NULL,
			                       .nparams = q % 2 ? 1 : 0,
			                       .single = true,
			                       .values = &v,
			                       .nvalues = 1};
			const char *types[] = {"Basic"};
			struct yl_search_plan plan = {.types = types,
			                              .ntypes = 1,
			                              .preds = &pred,
			                              .npreds = 1,
			                              .count = 0,
			                              .total = true};
			struct seqs page = {0};
			int64_t total = -1;
			assert_int_equal(
			    yl_store_search(f->c, f->a, &plan, collect_seqs, &page, &total, &e),
			    YL_OK);
			if (total != want)
				fail_msg("cmp %d over [%lld, %lld]: counted %lld, want %lld",
				         (int)c, (long long)slo, (long long)shi, (long long)total,
				         (long long)want);
		}
	}
}

static void test_date_count_by_span(void **state)
{
	struct fixture *f = *state;
	struct yl_err e;
	yl_err_init(&e);
	enum { N = 1500 };
	static struct span_doc docs[N];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	for (int i = 0; i < N; i++) {
		rnd_range(&x, &docs[i].lo, &docs[i].hi);
		docs[i].live = true;
		assert_int_equal(put_date(f, i, &docs[i]), YL_OK);
	}
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	check_date_counts(f, docs, N, &x);
	/* a third updated to new dates, a tenth deleted: the spans follow the index rows */
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0)
			rnd_range(&x, &docs[i].lo, &docs[i].hi);
		else if (i % 10 == 1)
			docs[i].live = false;
		else
			continue;
		assert_int_equal(put_date(f, i, &docs[i]), YL_OK);
	}
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	check_date_counts(f, docs, N, &x);
}

/* A count a query answered: a whole non-negative number, or the test fails. */
static int count_of(const char *got)
{
	char *end;
	long n = strtol(got, &end, 10);
	if (end == got || *end != '\0' || n < 0 || n > 1000000000)
		fail_msg("not a count: '%s'", got);
	return (int)n;
}

/* The index (and, in SQLite, trigger) objects a bulk load may drop, counted in the
 * backend's catalogue: identity and audit are not bulk-loaded, and the trail's append-only
 * triggers always stay. PostgreSQL: each partitioned index once (its partitions' go with
 * it), primary keys included (they stay). */
static int schema_objects(struct fixture *f)
{
	const char *sql =
	    f->db.pg ? "SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
	               "WHERE t.relnamespace = 'public'::regnamespace AND NOT t.relispartition "
	               "AND t.relname NOT IN ('auth_user', 'auth_token', 'auth_grant', 'audit')"
	             : "SELECT count(*) FROM sqlite_schema WHERE type IN ('index', 'trigger') AND "
	               "sql IS NOT NULL AND tbl_name NOT IN ('auth_user', 'auth_token', "
	               "'auth_grant', 'audit')";
	char got[32], msg[256];
	if (yl_testdb_sql(&f->db, sql, got, sizeof got, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	return count_of(got);
}

/* What a bulk load left to build: store_meta's "deferred:..." records (both backends). */
static int deferred_records(struct fixture *f)
{
	char got[32], msg[256];
	if (yl_testdb_sql(&f->db, "SELECT count(*) FROM store_meta WHERE key LIKE 'deferred:%'",
	                  got, sizeof got, msg, sizeof msg) != 0)
		fail_msg("%s", msg);
	return count_of(got);
}

/* A bulk load drops the search indexes (and SQLite's date-span triggers), keeps what it
 * dropped in store_meta, and builds it all again; a load killed before the build leaves the
 * record, and the next open builds them (spans counted from the rows written meanwhile).
 * The names it keeps them under and SQLite's history_version, built at once by the first
 * write that needs it, are SQLite's; the rest holds for both backends. */
static void test_bulk_load_defers_indexes(void **state)
{
	struct fixture *f = *state;
	struct yl_err e;
	yl_err_init(&e);
	int all = schema_objects(f), n = 0;
	assert_int_equal(yl_store_defer_indexes(f->s, &n, f->a, &e), YL_OK);
	assert_true(n >= 15);
	assert_int_equal(schema_objects(f), all - n);
	if (!f->db.pg) /* SQLite: history_version too (see below); PostgreSQL keeps its keys */
		assert_int_equal(schema_objects(f), 0);
	static struct span_doc docs[300];
	uint64_t x = 42;
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	for (int i = 0; i < 300; i++) {
		rnd_range(&x, &docs[i].lo, &docs[i].hi);
		docs[i].live = true;
		assert_int_equal(put_date(f, i, &docs[i]), YL_OK);
	}
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	const char *v = NULL;
	if (!f->db.pg) {
		assert_int_equal(
		    yl_store_meta_get(f->s, f->a, "deferred:index:history_version", &v, &e), YL_OK);
		assert_non_null(v);
	}
	/* a write to a resource that exists needs the version key: SQLite builds it at once,
	 * in that write's transaction (PostgreSQL: the search tables' primary keys, which find
	 * the old version's index rows); either way the version before is still read by it */
	int deferred_before = deferred_records(f);
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	docs[7].lo += 1;
	assert_int_equal(put_date(f, 7, &docs[7]), YL_OK);
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	assert_true(deferred_records(f) < deferred_before);
	if (!f->db.pg) {
		assert_int_equal(schema_objects(f), 1);
		assert_int_equal(
		    yl_store_meta_get(f->s, f->a, "deferred:index:history_version", &v, &e), YL_OK);
		assert_null(v);
	}
	struct yl_row old;
	assert_int_equal(yl_store_read(f->c, f->a, "Basic", "d0007", 1, &old, &e), YL_OK);
	assert_int_equal(old.version, 1);
	assert_true(deferred_records(f) > 0);
	/* killed here: the next open builds what is missing */
	yl_store_close(f->s);
	assert_int_equal(yl_store_open(f->db.where, &f->s, f->a, &e), YL_OK);
	f->c = yl_store_conn(f->s, f->a, &e);
	assert_int_equal(schema_objects(f), all);
	assert_int_equal(deferred_records(f), 0);
	check_date_counts(f, docs, 300, &x);
	/* and the same through defer + build, with writes tracked by the triggers after it */
	assert_int_equal(yl_store_defer_indexes(f->s, &n, f->a, &e), YL_OK);
	int built = 0;
	assert_int_equal(yl_store_build_deferred(f->s, NULL, NULL, &built, f->a, &e), YL_OK);
	assert_int_equal(built, n);
	assert_int_equal(schema_objects(f), all);
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	for (int i = 0; i < 300; i += 3) {
		rnd_range(&x, &docs[i].lo, &docs[i].hi);
		assert_int_equal(put_date(f, i, &docs[i]), YL_OK);
	}
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	check_date_counts(f, docs, 300, &x);
}

/* what another process would get: the resource count, or -1 when it cannot read */
static int other_count(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *q = NULL;
	int n = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM resource", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* the file format's write version: 2 in WAL mode, 1 with a rollback journal */
static int file_format(const char *path)
{
	unsigned char h[20] = {0};
	FILE *fp = fopen(path, "rb");
	if (fp) {
		if (fread(h, 1, sizeof h, fp) != sizeof h)
			h[18] = 0;
		fclose(fp);
	}
	return h[18];
}

/* An exclusive bulk load: only for a store with no other connection in the process; others
 * cannot read meanwhile; afterwards the store is in WAL again with every write in it. */
static void test_bulk_exclusive(void **state)
{
	struct fixture *f = *state;
	/* SQLite's file locking and journal modes, read off the file: nothing of the kind in a
	 * PostgreSQL database, which many processes share by design */
	if (f->db.pg)
		skip();
	struct yl_err e;
	yl_err_init(&e);
	bool alone = true;
	/* the fixture holds a worker connection: refused, nothing changed */
	assert_int_equal(yl_store_bulk_exclusive(f->s, true, &alone, f->a, &e), YL_OK);
	assert_false(alone);
	assert_int_equal(put(f, YL_WRITE_CREATE, "Patient", "shared", "x", 0, NULL), YL_OK);
	assert_int_equal(other_count(f->db.where), 1);
	assert_int_equal(file_format(f->db.where), 2);

	struct yl_store *s;
	assert_int_equal(yl_store_open(f->db.where, &s, f->a, &e), YL_OK);
	assert_int_equal(yl_store_bulk_exclusive(s, true, &alone, f->a, &e), YL_OK);
	assert_false(alone); /* the fixture's store has the file open: stays in WAL */
	yl_store_close(s);
	yl_store_close(f->s); /* now alone */
	assert_int_equal(yl_store_open(f->db.where, &s, f->a, &e), YL_OK);
	f->s = s;
	assert_int_equal(yl_store_bulk_exclusive(s, true, &alone, f->a, &e), YL_OK);
	assert_true(alone);
	assert_int_equal(file_format(f->db.where), 1);
	f->c = yl_store_conn(s, f->a, &e); /* opened during the load: used through the writer */
	assert_non_null(f->c);
	assert_int_equal(yl_store_begin(f->c, f->a, &e), YL_OK);
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof id, "b%02d", i);
		assert_int_equal(put(f, YL_WRITE_CREATE, "Patient", id, "bulk", 0, NULL), YL_OK);
	}
	assert_int_equal(yl_store_commit(f->c, f->a, &e), YL_OK);
	assert_int_equal(other_count(f->db.where), -1); /* locked */
	struct yl_store *other = NULL;
	struct yl_err e2;
	yl_err_init(&e2);
	assert_int_equal(yl_store_open(f->db.where, &other, f->a, &e2), YL_UNAVAILABLE);
	assert_non_null(e2.first);
	assert_non_null(strstr(e2.first->message, "locked by another process that has it alone"));
	assert_int_equal(yl_store_bulk_exclusive(s, false, NULL, f->a, &e), YL_OK);
	assert_int_equal(file_format(f->db.where), 2);
	assert_int_equal(other_count(f->db.where), 51);
	/* the connection opened meanwhile now reads on its own */
	f->c = yl_store_conn(s, f->a, &e);
	struct yl_row row;
	assert_int_equal(yl_store_read(f->c, f->a, "Patient", "b49", 0, &row, &e), YL_OK);
	assert_string_equal(row.body, "{\"v\":1,\"tag\":\"bulk\"}");
}

/* a prewarmed store: its connections serve the next threads, and read what is stored */
static void test_prewarm(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof id, "w%02d", i);
		assert_int_equal(put_indexed(f, id, "warm"), YL_OK);
	}
	struct yl_store *s;
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_open(f->db.where, &s, f->a, &e), YL_OK);
	yl_store_set_cache(s, 8);
	assert_int_equal(yl_store_prewarm(s, 2, f->a, &e), YL_OK);
	struct yl_store_conn *c = yl_store_conn(s, f->a, &e);
	assert_non_null(c);
	struct yl_row row;
	assert_int_equal(yl_store_read(c, f->a, "Basic", "w07", 0, &row, &e), YL_OK);
	assert_string_equal(row.body, "{\"v\":1,\"tag\":\"warm\"}");
	yl_store_close(s);
}

#define MANY_WRITERS 100 /* more than GROUP_COMMIT_MAX (64) writers queued at once */

struct creator {
	struct yl_store *s;
	int n;
	int ok;
	int wrong;
};

static void *creator(void *p)
{
	struct creator *w = p;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err e;
	yl_err_init(&e);
	struct yl_store_conn *c = yl_store_conn(w->s, a, &e);
	for (int i = 0; c && i < 10; i++) {
		char *id = yl_arena_printf(a, "t%d-%d", w->n, i);
		struct yl_write wr = {.op = YL_WRITE_CREATE,
		                      .type = "Basic",
		                      .id = id,
		                      .render = render,
		                      .render_ctx = "t"};
		if (yl_store_write(c, a, &wr, &e) == YL_OK && wr.version == 1)
			w->ok++;
		else
			w->wrong++;
	}
	yl_arena_destroy(a);
	return NULL;
}

/* regression: a writer whose job was not in the batch it led was told "ok" without its
 * write having run (and its stack frame stayed queued) */
static void test_group_commit_with_many_writers(void **state)
{
	struct fixture *f = *state;
	pthread_t t[MANY_WRITERS];
	struct creator w[MANY_WRITERS];
	for (int i = 0; i < MANY_WRITERS; i++) {
		w[i] = (struct creator){f->s, i, 0, 0};
		pthread_create(&t[i], NULL, creator, &w[i]);
	}
	int ok = 0, wrong = 0;
	for (int i = 0; i < MANY_WRITERS; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
		wrong += w[i].wrong;
	}
	assert_int_equal(wrong, 0);
	assert_int_equal(ok, MANY_WRITERS * 10);
	int64_t n;
	struct yl_err e;
	yl_err_init(&e);
	assert_int_equal(yl_store_history_count(f->c, f->a, "Basic", NULL, 0, &n, &e), YL_OK);
	assert_int_equal(n, MANY_WRITERS * 10);
}

/* Reads by id from many threads at once (on PostgreSQL they share statements: the read
 * batch): each thread gets its own resource's row, absent ids are absent, a Patient filed
 * under another's compartment is found, and a thread reads its own write at once. */
#define READERS  24
#define READ_IDS 30

struct reader {
	struct yl_store *s;
	int n;
	int wrong; /* reads that got another's row, or a wrong answer */
	int reads;
};

static bool row_is(const struct yl_row *row, const char *tag, int64_t version)
{
	char want[128];
	snprintf(want, sizeof want, "{\"v\":%lld,\"tag\":\"%s\"}", (long long)version, tag);
	return row->body && row->body_len == strlen(want) &&
	       memcmp(row->body, want, row->body_len) == 0 && row->version == version;
}

static void *reader(void *p)
{
	struct reader *r = p;
	struct yl_arena *a = yl_arena_create(0);
	struct yl_err e;
	yl_err_init(&e);
	struct yl_store_conn *c = yl_store_conn(r->s, a, &e);
	char own[32];
	snprintf(own, sizeof own, "own%d", r->n);
	unsigned seed = (unsigned)r->n * 7919u + 1;
	for (int i = 0; c && i < 200; i++) {
		struct yl_row row;
		yl_err_init(&e);
		seed = seed * 1103515245u + 12345u;
		int k = (int)((seed >> 8) % READ_IDS), pick = (int)((seed >> 20) % 5);
		char id[32];
		enum yl_code code;
		r->reads++;
		switch (pick) {
		case 0: /* a Patient in its own compartment */
			snprintf(id, sizeof id, "p%d", k);
			code = yl_store_read(c, a, "Patient", id, 0, &row, &e);
			r->wrong += code != YL_OK || !row_is(&row, id, 1) ||
			            strcmp(row.id, id) != 0 || !row.patient ||
			            strcmp(row.patient, id) != 0;
			break;
		case 1: /* another type, same ids */
			snprintf(id, sizeof id, "p%d", k);
			code = yl_store_read(c, a, "Basic", id, 0, &row, &e);
			r->wrong += code != YL_OK || !row_is(&row, "basic", 1);
			break;
		case 2: /* absent */
			snprintf(id, sizeof id, "nobody%d", k);
			code = yl_store_read(c, a, k % 2 ? "Patient" : "Basic", id, 0, &row, &e);
			r->wrong += code != YL_NOT_FOUND;
			break;
		case 3: /* a Patient in another's compartment */
			code = yl_store_read(c, a, "Patient", "linked", 0, &row, &e);
			r->wrong += code != YL_OK || !row_is(&row, "linked", 1) ||
			            strcmp(row.patient, "p0") != 0;
			break;
		default: { /* this thread's own write, read back at once */
			struct yl_write w = {.op = YL_WRITE_UPDATE,
			                     .type = "Patient",
			                     .id = own,
			                     .patient = own,
			                     .render = render,
			                     .render_ctx = own};
			if (yl_store_write(c, a, &w, &e) != YL_OK) {
				r->wrong++;
				break;
			}
			code = yl_store_read(c, a, "Patient", own, 0, &row, &e);
			r->wrong += code != YL_OK || !row_is(&row, own, w.version);
		}
		}
		if (i % 50 == 49)
			yl_arena_reset(a);
	}
	if (!c)
		r->wrong++;
	yl_arena_destroy(a);
	return NULL;
}

static void test_concurrent_reads(void **state)
{
	struct fixture *f = *state;
	for (int k = 0; k < READ_IDS; k++) {
		char *id = yl_arena_printf(f->a, "p%d", k);
		assert_int_equal(put(f, YL_WRITE_CREATE, "Patient", id, id, 0, NULL), YL_OK);
		assert_int_equal(put(f, YL_WRITE_CREATE, "Basic", id, "basic", 0, NULL), YL_OK);
	}
	struct yl_err e;
	yl_err_init(&e);
	struct yl_write w = {.op = YL_WRITE_CREATE,
	                     .type = "Patient",
	                     .id = "linked",
	                     .patient = "p0",
	                     .render = render,
	                     .render_ctx = "linked"};
	assert_int_equal(yl_store_write(f->c, f->a, &w, &e), YL_OK);
	pthread_t t[READERS];
	struct reader r[READERS];
	for (int i = 0; i < READERS; i++) {
		r[i] = (struct reader){.s = f->s, .n = i};
		pthread_create(&t[i], NULL, reader, &r[i]);
	}
	int wrong = 0, reads = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(t[i], NULL);
		wrong += r[i].wrong;
		reads += r[i].reads;
	}
	assert_int_equal(reads, READERS * 200);
	assert_int_equal(wrong, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrations_recorded_and_idempotent, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_versions_and_tombstones, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_write_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_history_order_and_cursor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bulk_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit_with_many_writers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_reads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index_rows_follow_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reindex_rebuilds_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_after_long_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_by_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_date_count_by_span, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_by_value, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bulk_load_defers_indexes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bulk_exclusive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prewarm, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
