/*
 * A JSON text writer onto a bounded buffer (base/buf.h), for answers that are built often and
 * must be cheap: a page of a list, a map page. It writes compact JSON straight into the buffer —
 * no tree of objects, no second pass — and puts the commas and colons itself. Strings are escaped
 * as RFC 8259 requires and must be UTF-8; a byte that is not part of a well-formed UTF-8 sequence
 * is written as U+FFFD, so the output is always valid JSON text whatever the input.
 *
 * Errors are sticky: after the buffer fills (or the nesting passes JSONW_MAX_DEPTH) every call does
 * nothing and jsonw_finish returns -1. The writer owns nothing; the buffer is the caller's.
 */
#ifndef WANGGE_BASE_JSONW_H
#define WANGGE_BASE_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define JSONW_MAX_DEPTH 32

struct jsonw {
	struct buf *b;
	int depth;
	int err;
	int after_key;                    /* a key was written: the next value needs no comma */
	unsigned char n[JSONW_MAX_DEPTH]; /* per open container: 1 once it holds an element */
};

/* Starts writing onto b (appending to what it holds). */
void jsonw_init(struct jsonw *w, struct buf *b);

void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* The name of the next member of the open object. */
void jsonw_key(struct jsonw *w, const char *key);

/* Values: at the top level, in an array, or after jsonw_key. */
void jsonw_string(struct jsonw *w, const char *s); /* NULL writes null */
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* A value that is already JSON text (NULL writes null). The caller vouches for it: use it only
   for text this program wrote itself, such as a boundary normalized by geo_boundary_check. */
void jsonw_raw(struct jsonw *w, const char *json);

/* Member shorthands: jsonw_key followed by the value. */
void jsonw_kstring(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, int64_t v);

/* 0 when everything was written and every container closed, -1 otherwise. */
int jsonw_finish(const struct jsonw *w);

#include "base/banned.h"
#endif
