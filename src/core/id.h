/* id.h -- server-assigned resource ids that sort by creation time.
 *
 * An id is 12 base-32 characters of microsecond timestamp (monotonic within the process)
 * followed by 8 of randomness from libsodium: B-tree inserts stay at the right edge
 * (DESIGN.md: random UUIDs halve ingest as the store grows). Lower-case [0-9a-v], valid
 * as a FHIR id. Threads: thread-safe. */
#ifndef YL_ID_H
#define YL_ID_H

#define YL_ID_LEN 20

/* Writes YL_ID_LEN characters plus NUL into out. yl_id_init() must have succeeded. */
int yl_id_init(void);
void yl_id_new(char out[YL_ID_LEN + 1]);

/* FHIR id syntax: [A-Za-z0-9\-\.]{1,64} */
int yl_id_valid(const char *s, size_t n);

#endif
