/*
 * The log writer. Each line is formatted into a stack buffer first and written with one write(2),
 * so lines from concurrent threads never interleave. Buffered lines (the access log) are copied
 * whole into a per-thread buffer, and a buffer is written with one write(2) too, so they never
 * interleave either.
 *
 * The per-thread buffers are on one list, so that the flusher thread and log_buffer_stop reach
 * them; each has its own mutex, taken by its thread for every line (uncontended but for the
 * moment the flusher writes it) and by the flusher. Lock order: the list, then a buffer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

static enum log_level log_min = LOG_INFO;
static _Thread_local char log_req[33];

static const char *const log_names[] = { "debug", "info", "warn", "error", "notice" };

void log_set_level(enum log_level level)
{
	log_min = level;
}

enum log_level log_level_from_name(const char *name, enum log_level fallback)
{
	if (!name)
		return fallback;
	for (unsigned i = 0; i < sizeof log_names / sizeof log_names[0]; i++)
		if (strcasecmp(name, log_names[i]) == 0)
			return (enum log_level)i;
	return fallback;
}

void log_set_request_id(const char *id)
{
	if (!id) {
		log_req[0] = '\0';
		return;
	}
	snprintf(log_req, sizeof log_req, "%s", id);
}

const char *log_request_id(void)
{
	return log_req;
}

/* Length of the well-formed UTF-8 sequence at p (1 for ASCII), or 0 when it is not one: stray
   continuation bytes, overlong forms, surrogates and code points past U+10FFFF are all refused.
   Never reads past a NUL, which is not a continuation byte. */
static unsigned utf8_len(const unsigned char *p)
{
	unsigned len, cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	for (unsigned i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Log lines stay valid UTF-8 (grep treats a file with stray bytes as binary and hides matches):
   a byte that is not part of a well-formed sequence is escaped like a control byte, and a cut
   never splits a character. */
const char *log_quote(const char *s, char *out, unsigned n)
{
	unsigned o = 0;
	int plain = 1;

	if (n == 0)
		return out;
	if (!s)
		s = "";
	for (const unsigned char *p = (const unsigned char *)s; *p && plain;) {
		unsigned l = utf8_len(p);
		if (l == 0 || *p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			plain = 0;
		p += l ? l : 1;
	}
	if (plain && *s) {
		size_t len = strlen(s);
		if (len >= n) {
			len = n - 1;
			while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
				len--;
		}
		memcpy(out, s, len);
		out[len] = '\0';
		return out;
	}
	if (o + 1 < n)
		out[o++] = '"';
	/* Each step writes at most 4 bytes, leaving room for the closing quote and the NUL. */
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < n;) {
		unsigned l = utf8_len(p);
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < ' ' || *p == 0x7f || l == 0) {
			o += (unsigned)snprintf(out + o, n - o, "\\x%02x", *p);
			l = 1;
		} else {
			memcpy(out + o, p, l);
			o += l;
		}
		p += l;
	}
	if (o + 1 < n)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}

#define LOG_LINE_MAX 4096

/* Formats one line, newline included, into line (LOG_LINE_MAX bytes); returns its length, or 0
   when there is nothing to write. */
static size_t format_line(char line[LOG_LINE_MAX], enum log_level level, const char *event,
                          const char *fields, va_list ap) __attribute__((format(printf, 4, 0)));
static size_t format_line(char line[LOG_LINE_MAX], enum log_level level, const char *event,
                          const char *fields, va_list ap)
{
	char ts[40];
	int n;

	clock_format_utc(clock_now(), ts, sizeof ts);
	n = snprintf(line, LOG_LINE_MAX, "ts=%s level=%s req=%s event=%s", ts, log_names[level],
	             log_req[0] ? log_req : "-", event);
	if (n < 0)
		return 0;
	if ((size_t)n >= LOG_LINE_MAX - 2)
		n = LOG_LINE_MAX - 2;
	if (fields && *fields) {
		/* The separating space is kept only when the fields format to something, so a
		   line never ends in a stray space. */
		int m = vsnprintf(line + n + 1, LOG_LINE_MAX - (size_t)n - 2, fields, ap);
		if (m > 0) {
			line[n] = ' ';
			n += 1 + m;
		}
		if ((size_t)n >= LOG_LINE_MAX - 1)
			n = LOG_LINE_MAX - 2;
	}
	line[n++] = '\n';
	return (size_t)n;
}

/* Writes all of p to stderr, going on after a signal or a short write; a failed log write has
   nowhere better to be reported, so it is dropped. */
static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void log_event(enum log_level level, const char *event, const char *fields, ...)
{
	char line[LOG_LINE_MAX];
	size_t n;
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fields);
	n = format_line(line, level, event, fields, ap);
	va_end(ap);
	write_all(line, n);
}

/* ---- per-thread buffers ---- */

struct log_tbuf {
	pthread_mutex_t mu; /* guards len and data */
	size_t len;
	struct log_tbuf *prev, *next; /* on tbufs, under tbufs_mu */
	char data[LOG_BUFFER_BYTES];
};

static pthread_mutex_t tbufs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct log_tbuf *tbufs;
static pthread_key_t tbuf_key; /* its destructor writes and frees a thread's buffer at exit */
static pthread_once_t tbuf_once = PTHREAD_ONCE_INIT;
static int tbuf_key_ok;
static _Thread_local struct log_tbuf *tbuf;

static atomic_int buffering; /* 1 while the flusher runs */
static pthread_t flusher;
static pthread_mutex_t flusher_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flusher_cv;
static int flusher_stop, flusher_ms;

/* Called with b->mu held. */
static void tbuf_write(struct log_tbuf *b)
{
	if (b->len) {
		write_all(b->data, b->len);
		b->len = 0;
	}
}

static void tbuf_destroy(void *arg)
{
	struct log_tbuf *b = arg;

	pthread_mutex_lock(&tbufs_mu);
	if (b->prev)
		b->prev->next = b->next;
	else
		tbufs = b->next;
	if (b->next)
		b->next->prev = b->prev;
	pthread_mutex_unlock(&tbufs_mu);
	pthread_mutex_lock(&b->mu);
	tbuf_write(b);
	pthread_mutex_unlock(&b->mu);
	pthread_mutex_destroy(&b->mu);
	free(b);
	tbuf = NULL;
}

static void tbuf_key_init(void)
{
	tbuf_key_ok = pthread_key_create(&tbuf_key, tbuf_destroy) == 0;
}

/* This thread's buffer, made and put on the list on first use; NULL when that fails. */
static struct log_tbuf *tbuf_get(void)
{
	struct log_tbuf *b;

	if (tbuf)
		return tbuf;
	pthread_once(&tbuf_once, tbuf_key_init);
	if (!tbuf_key_ok || !(b = calloc(1, sizeof *b)))
		return NULL;
	pthread_mutex_init(&b->mu, NULL);
	if (pthread_setspecific(tbuf_key, b) != 0) {
		pthread_mutex_destroy(&b->mu);
		free(b);
		return NULL;
	}
	pthread_mutex_lock(&tbufs_mu);
	b->next = tbufs;
	if (tbufs)
		tbufs->prev = b;
	tbufs = b;
	pthread_mutex_unlock(&tbufs_mu);
	tbuf = b;
	return b;
}

void log_event_buffered(enum log_level level, const char *event, const char *fields, ...)
{
	char line[LOG_LINE_MAX];
	struct log_tbuf *b;
	size_t n;
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fields);
	n = format_line(line, level, event, fields, ap);
	va_end(ap);
	if (!atomic_load(&buffering) || !(b = tbuf_get())) {
		write_all(line, n);
		return;
	}
	pthread_mutex_lock(&b->mu);
	if (b->len + n > sizeof b->data)
		tbuf_write(b);
	memcpy(b->data + b->len, line, n); /* n <= LOG_LINE_MAX < LOG_BUFFER_BYTES */
	b->len += n;
	/* log_buffer_stop clears buffering before its last flush, which takes this mutex: a line
	   added after that flush finds buffering cleared here and is written by its own thread. */
	if (!atomic_load(&buffering))
		tbuf_write(b);
	pthread_mutex_unlock(&b->mu);
}

void log_buffer_flush(void)
{
	pthread_mutex_lock(&tbufs_mu);
	for (struct log_tbuf *b = tbufs; b; b = b->next) {
		pthread_mutex_lock(&b->mu);
		tbuf_write(b);
		pthread_mutex_unlock(&b->mu);
	}
	pthread_mutex_unlock(&tbufs_mu);
}

static void *flusher_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&flusher_mu);
	while (!flusher_stop) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += flusher_ms / 1000;
		ts.tv_nsec += (long)(flusher_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!flusher_stop &&
		       pthread_cond_timedwait(&flusher_cv, &flusher_mu, &ts) != ETIMEDOUT)
			;
		if (flusher_stop)
			break;
		pthread_mutex_unlock(&flusher_mu);
		log_buffer_flush();
		pthread_mutex_lock(&flusher_mu);
	}
	pthread_mutex_unlock(&flusher_mu);
	return NULL;
}

int log_buffer_start(int flush_ms)
{
	pthread_condattr_t ca;
	int rc = -1;

	if (atomic_load(&buffering) || flush_ms < 1)
		return -1;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&flusher_cv, &ca) != 0)
		goto out;
	flusher_stop = 0;
	flusher_ms = flush_ms;
	if (pthread_create(&flusher, NULL, flusher_main, NULL) != 0) {
		pthread_cond_destroy(&flusher_cv);
		goto out;
	}
	atomic_store(&buffering, 1);
	rc = 0;
out:
	pthread_condattr_destroy(&ca);
	return rc;
}

void log_buffer_stop(void)
{
	if (!atomic_load(&buffering))
		return;
	atomic_store(&buffering, 0);
	pthread_mutex_lock(&flusher_mu);
	flusher_stop = 1;
	pthread_cond_signal(&flusher_cv);
	pthread_mutex_unlock(&flusher_mu);
	pthread_join(flusher, NULL);
	pthread_cond_destroy(&flusher_cv);
	log_buffer_flush();
}
