/* test_audit.c -- the audit trail's hash chain (auth/audit.h, core/chain.h) catches every
 * kind of tampering done to the file behind yilian's back -- a changed event, a removed one,
 * an inserted one, two swapped, the tail cut off (with the recorded head) -- and names the
 * first bad event; a resident's events listed through the patient postings (migration 0011),
 * also on a trail written before them; and the account lock of auth/auth.h: YL_LOCK_AFTER
 * failures in a row lock the account (the right password is refused alike), and an unknown
 * user is answered the same way. Run on a SQLite file, and on a fresh PostgreSQL database when
 * YL_TEST_PG is set (testdb.h): the tampering is done with each backend's own SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testdb.h"

#include "auth/audit.h"
#include "auth/auth.h"
#include "core/id.h"
#include "store/store.h"

#define EVENTS 12

struct fx {
	struct yl_testdb db;
	struct yl_arena *a;
	struct yl_store *s;
	struct yl_store_conn *c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_int_equal(yl_id_init(), 0);
	assert_int_equal(yl_testdb_create(&f->db, "audit"), 0);
	f->a = yl_arena_create(0);
	struct yl_err err;
	yl_err_init(&err);
	if (yl_store_open(f->db.where, &f->s, f->a, &err) != YL_OK)
		fail_msg("open %s: %s", f->db.where, err.first ? err.first->message : "?");
	f->c = yl_store_conn(f->s, f->a, &err);
	if (!f->c)
		fail_msg("connection: %s", err.first ? err.first->message : "?");
	for (int i = 0; i < EVENTS; i++) {
		struct yl_audit_in in = {.subtype = "read",
		                         .action = 'R',
		                         .status = 200,
		                         .username = "dr-li",
		                         .peer = "10.0.0.7",
		                         .what = yl_arena_printf(f->a, "Patient/p%d", i),
		                         .patient = yl_arena_printf(f->a, "p%d", i)};
		struct yl_audit_rec rec;
		assert_true(yl_audit_record(f->a, &in, &rec));
		assert_int_equal(yl_store_audit_append(f->c, f->a, &rec, 1, &err), YL_OK);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	yl_store_close(f->s);
	yl_arena_destroy(f->a);
	yl_testdb_drop(&f->db);
	free(f);
	return 0;
}

static struct yl_audit_verdict verify(struct fx *f)
{
	struct yl_audit_verdict v;
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_audit_verify(f->c, f->a, &v, &err), YL_OK);
	return v;
}

/* Tamper with the store as someone with sqlite3 or psql would: the triggers that keep
 * yilian itself from changing the trail are dropped first. */
static void tamper(struct fx *f, const char *sql)
{
	yl_store_close(f->s);
	char msg[512];
	const char *untrigger = f->db.pg ? "DROP TRIGGER IF EXISTS audit_no_update ON audit; "
	                                   "DROP TRIGGER IF EXISTS audit_no_truncate ON audit;"
	                                 : "DROP TRIGGER IF EXISTS audit_no_update; "
	                                   "DROP TRIGGER IF EXISTS audit_no_delete;";
	if (yl_testdb_sql(&f->db, untrigger, NULL, 0, msg, sizeof msg) != 0)
		fail_msg("%s: %s", untrigger, msg);
	if (yl_testdb_sql(&f->db, sql, NULL, 0, msg, sizeof msg) != 0)
		fail_msg("%s: %s", sql, msg);
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_store_open(f->db.where, &f->s, f->a, &err), YL_OK);
	f->c = yl_store_conn(f->s, f->a, &err);
}

static void test_intact(void **state)
{
	struct fx *f = *state;
	struct yl_audit_verdict v = verify(f);
	assert_int_equal(v.bad_seq, 0);
	assert_int_equal(v.events, EVENTS);
	assert_int_equal(strlen(v.head), 64);
}

static void test_yilian_cannot_change_it(void **state)
{
	struct fx *f = *state;
	yl_store_close(f->s);
	char msg[512];
	assert_int_not_equal(
	    yl_testdb_sql(&f->db, "UPDATE audit SET agent = 'x'", NULL, 0, msg, sizeof msg), 0);
	assert_int_not_equal(
	    yl_testdb_sql(&f->db, "DELETE FROM audit WHERE seq = 3", NULL, 0, msg, sizeof msg), 0);
	if (f->db.pg) /* and no TRUNCATE, which skips row triggers */
		assert_int_not_equal(
		    yl_testdb_sql(&f->db, "TRUNCATE audit", NULL, 0, msg, sizeof msg), 0);
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_store_open(f->db.where, &f->s, f->a, &err), YL_OK);
	f->c = yl_store_conn(f->s, f->a, &err);
	assert_int_equal(verify(f).bad_seq, 0);
}

static void test_modified(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE audit SET body = replace(body, 'dr-li', 'dr-wu') WHERE seq = 5");
	struct yl_audit_verdict v = verify(f);
	assert_int_equal(v.bad_seq, 5);
	assert_non_null(strstr(v.why, "event 5"));
	assert_int_equal(v.events, 4);
}

static void test_deleted(void **state)
{
	struct fx *f = *state;
	tamper(f, "DELETE FROM audit WHERE seq = 7");
	struct yl_audit_verdict v = verify(f);
	assert_int_equal(v.bad_seq, 8);
	assert_non_null(strstr(v.why, "missing"));
}

static void test_deleted_and_renumbered(void **state)
{
	struct fx *f = *state;
	tamper(f, "DELETE FROM audit WHERE seq = 7; UPDATE audit SET seq = seq - 1 WHERE seq > 7");
	assert_int_equal(verify(f).bad_seq, 7);
}

static void test_inserted(void **state)
{
	struct fx *f = *state;
	/* a forged event between 3 and 4: the later ones moved up to make room */
	tamper(f, "UPDATE audit SET seq = seq + 100 WHERE seq > 3; "
	          "UPDATE audit SET seq = seq - 99 WHERE seq > 100; "
	          "INSERT INTO audit (seq, recorded, patient, agent, body, hash) "
	          "SELECT 4, recorded, patient, agent, body, hash FROM audit WHERE seq = 3");
	assert_int_equal(verify(f).bad_seq, 4);
}

static void test_reordered(void **state)
{
	struct fx *f = *state;
	tamper(f, "UPDATE audit SET seq = 1000 WHERE seq = 9; "
	          "UPDATE audit SET seq = 9 WHERE seq = 10; "
	          "UPDATE audit SET seq = 10 WHERE seq = 1000");
	assert_int_equal(verify(f).bad_seq, 9);
}

static void test_rehashed_tail_needs_the_head(void **state)
{
	struct fx *f = *state;
	char head[65];
	memcpy(head, verify(f).head, sizeof head);
	/* the last two events removed: the chain that is left is intact, and only the recorded
	 * head shows the cut */
	tamper(f, "DELETE FROM audit WHERE seq > 10");
	struct yl_audit_verdict v = verify(f);
	assert_int_equal(v.bad_seq, 0);
	assert_int_equal(v.events, EVENTS - 2);
	assert_string_not_equal(v.head, head);
}

/* ---- a resident's events: the patient postings (migration 0011) ------------------------ */

struct listed {
	int64_t seq[32];
	int n;
	const char *patient;
	bool other; /* an event of someone else was listed */
};

static int list_one(void *ctx, int64_t seq, const char *hash, const struct yl_audit_rec *ev)
{
	(void)hash;
	struct listed *l = ctx;
	if (!ev->patient || strcmp(ev->patient, l->patient) != 0)
		l->other = true;
	if (l->n < 32)
		l->seq[l->n++] = seq;
	return 0;
}

static struct listed list(struct fx *f, const char *patient, int64_t after, bool newest, int n)
{
	struct listed l = {.patient = patient};
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(
	    yl_store_audit_scan(f->c, f->a, patient, after, newest, n, list_one, &l, &err), YL_OK);
	assert_false(l.other);
	return l;
}

static void append_read(struct fx *f, const char *patient)
{
	struct yl_audit_in in = {.subtype = "read",
	                         .action = 'R',
	                         .status = 200,
	                         .username = "dr-li",
	                         .what = yl_arena_printf(f->a, "Patient/%s", patient),
	                         .patient = patient};
	struct yl_audit_rec rec;
	struct yl_err err;
	yl_err_init(&err);
	assert_true(yl_audit_record(f->a, &in, &rec));
	assert_int_equal(yl_store_audit_append(f->c, f->a, &rec, 1, &err), YL_OK);
}

/* Newest first and oldest first, a page at a time; ids differ only in case are different
 * residents (the postings hold the hex of the id: the tokenizer folds case). */
static void test_patient_listing(void **state)
{
	struct fx *f = *state;
	append_read(f, "p3");  /* 13 */
	append_read(f, "P3");  /* 14 */
	append_read(f, "p3");  /* 15 */
	append_read(f, "p31"); /* 16 */
	struct listed l = list(f, "p3", 0, true, 2);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.seq[0], 15);
	assert_int_equal(l.seq[1], 13);
	l = list(f, "p3", 13, true, 2);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.seq[0], 4); /* setup's read of p3 */
	l = list(f, "p3", 0, false, 10);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.seq[0], 4);
	assert_int_equal(l.seq[2], 15);
	l = list(f, "P3", 0, true, 10);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.seq[0], 14);
	assert_int_equal(list(f, "nobody", 0, true, 10).n, 0);
}

/* A trail written before the postings (the B-tree index of migration 0010) is listed the
 * same after the upgrade, and what is appended after it too. */
static void test_listing_after_upgrade(void **state)
{
	struct fx *f = *state;
	/* the upgrade is SQLite's (its B-tree index replaced by FTS5 postings); PostgreSQL keeps
	 * the B-tree, and its migration 0011 does nothing */
	if (f->db.pg)
		skip();
	tamper(f, "DROP TABLE audit_by_patient; "
	          "DELETE FROM store_meta WHERE key = 'audit_by_patient'; "
	          "DELETE FROM schema_migrations WHERE version = 11; "
	          "CREATE INDEX audit_patient ON audit (patient, seq) WHERE patient IS NOT NULL");
	struct listed l = list(f, "p5", 0, true, 10);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.seq[0], 6);
	append_read(f, "p5");
	l = list(f, "p5", 0, true, 10);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.seq[0], 13);
	assert_int_equal(verify(f).bad_seq, 0);
}

/* ---- the account lock ------------------------------------------------------------------ */

static void test_lock_after_failures(void **state)
{
	struct fx *f = *state;
	char hash[YL_AUTH_HASH_LEN];
	assert_int_equal(yl_auth_hash("right-password", 14, hash), 0);
	struct yl_user u = {
	    .username = "nurse-wang", .pw_hash = hash, .roles = "nurse", .practitioner = "n1"};
	struct yl_err err;
	yl_err_init(&err);
	assert_int_equal(yl_store_user_put(f->c, f->a, &u, NULL, &err), YL_OK);
	char token[YL_AUTH_TOKEN_LEN + 1];
	int64_t expires;
	int retry;
	struct yl_principal who;
	for (int i = 0; i < YL_LOCK_AFTER; i++) {
		yl_auth_throttle_reset(); /* the back-off is another test's */
		yl_err_init(&err);
		assert_int_equal(yl_auth_login(f->c, f->a, "nurse-wang", "wrong-password",
		                               "10.0.0.9", token, &expires, &who, &retry, &err),
		                 YL_UNAUTHORIZED);
	}
	yl_auth_throttle_reset();
	yl_err_init(&err);
	assert_int_equal(yl_auth_login(f->c, f->a, "nurse-wang", "right-password", "10.0.0.9",
	                               token, &expires, &who, &retry, &err),
	                 YL_UNAUTHORIZED);
	const char *locked_msg = yl_arena_strdup(f->a, err.first->message);
	struct yl_user now;
	assert_int_equal(yl_store_user_get(f->c, f->a, "nurse-wang", 0, &now, &err), YL_OK);
	assert_true(now.locked_until > 0);
	/* an unknown user is told exactly the same */
	yl_auth_throttle_reset();
	yl_err_init(&err);
	assert_int_equal(yl_auth_login(f->c, f->a, "nobody", "right-password", "10.0.0.9", token,
	                               &expires, &who, &retry, &err),
	                 YL_UNAUTHORIZED);
	assert_string_equal(err.first->message, locked_msg);
	/* the operator lifts the lock by enabling the account: the lock time passed */
	now.locked_until = 1;
	now.failed = 0;
	assert_int_equal(yl_store_user_put(f->c, f->a, &now, NULL, &err), YL_OK);
	yl_auth_throttle_reset();
	yl_err_init(&err);
	assert_int_equal(yl_auth_login(f->c, f->a, "nurse-wang", "right-password", "10.0.0.9",
	                               token, &expires, &who, &retry, &err),
	                 YL_OK);
	assert_int_equal(strlen(token), YL_AUTH_TOKEN_LEN);
	/* the token authenticates until the session is ended */
	struct yl_principal back;
	const char *hdr = yl_arena_printf(f->a, "Bearer %s", token);
	assert_int_equal(yl_auth_authenticate(f->c, f->a, hdr, &back, &err), YL_OK);
	assert_string_equal(back.username, "nurse-wang");
	assert_int_equal(yl_auth_logout(f->c, f->a, &back, "10.0.0.9", &err), YL_OK);
	yl_err_init(&err);
	assert_int_equal(yl_auth_authenticate(f->c, f->a, hdr, &back, &err), YL_UNAUTHORIZED);
	/* every one of these is on the trail, still intact */
	struct yl_audit_verdict v = verify(f);
	assert_int_equal(v.bad_seq, 0);
	assert_true(v.events >= EVENTS + YL_LOCK_AFTER + 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_yilian_cannot_change_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modified, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_and_renumbered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inserted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reordered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rehashed_tail_needs_the_head, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_patient_listing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_after_upgrade, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_after_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
