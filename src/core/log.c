/* log.c -- line-at-a-time logging. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "core/time.h"

static int log_fd = 2;
static int access_fd = 2;
static enum yl_log_level min_level = YL_LOG_INFO;

void yl_log_init(int lfd, int afd, enum yl_log_level min)
{
	log_fd = lfd;
	access_fd = afd;
	min_level = min;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void yl_log(enum yl_log_level level, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	if (level < min_level || log_fd < 0)
		return;
	char line[1024];
	char ts[YL_INSTANT_LEN];
	yl_format_instant(yl_now_us(), ts);
	int n = snprintf(line, sizeof line, "%s %s ", ts, names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	write_all(log_fd, line, len);
}

void yl_log_access(const char *line, int len)
{
	if (access_fd < 0 || len <= 0)
		return;
	char buf[1024];
	if ((size_t)len > sizeof buf - 1)
		len = (int)sizeof buf - 1;
	for (int i = 0; i < len; i++)
		buf[i] = line[i];
	buf[len] = '\n';
	write_all(access_fd, buf, (size_t)len + 1);
}
