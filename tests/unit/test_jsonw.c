/*
 * Unit tests for base/jsonw, the JSON text writer of list and map pages: commas and colons in
 * nested objects and arrays, every kind of value, the escapes RFC 8259 requires, UTF-8 passed
 * through and anything that is not UTF-8 replaced by U+FFFD (so the output always parses), raw
 * values, and sticky errors (a full buffer, a key outside an object, unclosed containers).
 * Every output is parsed back with jansson.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/buf.h"
#include "base/jsonw.h"

/* Parses b's text (it must parse) and frees nothing: the caller decrefs. */
static json_t *parsed(const struct buf *b)
{
	json_error_t err;
	json_t *j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);

	if (!j)
		print_message("does not parse: %s (%s)\n", b->data, err.text);
	assert_non_null(j);
	return j;
}

static void test_structure(void **state)
{
	struct buf b;
	struct jsonw w;
	json_t *j;

	(void)state;
	buf_init(&b, 4096);
	jsonw_init(&w, &b);
	jsonw_object_begin(&w);
	jsonw_kint(&w, "n", INT64_MIN);
	jsonw_kstring(&w, "s", "网格");
	jsonw_kstring(&w, "none", NULL);
	jsonw_key(&w, "list");
	jsonw_array_begin(&w);
	jsonw_int(&w, 1);
	jsonw_bool(&w, 1);
	jsonw_bool(&w, 0);
	jsonw_null(&w);
	jsonw_object_begin(&w);
	jsonw_object_end(&w);
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_raw(&w, "{\"type\":\"Point\",\"coordinates\":[116.1234567,36.5]}");
	jsonw_array_end(&w);
	jsonw_key(&w, "raw_null");
	jsonw_raw(&w, NULL);
	jsonw_object_end(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	assert_string_equal(b.data, "{\"n\":-9223372036854775808,\"s\":\"网格\",\"none\":null,"
	                            "\"list\":[1,true,false,null,{},[],{\"type\":\"Point\","
	                            "\"coordinates\":[116.1234567,36.5]}],\"raw_null\":null}");
	j = parsed(&b);
	assert_int_equal(json_array_size(json_object_get(j, "list")), 7);
	json_decref(j);
	buf_release(&b);
}

/* Writes s as a top-level string; returns what jansson reads back (static). */
static const char *round_trip(const char *s, const char *expect_text)
{
	static char back[256];
	struct buf b;
	struct jsonw w;
	json_t *j;

	buf_init(&b, 4096);
	jsonw_init(&w, &b);
	jsonw_string(&w, s);
	assert_int_equal(jsonw_finish(&w), 0);
	if (expect_text)
		assert_string_equal(b.data, expect_text);
	j = parsed(&b);
	snprintf(back, sizeof back, "%s", json_string_value(j));
	json_decref(j);
	buf_release(&b);
	return back;
}

static void test_strings(void **state)
{
	(void)state;
	assert_string_equal(round_trip("a\"b\\c", "\"a\\\"b\\\\c\""), "a\"b\\c");
	assert_string_equal(round_trip("l1\nl2\r\t\x01\x1f", "\"l1\\nl2\\r\\t\\u0001\\u001f\""),
	                    "l1\nl2\r\t\x01\x1f");
	/* UTF-8 of every length passes through as it is. */
	assert_string_equal(round_trip("é柳园😀", "\"é柳园😀\""), "é柳园😀");
	/* Not UTF-8: a lone continuation byte, an overlong form, a surrogate, a cut sequence, a
	   byte never used in UTF-8. */
	assert_string_equal(round_trip("a\x80z", "\"a\\ufffdz\""), "a\xef\xbf\xbdz");
	assert_string_equal(round_trip("\xc0\xaf", "\"\\ufffd\\ufffd\""),
	                    "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(round_trip("\xed\xa0\x80", NULL),
	                    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(round_trip("\xe6\x9f", "\"\\ufffd\\ufffd\""),
	                    "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(round_trip("\xff", "\"\\ufffd\""), "\xef\xbf\xbd");
	assert_string_equal(round_trip("", "\"\""), "");
}

static void test_errors(void **state)
{
	struct buf b;
	struct jsonw w;

	(void)state;
	/* A full buffer: sticky, and the buffer holds no more than its maximum. */
	buf_init(&b, 16);
	jsonw_init(&w, &b);
	jsonw_array_begin(&w);
	for (int i = 0; i < 20; i++)
		jsonw_string(&w, "abcdef");
	jsonw_array_end(&w);
	assert_int_equal(jsonw_finish(&w), -1);
	assert_true(b.len <= 16);
	buf_release(&b);

	buf_init(&b, 4096);
	jsonw_init(&w, &b);
	jsonw_key(&w, "k"); /* no object open */
	assert_int_equal(jsonw_finish(&w), -1);
	buf_reset(&b);
	jsonw_init(&w, &b);
	jsonw_object_begin(&w);
	assert_int_equal(jsonw_finish(&w), -1); /* unclosed */
	jsonw_key(&w, "k");
	jsonw_object_end(&w); /* a key without its value */
	assert_int_equal(jsonw_finish(&w), -1);
	buf_reset(&b);
	jsonw_init(&w, &b);
	jsonw_array_end(&w); /* nothing open */
	assert_int_equal(jsonw_finish(&w), -1);
	buf_reset(&b);
	jsonw_init(&w, &b);
	for (int i = 0; i <= JSONW_MAX_DEPTH; i++)
		jsonw_array_begin(&w);
	assert_int_equal(jsonw_finish(&w), -1);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
