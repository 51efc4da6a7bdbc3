/*
 * Unit tests for base/qrsvg: the SVG is well formed, its viewBox is the code's width plus the
 * quiet zone, every dark module of libqrencode's matrix is drawn once and no light one is, and
 * the title is escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <qrencode.h>

#include "base/qrsvg.h"

/* Paints the path's "M x yh n v1h-n z" runs into grid (side × side); -1 on a malformed path or a
   module painted twice. */
static int paint(const char *d, unsigned char *grid, int side)
{
	while (*d) {
		int x, y, n, m, used = 0;

		if (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &m, &used) != 4 || n != m ||
		    n < 1 || used == 0 || x < 0 || y < 0 || x + n > side || y >= side)
			return -1;
		for (int i = 0; i < n; i++) {
			if (grid[y * side + x + i])
				return -1;
			grid[y * side + x + i] = 1;
		}
		d += used;
	}
	return 0;
}

static void test_modules_match_the_matrix(void **state)
{
	const char *url = "https://wangge.example.cn/public/report/371502001001001";
	QRcode *qr = QRcode_encodeString8bit(url, 0, QR_ECLEVEL_M);
	struct buf b;
	int modules = 0, side, vb = 0;
	char *d, *end, head[128];
	unsigned char *grid;

	(void)state;
	assert_non_null(qr);
	buf_init(&b, 1 << 20);
	assert_int_equal(qrsvg_render(url, "40mm", "扫码<反映>", &b, &modules), 0);
	assert_int_equal(modules, qr->width);
	side = modules + 2 * QRSVG_QUIET;
	snprintf(head, sizeof head, "viewBox=\"0 0 %d %d\"", side, side);
	assert_non_null(strstr(b.data, head));
	assert_int_equal(sscanf(strstr(b.data, "viewBox=\"") + 9, "0 0 %d", &vb), 1);
	assert_int_equal(vb, side);
	assert_int_equal(strncmp(b.data, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
	assert_non_null(strstr(b.data, "width=\"40mm\" height=\"40mm\""));
	assert_non_null(strstr(b.data, "<title>扫码&lt;反映&gt;</title>"));
	assert_null(strstr(b.data, "style="));
	assert_int_equal(strcmp(b.data + b.len - 9, "\"/></svg>"), 0);
	d = strstr(b.data, " d=\"");
	assert_non_null(d);
	d += 4;
	end = strchr(d, '"');
	assert_non_null(end);
	*end = '\0';
	grid = calloc((size_t)side * (size_t)side, 1);
	assert_int_equal(paint(d, grid, side), 0);
	for (int y = 0; y < side; y++)
		for (int x = 0; x < side; x++) {
			int in = x >= QRSVG_QUIET && y >= QRSVG_QUIET && x < side - QRSVG_QUIET &&
			         y < side - QRSVG_QUIET;
			int dark = in &&
			           (qr->data[(y - QRSVG_QUIET) * qr->width + x - QRSVG_QUIET] & 1);

			assert_int_equal(grid[y * side + x], dark);
		}
	free(grid);
	buf_release(&b);
	QRcode_free(qr);
}

static void test_refuses_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(qrsvg_render("", NULL, NULL, &b, NULL), -1);
	/* Out of room: a failure, not a truncated SVG reported as a success. */
	assert_int_equal(qrsvg_render("https://example.cn/public/report/1", NULL, NULL, &b, NULL),
	                 -1);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modules_match_the_matrix),
		cmocka_unit_test(test_refuses_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
