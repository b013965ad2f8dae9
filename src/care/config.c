/* config.c -- reads the registry and contracting data files (config.h). The jansson
 * documents are kept; the tables hold pointers into them. */
#include "care/config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static struct {
	json_t *ids_doc, *vs_doc, *pvs_doc, *rules_doc, *cs_doc;
	struct yl_id_system *ids;
	size_t nids;
	const char **systems; /* every system of every identifier, one array */
	struct yl_kp_code *codes;
	struct yl_valueset *valuesets;
	size_t nvaluesets;
	struct yl_keypop keypops[YL_KP_MAX];
	struct yl_care_rules rules;
	bool loaded;
} cfg;

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

void yl_care_unload(void)
{
	json_decref(cfg.ids_doc);
	json_decref(cfg.vs_doc);
	json_decref(cfg.pvs_doc);
	json_decref(cfg.rules_doc);
	json_decref(cfg.cs_doc);
	free(cfg.ids);
	free(cfg.systems);
	free(cfg.codes);
	free(cfg.valuesets);
	memset(&cfg, 0, sizeof cfg);
}

const struct yl_care_rules *yl_care_rules(void)
{
	return cfg.loaded ? &cfg.rules : NULL;
}

const struct yl_id_system *yl_care_id_system(const char *type, const char *system)
{
	if (!type || !system)
		return NULL;
	for (size_t i = 0; i < cfg.nids; i++) {
		if (strcmp(cfg.ids[i].on, type) != 0)
			continue;
		for (size_t j = 0; j < cfg.ids[i].nsystems; j++)
			if (strcmp(cfg.ids[i].systems[j], system) == 0)
				return &cfg.ids[i];
	}
	return NULL;
}

const char *yl_care_code(const char *system_name, const char *code, const char *lang)
{
	if (!system_name || !code)
		return NULL;
	size_t n = strlen(YL_CS);
	size_t i, j, k;
	const json_t *e, *c, *d;
	json_array_foreach (json_object_get(cfg.cs_doc, "entry"), i, e) {
		const char *url = str(json_object_get(e, "resource"), "url");
		if (!url || strncmp(url, YL_CS, n) != 0 || strcmp(url + n, system_name) != 0)
			continue;
		json_array_foreach (json_object_get(json_object_get(e, "resource"), "concept"), j,
		                    c) {
			if (!str(c, "code") || strcmp(str(c, "code"), code) != 0)
				continue;
			json_array_foreach (json_object_get(c, "designation"), k, d)
				if (lang && str(d, "language") &&
				    !strcmp(str(d, "language"), lang) && str(d, "value"))
					return str(d, "value");
			return str(c, "display") ? str(c, "display") : code;
		}
	}
	return NULL;
}

bool yl_care_unique_on(const char *type)
{
	for (size_t i = 0; type && i < cfg.nids; i++)
		if (cfg.ids[i].unique && strcmp(cfg.ids[i].on, type) == 0)
			return true;
	return false;
}

const struct yl_keypop *yl_care_keypop(const char *code, size_t *i)
{
	for (size_t k = 0; code && k < cfg.rules.nkeypops; k++)
		if (strcmp(cfg.keypops[k].code, code) == 0) {
			if (i)
				*i = k;
			return &cfg.keypops[k];
		}
	return NULL;
}

static json_t *read_doc(const char *dir, const char *name, struct yl_arena *a, struct yl_err *err)
{
	char *path = yl_arena_printf(a, "%s/%s", dir, name);
	if (!path) {
		yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
		return NULL;
	}
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		yl_err_add(err, a, YL_IO, NULL, "%s: %s (line %d)", path, je.text, je.line);
	return doc;
}

static enum yl_code bad(struct yl_arena *a, struct yl_err *err, const char *file, const char *what,
                        size_t i)
{
	return yl_err_add(err, a, YL_IO, NULL, "%s: entry %zu: %s", file, i, what);
}

static const struct {
	const char *name;
	enum yl_id_check check;
} id_checks[] = {{"gb11643", YL_IDCHECK_GB11643}, {"digits:", YL_IDCHECK_DIGITS}};

static enum yl_code load_ids(struct yl_arena *a, struct yl_err *err)
{
	static const char file[] = "terminology/identifier-systems.json";
	const json_t *list = json_object_get(cfg.ids_doc, "systems");
	size_t n = json_array_size(list), nsys = 0, i;
	const json_t *e;
	json_array_foreach (list, i, e)
		nsys += 1 + json_array_size(json_object_get(e, "also"));
	cfg.ids = calloc(n ? n : 1, sizeof *cfg.ids);
	cfg.systems = calloc(nsys ? nsys : 1, sizeof *cfg.systems);
	if (!cfg.ids || !cfg.systems)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	size_t used = 0;
	json_array_foreach (list, i, e) {
		struct yl_id_system *s = &cfg.ids[i];
		s->name = str(e, "name");
		s->on = str(e, "on");
		const char *system = str(e, "system");
		const json_t *disp = json_object_get(e, "display");
		s->label = str(disp, "en");
		if (!s->name || !s->on || !system || !s->label)
			return bad(a, err, file, "needs name, on, system and display.en", i);
		s->systems = &cfg.systems[used];
		cfg.systems[used++] = system;
		size_t j;
		const json_t *also;
		json_array_foreach (json_object_get(e, "also"), j, also) {
			if (!json_is_string(also))
				return bad(a, err, file, "'also' holds a non-string", i);
			cfg.systems[used++] = json_string_value(also);
		}
		s->nsystems = (size_t)(&cfg.systems[used] - s->systems);
		const char *check = str(e, "check");
		for (size_t k = 0; check && k < sizeof id_checks / sizeof id_checks[0]; k++)
			if (strncmp(check, id_checks[k].name, strlen(id_checks[k].name)) == 0)
				s->check = id_checks[k].check;
		if (check && s->check == YL_IDCHECK_NONE)
			return bad(a, err, file, "unknown check (gb11643 or digits:N)", i);
		if (s->check == YL_IDCHECK_DIGITS) {
			char *end;
			long digits = strtol(check + 7, &end, 10);
			if (*end || digits <= 0 || digits > 64)
				return bad(a, err, file, "digits:N needs a count from 1 to 64", i);
			s->digits = (int)digits;
		}
		s->unique = json_is_true(json_object_get(e, "unique"));
		s->personal = json_is_true(json_object_get(e, "personal"));
	}
	cfg.nids = n;
	return YL_OK;
}

const struct yl_valueset *yl_care_valueset(const char *url)
{
	for (size_t i = 0; url && i < cfg.nvaluesets; i++)
		if (strcmp(cfg.valuesets[i].url, url) == 0)
			return &cfg.valuesets[i];
	return NULL;
}

bool yl_care_coded_in(const struct yl_valueset *vs, const json_t *concept)
{
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(concept, "coding"), i, c) {
		const char *system = str(c, "system"), *code = str(c, "code");
		for (size_t k = 0; vs && system && code && k < vs->ncodes; k++) {
			const struct yl_kp_code *v = &vs->codes[k];
			if (strcmp(v->system, system) == 0 &&
			    (v->prefix ? strncmp(code, v->code, strlen(v->code)) == 0
			               : strcmp(code, v->code) == 0))
				return true;
		}
	}
	return false;
}

/* Every ValueSet of the two bundles, expanded into cfg.codes. */
static enum yl_code load_valuesets(struct yl_arena *a, struct yl_err *err)
{
	const json_t *docs[] = {cfg.vs_doc, cfg.pvs_doc};
	const char *files[] = {"terminology/key-populations.json",
	                       "terminology/programme-valuesets.json"};
	size_t ncodes = 0, nvs = 0, i, j, k;
	const json_t *e, *inc, *c;
	for (size_t d = 0; d < 2; d++)
		json_array_foreach (json_object_get(docs[d], "entry"), i, e) {
			nvs++;
			json_array_foreach (
			    json_object_get(
			        json_object_get(json_object_get(e, "resource"), "compose"),
			        "include"),
			    j, inc)
				ncodes += json_array_size(json_object_get(inc, "concept")) +
				          json_array_size(json_object_get(inc, "filter"));
		}
	cfg.codes = calloc(ncodes ? ncodes : 1, sizeof *cfg.codes);
	cfg.valuesets = calloc(nvs ? nvs : 1, sizeof *cfg.valuesets);
	if (!cfg.codes || !cfg.valuesets)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	size_t used = 0;
	for (size_t d = 0; d < 2; d++)
		json_array_foreach (json_object_get(docs[d], "entry"), i, e) {
			const json_t *vs = json_object_get(e, "resource");
			struct yl_valueset *v = &cfg.valuesets[cfg.nvaluesets];
			if (!(v->url = str(vs, "url")))
				return bad(a, err, files[d], "a ValueSet without url", i);
			if (yl_care_valueset(v->url))
				return bad(a, err, files[d], "a ValueSet url given twice", i);
			v->codes = &cfg.codes[used];
			json_array_foreach (
			    json_object_get(json_object_get(vs, "compose"), "include"), j, inc) {
				const char *system = str(inc, "system");
				json_array_foreach (json_object_get(inc, "concept"), k, c)
					cfg.codes[used++] =
					    (struct yl_kp_code){system, str(c, "code"), false};
				json_array_foreach (json_object_get(inc, "filter"), k, c) {
					if (!str(c, "op") || strcmp(str(c, "op"), "is-a") != 0)
						return bad(a, err, files[d],
						           "only is-a filters are read", i);
					cfg.codes[used++] =
					    (struct yl_kp_code){system, str(c, "value"), true};
				}
			}
			v->ncodes = (size_t)(&cfg.codes[used] - v->codes);
			for (size_t m = 0; m < v->ncodes; m++)
				if (!v->codes[m].system || !v->codes[m].code)
					return bad(a, err, files[d],
					           "a code without system or code", i);
			cfg.nvaluesets++;
		}
	return YL_OK;
}

static const struct {
	const char *name;
	enum yl_kp_derive derive;
} derivations[] = {
    {"age-at-least", YL_KP_AGE_AT_LEAST},
    {"age-below", YL_KP_AGE_BELOW},
    {"condition", YL_KP_CONDITION},
    {"household", YL_KP_HOUSEHOLD},
};

static enum yl_code load_keypops(struct yl_arena *a, struct yl_err *err)
{
	static const char file[] = "rules/contracting.json";
	const json_t *list =
	    json_object_get(json_object_get(cfg.rules_doc, "key_populations"), "list");
	size_t i;
	const json_t *e;
	if (json_array_size(list) > YL_KP_MAX)
		return bad(a, err, file, "more key populations than yilian keeps", YL_KP_MAX);
	json_array_foreach (list, i, e) {
		struct yl_keypop *kp = &cfg.keypops[i];
		kp->code = str(e, "code");
		const char *derive = str(e, "derive");
		if (!kp->code || !derive)
			return bad(a, err, file, "a key population needs code and derive", i);
		size_t k = 0, nd = sizeof derivations / sizeof derivations[0];
		while (k < nd && strcmp(derivations[k].name, derive) != 0)
			k++;
		if (k == nd)
			return bad(a, err, file, "unknown derive", i);
		kp->derive = derivations[k].derive;
		kp->years = (int)json_integer_value(json_object_get(e, "years"));
		kp->characteristic = str(e, "characteristic");
		enum yl_code code = YL_OK;
		if (kp->derive == YL_KP_CONDITION) {
			if (!(kp->vs = yl_care_valueset(str(e, "valueset"))))
				code = yl_err_add(
				    err, a, YL_IO, NULL,
				    "%s: key population '%s' names value set '%s', which "
				    "terminology/ does not have",
				    file, kp->code,
				    str(e, "valueset") ? str(e, "valueset") : "(none)");
		} else if (kp->derive == YL_KP_HOUSEHOLD && !kp->characteristic)
			code =
			    bad(a, err, file, "a household key population needs characteristic", i);
		else if (kp->derive != YL_KP_HOUSEHOLD && kp->years <= 0)
			code = bad(a, err, file, "an age key population needs years", i);
		if (code != YL_OK)
			return code;
	}
	cfg.rules.keypops = cfg.keypops;
	cfg.rules.nkeypops = json_array_size(list);
	return YL_OK;
}

static const struct {
	const char *key;
	size_t offset;
} numbers[] = {
    {"term_months", offsetof(struct yl_care_rules, term_months)},
    {"team_capacity", offsetof(struct yl_care_rules, team_capacity)},
    {"doctor_capacity", offsetof(struct yl_care_rules, doctor_capacity)},
    {"expiring_days", offsetof(struct yl_care_rules, expiring_days)},
};

enum yl_code yl_care_load(const char *dir, struct yl_arena *a, struct yl_err *err)
{
	yl_care_unload();
	if (!(cfg.ids_doc = read_doc(dir, "terminology/identifier-systems.json", a, err)) ||
	    !(cfg.vs_doc = read_doc(dir, "terminology/key-populations.json", a, err)) ||
	    !(cfg.pvs_doc = read_doc(dir, "terminology/programme-valuesets.json", a, err)) ||
	    !(cfg.rules_doc = read_doc(dir, "rules/contracting.json", a, err)) ||
	    !(cfg.cs_doc = read_doc(dir, "terminology/codesystems.json", a, err))) {
		yl_care_unload();
		return err->code;
	}
	enum yl_code code = load_ids(a, err);
	for (size_t i = 0; code == YL_OK && i < sizeof numbers / sizeof numbers[0]; i++) {
		json_int_t v = json_integer_value(
		    json_object_get(json_object_get(cfg.rules_doc, numbers[i].key), "value"));
		if (v <= 0 || v > 1000000)
			code = yl_err_add(err, a, YL_IO, NULL,
			                  "rules/contracting.json: '%s' needs a positive 'value'",
			                  numbers[i].key);
		else
			*(int *)((char *)&cfg.rules + numbers[i].offset) = (int)v;
	}
	if (code == YL_OK)
		code = load_valuesets(a, err);
	if (code == YL_OK)
		code = load_keypops(a, err);
	if (code != YL_OK) {
		yl_care_unload();
		return code;
	}
	cfg.loaded = true;
	return YL_OK;
}
