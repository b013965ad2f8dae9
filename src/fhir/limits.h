/* limits.h -- every input that grows has a hard maximum; each has a name here, a clear
 * error (413 or 400) and a test at the limit and one past it (tests/api/limits.test.js). */
#ifndef YL_LIMITS_H
#define YL_LIMITS_H

#define YL_MAX_BODY_BYTES     (8u * 1024 * 1024) /* request body: 413 beyond */
#define YL_MAX_JSON_DEPTH     64                 /* nesting of objects+arrays: 400 beyond */
#define YL_MAX_STRING_BYTES   (1u * 1024 * 1024) /* one JSON string (as sent): 400 beyond */
#define YL_MAX_URL_BYTES      8192               /* request target: 414 beyond */
#define YL_MAX_QUERY_PARAMS   100                /* query parameters: 400 beyond */
#define YL_MAX_COUNT          1000               /* _count ceiling; larger values are clamped */
#define YL_DEFAULT_COUNT      20                 /* _count when absent */
#define YL_MAX_RESPONSE_BYTES (64u * 1024 * 1024)

#endif
