/*
 * A growable byte buffer with a hard maximum size. Request bodies, JSON output and log lines all
 * go through it, so no input can make the server grow memory without bound. Its data is never NULL
 * and always NUL-terminated, so it can be handed to string functions at any time.
 */
#ifndef WANGGE_BASE_BUF_H
#define WANGGE_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* never NULL; points at a static "" until the first append */
	size_t len; /* bytes used, not counting the terminating NUL */
	size_t cap; /* bytes allocated, 0 while data is the static "" */
	size_t max; /* largest len allowed; appends beyond it fail and leave the buffer unchanged */
};

/* Makes b empty with the given maximum length. Allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* Frees the contents; b is empty again (same max) and may be reused. */
void buf_release(struct buf *b);
/* Empties b without freeing its memory. */
void buf_reset(struct buf *b);
/* Appends n bytes. Returns 0, or -1 (b unchanged) when the result would pass b->max or memory runs
 * out. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
/* printf-style append; -1 (b unchanged) on overflow of max or on a format error. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the contents to the caller (free() them) and leaves b empty. Never returns NULL unless
   memory runs out. */
char *buf_detach(struct buf *b, size_t *len);

#include "base/banned.h"
#endif
