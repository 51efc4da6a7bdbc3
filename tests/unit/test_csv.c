/*
 * Unit tests for base/csv, the RFC 4180 reader: plain and quoted fields, doubled quotes, commas
 * and line breaks inside quotes, CRLF, bare LF and bare CR record ends, the UTF-8 BOM, the physical
 * line each record starts on (quoted line breaks count), empty fields and lines, extra fields
 * counted but dropped, an unterminated quote, and a field larger than its buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/csv.h"

#define NF 4

struct rd {
	struct csv_reader r;
	struct buf f[NF];
	int line;
};

static void open_text(struct rd *d, const char *text, size_t max)
{
	csv_reader_init(&d->r, text, strlen(text));
	for (int i = 0; i < NF; i++)
		buf_init(&d->f[i], max);
}

static void close_text(struct rd *d)
{
	for (int i = 0; i < NF; i++)
		buf_release(&d->f[i]);
}

/* Reads one record and checks its field count, start line and first fields (NULL: not checked). */
static void expect(struct rd *d, int n, int line, const char *a, const char *b, const char *c)
{
	const char *want[3] = { a, b, c };

	assert_int_equal(csv_read(&d->r, d->f, NF, &d->line), n);
	assert_int_equal(d->line, line);
	for (int i = 0; i < 3; i++)
		if (want[i])
			assert_string_equal(d->f[i].data, want[i]);
}

static void test_plain_and_quoted(void **state)
{
	struct rd d;

	(void)state;
	open_text(&d,
	          "code,name\r\n"
	          "1,\"a, b\"\r\n"
	          "2,\"say \"\"hi\"\"\"\r\n"
	          "3,x\"y\"\r\n"
	          ",\r\n",
	          1024);
	expect(&d, 2, 1, "code", "name", NULL);
	expect(&d, 2, 2, "1", "a, b", NULL);
	expect(&d, 2, 3, "2", "say \"hi\"", NULL);
	/* A quote inside an unquoted field is an ordinary byte. */
	expect(&d, 2, 4, "3", "x\"y\"", NULL);
	expect(&d, 2, 5, "", "", NULL);
	assert_int_equal(csv_read(&d.r, d.f, NF, &d.line), 0);
	assert_int_equal(csv_read(&d.r, d.f, NF, &d.line), 0); /* stays at the end */
	close_text(&d);
}

static void test_lines(void **state)
{
	struct rd d;

	(void)state;
	/* BOM; a quoted field spanning two lines (LF) and one spanning CRLF; a blank line; bare CR;
	   no line end after the last record. */
	open_text(&d,
	          "\xef\xbb\xbf"
	          "a,\"one\ntwo\"\n"
	          "b,\"x\r\ny\"\n"
	          "\n"
	          "c,3\r"
	          "d,4",
	          1024);
	expect(&d, 2, 1, "a", "one\ntwo", NULL);
	expect(&d, 2, 3, "b", "x\r\ny", NULL);
	expect(&d, 1, 5, "", NULL, NULL);
	expect(&d, 2, 6, "c", "3", NULL);
	expect(&d, 2, 7, "d", "4", NULL);
	assert_int_equal(csv_read(&d.r, d.f, NF, &d.line), 0);
	close_text(&d);
}

static void test_extra_fields(void **state)
{
	struct rd d;

	(void)state;
	open_text(&d, "1,2,3,4,5,6\nq,\"r\"\n", 1024);
	expect(&d, 6, 1, "1", "2", "3");
	assert_string_equal(d.f[3].data, "4");
	/* Fields of the previous record do not leak into a shorter one. */
	expect(&d, 2, 2, "q", "r", "");
	close_text(&d);
}

static void test_errors(void **state)
{
	struct rd d;

	(void)state;
	open_text(&d, "code,name\n\"371500,聊城市\n", 1024);
	expect(&d, 2, 1, "code", "name", NULL);
	assert_int_equal(csv_read(&d.r, d.f, NF, &d.line), CSV_UNTERMINATED);
	assert_int_equal(d.line, 2);
	assert_int_equal(csv_read(&d.r, d.f, NF, &d.line), 0);
	close_text(&d);

	open_text(&d, "short,this field is too long\n", 8);
	assert_int_equal(csv_read(&d.r, d.f, NF, &d.line), CSV_TOO_LONG);
	assert_int_equal(csv_read(&d.r, d.f, NF, &d.line), 0);
	close_text(&d);

	/* Empty text, and text that is only a BOM. */
	open_text(&d, "", 8);
	assert_int_equal(csv_read(&d.r, d.f, NF, &d.line), 0);
	close_text(&d);
	open_text(&d, "\xef\xbb\xbf", 8);
	assert_int_equal(csv_read(&d.r, d.f, NF, &d.line), 0);
	close_text(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_quoted),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_extra_fields),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
