/*
 * Unit tests for base/buf: the bounded buffer every request body, JSON output and log line goes
 * through. The invariants under test are the ones its header promises: data is never NULL and is
 * always NUL-terminated, the hard maximum is never passed, and a failed append (too big, or a size
 * that overflows) leaves the buffer exactly as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"

/* The invariants every public function must keep. */
static void assert_buf_ok(const struct buf *b)
{
	assert_non_null(b->data);
	assert_true(b->len <= b->max);
	assert_int_equal(b->data[b->len], '\0');
	if (b->cap)
		assert_true(b->len < b->cap);
}

/* Asserts b holds exactly the n bytes of want. */
static void assert_buf_is(const struct buf *b, const char *want, size_t n)
{
	assert_buf_ok(b);
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, want, n);
}

static void test_init_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_buf_is(&b, "", 0);
	assert_string_equal(b.data, "");
	assert_int_equal(b.max, 100);
	buf_reset(&b);
	assert_buf_is(&b, "", 0);
	buf_release(&b);
	assert_buf_is(&b, "", 0);
	assert_int_equal(b.max, 100);
}

static void test_appends(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1000);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_buf_is(&b, "abc", 3);
	assert_int_equal(buf_puts(&b, "def"), 0);
	assert_int_equal(buf_putc(&b, '!'), 0);
	assert_string_equal(b.data, "abcdef!");
	/* Zero-length appends succeed and change nothing. */
	assert_int_equal(buf_append(&b, "zzz", 0), 0);
	assert_int_equal(buf_puts(&b, ""), 0);
	assert_buf_is(&b, "abcdef!", 7);
	/* Binary data, including NUL bytes, is kept byte for byte. */
	assert_int_equal(buf_append(&b, "\0x\0", 3), 0);
	assert_buf_is(&b, "abcdef!\0x\0", 10);
	/* Many small appends across several reallocations keep every byte. */
	buf_reset(&b);
	for (int i = 0; i < 900; i++)
		assert_int_equal(buf_putc(&b, (char)('a' + i % 26)), 0);
	assert_buf_ok(&b);
	assert_int_equal(b.len, 900);
	for (int i = 0; i < 900; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	buf_release(&b);
}

static void test_hard_max(void **state)
{
	struct buf b;
	char *before;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "12345678", 8), 0);
	/* 8 + 3 > 10: refused, nothing written. */
	assert_int_equal(buf_append(&b, "abc", 3), -1);
	assert_buf_is(&b, "12345678", 8);
	assert_int_equal(buf_puts(&b, "abc"), -1);
	assert_buf_is(&b, "12345678", 8);
	/* Exactly up to the maximum is allowed... */
	assert_int_equal(buf_append(&b, "9A", 2), 0);
	assert_buf_is(&b, "123456789A", 10);
	/* ...and one byte more is not. */
	assert_int_equal(buf_putc(&b, 'B'), -1);
	assert_buf_is(&b, "123456789A", 10);
	/* Never allocates more than max + 1 bytes. */
	assert_true(b.cap <= b.max + 1);
	/* A reset buffer can be filled again to the same maximum. */
	before = b.data;
	buf_reset(&b);
	assert_buf_is(&b, "", 0);
	assert_ptr_equal(b.data, before); /* memory kept */
	assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(buf_append(&b, "x", 1), -1);
	assert_buf_is(&b, "0123456789", 10);
	buf_release(&b);

	/* max 0: the buffer can only ever be empty. */
	buf_init(&b, 0);
	assert_int_equal(buf_putc(&b, 'x'), -1);
	assert_int_equal(buf_printf(&b, "%d", 1), -1);
	assert_buf_is(&b, "", 0);
	assert_int_equal(buf_append(&b, "x", 0), 0);
	buf_release(&b);

	/* A single append larger than max on an empty buffer. */
	buf_init(&b, 5);
	assert_int_equal(buf_puts(&b, "123456"), -1);
	assert_buf_is(&b, "", 0);
	buf_release(&b);
}

static void test_printf(void **state)
{
	struct buf b;
	char want[300];

	(void)state;
	buf_init(&b, 1000);
	assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), 0);
	assert_buf_is(&b, "n=42", 4);
	/* An empty format result is fine and leaves a valid empty string. */
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_buf_is(&b, "n=42", 4);
	/* Fill close to the first allocation (64 bytes) and print across it. */
	buf_reset(&b);
	memset(want, 'a', 60);
	assert_int_equal(buf_append(&b, want, 60), 0);
	assert_int_equal(buf_printf(&b, "%08d|%s", 123, "tail-beyond-64"), 0);
	memcpy(want + 60, "00000123|tail-beyond-64", 23);
	assert_buf_is(&b, want, 83);
	/* A single printf far larger than the current capacity. */
	assert_int_equal(buf_printf(&b, "%200s", "x"), 0);
	assert_int_equal(b.len, 283);
	assert_int_equal(b.data[282], 'x');
	assert_int_equal(b.data[281], ' ');
	assert_buf_ok(&b);
	buf_release(&b);

	/* printf exactly to the maximum, then one byte past it. */
	buf_init(&b, 20);
	assert_int_equal(buf_printf(&b, "%010d", 7), 0);
	assert_int_equal(buf_printf(&b, "%010d", 8), 0);
	assert_buf_is(&b, "00000000070000000008", 20);
	assert_int_equal(buf_printf(&b, "%d", 9), -1);
	assert_buf_is(&b, "00000000070000000008", 20);
	buf_release(&b);

	/* A printf that fits the allocated capacity but passes max fails and leaves no trace, even
	   though vsnprintf may already have written into the spare capacity. */
	buf_init(&b, 70);
	assert_int_equal(buf_puts(&b, "start"), 0);
	assert_int_equal(buf_printf(&b, "%100s", "y"), -1);
	assert_buf_is(&b, "start", 5);
	assert_int_equal(buf_printf(&b, "%60s", "z"), 0);
	assert_int_equal(b.len, 65);
	assert_int_equal(buf_printf(&b, "%6s", "w"), -1);
	assert_int_equal(b.len, 65);
	assert_int_equal(b.data[64], 'z');
	assert_buf_ok(&b);
	buf_release(&b);
}

static void test_overflow_sizes(void **state)
{
	struct buf b;
	static const char src[] = "abc";

	(void)state;
	/* Sizes that would wrap len + n around must fail before any copy. */
	buf_init(&b, 1000);
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_append(&b, src, SIZE_MAX), -1);
	assert_int_equal(buf_append(&b, src, SIZE_MAX - 2), -1);
	assert_int_equal(buf_append(&b, src, SIZE_MAX - 3), -1);
	assert_int_equal(buf_append(&b, src, SIZE_MAX / 2 + 1), -1);
	assert_buf_is(&b, "abc", 3);
	buf_release(&b);

	/* Even with no effective maximum, overflow-sized appends fail cleanly. */
	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_append(&b, src, SIZE_MAX), -1);
	assert_int_equal(buf_append(&b, src, SIZE_MAX - 3), -1);
	assert_int_equal(buf_append(&b, src, SIZE_MAX - 4), -1);
	assert_int_equal(buf_append(&b, src, SIZE_MAX / 2 + 1), -1);
	assert_buf_is(&b, "abc", 3);
	buf_release(&b);
}

/* Regression: with max == SIZE_MAX the growth clamp computed max + 1 == 0 and allocated a
   zero-byte block, so the first append wrote past the end of the heap block. */
static void test_unbounded_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_puts(&b, "hello"), 0);
	assert_buf_is(&b, "hello", 5);
	assert_true(b.cap > b.len);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_printf(&b, "%d,", i), 0);
	assert_buf_ok(&b);
	assert_memory_equal(b.data, "hello0,1,2,", 11);
	buf_release(&b);
}

static void test_detach(void **state)
{
	struct buf b;
	size_t len = 99;
	char *p;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "owned text"), 0);
	p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 10);
	assert_string_equal(p, "owned text");
	/* The buffer is empty again, same maximum, and still usable. */
	assert_buf_is(&b, "", 0);
	assert_int_equal(b.max, 100);
	assert_ptr_not_equal(b.data, p);
	assert_int_equal(buf_puts(&b, "again"), 0);
	assert_buf_is(&b, "again", 5);
	/* The detached block is independent of the buffer. */
	assert_string_equal(p, "owned text");
	free(p);
	buf_release(&b);

	/* Detaching an empty buffer gives a freeable empty string, never the static "". */
	buf_init(&b, 100);
	len = 99;
	p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	assert_ptr_not_equal(p, b.data);
	free(p);
	/* len may be NULL. */
	assert_int_equal(buf_puts(&b, "x"), 0);
	p = buf_detach(&b, NULL);
	assert_string_equal(p, "x");
	free(p);
	assert_buf_is(&b, "", 0);
}

static void test_release_reuse(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 50);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(buf_printf(&b, "round %d", round), 0);
		assert_buf_ok(&b);
		buf_release(&b);
		assert_buf_is(&b, "", 0);
		assert_int_equal(b.cap, 0);
		assert_int_equal(b.max, 50);
	}
	/* Reset on a never-allocated buffer must not write to the shared static "". */
	buf_reset(&b);
	assert_buf_is(&b, "", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),     cmocka_unit_test(test_appends),
		cmocka_unit_test(test_hard_max),       cmocka_unit_test(test_printf),
		cmocka_unit_test(test_overflow_sizes), cmocka_unit_test(test_unbounded_max),
		cmocka_unit_test(test_detach),         cmocka_unit_test(test_release_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
