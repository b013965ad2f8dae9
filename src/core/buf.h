/* buf.h -- growable byte buffer in an arena, with a hard maximum (curl's dynbuf).
 *
 * Memory: the bytes live in the arena given to yl_buf_init(); growing leaves the old
 * block in the arena until it dies. Errors are sticky: after out-of-memory or passing
 * `max`, every append is ignored and b->err stays set (YL_NOMEM or YL_TOO_LARGE), so
 * callers append freely and check once. b->p is always NUL-terminated when !b->err. */
#ifndef YL_BUF_H
#define YL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

struct yl_buf {
	struct yl_arena *a;
	char *p;
	size_t len;
	size_t cap;
	size_t max;
	enum yl_code err;
};

void yl_buf_init(struct yl_buf *b, struct yl_arena *a, size_t initial, size_t max);
void yl_buf_add(struct yl_buf *b, const void *p, size_t n);
void yl_buf_adds(struct yl_buf *b, const char *s);
void yl_buf_addc(struct yl_buf *b, char c);
void yl_buf_printf(struct yl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as the body of a JSON string (escaped, without the quotes); bytes that are not
 * well-formed UTF-8 become U+FFFD, so the JSON stays valid whatever a request held. */
void yl_buf_json_escape(struct yl_buf *b, const char *s, size_t n);
/* Append s as a quoted JSON string. */
void yl_buf_json_str(struct yl_buf *b, const char *s);

#endif
