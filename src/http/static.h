/* static.h -- the web pages (web/): files served as they are from one directory, for
 * GET / and GET /web/{file}.
 *
 * Only plain file names are served (letters, digits, '.', '-', '_'; not starting with a
 * dot), so no request can reach outside the directory; the type comes from a table of
 * extensions, and anything else is 404. The file is sent from its descriptor
 * (libmicrohttpd reads it), never copied into memory.
 * Memory: nothing beyond the request's arena. Threads: reentrant. */
#ifndef YL_HTTP_STATIC_H
#define YL_HTTP_STATIC_H

#include "core/err.h"
#include "http/http.h"

/* Answer r with dir/name, or YL_NOT_FOUND (err filled). */
enum yl_code yl_static_serve(struct yl_req *r, const char *dir, const char *name,
                             struct yl_err *err);

#endif
