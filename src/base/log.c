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
