/* synth.c -- the generator's threads and files (see synth.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/time.h"
#include "synth/care.h"
#include "synth/data.h"
#include "synth/people.h"
#include "synth/region.h"
#include "synth/synth.h"

struct slot {
	struct yl_synth_out out;
	int chunk; /* the team it holds, -1 while free or being generated */
	bool ready;
};

struct run {
	const struct yl_synth_opts *o;
	struct yl_synth_data d;
	struct yl_synth_bind bind;
	struct yl_synth_region r;
	struct yl_synth_person *people;
	int32_t window;
	pthread_mutex_t mu;
	pthread_cond_t cv_free, cv_ready;
	struct slot *slots;
	int nslots, *free_slots, nfree;
	int next_chunk;
	bool stop, failed;
	atomic_llong residents_done;
	atomic_llong contracted;
};

static void generate_team(struct run *run, struct yl_synth_team_ctx *c, int t)
{
	const struct yl_synth_data *d = &run->d;
	const struct yl_synth_team *team = &run->r.teams[t];
	yl_synth_team_ctx_start(c, t);
	c->contracted_now = 0;
	for (int v = team->fv; v < team->fv + team->nv; v++) {
		const struct yl_synth_village *vil = &run->r.villages[v];
		int64_t end = (int64_t)vil->first + vil->count;
		int household_no = 0;
		for (int64_t i = vil->first; i < end;) {
			int64_t j = i + 1;
			while (j < end && !(run->people[j].flags & YL_PERSON_HH_START))
				j++;
			household_no++;
			struct yl_rng g;
			yl_rng_seed(&g, run->o->seed, YL_RNG_HOUSEHOLD, (uint64_t)i);
			bool low = yl_rng_chance(&g, d->low_income_share);
			char given[32], head[64];
			yl_synth_resident_given(d, run->o->seed, i, &run->people[i], given);
			snprintf(head, sizeof head, "%s%s", d->surnames[run->people[i].surname],
			         given);
			yl_synth_write_household(d, vil, i, (int)(j - i), household_no, low, head,
			                         c->o);
			for (int64_t m = i; m < j; m++) {
				struct yl_synth_fate f;
				yl_synth_fate(c, m, &run->people[m], &f);
				struct yl_synth_patient pt = {.index = m,
				                              .p = &run->people[m],
				                              .village = vil,
				                              .deceased = f.death,
				                              .org = team->org,
				                              .household_no = household_no};
				yl_synth_write_patient(d, &run->r, run->o->seed, &pt, run->o->as_of,
				                       c->o);
				yl_synth_care(c, m, &run->people[m], &f, vil, low);
			}
			atomic_fetch_add_explicit(&run->residents_done, j - i,
			                          memory_order_relaxed);
			i = j;
		}
	}
	atomic_fetch_add_explicit(&run->contracted, c->contracted_now, memory_order_relaxed);
}

static void *worker(void *arg)
{
	struct run *run = arg;
	struct yl_synth_team_ctx c = {.d = &run->d,
	                              .b = &run->bind,
	                              .r = &run->r,
	                              .seed = run->o->seed,
	                              .as_of = run->o->as_of,
	                              .window = run->window};
	bool ok = yl_synth_team_ctx_init(&c, run->o->years);
	pthread_mutex_lock(&run->mu);
	if (!ok) {
		run->failed = run->stop = true;
		pthread_cond_broadcast(&run->cv_ready);
	}
	for (;;) {
		while (!run->stop && run->nfree == 0 && run->next_chunk < run->r.nteams)
			pthread_cond_wait(&run->cv_free, &run->mu);
		if (run->stop || run->next_chunk >= run->r.nteams)
			break;
		struct slot *s = &run->slots[run->free_slots[--run->nfree]];
		int chunk = run->next_chunk++;
		pthread_mutex_unlock(&run->mu);
		yl_synth_out_clear(&s->out);
		c.o = &s->out;
		generate_team(run, &c, chunk);
		pthread_mutex_lock(&run->mu);
		if (yl_synth_out_oom(&s->out))
			run->failed = run->stop = true;
		s->chunk = chunk;
		s->ready = true;
		pthread_cond_broadcast(&run->cv_ready);
	}
	pthread_mutex_unlock(&run->mu);
	yl_synth_team_ctx_finish(&c);
	return NULL;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int flush_out(const int *fds, struct yl_synth_out *out, struct yl_synth_stats *st)
{
	for (int t = 0; t < YL_SYNTH_NTYPES; t++) {
		if (write_all(fds[t], out->b[t].p, out->b[t].len) != 0)
			return -1;
		st->count[t] += out->count[t];
		st->resources += out->count[t];
		st->bytes += (int64_t)out->b[t].len;
	}
	return 0;
}

static void report(struct run *run, struct yl_synth_stats *st)
{
	st->residents = atomic_load_explicit(&run->residents_done, memory_order_relaxed);
	if (run->o->progress)
		run->o->progress(run->o->ctx, st);
}

/* the calling thread: write the slots in team order, report progress while waiting */
static bool write_in_order(struct run *run, const int *fds, struct yl_synth_stats *st)
{
	bool ok = true;
	for (int k = 0; k < run->r.nteams && ok; k++) {
		struct slot *s = NULL;
		pthread_mutex_lock(&run->mu);
		for (;;) {
			for (int j = 0; j < run->nslots && !s; j++)
				if (run->slots[j].ready && run->slots[j].chunk == k)
					s = &run->slots[j];
			if (s || run->failed)
				break;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&run->cv_ready, &run->mu, &ts);
			pthread_mutex_unlock(&run->mu);
			report(run, st);
			pthread_mutex_lock(&run->mu);
		}
		pthread_mutex_unlock(&run->mu);
		if (!s) {
			ok = false;
			break;
		}
		ok = flush_out(fds, &s->out, st) == 0;
		pthread_mutex_lock(&run->mu);
		s->ready = false;
		s->chunk = -1;
		run->free_slots[run->nfree++] = (int)(s - run->slots);
		if (!ok)
			run->stop = true;
		pthread_cond_broadcast(&run->cv_free);
		pthread_mutex_unlock(&run->mu);
		report(run, st);
	}
	return ok;
}

static enum yl_code open_files(const struct yl_synth_opts *o, int *fds, struct yl_arena *a,
                               struct yl_err *err)
{
	if (mkdir(o->out_dir, 0755) != 0 && errno != EEXIST)
		return yl_err_add(err, a, YL_IO, NULL, "cannot create '%s': %s", o->out_dir,
		                  strerror(errno));
	for (int t = 0; t < YL_SYNTH_NTYPES; t++) {
		char *path = yl_arena_printf(a, "%s/%s.ndjson", o->out_dir,
		                             yl_synth_type_name((enum yl_synth_type)t));
		fds[t] = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
		if (fds[t] < 0)
			return yl_err_add(err, a, YL_IO, NULL, "cannot write '%s': %s",
			                  path ? path : o->out_dir, strerror(errno));
	}
	return YL_OK;
}

static enum yl_code run_threads(struct run *run, const int *fds, struct yl_synth_stats *st,
                                struct yl_arena *a, struct yl_err *err)
{
	const struct yl_synth_opts *o = run->o;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nthreads = o->threads > 0 ? o->threads : cpus > 0 ? (int)cpus : 1;
	nthreads = nthreads > 64 ? 64 : nthreads > run->r.nteams ? run->r.nteams : nthreads;
	run->nslots = nthreads + 2;
	run->slots = calloc((size_t)run->nslots, sizeof *run->slots);
	run->free_slots = calloc((size_t)run->nslots, sizeof(int));
	pthread_t *tids = calloc((size_t)nthreads, sizeof(pthread_t));
	if (!run->slots || !run->free_slots || !tids) {
		free(tids);
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory starting the generators");
	}
	for (int j = 0; j < run->nslots; j++) {
		run->slots[j].chunk = -1;
		run->free_slots[run->nfree++] = j;
	}
	int started = 0;
	for (; started < nthreads; started++)
		if (pthread_create(&tids[started], NULL, worker, run) != 0)
			break;
	bool ok = started > 0 && write_in_order(run, fds, st);
	pthread_mutex_lock(&run->mu);
	run->stop = true;
	pthread_cond_broadcast(&run->cv_free);
	pthread_mutex_unlock(&run->mu);
	for (int j = 0; j < started; j++)
		pthread_join(tids[j], NULL);
	free(tids);
	for (int j = 0; j < run->nslots; j++)
		yl_synth_out_finish(&run->slots[j].out);
	free(run->slots);
	free(run->free_slots);
	if (run->failed)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory generating the region");
	if (!ok)
		return yl_err_add(err, a, YL_IO, NULL, "cannot write the output files: %s",
		                  strerror(errno));
	return YL_OK;
}

enum yl_code yl_synth_run(const struct yl_synth_opts *o, struct yl_synth_stats *st,
                          struct yl_arena *a, struct yl_err *err)
{
	memset(st, 0, sizeof *st);
	st->total = o->residents;
	if (o->years < 1 || o->years > YL_SYNTH_MAX_YEARS)
		return yl_err_add(err, a, YL_USAGE, NULL, "years must be 1 to %d",
		                  YL_SYNTH_MAX_YEARS);
	struct run *run = calloc(1, sizeof *run);
	int fds[YL_SYNTH_NTYPES];
	for (int t = 0; t < YL_SYNTH_NTYPES; t++)
		fds[t] = -1;
	if (!run)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	run->o = o;
	run->window = yl_synth_add_years(o->as_of, -o->years);
	pthread_mutex_init(&run->mu, NULL);
	pthread_cond_init(&run->cv_free, NULL);
	pthread_cond_init(&run->cv_ready, NULL);
	struct yl_synth_out head = {0};
	if (yl_synth_data_load(o->data_dir, &run->d, a, err) != YL_OK ||
	    yl_synth_bind(&run->bind, &run->d, a, err) != YL_OK ||
	    yl_synth_region_plan(&run->r, &run->d, o->residents, o->seed, a, err) != YL_OK)
		goto out;
	st->units = run->r.nunits;
	st->villages = run->r.nvillages;
	st->teams = run->r.nteams;
	run->people = calloc((size_t)o->residents, sizeof *run->people);
	if (!run->people) {
		yl_err_add(err, a, YL_NOMEM, NULL, "out of memory for %lld residents",
		           (long long)o->residents);
		goto out;
	}
	if (yl_synth_people_plan(&run->r, &run->d, o->seed, o->as_of, run->people, a, err) !=
	        YL_OK ||
	    open_files(o, fds, a, err) != YL_OK)
		goto out;
	yl_synth_region_write(&run->r, &run->d, o->seed, &head);
	if (yl_synth_out_oom(&head) || flush_out(fds, &head, st) != 0) {
		yl_err_add(err, a, YL_IO, NULL, "cannot write the output files");
		goto out;
	}
	if (run_threads(run, fds, st, a, err) != YL_OK)
		goto out;
	st->contracted = atomic_load(&run->contracted);
	report(run, st);
out:
	for (int t = 0; t < YL_SYNTH_NTYPES; t++)
		if (fds[t] >= 0 && close(fds[t]) != 0 && err->code == YL_OK)
			yl_err_add(err, a, YL_IO, NULL, "cannot write the output files: %s",
			           strerror(errno));
	yl_synth_out_finish(&head);
	free(run->people);
	pthread_mutex_destroy(&run->mu);
	pthread_cond_destroy(&run->cv_free);
	pthread_cond_destroy(&run->cv_ready);
	free(run);
	return err->code;
}
