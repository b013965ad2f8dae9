/* testdb.c -- see testdb.h */
#include "testdb.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *pg_base(void)
{
	const char *b = getenv("YL_TEST_PG");
	return b && *b ? b : NULL;
}

bool yl_testdb_is_pg(void)
{
	return pg_base() != NULL;
}

/* base with its database replaced by name: the URI's path, or a dbname= keyword */
static int pg_uri(const char *base, const char *name, char *out, size_t outlen)
{
	const char *scheme = strstr(base, "://");
	int n;
	if (!scheme) {
		n = snprintf(out, outlen, "%s dbname=%s", base, name);
	} else {
		const char *auth = scheme + 3;
		size_t alen = strcspn(auth, "/?");
		const char *query = strchr(auth + alen, '?');
		n = snprintf(out, outlen, "%.*s/%s%s", (int)(auth + alen - base), base, name,
		             query ? query : "");
	}
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

static void quiet(void *ctx, const char *message)
{
	(void)ctx;
	(void)message;
}

static PGconn *pg_connect(const char *where)
{
	PGconn *c = PQconnectdb(where);
	if (PQstatus(c) == CONNECTION_OK)
		PQsetNoticeProcessor(c, quiet, NULL); /* "does not exist, skipping" and the like */
	return c;
}

/* one statement on the base database (CREATE/DROP DATABASE cannot run inside a transaction) */
static int pg_admin(const char *sql)
{
	PGconn *c = pg_connect(pg_base());
	int rc = -1;
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "testdb: cannot connect to YL_TEST_PG: %s", PQerrorMessage(c));
		goto out;
	}
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_COMMAND_OK)
		rc = 0;
	else
		fprintf(stderr, "testdb: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
out:
	PQfinish(c);
	return rc;
}

/* At exit, the databases of this process that are still there: cmocka runs no teardown
 * after a failed setup. */
static void drop_leftovers(void)
{
	PGconn *c = pg_connect(pg_base());
	PGresult *r = NULL;
	char sql[160];
	if (PQstatus(c) != CONNECTION_OK)
		goto out;
	snprintf(sql, sizeof sql,
	         "SELECT datname FROM pg_database WHERE datname LIKE 'yl\\_t\\_%d\\_%%'",
	         (int)getpid());
	r = PQexec(c, sql);
	for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)",
		         PQgetvalue(r, i, 0));
		PQclear(PQexec(c, sql));
	}
out:
	PQclear(r);
	PQfinish(c);
}

int yl_testdb_create(struct yl_testdb *t, const char *tag)
{
	static int seq;
	memset(t, 0, sizeof *t);
	t->pg = yl_testdb_is_pg();
	if (!t->pg) {
		snprintf(t->name, sizeof t->name, "/tmp/yl-%s-%d.db", tag, (int)getpid());
		snprintf(t->where, sizeof t->where, "%s", t->name);
		yl_testdb_drop(t);
		return 0;
	}
	if (seq == 0)
		atexit(drop_leftovers);
	snprintf(t->name, sizeof t->name, "yl_t_%d_%d", (int)getpid(), ++seq);
	if (pg_uri(pg_base(), t->name, t->where, sizeof t->where) != 0)
		return -1;
	char sql[160];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name);
	if (pg_admin(sql) != 0)
		return -1;
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", t->name);
	return pg_admin(sql);
}

void yl_testdb_drop(struct yl_testdb *t)
{
	char p[sizeof t->name + 8];
	if (t->pg) {
		snprintf(p, sizeof p, "%s", t->name);
		char sql[160];
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", p);
		pg_admin(sql);
		return;
	}
	unlink(t->name);
	snprintf(p, sizeof p, "%s-wal", t->name);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", t->name);
	unlink(p);
}

struct first {
	char *out;
	size_t len;
	bool got;
};

static int first_cell(void *ctx, int n, char **vals, char **names)
{
	(void)names;
	struct first *f = ctx;
	if (!f->got && n > 0 && f->out)
		snprintf(f->out, f->len, "%s", vals[0] ? vals[0] : "");
	f->got = true;
	return 0;
}

int yl_testdb_sql(const struct yl_testdb *t, const char *sql, char *out, size_t outlen, char *msg,
                  size_t msglen)
{
	if (out && outlen)
		out[0] = '\0';
	if (msg && msglen)
		msg[0] = '\0';
	int rc = -1;
	if (!t->pg) {
		sqlite3 *db = NULL;
		char *err = NULL;
		struct first f = {out, outlen, false};
		if (sqlite3_open(t->where, &db) == SQLITE_OK &&
		    sqlite3_exec(db, sql, first_cell, &f, &err) == SQLITE_OK)
			rc = 0;
		else if (msg)
			snprintf(msg, msglen, "%s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		sqlite3_close(db);
		return rc;
	}
	PGconn *c = pg_connect(t->where);
	PGresult *r = NULL;
	if (PQstatus(c) != CONNECTION_OK)
		goto out;
	r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		goto out;
	if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0 && out)
		snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
	rc = 0;
out:
	if (rc != 0 && msg)
		snprintf(msg, msglen, "%s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}
