#ifndef QUIRE_CORE_LOG_H
#define QUIRE_CORE_LOG_H
/*
 * One line per event on stderr, so it works under systemd/journald:
 *   <level> [session] message
 * The session id (may be NULL) ties every line of one connection together.
 * Never pass message contents or passwords to these functions.
 * Thread-safe: each line is written with a single write(2).
 */
enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "debug", "info", "warn", "error". Returns 0, or -1 if unknown. */
int log_level_parse(const char *name, enum log_level *level_r);

void log_msg(enum log_level level, const char *session, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(sid, ...) log_msg(LOG_DEBUG, (sid), __VA_ARGS__)
#define log_info(sid, ...)  log_msg(LOG_INFO, (sid), __VA_ARGS__)
#define log_warn(sid, ...)  log_msg(LOG_WARN, (sid), __VA_ARGS__)
#define log_error(sid, ...) log_msg(LOG_ERROR, (sid), __VA_ARGS__)

#endif
