/* url.c -- request-target parsing. */
#include "http/url.h"

#include <arpa/inet.h>
#include <string.h>

#include "fhir/limits.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode p[0..n) into arena memory; plus_space turns '+' into ' '. NULL on bad input. */
static char *decode(struct yl_arena *a, const char *p, size_t n, int plus_space)
{
	char *out = yl_arena_alloc(a, n + 1);
	if (!out)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '%') {
			if (i + 2 >= n)
				return NULL;
			int hi = hexval(p[i + 1]), lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			c = (char)(hi << 4 | lo);
			if (c == '\0')
				return NULL;
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		} else if (c == '\0') {
			return NULL;
		}
		out[j++] = c;
	}
	out[j] = '\0';
	return out;
}

static enum yl_code parse_path(struct yl_arena *a, const char *p, size_t n, struct yl_url *out,
                               struct yl_err *err)
{
	size_t max = 1;
	for (size_t i = 0; i < n; i++)
		max += p[i] == '/';
	out->segs = yl_arena_calloc(a, max, sizeof(char *));
	out->path = decode(a, p, n, 0);
	if (!out->segs || !out->path)
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "the URL path has an invalid percent-encoding");
	size_t i = 0;
	while (i < n) {
		size_t s = i;
		while (i < n && p[i] != '/')
			i++;
		if (i > s) {
			char *seg = decode(a, p + s, i - s, 0);
			if (!seg)
				return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
				                  "the URL path has an invalid percent-encoding");
			out->segs[out->nsegs++] = seg;
		}
		i++;
	}
	return YL_OK;
}

static enum yl_code parse_query(struct yl_arena *a, const char *p, size_t n, struct yl_url *out,
                                struct yl_err *err)
{
	size_t max = 1;
	for (size_t i = 0; i < n; i++)
		max += p[i] == '&';
	if (max > YL_MAX_QUERY_PARAMS)
		max = YL_MAX_QUERY_PARAMS + 1;
	out->params = yl_arena_calloc(a, max, sizeof(struct yl_param));
	if (!out->params)
		return yl_err_add(err, a, YL_NOMEM, NULL, "out of memory parsing the URL");
	size_t i = 0;
	while (i < n) {
		size_t s = i;
		while (i < n && p[i] != '&')
			i++;
		if (i > s) {
			if (out->nparams == YL_MAX_QUERY_PARAMS)
				return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
				                  "the query has more than %d parameters",
				                  YL_MAX_QUERY_PARAMS);
			size_t eq = s;
			while (eq < i && p[eq] != '=')
				eq++;
			struct yl_param *pm = &out->params[out->nparams];
			pm->name = decode(a, p + s, eq - s, 1);
			pm->value = eq < i ? decode(a, p + eq + 1, i - eq - 1, 1) : "";
			if (!pm->name || !pm->value)
				return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
				                  "the query has an invalid percent-encoding");
			if (pm->name[0] == '\0')
				return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
				                  "the query has a parameter without a name");
			out->nparams++;
		}
		i++;
	}
	return YL_OK;
}

enum yl_code yl_url_parse(struct yl_arena *a, const char *raw, size_t n, struct yl_url *out,
                          struct yl_err *err)
{
	memset(out, 0, sizeof(*out));
	if (n > YL_MAX_URL_BYTES)
		return yl_err_add(err, a, YL_BAD_REQUEST, NULL,
		                  "the URL is longer than the limit of %d bytes; use POST _search",
		                  YL_MAX_URL_BYTES);
	size_t q = 0;
	while (q < n && raw[q] != '?' && raw[q] != '#')
		q++;
	enum yl_code code = parse_path(a, raw, q, out, err);
	if (code != YL_OK)
		return code;
	if (q < n && raw[q] == '?') {
		size_t end = q + 1;
		while (end < n && raw[end] != '#')
			end++;
		return parse_query(a, raw + q + 1, end - q - 1, out, err);
	}
	return YL_OK;
}

const char *yl_url_param(const struct yl_url *u, const char *name)
{
	for (size_t i = 0; i < u->nparams; i++)
		if (strcmp(u->params[i].name, name) == 0)
			return u->params[i].value;
	return NULL;
}

void yl_url_encode(struct yl_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == ',' ||
		    c == '|') {
			yl_buf_addc(b, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			yl_buf_add(b, e, 3);
		}
	}
}

bool yl_forwarded_client(const char *xff, char *out, size_t cap)
{
	const char *last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	last += strspn(last, " \t");
	size_t n = strcspn(last, " \t");
	if (n == 0 || n >= cap || last[n + strspn(last + n, " \t")])
		return false;
	char addr[64];
	unsigned char bin[sizeof(struct in6_addr)];
	if (n >= sizeof addr)
		return false;
	memcpy(addr, last, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
		return false;
	memcpy(out, addr, n + 1);
	return true;
}
