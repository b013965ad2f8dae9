/* body.h -- how a resource body is kept on disk: zstd primed with a fixed dictionary of FHIR
 * JSON (member names, code systems, the shapes of meta, coding and reference), so a typical
 * 750-byte Observation takes about 240 bytes. A store is mostly bodies; three times smaller
 * bodies keep far more of a district's records in the page cache.
 *
 * Format: byte 0 is the codec, then the JSON's length as a LEB128 varint, then the packed
 * bytes: YL_BODY_ZSTD_D1 (written now) a zstd frame over dictionary 1 as raw content,
 * without content size, checksum or dictionary id; YL_BODY_DEFLATE_D1 (written before
 * 2026-12, still read) a raw deflate stream primed with dictionary 1. The dictionary of a
 * codec id never changes once released: a new dictionary is a new id, and old ids stay
 * readable.
 * The backends store this as a BLOB; a TEXT body (written before compression) is read as is.
 *
 * Memory: yl_body_pack/unpack return buffers in the caller's arena. Each thread keeps one
 * packing and one unpacking state per codec (freed when the thread ends); the zstd
 * dictionaries are made once and shared.
 * Threads: safe from any thread.
 * Errors: pack returns NULL when out of memory (the caller may store the text instead);
 * unpack returns NULL for a blob that is not a body of a known codec, or out of memory. */
#ifndef YL_STORE_BODY_H
#define YL_STORE_BODY_H

#include <stddef.h>

#include "core/arena.h"

#define YL_BODY_DEFLATE_D1 1
#define YL_BODY_ZSTD_D1    2

/* json[0..len) packed with the current codec (YL_BODY_ZSTD_D1); OUT: *out_len. */
const void *yl_body_pack(struct yl_arena *a, const char *json, size_t len, size_t *out_len);
/* The same with a given codec (tests: older stores' bodies); NULL for an unknown one. */
const void *yl_body_pack_as(struct yl_arena *a, int codec, const char *json, size_t len,
                            size_t *out_len);

/* A packed body's JSON, NUL-terminated; OUT: *len (without the NUL). */
const char *yl_body_unpack(struct yl_arena *a, const void *blob, size_t n, size_t *len);

#endif
