/* static.c -- files of the web pages from one directory (static.h). */
#include "http/static.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (16u << 20) /* a page's file; anything larger is not one of ours */

static const struct {
	const char *ext;
	const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

static const char *type_of(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

static bool plain_name(const char *name)
{
	if (!name || !*name || name[0] == '.' || strlen(name) > 128)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			return false;
	return true;
}

enum yl_code yl_static_serve(struct yl_req *r, const char *dir, const char *name,
                             struct yl_err *err)
{
	const char *type = plain_name(name) ? type_of(name) : NULL;
	char *path = type && dir ? yl_arena_printf(r->a, "%s/%s", dir, name) : NULL;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return yl_err_add(err, r->a, YL_NOT_FOUND, NULL, "no page '%.128s'",
		                  name ? name : "");
	r->status = 200;
	r->content_type = type;
	r->resp_file = true;
	r->resp_fd = fd;
	r->resp_fd_len = (uint64_t)st.st_size;
	yl_req_set_header(r, "Cache-Control", "no-cache"); /* the security headers: server.c */
	return YL_OK;
}
