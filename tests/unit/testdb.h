/* testdb.h -- where a unit test's store lives, so that one contract suite runs against every
 * backend. Without YL_TEST_PG: a fresh SQLite file /tmp/yl-<tag>-<pid>.db. With YL_TEST_PG
 * set to a PostgreSQL URI (tests/run.sh gives the one of its private cluster's database
 * "yilian"): a fresh database yl_t_<pid>_<n>, created through a connection to that URI and
 * dropped (WITH (FORCE)) by yl_testdb_drop().
 * yl_testdb_sql() runs SQL on the store behind yilian's back, as an operator with sqlite3 or
 * psql would (to tamper with it or to look at how it stores something).
 * Errors: create returns -1 with a message on stderr. Not thread-safe; tests only. */
#ifndef YL_TESTDB_H
#define YL_TESTDB_H

#include <stdbool.h>
#include <stddef.h>

struct yl_testdb {
	bool pg;
	char name[64];    /* the PostgreSQL database's name, or the SQLite file's path */
	char where[1024]; /* what yl_store_open() takes: the file, or the database's URI */
};

/* Whether YL_TEST_PG is set (the tests of SQLite's own mechanisms skip then). */
bool yl_testdb_is_pg(void);
/* A fresh, empty store location (nothing made there yet: yl_store_open() makes it). */
int yl_testdb_create(struct yl_testdb *t, const char *tag);
/* Remove it (the file with its -wal and -shm, or the database). */
void yl_testdb_drop(struct yl_testdb *t);
/* Run sql (one or more statements) on a connection of its own. Returns 0, or -1 with the
 * database's message in msg. OUT: out gets the first column of the first row (SQLite) or of
 * the last statement's first row (PostgreSQL), "" when none or NULL; out may be NULL. */
int yl_testdb_sql(const struct yl_testdb *t, const char *sql, char *out, size_t outlen, char *msg,
                  size_t msglen);

#endif
