/* pg-copy.c -- COPY ... FROM STDIN (FORMAT binary) for bulk loads: rows encoded into one
 * growing buffer (PostgreSQL's binary tuple format: a field count, then each field's
 * length and big-endian bytes; no escaping, bodies sent as they are) and sent with
 * PQputCopyData, in one go or streamed in pieces of PIECE bytes as they fill. Used by
 * store/pg.c for the held rows of a bulk load and for audit events.
 * Memory: the buffer is malloc'd and kept for reuse until yl_pg_copy_free(). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/pg-int.h"

static void grow(struct yl_pg_copy *b, size_t n)
{
	if (b->nomem || b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1 << 16;
	while (cap < b->len + n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->nomem = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void put_be(struct yl_pg_copy *b, uint64_t v, int n)
{
	grow(b, (size_t)n);
	if (b->nomem)
		return;
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		b->p[b->len + (size_t)i] = (char)(v & 0xff);
	b->len += (size_t)n;
}

#define PIECE ((size_t)1 << 18)

void yl_pg_copy_stream(struct yl_pg_copy *b, PGconn *db, const char *copy_sql)
{
	b->db = db;
	b->sql = copy_sql;
}

/* Begin the COPY on b->db; false (logged) when the server refused it. */
static bool copy_begin(struct yl_pg_copy *b, PGconn *db, const char *copy_sql)
{
	PGresult *r = PQexec(db, copy_sql);
	bool ok = r && PQresultStatus(r) == PGRES_COPY_IN;
	if (!ok)
		yl_log(YL_LOG_ERROR, "store: %s failed: %s", copy_sql, PQerrorMessage(db));
	PQclear(r);
	b->open = ok;
	return ok;
}

/* What is in the buffer, to the server (a streamed COPY's full piece). */
static void put_piece(struct yl_pg_copy *b)
{
	if (b->failed || b->nomem)
		return;
	if (!b->open && !copy_begin(b, b->db, b->sql)) {
		b->failed = true;
		return;
	}
	/* libpq takes it all, blocking while the socket is full: PostgreSQL's pace */
	if (PQputCopyData(b->db, b->p, (int)b->len) != 1)
		b->failed = true;
	b->len = 0;
}

void yl_pg_copy_row(struct yl_pg_copy *b, int nfields)
{
	if (b->db && b->len >= PIECE)
		put_piece(b);
	if (!b->header && !b->nomem) { /* the header: signature, flags, extension length */
		static const char sig[11] = {'P',  'G',    'C',  'O',  'P', 'Y',
		                             '\n', '\377', '\r', '\n', 0};
		grow(b, 19);
		if (b->nomem)
			return;
		memcpy(b->p, sig, sizeof sig);
		b->len = sizeof sig;
		put_be(b, 0, 4);
		put_be(b, 0, 4);
		b->header = true;
	}
	put_be(b, (uint64_t)nfields, 2);
	b->rows++;
}

void yl_pg_copy_null(struct yl_pg_copy *b)
{
	put_be(b, 0xffffffffu, 4);
}

void yl_pg_copy_int8(struct yl_pg_copy *b, int64_t v)
{
	put_be(b, 8, 4);
	put_be(b, (uint64_t)v, 8);
}

void yl_pg_copy_int4(struct yl_pg_copy *b, int32_t v)
{
	put_be(b, 4, 4);
	put_be(b, (uint32_t)v, 4);
}

void yl_pg_copy_float8(struct yl_pg_copy *b, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	put_be(b, 8, 4);
	put_be(b, u, 8);
}

void yl_pg_copy_bytes(struct yl_pg_copy *b, const void *p, size_t n)
{
	put_be(b, (uint64_t)n, 4);
	grow(b, n);
	if (b->nomem)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void yl_pg_copy_text(struct yl_pg_copy *b, const char *s)
{
	if (s)
		yl_pg_copy_bytes(b, s, strlen(s));
	else
		yl_pg_copy_null(b);
}

enum yl_code yl_pg_copy_send(PGconn *db, struct yl_arena *a, const char *copy_sql,
                             struct yl_pg_copy *b, struct yl_err *err)
{
	if (b->rows == 0) {
		yl_pg_copy_reset(b);
		return YL_OK;
	}
	put_be(b, 0xffff, 2); /* the trailer */
	bool ok = !b->failed && !b->nomem;
	if (ok && !b->open)
		ok = copy_begin(b, db, copy_sql);
	/* in pieces of at most 1 MB: libpq buffers what the socket does not take */
	for (size_t o = 0; ok && o < b->len; o += 1 << 20) {
		size_t n = b->len - o < (1u << 20) ? b->len - o : 1u << 20;
		ok = PQputCopyData(db, b->p + o, (int)n) == 1;
	}
	if (b->open) {
		ok = PQputCopyEnd(db, ok ? NULL : "yilian: sending rows failed") == 1 && ok;
		PGresult *r;
		while ((r = PQgetResult(db))) {
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				yl_log(YL_LOG_ERROR, "store: %s failed: %s", copy_sql,
				       PQresultErrorMessage(r));
				ok = false;
			}
			PQclear(r);
		}
	}
	bool nomem = b->nomem;
	yl_pg_copy_reset(b);
	if (ok)
		return YL_OK;
	if (nomem)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory loading rows");
	return yl_err_add(err, a, PQstatus(db) == CONNECTION_OK ? YL_STORE : YL_UNAVAILABLE, NULL,
	                  PQstatus(db) == CONNECTION_OK
	                      ? "loading rows failed in the database; the batch was rolled back "
	                        "(the server log has the cause)"
	                      : "the database is not reachable (restarting?); the batch was "
	                        "rolled back; retry");
}

void yl_pg_copy_reset(struct yl_pg_copy *b)
{
	b->len = 0;
	b->rows = 0;
	b->nomem = false;
	b->header = false;
	b->db = NULL;
	b->sql = NULL;
	b->open = false;
	b->failed = false;
}

void yl_pg_copy_free(struct yl_pg_copy *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
