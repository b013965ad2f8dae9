/* seed.c -- shipped resources into the store when absent (seed.h). */
#include "care/seed.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fhir/extract.h"
#include "fhir/json.h"
#include "fhir/validate.h"

static const char *const files[] = {
    "terminology/codesystems.json",
    "terminology/key-populations.json",
    "terminology/service-packages.json",
    "measures/contracting.json",
};

static enum yl_code seed_one(struct yl_store_conn *c, const json_t *res, const char *file,
                             int *created, struct yl_arena *a, struct yl_err *err)
{
	const char *type = json_string_value(json_object_get(res, "resourceType"));
	const char *id = json_string_value(json_object_get(res, "id"));
	if (!type || !id)
		return yl_err_add(err, a, YL_IO, NULL, "%s: an entry without resourceType or id",
		                  file);
	struct yl_row row;
	enum yl_code code = yl_store_read(c, a, type, id, 0, &row, err);
	if (code == YL_OK)
		return YL_OK; /* there, perhaps changed by the deployment: kept */
	if (code != YL_NOT_FOUND)
		return code;
	if (yl_fhir_validate(a, res, type, err) > 0)
		return yl_err_add(err, a, YL_IO, NULL, "%s: %s/%s is not valid FHIR R4", file, type,
		                  id);
	char *text = json_dumps(res, JSON_COMPACT);
	if (!text)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	struct yl_json_body t = {yl_arena_strdup(a, text), strlen(text), type, id};
	free(text);
	struct yl_write w = {.op = YL_WRITE_CREATE,
	                     .type = type,
	                     .id = id,
	                     .render = yl_json_render,
	                     .render_ctx = &t};
	struct yl_index_row *rows;
	if (!t.text || (code = yl_fhir_extract(a, type, res, &rows, &w.index_count, err)) != YL_OK)
		return t.text ? code : yl_err_add(err, a, YL_NOMEM, NULL, "out of memory");
	w.index = rows;
	if ((code = yl_store_write(c, a, &w, err)) == YL_OK)
		(*created)++;
	return code;
}

enum yl_code yl_care_seed(struct yl_store *s, const char *dir, int *created, struct yl_arena *a,
                          struct yl_err *err)
{
	*created = 0;
	struct yl_store_conn *c = yl_store_conn(s, a, err);
	if (!c)
		return err->code;
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		const char *path = yl_arena_printf(a, "%s/%s", dir, files[f]);
		json_error_t je;
		json_t *doc = path ? json_load_file(path, JSON_REJECT_DUPLICATES, &je) : NULL;
		if (!doc)
			return yl_err_add(err, a, YL_IO, NULL, "%s: %s", files[f],
			                  path ? je.text : "out of memory");
		enum yl_code code = YL_OK;
		size_t i;
		const json_t *e;
		json_array_foreach (json_object_get(doc, "entry"), i, e) {
			code =
			    seed_one(c, json_object_get(e, "resource"), files[f], created, a, err);
			if (code != YL_OK)
				break;
		}
		json_decref(doc);
		if (code != YL_OK)
			return code;
	}
	return YL_OK;
}
