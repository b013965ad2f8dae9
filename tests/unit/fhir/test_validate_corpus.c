/* test_validate_corpus.c -- the validator against the official R4 examples and Synthea data.
 *
 * Walks $YL_SHARED (default "../shared", relative to the working directory):
 * every .json in fhir-r4/examples must pass except exactly the ones listed in
 * examples-rejected.txt (filename TAB expression-substring TAB why), each of which must be
 * rejected with an issue whose expression contains the substring; every entry.resource of
 * every .json bundle in data/synthea and every line of each .ndjson file in
 * data/synthea-bulk-ndjson must pass.
 * The list is found via $YL_EXAMPLES_REJECTED, else next to this source file. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fhir/schema.h"
#include "fhir/validate.h"

#define MAX_LISTED  64
#define MAX_PRINTED 20 /* failures printed in full */
#define LINE_CAP    1024

struct listed {
	char file[256];
	char expr[256];
	bool seen;
};

static struct listed listed[MAX_LISTED];
static size_t listed_count;
static int failures;

static const char *shared_dir(void)
{
	const char *s = getenv("YL_SHARED");
	return s && *s ? s : "../shared";
}

static FILE *open_list(void)
{
	const char *env = getenv("YL_EXAMPLES_REJECTED");
	if (env && *env)
		return fopen(env, "r");
	char path[1024];
	const char *src = __FILE__;
	const char *slash = strrchr(src, '/');
	int dir = slash ? (int)(slash - src) : 1;
	snprintf(path, sizeof(path), "%.*s/examples-rejected.txt", dir, slash ? src : ".");
	FILE *f = fopen(path, "r");
	if (!f)
		f = fopen("tests/unit/fhir/examples-rejected.txt", "r");
	return f;
}

static void load_list(void)
{
	FILE *f = open_list();
	if (!f)
		fail_msg("cannot open examples-rejected.txt (set YL_EXAMPLES_REJECTED)");
	char line[LINE_CAP];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *t1 = strchr(line, '\t');
		char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2 || listed_count == MAX_LISTED)
			fail_msg("bad line in examples-rejected.txt: %s", line);
		*t1 = *t2 = '\0';
		struct listed *l = &listed[listed_count++];
		if (strlen(line) >= sizeof(l->file) || strlen(t1 + 1) >= sizeof(l->expr))
			fail_msg("line too long in examples-rejected.txt");
		memcpy(l->file, line, strlen(line) + 1);
		memcpy(l->expr, t1 + 1, strlen(t1 + 1) + 1);
		l->seen = false;
	}
	fclose(f);
}

static struct listed *find_listed(const char *file)
{
	for (size_t i = 0; i < listed_count; i++)
		if (strcmp(listed[i].file, file) == 0)
			return &listed[i];
	return NULL;
}

/* Count a failure and print its issues (the first MAX_PRINTED failures only). */
static void print_issues(const char *what, const struct yl_err *e)
{
	if (++failures > MAX_PRINTED)
		return;
	for (const struct yl_issue *is = e->first; is; is = is->next)
		print_message("  %s: %s: %s\n", what, is->expression ? is->expression : "-",
		              is->message);
}

/* Validate one resource; returns the number of issues, keeps them in *e (arena *a). */
static int validate(struct yl_arena **a, const json_t *r, struct yl_err *e)
{
	yl_arena_destroy(*a);
	*a = yl_arena_create(0);
	assert_non_null(*a);
	yl_err_init(e);
	return yl_fhir_validate(*a, r, NULL, e);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && strcmp(s + n - k, suf) == 0;
}

static void test_examples(void **state)
{
	(void)state;
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/fhir-r4/examples", shared_dir());
	DIR *d = opendir(dir);
	if (!d) {
		print_message("no %s: skipped\n", dir);
		skip();
	}
	load_list();
	struct yl_arena *a = NULL;
	struct yl_err e;
	int accepted = 0, rejected = 0, other = 0;
	failures = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".json"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		json_error_t je;
		json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
		if (!j) {
			print_message("%s: %s\n", de->d_name, je.text);
			failures++;
			continue;
		}
		const char *rt = json_string_value(json_object_get(j, "resourceType"));
		if (!rt || yl_fhir_resource_type_index(rt, strlen(rt)) < 0) {
			other++;
			json_decref(j);
			continue;
		}
		int n = validate(&a, j, &e);
		struct listed *l = find_listed(de->d_name);
		if (l) {
			l->seen = true;
			bool hit = false;
			for (const struct yl_issue *is = e.first; is; is = is->next)
				hit |= is->expression && strstr(is->expression, l->expr);
			if (!hit) {
				print_message("%s: listed as rejected at '%s' but was not\n",
				              de->d_name, l->expr);
				print_issues(de->d_name, &e); /* counts the failure */
			}
			rejected++;
		} else if (n) {
			print_message("%s: rejected (%d issues)\n", de->d_name, n);
			print_issues(de->d_name, &e);
		} else {
			accepted++;
		}
		json_decref(j);
	}
	closedir(d);
	yl_arena_destroy(a);
	for (size_t i = 0; i < listed_count; i++)
		if (!listed[i].seen) {
			print_message("%s: listed but not found\n", listed[i].file);
			failures++;
		}
	print_message("examples: %d accepted, %d rejected as listed, %d not resources\n", accepted,
	              rejected, other);
	assert_int_equal(failures, 0);
	assert_true(accepted > 0);
}

static int synthea_bundles(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct yl_arena *a = NULL;
	struct yl_err e;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".json"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		json_error_t je;
		json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
		if (!j) {
			print_message("%s: %s\n", de->d_name, je.text);
			failures++;
			continue;
		}
		size_t i;
		json_t *entry;
		json_array_foreach (json_object_get(j, "entry"), i, entry) {
			if (validate(&a, json_object_get(entry, "resource"), &e)) {
				print_message("%s: entry %zu rejected\n", de->d_name, i);
				print_issues(de->d_name, &e);
			} else {
				(*count)++;
			}
		}
		json_decref(j);
	}
	closedir(d);
	yl_arena_destroy(a);
	return 0;
}

static int ndjson_files(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct yl_arena *a = NULL;
	struct yl_err e;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".ndjson"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		char *line = NULL;
		size_t cap = 0;
		ssize_t got;
		int lineno = 0;
		while ((got = getline(&line, &cap, f)) > 0) {
			lineno++;
			json_error_t je;
			json_t *j = json_loadb(line, (size_t)got, JSON_REJECT_DUPLICATES, &je);
			if (!j) {
				print_message("%s:%d: %s\n", de->d_name, lineno, je.text);
				failures++;
				continue;
			}
			if (validate(&a, j, &e)) {
				print_message("%s:%d: rejected\n", de->d_name, lineno);
				print_issues(de->d_name, &e);
			} else {
				(*count)++;
			}
			json_decref(j);
		}
		free(line);
		fclose(f);
	}
	closedir(d);
	yl_arena_destroy(a);
	return 0;
}

static void test_synthea(void **state)
{
	(void)state;
	char dir[1024];
	int bundles = 0, bulk = 0;
	failures = 0;
	snprintf(dir, sizeof(dir), "%s/data/synthea", shared_dir());
	int r1 = synthea_bundles(dir, &bundles);
	snprintf(dir, sizeof(dir), "%s/data/synthea-bulk-ndjson", shared_dir());
	int r2 = ndjson_files(dir, &bulk);
	if (r1 < 0 && r2 < 0) {
		print_message("no Synthea data under %s: skipped\n", shared_dir());
		skip();
	}
	print_message("synthea: %d bundle resources accepted, %d bulk NDJSON resources accepted\n",
	              bundles, bulk);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_synthea),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
