/*
 * The log writer. Each line is formatted into a stack buffer first and written with one write(2),
 * so lines from concurrent threads never interleave.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

static enum log_level log_min = LOG_INFO;
static _Thread_local char log_req[33];

static const char *const log_names[] = { "debug", "info", "warn", "error" };

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

const char *log_quote(const char *s, char *out, unsigned n)
{
	unsigned o = 0;
	int plain = 1;

	if (n == 0)
		return out;
	if (!s)
		s = "";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			plain = 0;
	if (plain && *s) {
		snprintf(out, n, "%s", s);
		return out;
	}
	if (o + 1 < n)
		out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < n; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < ' ' || *p == 0x7f) {
			o += (unsigned)snprintf(out + o, n - o, "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	if (o + 1 < n)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}

void log_event(enum log_level level, const char *event, const char *fields, ...)
{
	char line[4096];
	char ts[40];
	int n;
	va_list ap;

	if (level < log_min)
		return;
	clock_format_utc(clock_now(), ts, sizeof ts);
	n = snprintf(line, sizeof line, "ts=%s level=%s req=%s event=%s", ts, log_names[level],
	             log_req[0] ? log_req : "-", event);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line - 2)
		n = (int)sizeof line - 2;
	if (fields && *fields) {
		/* The separating space is kept only when the fields format to something, so a
		   line never ends in a stray space. */
		va_start(ap, fields);
		int m = vsnprintf(line + n + 1, sizeof line - (size_t)n - 2, fields, ap);
		va_end(ap);
		if (m > 0) {
			line[n] = ' ';
			n += 1 + m;
		}
		if ((size_t)n >= sizeof line - 1)
			n = (int)sizeof line - 2;
	}
	line[n++] = '\n';
	/* One write per line; a failed log write has nowhere better to be reported. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
