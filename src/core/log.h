/* log.h -- operator log and access log.
 *
 * Operator lines are written with one write(2) each, so lines from different threads never
 * interleave. Access lines are buffered and written whole: when the buffer fills, every
 * YL_ACCESS_FLUSH_MS by a flusher thread, and at yl_log_shutdown(). Never pass patient data
 * (names, identifiers, phone numbers, bodies): log resource ids and request ids only.
 * Threads: thread-safe after yl_log_init(). */
#ifndef YL_LOG_H
#define YL_LOG_H

#define YL_ACCESS_FLUSH_MS 200

enum yl_log_level { YL_LOG_DEBUG, YL_LOG_INFO, YL_LOG_WARN, YL_LOG_ERROR };

/* fd for operator messages (default 2) and for access lines (default 2; -1 = off). */
void yl_log_init(int log_fd, int access_fd, enum yl_log_level min);
void yl_log(enum yl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write out buffered access lines and stop the flusher thread. */
void yl_log_shutdown(void);
/* Write a preformatted access line (a trailing newline is added). */
void yl_log_access(const char *line, int len);

#endif
