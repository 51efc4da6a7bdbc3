/*
 * Structured logging: one line per event on stderr, as key=value pairs, so that grep and any log
 * shipper can read it: `ts=2026-11-28T15:00:00Z level=info req=6f1c... event=request k=v ...`.
 * The request id is per thread: the HTTP layer sets it while a request is handled, so every line
 * written during that request carries it. Secrets must never be passed to these functions.
 */
#ifndef WANGGE_BASE_LOG_H
#define WANGGE_BASE_LOG_H

#include <stdarg.h>

/* LOG_NOTICE is written at every level: start-up, listening, shutdown (tools read those lines). */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_NOTICE };

/* Lines below this level are dropped. Default LOG_INFO; WANGGE_LOG_LEVEL=debug|info|warn|error. */
void log_set_level(enum log_level level);
enum log_level log_level_from_name(const char *name, enum log_level fallback);

/* Sets this thread's request id (copied, at most 32 chars); NULL clears it. */
void log_set_request_id(const char *id);
const char *log_request_id(void);

/* Writes one event. fields is a printf format for the rest of the line, e.g. "user=%s n=%d";
   values with spaces should be passed through log_quote. May be NULL. */
void log_event(enum log_level level, const char *event, const char *fields, ...)
        __attribute__((format(printf, 3, 4)));

/* Writes s into out (size n) as a log value: as is when it has no space, quote or control
   character, else double-quoted with \" \\ and \xNN escapes; cut to fit. Returns out. */
const char *log_quote(const char *s, char *out, unsigned n);

#define log_info(ev, ...) log_event(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_event(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_ERROR, ev, __VA_ARGS__)
#define log_debug(ev, ...) log_event(LOG_DEBUG, ev, __VA_ARGS__)
#define log_notice(ev, ...) log_event(LOG_NOTICE, ev, __VA_ARGS__)

#include "base/banned.h"
#endif
