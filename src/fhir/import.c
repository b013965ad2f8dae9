/* import.c -- files of resources into the store; see import.h. */
#include "fhir/import.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/id.h"
#include "core/time.h"
#include "fhir/compartment.h"
#include "fhir/extract.h"
#include "fhir/json.h"
#include "fhir/jsonload.h"
#include "fhir/schema.h"
#include "fhir/validate.h"
#include "store/body.h"

/* ---- transactions ------------------------------------------------------------------- */

static enum yl_code begin(struct yl_import *im, struct yl_err *err)
{
	if (im->in_txn)
		return YL_OK;
	if (!im->c && !(im->c = yl_store_conn(im->store, im->a, err)))
		return err->code;
	enum yl_code code = yl_store_begin(im->c, im->a, err);
	im->in_txn = code == YL_OK;
	return code;
}

static enum yl_code commit(struct yl_import *im, struct yl_err *err)
{
	if (!im->in_txn)
		return YL_OK;
	im->in_txn = false;
	enum yl_code code = yl_store_commit(im->c, im->a, err);
	im->pending = 0;
	yl_arena_reset(im->a);
	if (code == YL_OK && im->progress)
		im->progress(im->ctx, &im->st);
	return code;
}

static void rollback(struct yl_import *im)
{
	if (im->in_txn)
		yl_store_rollback(im->c);
	im->in_txn = false;
	im->pending = 0; /* the arena stays: err's messages live in it until the next batch */
}

/* ---- one resource ------------------------------------------------------------------ */

struct where {
	const char *file;
	long line;
};

/* ---- the NDJSON pipeline ------------------------------------------------------------
 * The caller's thread reads, parses, validates and indexes resources into batches; a
 * writer thread stores each batch in one transaction. Each batch has its own arena (the
 * resources' text is copied into it, so a file may be unmapped while its last batch is
 * written); at most PIPE_BATCHES exist, so memory stays bounded. Bundles and --strict
 * files take the synchronous path, after the pipeline has drained, keeping file order. */

#define PIPE_BATCHES 3

struct pending {
	struct yl_write w;
	struct yl_json_body bc;
	struct where at;
};

struct batch {
	struct yl_arena *a;
	struct pending *v;
	size_t n;
	int64_t resources, failed, bytes; /* read by the producer; bytes: absolute */
	struct batch *next;
};

struct yl_import_pipe {
	pthread_t thread;
	bool running;
	pthread_mutex_t mu; /* the queue, the totals (im->st) and the report/progress callbacks */
	pthread_cond_t cv;
	struct batch *queue, **tail; /* submitted, not yet written */
	struct batch *spare;
	int nbatches;
	bool stop, busy;
	enum yl_code failed; /* the writer's first error; later batches are dropped */
	struct yl_err err;   /* its messages, in msg_a */
	struct yl_arena *msg_a;
	struct batch *cur; /* being filled by the producer */
	int64_t bytes;     /* the producer's: input bytes read so far */
};

static void lock_ui(struct yl_import *im)
{
	if (im->pipe)
		pthread_mutex_lock(&im->pipe->mu);
}

static void unlock_ui(struct yl_import *im)
{
	if (im->pipe)
		pthread_mutex_unlock(&im->pipe->mu);
}

static void report(struct yl_import *im, const struct where *at, const struct yl_err *e)
{
	if (im->pipe && im->pipe->cur)
		im->pipe->cur->failed++;
	else
		im->st.failed++;
	if (!im->report)
		return;
	char msg[512];
	size_t n = 0;
	msg[0] = '\0';
	for (const struct yl_issue *is = e->first; is && n < sizeof msg - 1; is = is->next) {
		if (strcmp(is->severity, "error") != 0 && strcmp(is->severity, "fatal") != 0)
			continue;
		int k = snprintf(msg + n, sizeof msg - n, "%s%s%s%s", n ? "; " : "",
		                 is->expression ? is->expression : "", is->expression ? ": " : "",
		                 is->message);
		if (k < 0)
			break;
		n += (size_t)k < sizeof msg - n ? (size_t)k : sizeof msg - n - 1;
	}
	lock_ui(im);
	im->report(im->ctx, at->file, at->line, msg[0] ? msg : "refused");
	unlock_ui(im);
}

struct ref {
	const char *full_url;
	const char *target; /* Type/id */
};

struct refs {
	struct ref *v;
	size_t n;
	struct yl_err err; /* what map_ref could not resolve */
	struct yl_arena *a;
};

static int by_url(const void *x, const void *y)
{
	return strcmp(((const struct ref *)x)->full_url, ((const struct ref *)y)->full_url);
}

static int map_ref(void *ctx, const char *s, size_t n, const char **to)
{
	struct refs *m = ctx;
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(m->v[mid].full_url, s, n);
		if (c == 0 && m->v[mid].full_url[n])
			c = 1;
		if (c == 0) {
			*to = m->v[mid].target;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (n > 4 && strncmp(s, "urn:", 4) == 0) {
		yl_err_init(&m->err);
		yl_err_add(&m->err, m->a, YL_BAD_REQUEST, NULL,
		           "reference '%.*s' is not the fullUrl of any entry in this Bundle",
		           (int)(n > 200 ? 200 : n), s);
		return -2;
	}
	return 0;
}

/* Store the resource text[0..len) (references to fullUrls mapped through m when given),
 * keeping its id (or want_id when it has none). YL_OK also when the resource was bad and reported;
 * an error when the store failed or, strict, the resource was bad. */
static enum yl_code pipe_append(struct yl_import *im, const struct where *at, struct yl_write *w,
                                const struct yl_json_body *bc, struct yl_err *err);

static enum yl_code put(struct yl_import *im, const struct where *at, const char *text, size_t len,
                        const char *want_id, struct refs *m, struct yl_err *err)
{
	struct batch *b = im->pipe ? im->pipe->cur : NULL; /* the pipeline's, or synchronous */
	struct yl_arena *a = b ? b->a : im->a;
	struct yl_err e;
	yl_err_init(&e);
	if (b)
		b->resources++;
	else
		im->st.resources++;
	enum yl_code code = yl_json_check_limits(text, len, a, &e);
	char *mapped = NULL;
	if (code == YL_OK && m) {
		size_t mlen;
		int rc = yl_json_map_references(a, text, len, map_ref, m, &mapped, &mlen);
		if (rc == -1)
			return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
		if (rc != 0)
			code = yl_err_add(&e, a, YL_BAD_REQUEST, NULL, "%s",
			                  m->err.first ? m->err.first->message
			                               : "a reference could not be resolved");
		text = mapped;
		len = mlen;
	}
	json_t *doc = NULL;
	const char *type = NULL, *id = NULL;
	if (code == YL_OK && !(doc = yl_json_load(a, text, len, &e)))
		code = e.code;
	if (code == YL_OK) {
		type = json_string_value(json_object_get(doc, "resourceType"));
		id = json_string_value(json_object_get(doc, "id"));
		if (!id)
			id = want_id;
		if (!type || yl_fhir_resource_type_index(type, strlen(type)) < 0)
			code = yl_err_add(&e, a, YL_BAD_REQUEST, "resourceType",
			                  "not a FHIR R4 resource (resourceType '%.64s')",
			                  type ? type : "(none)");
		else if (!id || !yl_id_valid(id, strlen(id)))
			code = yl_err_add(
			    &e, a, YL_BAD_REQUEST, "id",
			    "an imported resource needs a valid id (1-64 of A-Z a-z 0-9 - "
			    ".), not '%.64s'",
			    id ? id : "(none)");
		else if (yl_fhir_validate(a, doc, type, &e) > 0)
			code = e.code;
	}
	struct yl_write w = {0};
	struct yl_json_body bc = {text, len, type, id};
	if (code == YL_OK) {
		type = yl_arena_strdup(a, type);
		id = yl_arena_strdup(a, id);
		bc.type = type;
		bc.id = id;
		struct yl_index_row *rows = NULL;
		w = (struct yl_write){.op = YL_WRITE_UPDATE,
		                      .type = type,
		                      .id = id,
		                      .patient = yl_fhir_patient_of(a, type, id, doc),
		                      .render = yl_json_render,
		                      .render_ctx = &bc,
		                      .keep_same = true};
		code = yl_fhir_extract(a, type, doc, &rows, &w.index_count, &e);
		w.index = rows;
	}
	json_decref(doc);
	if (code != YL_OK) {
		report(im, at, &e);
		return im->strict ? yl_err_add(err, a, code, NULL, "%s line %ld: %s", at->file,
		                               at->line, e.first ? e.first->message : "refused")
		                  : YL_OK;
	}
	if (b)
		return pipe_append(im, at, &w, &bc, err);
	if ((code = yl_store_write(im->c, a, &w, err)) != YL_OK)
		return code; /* the store failed: nothing to skip past */
	if (w.noop)
		im->st.unchanged++;
	else if (w.created)
		im->st.created++;
	else
		im->st.updated++;
	if (++im->pending >= (im->commit_every ? im->commit_every : YL_IMPORT_BATCH) &&
	    !im->strict) {
		if ((code = commit(im, err)) != YL_OK || (code = begin(im, err)) != YL_OK)
			return code;
	}
	return YL_OK;
}

static void copy_err(struct yl_err *to, struct yl_arena *a, const struct yl_err *from)
{
	for (const struct yl_issue *is = from->first; is; is = is->next)
		yl_err_add(to, a, from->code, is->expression, "%s", is->message);
	if (!to->first)
		yl_err_add(to, a, from->code ? from->code : YL_STORE, NULL, "the import failed");
}

static int batch_size(const struct yl_import *im)
{
	return im->commit_every && im->commit_every < YL_IMPORT_BATCH ? im->commit_every
	                                                              : YL_IMPORT_BATCH;
}

/* resources a transaction of the writer thread holds at most */
static int txn_max(const struct yl_import *im)
{
	return im->commit_every ? im->commit_every
	       : im->fresh      ? YL_IMPORT_TXN_MAX
	                        : YL_IMPORT_BATCH;
}

/* One batch on the writer thread's connection, in the open transaction (begun when none
 * is); a failure rolls the transaction back. */
static enum yl_code write_batch(struct yl_import *im, struct yl_store_conn **c, bool *open,
                                struct batch *b, struct yl_import_stats *add, struct yl_err *e)
{
	if (!*c && !(*c = yl_store_conn(im->store, b->a, e)))
		return e->code;
	enum yl_code code = *open ? YL_OK : yl_store_begin(*c, b->a, e);
	if (code != YL_OK)
		return code;
	if (!*open)
		yl_store_hold_index(*c); /* the batch's index rows go in together, below */
	*open = true;
	/* the batch's resources looked up at once (PostgreSQL: one round trip, not one each) */
	const char **types = yl_arena_alloc(b->a, (b->n + 1) * sizeof(*types));
	const char **ids = yl_arena_alloc(b->a, (b->n + 1) * sizeof(*ids));
	if (!types || !ids)
		code = yl_err_add(e, b->a, YL_NOMEM, NULL, "out of memory importing");
	for (size_t i = 0; code == YL_OK && i < b->n; i++)
		types[i] = b->v[i].w.type, ids[i] = b->v[i].w.id;
	if (code == YL_OK)
		code = yl_store_expect(*c, b->a, types, ids, b->n, e);
	for (size_t i = 0; code == YL_OK && i < b->n; i++) {
		struct pending *p = &b->v[i];
		p->w.render_ctx = &p->bc;
		if ((code = yl_store_write(*c, b->a, &p->w, e)) != YL_OK)
			break;
		if (p->w.noop)
			add->unchanged++;
		else if (p->w.created)
			add->created++;
		else
			add->updated++;
	}
	/* before b->a, which holds the rows, is reset */
	if (code == YL_OK)
		code = yl_store_flush_index(*c, b->a, e);
	if (code != YL_OK) {
		yl_store_rollback(*c);
		*open = false;
	}
	return code;
}

static void stats_add(struct yl_import_stats *to, const struct yl_import_stats *add, int sign)
{
	to->resources += sign * add->resources;
	to->failed += sign * add->failed;
	to->created += sign * add->created;
	to->updated += sign * add->updated;
	to->unchanged += sign * add->unchanged;
}

static void *writer_main(void *arg)
{
	struct yl_import *im = arg;
	struct yl_import_pipe *pp = im->pipe;
	struct yl_store_conn *c = NULL;
	bool open = false;                /* a transaction spans batches while more wait */
	struct yl_import_stats txn = {0}; /* what the open transaction holds */
	int64_t txn_t0 = 0;               /* when it began (monotonic us) */
	pthread_mutex_lock(&pp->mu);
	for (;;) {
		while (!pp->queue && !pp->stop)
			pthread_cond_wait(&pp->cv, &pp->mu);
		struct batch *b = pp->queue;
		if (!b)
			break;
		if (!(pp->queue = b->next))
			pp->tail = &pp->queue;
		pp->busy = true;
		bool skip = pp->failed != YL_OK;
		pthread_mutex_unlock(&pp->mu);
		struct yl_import_stats add = {.resources = b->resources, .failed = b->failed};
		struct yl_err e;
		yl_err_init(&e);
		if (!open)
			txn_t0 = yl_monotonic_us();
		enum yl_code code = skip ? YL_OK : write_batch(im, &c, &open, b, &add, &e);
		pthread_mutex_lock(&pp->mu);
		/* commit when the writer would wait, or the transaction is large: a killed import
		 * loses at most that much work (a run again finishes it) */
		if (code == YL_OK && open &&
		    (!pp->queue || txn.resources + add.resources >= txn_max(im) ||
		     (im->fresh && !im->commit_every &&
		      yl_monotonic_us() - txn_t0 >= YL_IMPORT_TXN_US))) {
			pthread_mutex_unlock(&pp->mu);
			code = yl_store_commit(c, b->a, &e); /* e is copied before b->a is reset */
			open = false;
			pthread_mutex_lock(&pp->mu);
			if (code == YL_OK)
				txn = (struct yl_import_stats){0};
			else
				add = (struct yl_import_stats){0};
		} else if (code == YL_OK && !skip) {
			stats_add(&txn, &add, 1);
		}
		if (code != YL_OK) {
			pp->failed = code;
			copy_err(&pp->err, pp->msg_a, &e);
			stats_add(&im->st, &txn, -1); /* rolled back with the transaction */
			txn = (struct yl_import_stats){0};
		} else if (!skip) {
			stats_add(&im->st, &add, 1);
			im->st.bytes = b->bytes;
			if (im->progress)
				im->progress(im->ctx, &im->st);
		}
		yl_arena_reset(b->a);
		b->n = 0;
		b->next = pp->spare;
		pp->spare = b;
		pp->busy = false;
		pthread_cond_broadcast(&pp->cv);
	}
	pthread_mutex_unlock(&pp->mu);
	if (open) /* only after an error: the batches after it were skipped */
		yl_store_rollback(c);
	if (c)
		yl_store_conn_release(im->store);
	return NULL;
}

static enum yl_code pipe_start(struct yl_import *im, struct yl_err *err)
{
	if (im->pipe)
		return YL_OK;
	struct yl_import_pipe *pp = calloc(1, sizeof(*pp));
	if (!pp || !(pp->msg_a = yl_arena_create(4096))) {
		free(pp);
		return yl_err_add(err, im->a, YL_NOMEM, NULL, "out of memory");
	}
	pthread_mutex_init(&pp->mu, NULL);
	pthread_cond_init(&pp->cv, NULL);
	pp->tail = &pp->queue;
	yl_err_init(&pp->err);
	im->pipe = pp;
	if (pthread_create(&pp->thread, NULL, writer_main, im) != 0)
		return yl_err_add(err, im->a, YL_NOMEM, NULL, "cannot start the writer thread");
	pp->running = true;
	return YL_OK;
}

/* The batch to fill (waits for the writer to free one when PIPE_BATCHES are in use). */
static enum yl_code pipe_current(struct yl_import *im, struct yl_err *err)
{
	struct yl_import_pipe *pp = im->pipe;
	if (pp->cur)
		return YL_OK;
	pthread_mutex_lock(&pp->mu);
	while (!pp->spare && pp->nbatches >= PIPE_BATCHES)
		pthread_cond_wait(&pp->cv, &pp->mu);
	struct batch *b = pp->spare;
	if (b)
		pp->spare = b->next;
	else if ((b = calloc(1, sizeof(*b))) && !(b->a = yl_arena_create(1 << 20))) {
		free(b);
		b = NULL;
	} else if (b) {
		pp->nbatches++;
	}
	pthread_mutex_unlock(&pp->mu);
	if (!b || !(b->v = yl_arena_alloc(b->a, YL_IMPORT_BATCH * sizeof(*b->v)))) {
		if (b) { /* back for the next try; the arena may be too small */
			pthread_mutex_lock(&pp->mu);
			b->next = pp->spare;
			pp->spare = b;
			pthread_mutex_unlock(&pp->mu);
		}
		return yl_err_add(err, im->a, YL_NOMEM, NULL, "out of memory");
	}
	*b = (struct batch){.a = b->a, .v = b->v};
	pp->cur = b;
	return YL_OK;
}

/* Hand the filled batch to the writer; the writer's error, if any, ends the import. */
static enum yl_code pipe_submit(struct yl_import *im, struct yl_err *err)
{
	struct yl_import_pipe *pp = im->pipe;
	pthread_mutex_lock(&pp->mu);
	if (pp->cur) {
		pp->cur->bytes = pp->bytes;
		*pp->tail = pp->cur;
		pp->tail = &pp->cur->next;
		pp->cur = NULL;
		pthread_cond_broadcast(&pp->cv);
	}
	enum yl_code code = pp->failed;
	if (code != YL_OK)
		copy_err(err, im->a, &pp->err);
	pthread_mutex_unlock(&pp->mu);
	return code;
}

/* Submit what is filled and wait until every batch is written. */
static enum yl_code pipe_drain(struct yl_import *im, struct yl_err *err)
{
	struct yl_import_pipe *pp = im->pipe;
	if (!pp)
		return YL_OK;
	enum yl_code code = pipe_submit(im, err);
	pthread_mutex_lock(&pp->mu);
	while (pp->queue || pp->busy)
		pthread_cond_wait(&pp->cv, &pp->mu);
	if (code == YL_OK && (code = pp->failed) != YL_OK)
		copy_err(err, im->a, &pp->err);
	pthread_mutex_unlock(&pp->mu);
	return code;
}

static enum yl_code pipe_append(struct yl_import *im, const struct where *at, struct yl_write *w,
                                const struct yl_json_body *bc, struct yl_err *err)
{
	struct batch *b = im->pipe->cur;
	char *text = yl_arena_alloc(b->a, bc->len + 1);
	if (!text)
		return yl_err_add(err, im->a, YL_NOMEM, NULL, "out of memory");
	memcpy(text, bc->text, bc->len);
	text[bc->len] = '\0';
	struct pending *p = &b->v[b->n++];
	*p = (struct pending){.w = *w, .bc = *bc, .at = *at};
	p->bc.text = text;
	if (im->fresh) {
		/* Into an empty store nearly every write is a first version: render and pack
		 * it here, where there is time to spare, rather than on the writer thread (the
		 * slower of the two); the store renders again when the guess is wrong. */
		int64_t now = yl_now_us();
		im->pre_last = now > im->pre_last ? now : im->pre_last + 1;
		p->w.pre_body = yl_json_rewrite(b->a, text, bc->len, bc->type, bc->id, 1,
		                                im->pre_last, &p->w.pre_body_len);
		if (p->w.pre_body)
			p->w.pre_packed = yl_body_pack(b->a, p->w.pre_body, p->w.pre_body_len,
			                               &p->w.pre_packed_len);
		p->w.pre_last_updated = im->pre_last;
	}
	if (b->n < (size_t)batch_size(im))
		return YL_OK;
	enum yl_code code = pipe_submit(im, err);
	return code == YL_OK ? pipe_current(im, err) : code;
}

static void pipe_free(struct yl_import *im)
{
	struct yl_import_pipe *pp = im->pipe;
	if (!pp)
		return;
	if (pp->running) {
		pthread_mutex_lock(&pp->mu);
		pp->stop = true;
		pthread_cond_broadcast(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
		pthread_join(pp->thread, NULL);
	}
	for (int list = 0; list < 3; list++) {
		struct batch *b = list == 0 ? pp->queue : list == 1 ? pp->spare : pp->cur;
		while (b) {
			struct batch *next = list == 2 ? NULL : b->next;
			yl_arena_destroy(b->a);
			free(b);
			b = next;
		}
	}
	yl_arena_destroy(pp->msg_a);
	pthread_mutex_destroy(&pp->mu);
	pthread_cond_destroy(&pp->cv);
	free(pp);
	im->pipe = NULL;
}

/* ---- NDJSON ------------------------------------------------------------------------ */

/* Give back the pages of the file's mapping before `upto` (lines done with) every
 * DROP_BEHIND bytes: they count in the process's resident memory until then, and a file
 * can be far larger than RAM. */
#define DROP_BEHIND ((size_t)64 << 20)
static void drop_behind(const char *base, size_t upto, size_t *dropped)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t to = upto / page * page;
	if (to - *dropped < DROP_BEHIND)
		return;
	madvise((void *)(base + *dropped), to - *dropped, MADV_DONTNEED);
	*dropped = to;
}

static enum yl_code ndjson(struct yl_import *im, const char *file, const char *p, size_t n,
                           int64_t bytes0, struct yl_err *err)
{
	long line = 0;
	size_t dropped = 0;
	for (size_t i = 0; i < n;) {
		drop_behind(p, i, &dropped);
		const char *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) : n;
		line++;
		size_t s = i, e = end;
		while (s < e && strchr(" \t\r", p[s]))
			s++;
		while (e > s && strchr(" \t\r", p[e - 1]))
			e--;
		if (e > s) {
			struct where at = {file, line};
			enum yl_code code = put(im, &at, p + s, e - s, NULL, NULL, err);
			if (code != YL_OK)
				return code;
		}
		i = end + 1;
		int64_t bytes = bytes0 + (int64_t)(i < n ? i : n);
		if (im->pipe && im->pipe->cur)
			im->pipe->bytes = bytes;
		else
			im->st.bytes = bytes;
	}
	return YL_OK;
}

/* ---- Bundles ----------------------------------------------------------------------- */

/* The text of a JSON string token at p[span] (arena), or NULL when it is not a string. */
static const char *span_str(struct yl_arena *a, const char *p, struct yl_span s)
{
	if (s.len < 2 || p[s.at] != '"')
		return NULL;
	if (!memchr(p + s.at, '\\', s.len))
		return yl_arena_strndup(a, p + s.at + 1, s.len - 2);
	json_t *j = json_loadb(p + s.at, s.len, JSON_DECODE_ANY, NULL);
	const char *v = json_string_value(j) ? yl_arena_strdup(a, json_string_value(j)) : NULL;
	json_decref(j);
	return v;
}

static long lines_to(const char *p, size_t from, size_t to, long line)
{
	for (size_t i = from; i < to; i++)
		line += p[i] == '\n';
	return line;
}

static enum yl_code bundle(struct yl_import *im, const char *file, const char *p, size_t n,
                           int64_t bytes0, struct yl_err *err)
{
	/* the Bundle's own arena: entry spans and the fullUrl map live for the whole file */
	struct yl_arena *fa = yl_arena_create(1 << 16);
	if (!fa)
		return yl_err_add(err, im->a, YL_NOMEM, NULL, "out of memory");
	struct yl_span es, *spans = NULL;
	long count = 0;
	if (yl_json_member(p, n, "entry", &es) == 0 &&
	    (count = yl_json_elements(fa, p + es.at, es.len, &spans)) < 0) {
		yl_arena_destroy(fa);
		return yl_err_add(err, im->a, YL_BAD_REQUEST, NULL,
		                  "%s: Bundle.entry is not an array", file);
	}
	struct refs m = {.v = yl_arena_calloc(fa, (size_t)count + 1, sizeof(struct ref)), .a = fa};
	const char **ids = yl_arena_calloc(fa, (size_t)count + 1, sizeof(char *));
	if (!m.v || !ids) {
		yl_arena_destroy(fa);
		return yl_err_add(err, im->a, YL_NOMEM, NULL, "out of memory");
	}
	/* first pass: each entry's fullUrl stands for Type/id */
	for (long i = 0; i < count; i++) {
		const char *e = p + es.at + spans[i].at;
		struct yl_span fu, res, rt, id;
		if (yl_json_member(e, spans[i].len, "resource", &res) != 0)
			continue;
		const char *r = e + res.at;
		const char *type = yl_json_member(r, res.len, "resourceType", &rt) == 0
		                       ? span_str(fa, r, rt)
		                       : NULL;
		const char *rid =
		    yl_json_member(r, res.len, "id", &id) == 0 ? span_str(fa, r, id) : NULL;
		const char *url = yl_json_member(e, spans[i].len, "fullUrl", &fu) == 0
		                      ? span_str(fa, e, fu)
		                      : NULL;
		if (!rid && url && strncmp(url, "urn:uuid:", 9) == 0)
			rid = url + 9; /* an entry without an id takes its uuid */
		ids[i] = rid;
		if (url && type && rid)
			m.v[m.n++] = (struct ref){url, yl_arena_printf(fa, "%s/%s", type, rid)};
	}
	qsort(m.v, m.n, sizeof(*m.v), by_url);
	/* second pass: store them */
	enum yl_code code = YL_OK;
	long line = 1;
	size_t seen = 0;
	for (long i = 0; code == YL_OK && i < count; i++) {
		size_t at = es.at + spans[i].at;
		line = lines_to(p, seen, at, line);
		seen = at;
		struct where w = {file, line};
		const char *e = p + at;
		struct yl_span res, req, meth, url;
		const char *method = NULL;
		if (yl_json_member(e, spans[i].len, "request", &req) == 0 &&
		    yl_json_member(e + req.at, req.len, "method", &meth) == 0)
			method = span_str(im->a, e + req.at, meth);
		if (method && strcmp(method, "DELETE") == 0) {
			const char *u = yl_json_member(e + req.at, req.len, "url", &url) == 0
			                    ? span_str(im->a, e + req.at, url)
			                    : NULL;
			const char *slash = u ? strchr(u, '/') : NULL;
			struct yl_write d = {.op = YL_WRITE_DELETE};
			if (slash && !strchr(slash + 1, '/') && !strchr(u, '?')) {
				d.type = yl_arena_strndup(im->a, u, (size_t)(slash - u));
				d.id = slash + 1;
			}
			struct yl_err de;
			yl_err_init(&de);
			im->st.resources++;
			if (!d.type) {
				yl_err_add(&de, im->a, YL_BAD_REQUEST, "request.url",
				           "import deletes by Type/id only");
				report(im, &w, &de);
			} else if ((code = yl_store_write(im->c, im->a, &d, &de)) == YL_NOT_FOUND) {
				code = YL_OK; /* nothing to delete */
				im->st.unchanged++;
			} else if (code == YL_OK) {
				im->st.deleted += !d.noop;
				im->st.unchanged += d.noop;
			} else {
				*err = de;
			}
			continue;
		}
		if (yl_json_member(e, spans[i].len, "resource", &res) != 0) {
			struct yl_err ne;
			yl_err_init(&ne);
			im->st.resources++;
			yl_err_add(&ne, im->a, YL_BAD_REQUEST, NULL, "entry %ld has no resource",
			           i);
			report(im, &w, &ne);
			if (im->strict)
				code = yl_err_add(err, im->a, YL_BAD_REQUEST, NULL,
				                  "%s line %ld: entry %ld has no resource", file,
				                  line, i);
			continue;
		}
		code = put(im, &w, e + res.at, res.len, ids[i], &m, err);
		im->st.bytes = bytes0 + (int64_t)(at + spans[i].len);
	}
	yl_arena_destroy(fa);
	if (code == YL_OK)
		im->st.bytes = bytes0 + (int64_t)n;
	return code;
}

/* ---- files --------------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

enum yl_code yl_import_file(struct yl_import *im, const char *path, struct yl_err *err)
{
	static struct yl_err oom = {.code = YL_NOMEM};
	if (!im->a && !(im->a = yl_arena_create(1 << 20))) {
		*err = oom;
		return YL_NOMEM;
	}
	bool nd = ends_with(path, ".ndjson");
	if (!nd && !ends_with(path, ".json"))
		return yl_err_add(err, im->a, YL_BAD_REQUEST, NULL,
		                  "%s: neither .ndjson (Bulk Data) nor .json (a Bundle)", path);
	int fd = open(path, O_RDONLY);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		return yl_err_add(err, im->a, YL_IO, NULL, "%s: cannot read it", path);
	}
	size_t n = (size_t)sb.st_size;
	const char *p = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0) : "";
	close(fd);
	if (p == MAP_FAILED)
		return yl_err_add(err, im->a, YL_IO, NULL, "%s: cannot map it", path);
	if (n)
		madvise((void *)p, n, MADV_SEQUENTIAL);
	if (nd && !im->strict) { /* the pipeline: parsed here, written on the writer thread */
		enum yl_code code = commit(im, err); /* what the synchronous path left open */
		if (code == YL_OK && !im->pipe && (code = pipe_start(im, err)) == YL_OK)
			im->pipe->bytes = im->st.bytes; /* from earlier synchronous files */
		int64_t bytes0 = im->pipe ? im->pipe->bytes : 0;
		if (code == YL_OK)
			code = pipe_current(im, err);
		if (code == YL_OK)
			code = ndjson(im, path, p, n, bytes0, err);
		if (code == YL_OK)
			im->pipe->bytes = bytes0 + (int64_t)n;
		if (n)
			munmap((void *)p, n); /* the batches hold copies of what they need */
		return code;
	}
	enum yl_code code = pipe_drain(im, err); /* file order: the pipeline's batches first */
	if (im->pipe)
		im->st.bytes = im->pipe->bytes;
	int64_t bytes0 = im->st.bytes;
	struct yl_import_stats before = im->st;
	if (code == YL_OK)
		code = begin(im, err);
	if (code == YL_OK) {
		if (nd) {
			code = ndjson(im, path, p, n, bytes0, err);
		} else {
			struct yl_span rt;
			size_t i = 0;
			while (i < n && strchr(" \t\r\n", p[i]))
				i++;
			bool is_bundle = yl_json_member(p, n, "resourceType", &rt) == 0 &&
			                 rt.len == 8 && memcmp(p + rt.at, "\"Bundle\"", 8) == 0;
			if (is_bundle) {
				code = bundle(im, path, p, n, bytes0, err);
			} else if (i < n) {
				struct where at = {path, 1};
				code = put(im, &at, p + i, n - i, NULL, NULL, err);
				im->st.bytes = bytes0 + (int64_t)n;
			}
		}
	}
	if (code == YL_OK && im->strict)
		code = commit(im, err);
	if (code != YL_OK) {
		rollback(im);
		if (im->strict) { /* nothing of this file was stored */
			int64_t failed = im->st.failed;
			im->st = before;
			im->st.failed = failed;
			im->st.bytes = bytes0 + (int64_t)n;
		}
	}
	if (im->pipe) /* the next NDJSON file counts on from here */
		im->pipe->bytes = im->st.bytes;
	if (n)
		munmap((void *)p, n);
	return code;
}

enum yl_code yl_import_finish(struct yl_import *im, struct yl_err *err)
{
	enum yl_code code = pipe_drain(im, err);
	if (code == YL_OK && im->a)
		code = commit(im, err);
	return code;
}

void yl_import_rollback(struct yl_import *im)
{
	rollback(im);
	if (im->pipe) { /* what is not written yet is not written */
		pthread_mutex_lock(&im->pipe->mu);
		if (im->pipe->failed == YL_OK)
			im->pipe->failed = YL_STORE; /* the writer drops the queued batches */
		pthread_mutex_unlock(&im->pipe->mu);
		struct yl_err ignored;
		yl_err_init(&ignored);
		pipe_drain(im, &ignored);
	}
}

void yl_import_free(struct yl_import *im)
{
	pipe_free(im);
	rollback(im);
	yl_arena_destroy(im->a);
	im->a = NULL;
}
