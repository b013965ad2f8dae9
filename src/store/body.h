/* body.h -- how a resource body is kept on disk: raw deflate primed with a fixed dictionary
 * of FHIR JSON (member names, code systems, the shapes of meta, coding and reference), so a
 * typical 800-byte Observation takes about 200 bytes. A store is mostly bodies; four times
 * smaller bodies keep far more of a district's records in the page cache.
 *
 * Format: byte 0 is the codec (YL_BODY_DEFLATE_D1: deflate with dictionary 1), then the
 * JSON's length as a LEB128 varint, then the raw deflate stream. The dictionary of a codec
 * id never changes once released: a new dictionary is a new id, and old ids stay readable.
 * The backends store this as a BLOB; a TEXT body (written before compression) is read as is.
 *
 * Memory: yl_body_pack/unpack return buffers in the caller's arena. Each thread keeps one
 * deflate and one inflate state (freed when the thread ends).
 * Threads: safe from any thread.
 * Errors: pack returns NULL when out of memory (the caller may store the text instead);
 * unpack returns NULL for a blob that is not a body of a known codec, or out of memory. */
#ifndef YL_STORE_BODY_H
#define YL_STORE_BODY_H

#include <stddef.h>

#include "core/arena.h"

#define YL_BODY_DEFLATE_D1 1

/* json[0..len) packed; OUT: *out_len. */
const void *yl_body_pack(struct yl_arena *a, const char *json, size_t len, size_t *out_len);

/* A packed body's JSON, NUL-terminated; OUT: *len (without the NUL). */
const char *yl_body_unpack(struct yl_arena *a, const void *blob, size_t n, size_t *len);

#endif
