/* buf.c -- growable arena buffer. */
#include "core/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void yl_buf_init(struct yl_buf *b, struct yl_arena *a, size_t initial, size_t max)
{
	b->a = a;
	b->len = 0;
	b->max = max;
	b->err = YL_OK;
	b->cap = initial < 64 ? 64 : initial;
	b->p = yl_arena_alloc(a, b->cap);
	if (!b->p) {
		b->err = YL_NOMEM;
		b->cap = 0;
		return;
	}
	b->p[0] = '\0';
}

static int reserve(struct yl_buf *b, size_t n)
{
	if (b->err)
		return -1;
	if (n > SIZE_MAX - b->len - 1 || b->len + n > b->max) {
		b->err = YL_TOO_LARGE;
		return -1;
	}
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *np = yl_arena_alloc(b->a, cap);
	if (!np) {
		b->err = YL_NOMEM;
		return -1;
	}
	memcpy(np, b->p, b->len + 1);
	b->p = np;
	b->cap = cap;
	return 0;
}

void yl_buf_add(struct yl_buf *b, const void *p, size_t n)
{
	if (reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void yl_buf_adds(struct yl_buf *b, const char *s)
{
	yl_buf_add(b, s, strlen(s));
}

void yl_buf_addc(struct yl_buf *b, char c)
{
	yl_buf_add(b, &c, 1);
}

void yl_buf_printf(struct yl_buf *b, const char *fmt, ...)
{
	va_list ap, cp;
	va_start(ap, fmt);
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n >= 0 && reserve(b, (size_t)n) == 0) {
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		b->len += (size_t)n;
	}
	va_end(ap);
}

/* Length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (!len || len > n || s[0] > 0xf4)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

void yl_buf_json_escape(struct yl_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) { /* text from a request may be anything: keep the JSON valid */
			size_t len = utf8_seq((const unsigned char *)s + i, n - i);
			if (len) {
				i += len - 1;
				continue;
			}
			yl_buf_add(b, s + run, i - run);
			yl_buf_adds(b, "\\ufffd");
			run = i + 1;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		yl_buf_add(b, s + run, i - run);
		run = i + 1;
		char esc[7] = {'\\', 0};
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			yl_buf_add(b, esc, 6);
			continue;
		}
		yl_buf_add(b, esc, 2);
	}
	yl_buf_add(b, s + run, n - run);
}

void yl_buf_json_str(struct yl_buf *b, const char *s)
{
	yl_buf_addc(b, '"');
	yl_buf_json_escape(b, s, strlen(s));
	yl_buf_addc(b, '"');
}
