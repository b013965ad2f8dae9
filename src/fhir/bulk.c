/* bulk.c -- Bulk Data export jobs over HTTP; see bulk.h. */
#include "fhir/bulk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "fhir/compartment.h"
#include "fhir/export.h"
#include "fhir/rest.h"
#include "fhir/schema.h"

enum state { QUEUED, RUNNING, DONE, FAILED };

struct out {
	char type[64];
	int64_t count;
};

struct job {
	struct job *next;
	char id[YL_ID_LEN + 1];
	char *request; /* the kick-off URL */
	char *dir;
	int64_t time; /* transactionTime: the export holds what was committed before it */
	char **types;
	size_t ntypes;
	bool compartment;
	char **patients;
	size_t npatients;
	int64_t since;
	atomic_int cancel;
	atomic_llong progress;
	enum state state; /* under the registry's lock, as are the fields below */
	bool deleted;     /* a DELETE came while it ran: the worker removes it */
	char *error;
	struct out *out;
	size_t nout;
};

struct yl_bulk {
	struct yl_store *store;
	char *dir;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *jobs; /* newest first */
	bool stopping;
	bool started;
	pthread_t thread;
};

/* ---- jobs ------------------------------------------------------------------------- */

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			struct stat sb;
			if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
				remove_dir(path);
			else
				unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->ntypes; i++)
		free(j->types[i]);
	for (size_t i = 0; i < j->npatients; i++)
		free(j->patients[i]);
	free(j->types);
	free(j->patients);
	free(j->request);
	free(j->dir);
	free(j->error);
	free(j->out);
	free(j);
}

/* Unlink j from the registry (lock held). */
static void unlink_job(struct yl_bulk *b, struct job *j)
{
	for (struct job **p = &b->jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			return;
		}
}

static void on_progress(void *ctx, int64_t resources)
{
	atomic_store(&((struct job *)ctx)->progress, resources);
}

static void run_job(struct yl_bulk *b, struct job *j)
{
	struct yl_arena *a = yl_arena_create(1 << 16);
	struct yl_err err;
	yl_err_init(&err);
	struct yl_export ex = {.store = b->store,
	                       .dir = j->dir,
	                       .types = (const char **)j->types,
	                       .ntypes = j->ntypes,
	                       .since = j->since,
	                       .compartment = j->compartment,
	                       .patients = (const char **)j->patients,
	                       .npatients = j->npatients,
	                       .progress = on_progress,
	                       .ctx = j,
	                       .cancel = &j->cancel};
	enum yl_code code = a ? yl_export_run(&ex, a, &err) : YL_NOMEM;
	pthread_mutex_lock(&b->mu);
	if (code == YL_OK) {
		j->out = calloc(ex.nfiles + 1, sizeof(*j->out));
		for (size_t i = 0; j->out && i < ex.nfiles; i++) {
			snprintf(j->out[i].type, sizeof j->out[i].type, "%s", ex.files[i].type);
			j->out[i].count = ex.files[i].count;
		}
		j->nout = j->out ? ex.nfiles : 0;
		j->state = j->out ? DONE : FAILED;
		if (!j->out)
			j->error = strdup("out of memory");
	} else {
		j->state = FAILED;
		j->error = strdup(err.first ? err.first->message : "the export failed");
	}
	if (j->deleted) {
		unlink_job(b, j);
		remove_dir(j->dir);
		job_free(j);
	} else {
		yl_log(YL_LOG_INFO, "yilian: export %s %s: %lld resources in %zu files", j->id,
		       j->state == DONE ? "done" : "failed", (long long)ex.resources, ex.nfiles);
	}
	pthread_mutex_unlock(&b->mu);
	yl_arena_destroy(a);
}

static void *worker(void *arg)
{
	struct yl_bulk *b = arg;
	pthread_mutex_lock(&b->mu);
	while (!b->stopping) {
		struct job *next = NULL; /* the oldest queued job */
		for (struct job *j = b->jobs; j; j = j->next)
			if (j->state == QUEUED)
				next = j;
		if (!next) {
			pthread_cond_wait(&b->cv, &b->mu);
			continue;
		}
		next->state = RUNNING;
		pthread_mutex_unlock(&b->mu);
		run_job(b, next);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

struct yl_bulk *yl_bulk_start(struct yl_store *s, const char *dir, struct yl_arena *a,
                              struct yl_err *err)
{
	struct yl_bulk *b = calloc(1, sizeof(*b));
	if (!b || !(b->dir = strdup(dir))) {
		free(b);
		yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
		return NULL;
	}
	b->store = s;
	remove_dir(dir); /* what an earlier run left: its jobs are gone */
	if (mkdir(dir, 0750) != 0) {
		yl_err_add(err, a, YL_IO, NULL, "cannot make the export directory %s: %s", dir,
		           strerror(errno));
		free(b->dir);
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->started = pthread_create(&b->thread, NULL, worker, b) == 0;
	return b;
}

void yl_bulk_stop(struct yl_bulk *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->mu);
	b->stopping = true;
	for (struct job *j = b->jobs; j; j = j->next)
		atomic_store(&j->cancel, 1);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	if (b->started)
		pthread_join(b->thread, NULL);
	while (b->jobs) {
		struct job *j = b->jobs;
		b->jobs = j->next;
		job_free(j);
	}
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	free(b->dir);
	free(b);
}

/* ---- kick-off ---------------------------------------------------------------------- */

static bool output_format_ok(const char *f)
{
	static const char *const ok[] = {"application/fhir+ndjson", "application/ndjson", "ndjson"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(f, ok[i]) == 0)
			return true;
	return false;
}

enum level { SYSTEM, PATIENT, GROUP };

static enum yl_code kickoff(struct yl_req *r, enum level level, struct yl_err *err)
{
	struct yl_bulk *b = r->app->bulk;
	if (!b)
		return yl_err_add(err, r->a, YL_UNAVAILABLE, NULL, "bulk export is not running");
	const char *prefer = yl_req_header(r, "Prefer");
	if (!prefer || !strstr(prefer, "respond-async"))
		return yl_err_add(err, r->a, YL_BAD_REQUEST, NULL,
		                  "a bulk export runs asynchronously: send Prefer: respond-async");
	const char *types = NULL, *since = NULL;
	for (size_t i = 0; i < r->url.nparams; i++) {
		const struct yl_param *p = &r->url.params[i];
		if (strcmp(p->name, "_type") == 0)
			types = p->value;
		else if (strcmp(p->name, "_since") == 0)
			since = p->value;
		else if (strcmp(p->name, "_outputFormat") == 0) {
			if (!output_format_ok(p->value))
				return yl_err_add(err, r->a, YL_BAD_REQUEST, "_outputFormat",
				                  "_outputFormat '%.60s' is not offered: only "
				                  "application/fhir+ndjson",
				                  p->value);
		} else if (strcmp(p->name, "_format") != 0 && strcmp(p->name, "_pretty") != 0)
			return yl_err_add(err, r->a, YL_BAD_REQUEST, p->name,
			                  "%.64s is not supported by this server's $export (_type, "
			                  "_since and _outputFormat are)",
			                  p->name);
	}
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	enum yl_code code = YL_OK;
	if (since && yl_parse_datetime(since, strlen(since), &j->since) != 0)
		code = yl_err_add(err, r->a, YL_BAD_REQUEST, "_since",
		                  "_since '%.60s' is not an instant", since);
	/* the types: listed, or all (system) or those of the Patient compartment */
	size_t cap = yl_fhir_resource_type_count;
	if (code == YL_OK && !(j->types = calloc(cap, sizeof(char *))))
		code = yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	if (code == YL_OK && types) {
		char *list = yl_arena_strdup(r->a, types), *t;
		while (code == YL_OK && list && (t = strsep(&list, ","))) {
			size_t len;
			if (yl_fhir_resource_type_index(t, strlen(t)) < 0)
				code =
				    yl_err_add(err, r->a, YL_BAD_REQUEST, "_type",
				               "_type: '%.64s' is not a FHIR R4 resource type", t);
			else if (level != SYSTEM && !yl_fhir_patient_path(t, &len))
				code = yl_err_add(err, r->a, YL_BAD_REQUEST, "_type",
				                  "_type: %s is not in the Patient compartment", t);
			else if (j->ntypes < cap)
				j->types[j->ntypes++] = strdup(t);
		}
	} else if (code == YL_OK) {
		for (size_t i = 0; i < yl_fhir_resource_type_count; i++) {
			size_t len;
			if (level == SYSTEM ||
			    yl_fhir_patient_path(yl_fhir_resource_types[i], &len))
				j->types[j->ntypes++] = strdup(yl_fhir_resource_types[i]);
		}
	}
	j->compartment = level == PATIENT;
	if (code == YL_OK && level == GROUP) { /* the members: Group.member.entity Patient/x */
		struct yl_store_conn *c = yl_store_conn(r->app->store, r->a, err);
		struct yl_row g;
		code = c ? yl_store_read(c, r->a, "Group", r->vars[0], 0, &g, err) : err->code;
		if (code == YL_NOT_FOUND || (code == YL_OK && g.deleted))
			code = yl_err_add(err, r->a, code == YL_OK ? YL_GONE : YL_NOT_FOUND, NULL,
			                  "Group/%.64s %s", r->vars[0],
			                  code == YL_OK ? "was deleted" : "does not exist");
		json_t *doc = code == YL_OK ? json_loadb(g.body, g.body_len, 0, NULL) : NULL;
		json_t *members = json_object_get(doc, "member");
		j->patients = calloc(json_array_size(members) + 1, sizeof(char *));
		for (size_t i = 0; j->patients && i < json_array_size(members); i++) {
			const char *ref = json_string_value(json_object_get(
			    json_object_get(json_array_get(members, i), "entity"), "reference"));
			if (ref && strncmp(ref, "Patient/", 8) == 0 && !strchr(ref + 8, '/'))
				j->patients[j->npatients++] = strdup(ref + 8);
		}
		json_decref(doc);
	}
	if (code != YL_OK) {
		job_free(j);
		return code;
	}
	char id[YL_ID_LEN + 1];
	yl_id_new(id);
	memcpy(j->id, id, sizeof j->id);
	j->time = yl_now_us();
	const char *base = yl_fhir_base_url(r);
	j->request =
	    strdup(yl_arena_printf(r->a, "%.*s%s", (int)(strlen(base) - 5), base, r->raw_url));
	j->dir = strdup(yl_arena_printf(r->a, "%s/%s", b->dir, id));
	if (!j->request || !j->dir || mkdir(j->dir, 0750) != 0) {
		job_free(j);
		return yl_err_add(err, r->a, YL_IO, NULL, "cannot make the export job's directory");
	}
	pthread_mutex_lock(&b->mu);
	j->next = b->jobs;
	b->jobs = j;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	r->status = 202;
	yl_req_set_header(r, "Content-Location",
	                  yl_arena_printf(r->a, "%s/$export-status/%s", base, id));
	struct yl_err info;
	yl_err_init(&info);
	yl_err_note(&info, r->a, "information", "informational", NULL,
	            "export %s accepted; poll its Content-Location", id);
	r->resp_body = yl_fhir_outcome(r->a, &info, &r->resp_len);
	return YL_OK;
}

enum yl_code yl_h_export_system(struct yl_req *r, struct yl_err *err)
{
	return kickoff(r, SYSTEM, err);
}

enum yl_code yl_h_export_patient(struct yl_req *r, struct yl_err *err)
{
	return kickoff(r, PATIENT, err);
}

enum yl_code yl_h_export_group(struct yl_req *r, struct yl_err *err)
{
	return kickoff(r, GROUP, err);
}

/* ---- status, cancel, files ---------------------------------------------------------- */

static struct job *find(struct yl_bulk *b, const char *id)
{
	for (struct job *j = b ? b->jobs : NULL; j; j = j->next)
		if (strcmp(j->id, id) == 0 && !j->deleted)
			return j;
	return NULL;
}

static enum yl_code no_job(struct yl_req *r, struct yl_err *err)
{
	return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
	                  "no export job '%.64s' (finished jobs are kept until deleted or the "
	                  "server restarts)",
	                  r->vars[0]);
}

enum yl_code yl_h_export_status(struct yl_req *r, struct yl_err *err)
{
	struct yl_bulk *b = r->app->bulk;
	if (!b)
		return no_job(r, err);
	const char *base = yl_fhir_base_url(r);
	pthread_mutex_lock(&b->mu);
	struct job *j = find(b, r->vars[0]);
	if (!j) {
		pthread_mutex_unlock(&b->mu);
		return no_job(r, err);
	}
	enum state st = j->state;
	const char *error = j->error ? yl_arena_strdup(r->a, j->error) : NULL;
	struct yl_buf m;
	yl_buf_init(&m, r->a, 1024, (size_t)-1);
	if (st == DONE) {
		char ts[YL_INSTANT_LEN];
		yl_format_instant(j->time, ts);
		yl_buf_printf(&m, "{\"transactionTime\":\"%s\",\"request\":", ts);
		yl_buf_json_str(&m, j->request);
		yl_buf_adds(&m, ",\"requiresAccessToken\":false,\"output\":[");
		for (size_t i = 0; i < j->nout; i++)
			yl_buf_printf(&m,
			              "%s{\"type\":\"%s\",\"url\":\"%s/$export-file/%s/%s.ndjson\","
			              "\"count\":%lld}",
			              i ? "," : "", j->out[i].type, base, j->id, j->out[i].type,
			              (long long)j->out[i].count);
		yl_buf_adds(&m, "],\"error\":[]}");
	}
	long long progress = (long long)atomic_load(&j->progress);
	pthread_mutex_unlock(&b->mu);
	switch (st) {
	case QUEUED:
	case RUNNING:
		r->status = 202;
		yl_req_set_header(r, "X-Progress",
		                  yl_arena_printf(r->a, "%s: %lld resources exported",
		                                  st == QUEUED ? "queued" : "running", progress));
		yl_req_set_header(r, "Retry-After", "2");
		r->content_type = NULL;
		return YL_OK;
	case FAILED:
		return yl_err_add(err, r->a, YL_STORE, NULL, "the export failed: %s",
		                  error ? error : "?");
	case DONE:
		break;
	}
	if (m.err)
		return yl_err_add(err, r->a, YL_NOMEM, NULL, "out of memory");
	r->status = 200;
	r->content_type = "application/json";
	r->resp_body = m.p;
	r->resp_len = m.len;
	return YL_OK;
}

enum yl_code yl_h_export_cancel(struct yl_req *r, struct yl_err *err)
{
	struct yl_bulk *b = r->app->bulk;
	if (!b)
		return no_job(r, err);
	pthread_mutex_lock(&b->mu);
	struct job *j = find(b, r->vars[0]);
	if (j && j->state == RUNNING) { /* the worker removes it when it stops */
		j->deleted = true;
		atomic_store(&j->cancel, 1);
	} else if (j) {
		unlink_job(b, j);
		remove_dir(j->dir);
		job_free(j);
	}
	pthread_mutex_unlock(&b->mu);
	if (!j)
		return no_job(r, err);
	r->status = 202;
	r->content_type = NULL;
	return YL_OK;
}

enum yl_code yl_h_export_file(struct yl_req *r, struct yl_err *err)
{
	struct yl_bulk *b = r->app->bulk;
	const char *name = r->vars[1];
	int fd = -1;
	if (!b)
		return no_job(r, err);
	pthread_mutex_lock(&b->mu);
	struct job *j = find(b, r->vars[0]);
	for (size_t i = 0; j && j->state == DONE && i < j->nout; i++) {
		size_t tl = strlen(j->out[i].type);
		if (strncmp(name, j->out[i].type, tl) == 0 && strcmp(name + tl, ".ndjson") == 0) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", j->dir, name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	pthread_mutex_unlock(&b->mu);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL,
		                  "no file '%.64s' in a finished export '%.64s'", name, r->vars[0]);
	}
	r->status = 200;
	r->content_type = "application/fhir+ndjson";
	r->resp_fd = fd;
	r->resp_fd_len = (uint64_t)sb.st_size;
	r->resp_file = true;
	return YL_OK;
}
