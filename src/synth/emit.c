/* emit.c -- JSON text into growable buffers (see emit.h). */
#include <stdlib.h>

#include "core/time.h"
#include "synth/emit.h"

static const char *const type_names[] = {
#define YL_SYNTH_NAME(name, text) text,
    YL_SYNTH_TYPES(YL_SYNTH_NAME)
#undef YL_SYNTH_NAME
};

const char *yl_synth_type_name(enum yl_synth_type t)
{
	return (unsigned)t < YL_SYNTH_NTYPES ? type_names[t] : "?";
}

void yl_synth_out_clear(struct yl_synth_out *o)
{
	for (int i = 0; i < YL_SYNTH_NTYPES; i++) {
		o->b[i].len = 0;
		o->count[i] = 0;
	}
}

void yl_synth_out_finish(struct yl_synth_out *o)
{
	for (int i = 0; i < YL_SYNTH_NTYPES; i++) {
		free(o->b[i].p);
		o->b[i] = (struct yl_sbuf){0};
		o->count[i] = 0;
	}
}

bool yl_synth_out_oom(const struct yl_synth_out *o)
{
	for (int i = 0; i < YL_SYNTH_NTYPES; i++)
		if (o->b[i].oom)
			return true;
	return false;
}

bool yl_sbuf_grow(struct yl_sbuf *b, size_t n)
{
	if (b->oom)
		return false;
	size_t cap = b->cap ? b->cap : 1 << 16;
	while (cap - b->len < n) {
		if (cap > ((size_t)1 << 40)) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void yl_sbuf_str(struct yl_sbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	yl_sbuf_add(b, "\"", 1);
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		yl_sbuf_add(b, run, (size_t)(s - run));
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		if (c == '"' || c == '\\')
			yl_sbuf_add(b, (char[]){'\\', (char)c}, 2);
		else
			yl_sbuf_add(b, esc, 6);
		run = s + 1;
	}
	yl_sbuf_add(b, run, (size_t)(s - run));
	yl_sbuf_add(b, "\"", 1);
}

static size_t utoa_rev(char *end, uint64_t v)
{
	char *p = end;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return (size_t)(end - p);
}

void yl_sbuf_int(struct yl_sbuf *b, int64_t v)
{
	char tmp[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = utoa_rev(tmp + sizeof tmp, u);
	if (v < 0)
		tmp[sizeof tmp - ++n] = '-';
	yl_sbuf_add(b, tmp + sizeof tmp - n, n);
}

void yl_sbuf_zpad(struct yl_sbuf *b, uint64_t v, int width)
{
	char tmp[24];
	size_t n = utoa_rev(tmp + sizeof tmp, v);
	while ((int)n < width && n < sizeof tmp)
		tmp[sizeof tmp - ++n] = '0';
	yl_sbuf_add(b, tmp + sizeof tmp - n, n);
}

void yl_sbuf_fixed(struct yl_sbuf *b, int64_t v, int decimals)
{
	int64_t scale = 1;
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	if (v < 0) {
		yl_sbuf_add(b, "-", 1);
		v = -v;
	}
	yl_sbuf_int(b, v / scale);
	if (decimals > 0) {
		yl_sbuf_add(b, ".", 1);
		yl_sbuf_zpad(b, (uint64_t)(v % scale), decimals);
	}
}

int32_t yl_synth_days(int y, int m, int d)
{
	return (int32_t)yl_days_from_civil(y, (unsigned)m, (unsigned)d);
}

/* the inverse of days_from_civil: count 400-year eras from 0000-03-01 */
void yl_synth_civil(int32_t days, int *y, int *m, int *d)
{
	int64_t z = (int64_t)days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;                                      /* day of era */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* year of era */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* from 1 March */
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int32_t yl_synth_add_years(int32_t days, int n)
{
	int y, m, d;
	yl_synth_civil(days, &y, &m, &d);
	y += n;
	if (m == 2 && d == 29 && yl_days_in_month(y, 2) == 28)
		d = 28;
	return yl_synth_days(y, m, d);
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void yl_sbuf_date(struct yl_sbuf *b, int32_t days)
{
	int y, m, d;
	yl_synth_civil(days, &y, &m, &d);
	char s[12] = "\"0000-00-00\"";
	put2(s + 1, y / 100);
	put2(s + 3, y % 100);
	put2(s + 6, m);
	put2(s + 9, d);
	yl_sbuf_add(b, s, 12);
}

void yl_sbuf_datetime(struct yl_sbuf *b, int32_t days, int minute_of_day)
{
	int y, m, d;
	yl_synth_civil(days, &y, &m, &d);
	char s[27] = "\"0000-00-00T00:00:00+08:00\"";
	put2(s + 1, y / 100);
	put2(s + 3, y % 100);
	put2(s + 6, m);
	put2(s + 9, d);
	put2(s + 12, minute_of_day / 60 % 24);
	put2(s + 15, minute_of_day % 60);
	yl_sbuf_add(b, s, 27);
}

void yl_sbuf_id(struct yl_sbuf *b, const char *prefix, uint64_t n, int width)
{
	yl_sbuf_adds(b, prefix);
	yl_sbuf_zpad(b, n, width);
}

void yl_sbuf_ref(struct yl_sbuf *b, const char *type_slash_prefix, uint64_t n, int width)
{
	YL_SB_LIT(b, "{\"reference\":\"");
	yl_sbuf_id(b, type_slash_prefix, n, width);
	YL_SB_LIT(b, "\"}");
}

void yl_sbuf_ref_sub(struct yl_sbuf *b, const char *type_slash_prefix, uint64_t n, int width,
                     uint64_t sub, int sub_width)
{
	YL_SB_LIT(b, "{\"reference\":\"");
	yl_sbuf_id(b, type_slash_prefix, n, width);
	YL_SB_LIT(b, "-");
	yl_sbuf_zpad(b, sub, sub_width);
	YL_SB_LIT(b, "\"}");
}
