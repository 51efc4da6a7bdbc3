/* Escaping of user data in server-rendered pages: markup in data never becomes markup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/html.h"

static void test_text_escapes_markup(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(html_text(&b, "<script>alert('x')</script> & \"q\""), 0);
	assert_string_equal(b.data,
	                    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	buf_release(&b);
}

static void test_chinese_and_null_pass_through(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(html_text(&b, NULL), 0);
	assert_int_equal(html_attr(&b, "东昌府区·古楼街道"), 0);
	assert_string_equal(b.data, "东昌府区·古楼街道");
	buf_release(&b);
}

static void test_page_frame_escapes_title(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4096);
	assert_int_equal(html_page_open(&b, "网格<公示>", "/public/public.css"), 0);
	assert_int_equal(html_page_close(&b), 0);
	assert_non_null(strstr(b.data, "<title>网格&lt;公示&gt;</title>"));
	assert_non_null(strstr(b.data, "lang=\"zh-CN\""));
	assert_null(strstr(b.data, "<script"));
	buf_release(&b);
}

static void test_full_buffer_fails(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	assert_int_equal(html_text(&b, "<<<<<<<<"), -1);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escapes_markup),
		cmocka_unit_test(test_chinese_and_null_pass_through),
		cmocka_unit_test(test_page_frame_escapes_title),
		cmocka_unit_test(test_full_buffer_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
