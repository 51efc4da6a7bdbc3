/*
 * The JSON text writer (base/jsonw.h). Commas are decided from the per-container "has an
 * element" flags; strings are copied in runs of bytes that need no escape.
 */
#include <string.h>

#include "base/buf.h"
#include "base/jsonw.h"

void jsonw_init(struct jsonw *w, struct buf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
}

static void put(struct jsonw *w, const char *p, size_t n)
{
	if (!w->err && buf_append(w->b, p, n) < 0)
		w->err = 1;
}

/* The comma before a value or a key, when its container already holds something. */
static void before_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth > 0) {
		if (w->n[w->depth - 1])
			put(w, ",", 1);
		w->n[w->depth - 1] = 1;
	}
}

static void open_container(struct jsonw *w, char c)
{
	before_value(w);
	if (w->depth >= JSONW_MAX_DEPTH) {
		w->err = 1;
		return;
	}
	w->n[w->depth++] = 0;
	put(w, &c, 1);
}

static void close_container(struct jsonw *w, char c)
{
	if (w->depth <= 0 || w->after_key) {
		w->err = 1;
		return;
	}
	w->depth--;
	put(w, &c, 1);
}

void jsonw_object_begin(struct jsonw *w)
{
	open_container(w, '{');
}

void jsonw_object_end(struct jsonw *w)
{
	close_container(w, '}');
}

void jsonw_array_begin(struct jsonw *w)
{
	open_container(w, '[');
}

void jsonw_array_end(struct jsonw *w)
{
	close_container(w, ']');
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0; /* overlong, or a UTF-16 surrogate */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

static void quoted(struct jsonw *w, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str, *run = s;

	put(w, "\"", 1);
	while (*s) {
		char esc[8];
		size_t n;

		if (*s >= 0x20 && *s != '"' && *s != '\\' && *s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0x80 && (n = utf8_len(s)) > 0) {
			s += n;
			continue;
		}
		put(w, (const char *)run, (size_t)(s - run));
		switch (*s) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		default:
			if (*s < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[*s >> 4];
				esc[5] = hex[*s & 15];
				put(w, esc, 6);
			} else {
				put(w, "\\ufffd", 6); /* not UTF-8 */
			}
		}
		run = ++s;
	}
	put(w, (const char *)run, (size_t)(s - run));
	put(w, "\"", 1);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	if (w->depth <= 0 || w->after_key) {
		w->err = 1;
		return;
	}
	before_value(w);
	quoted(w, key);
	put(w, ":", 1);
	w->after_key = 1;
}

void jsonw_string(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw_null(w);
		return;
	}
	before_value(w);
	quoted(w, s);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	/* Digits by hand: a page writes hundreds of numbers, and printf is most of their cost. */
	char t[24], *p = t + sizeof t;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	before_value(w);
	put(w, p, (size_t)(t + sizeof t - p));
}

void jsonw_bool(struct jsonw *w, int v)
{
	before_value(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jsonw_null(struct jsonw *w)
{
	before_value(w);
	put(w, "null", 4);
}

void jsonw_raw(struct jsonw *w, const char *json)
{
	if (!json) {
		jsonw_null(w);
		return;
	}
	before_value(w);
	put(w, json, strlen(json));
}

void jsonw_kstring(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_string(w, s);
}

void jsonw_kint(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

int jsonw_finish(const struct jsonw *w)
{
	return w->err || w->depth != 0 || w->after_key ? -1 : 0;
}
