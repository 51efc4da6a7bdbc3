/*
 * The bounded buffer. Growth doubles capacity for amortised O(1) appends, but never past max + 1,
 * and every size computation is overflow-checked because lengths can come from the network.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->data);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap)
		b->data[0] = '\0';
}

/* Makes room for extra more bytes plus the NUL. */
static int buf_grow(struct buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (__builtin_add_overflow(b->len, extra, &want) || want > b->max)
		return -1;
	if (want < b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap <= want) {
		if (__builtin_mul_overflow(cap, 2, &cap))
			return -1;
	}
	/* max + 1 wraps to 0 when max is SIZE_MAX; there is no clamp to apply then. */
	if (b->max < SIZE_MAX && cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->cap ? b->data : NULL, cap);
	if (!p)
		return -1;
	if (!b->cap)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_grow(b, n) < 0)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	size_t avail;

	va_copy(cp, ap);
	avail = b->cap ? b->cap - b->len : 0;
	n = vsnprintf(avail ? b->data + b->len : NULL, avail, fmt, cp);
	va_end(cp);
	if (n < 0)
		goto fail;
	if ((size_t)n < avail) {
		if (b->len + (size_t)n > b->max)
			goto fail;
		b->len += (size_t)n;
		return 0;
	}
	if (buf_grow(b, (size_t)n) < 0)
		goto fail;
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
	return 0;
fail:
	if (b->cap)
		b->data[b->len] = '\0';
	return -1;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	if (b->cap) {
		p = b->data;
	} else {
		p = malloc(1);
		if (p)
			p[0] = '\0';
	}
	buf_init(b, b->max);
	return p;
}
