/*
 * Structured logging: one line per event on stderr, as key=value pairs, so that grep and any log
 * shipper can read it: `ts=2026-11-28T15:00:00Z level=info req=6f1c... event=request k=v ...`.
 * The request id is per thread: the HTTP layer sets it while a request is handled, so every line
 * written during that request carries it. Secrets must never be passed to these functions.
 *
 * Most events are written at once, one write(2) per line. The access log (one line per request,
 * the bulk of the output) is buffered per thread instead while the flusher runs
 * (log_buffer_start): each thread collects its lines and writes them together when its buffer is
 * full, and the flusher thread writes every thread's lines at least every flush interval. Nothing
 * is lost on a graceful stop: a thread's lines are written when it exits, and log_buffer_stop
 * writes whatever is left. A crash (SIGKILL, SIGSEGV, abort) loses the lines still buffered: at
 * most LOG_BUFFER_BYTES per thread, written in the last flush interval. Lines from one buffer keep
 * their order; lines from different threads, and buffered lines against immediate ones, may appear
 * out of order by up to the flush interval (each line carries its own timestamp).
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

/* Formats one event like log_event, into this thread's buffer while the flusher runs (written
   when the buffer is full, at the next flush, when the thread exits or at log_buffer_stop), or at
   once when it does not run. For frequent lines whose loss in a crash is acceptable: the access
   log. */
void log_event_buffered(enum log_level level, const char *event, const char *fields, ...)
        __attribute__((format(printf, 3, 4)));

#define LOG_BUFFER_BYTES (16 * 1024) /* per thread: about a hundred access-log lines */
#define LOG_FLUSH_MS 100             /* the longest a buffered line waits, give or take a write */

/* Starts the flusher thread, which writes every thread's buffered lines each flush_ms
   milliseconds (LOG_FLUSH_MS in the server; tests choose). Call it before the threads that log
   start, with the signals the process waits for already blocked (the flusher inherits the mask).
   0, or -1 when the thread cannot start (buffered lines are then written at once). Not
   reentrant: one start, one stop. */
int log_buffer_start(int flush_ms);
/* Writes every thread's buffered lines now. */
void log_buffer_flush(void);
/* Stops the flusher and writes everything still buffered; log_event_buffered writes at once
   from here on. */
void log_buffer_stop(void);

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
