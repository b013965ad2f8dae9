/* log.h -- operator log and access log.
 *
 * Each line is written with one write(2), so lines from different threads never
 * interleave. Never pass patient data (names, identifiers, phone numbers, bodies):
 * log resource ids and request ids only. Threads: thread-safe after yl_log_init(). */
#ifndef YL_LOG_H
#define YL_LOG_H

enum yl_log_level { YL_LOG_DEBUG, YL_LOG_INFO, YL_LOG_WARN, YL_LOG_ERROR };

/* fd for operator messages (default 2) and for access lines (default 2; -1 = off). */
void yl_log_init(int log_fd, int access_fd, enum yl_log_level min);
void yl_log(enum yl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write a preformatted access line (a trailing newline is added). */
void yl_log_access(const char *line, int len);

#endif
