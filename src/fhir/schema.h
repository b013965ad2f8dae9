/* schema.h -- FHIR R4 type tables generated from the official definitions.
 *
 * Purpose: every R4 type (primitive, complex, backbone, resource) with its elements, the
 * element's type, array-ness, requiredness and required-binding code list; the validator
 * (fhir/validate.h) walks resources with them. Tables live in schema-gen.c, written by
 * tools/gen-fhir-schema.py; all names are offsets into one string pool, every list is
 * sorted (ASCII order) and searched with binary search.
 * Memory: everything is static and read-only; nothing is allocated.
 * Threads: safe from any thread.
 * Errors: lookups return -1 / NULL / 0 when the name is unknown; names may be any bytes. */
#ifndef YL_FHIR_SCHEMA_H
#define YL_FHIR_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

enum yl_fhir_kind {
	YL_FHIR_KIND_PRIMITIVE,
	YL_FHIR_KIND_COMPLEX,  /* data type, e.g. HumanName */
	YL_FHIR_KIND_BACKBONE, /* element defined inside a type, e.g. Patient_Contact */
	YL_FHIR_KIND_RESOURCE,
};

/* Primitive types, in the schema's (alphabetical) order. */
enum yl_fhir_prim {
	YL_FHIR_PRIM_NONE,
	YL_FHIR_PRIM_BASE64BINARY,
	YL_FHIR_PRIM_BOOLEAN,
	YL_FHIR_PRIM_CANONICAL,
	YL_FHIR_PRIM_CODE,
	YL_FHIR_PRIM_DATE,
	YL_FHIR_PRIM_DATETIME,
	YL_FHIR_PRIM_DECIMAL,
	YL_FHIR_PRIM_ID,
	YL_FHIR_PRIM_INSTANT,
	YL_FHIR_PRIM_INTEGER,
	YL_FHIR_PRIM_MARKDOWN,
	YL_FHIR_PRIM_OID,
	YL_FHIR_PRIM_POSITIVEINT,
	YL_FHIR_PRIM_STRING,
	YL_FHIR_PRIM_TIME,
	YL_FHIR_PRIM_UNSIGNEDINT,
	YL_FHIR_PRIM_URI,
	YL_FHIR_PRIM_URL,
	YL_FHIR_PRIM_UUID,
	YL_FHIR_PRIM_XHTML,
};

#define YL_FHIR_ELEM_ARRAY     1u /* 0..* : a JSON array */
#define YL_FHIR_ELEM_REQUIRED  2u /* min 1 (the schema's required, data types' 1..1) */
#define YL_FHIR_ELEM_REFERENCE 4u /* Reference.reference: check the reference syntax */
#define YL_FHIR_ELEM_NO_EXT    8u /* primitive without a `_name` sibling (Element.id, div) */

#define YL_FHIR_TYPE_ANY_RESOURCE 0xffffu /* elem.type of contained, Bundle.entry.resource */

struct yl_fhir_type {
	uint32_t name;       /* pool offset */
	uint16_t first_elem; /* elements: yl_fhir_elems[first_elem .. +elem_count], by name */
	uint16_t first_req;  /* required: yl_fhir_required[first_req .. +req_count] */
	uint8_t elem_count;
	uint8_t req_count;
	uint8_t kind; /* enum yl_fhir_kind */
	uint8_t prim; /* enum yl_fhir_prim, for primitives */
};

/* One element (JSON property) of a type. `_name` siblings are not listed: every
 * primitive element has one, holding an Element (or an array of Element-or-null). */
struct yl_fhir_elem {
	uint32_t name;    /* pool offset */
	uint16_t type;    /* index into yl_fhir_types, or YL_FHIR_TYPE_ANY_RESOURCE */
	uint16_t enum_id; /* 0, or index into yl_fhir_enums: required binding */
	uint8_t flags;    /* YL_FHIR_ELEM_* */
};

struct yl_fhir_enum {
	uint16_t first; /* values: yl_fhir_enum_values[first .. +count], sorted pool offsets */
	uint16_t count;
};

extern const char yl_fhir_pool[];
extern const struct yl_fhir_type yl_fhir_types[];
extern const size_t yl_fhir_type_count;
extern const struct yl_fhir_elem yl_fhir_elems[];
extern const size_t yl_fhir_elem_count;
extern const uint16_t yl_fhir_required[]; /* indices into yl_fhir_elems */
extern const struct yl_fhir_enum yl_fhir_enums[];
extern const uint32_t yl_fhir_enum_values[];

/* Sorted, every R4 resource type (the schema's ResourceList, 146). */
extern const char *const yl_fhir_resource_types[];
extern const size_t yl_fhir_resource_type_count;
extern const uint16_t yl_fhir_resource_type_def[]; /* resource index -> yl_fhir_types index */

/* Indices of the types the validator treats specially. */
extern const uint16_t yl_fhir_type_element;
extern const uint16_t yl_fhir_type_extension;
extern const uint16_t yl_fhir_type_reference;

static inline const char *yl_fhir_str(uint32_t off)
{
	return yl_fhir_pool + off;
}

/* Index into yl_fhir_resource_types, or -1 if not a resource type; binary search. */
int yl_fhir_resource_type_index(const char *name, size_t len);

/* Index into yl_fhir_types (any type: "Patient", "HumanName", "date"), or -1. */
int yl_fhir_type_index(const char *name, size_t len);

/* The element `name` of type t, or NULL (`_name` siblings are not elements). */
const struct yl_fhir_elem *yl_fhir_elem_find(const struct yl_fhir_type *t, const char *name,
                                             size_t len);

/* 1 if s[0..len) is one of the codes of required binding enum_id (nonzero), else 0. */
int yl_fhir_enum_has(unsigned enum_id, const char *s, size_t len);

#endif
