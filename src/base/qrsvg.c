/*
 * QR code to SVG (base/qrsvg.h).
 */
#include <qrencode.h>
#include <string.h>

#include "base/html.h"
#include "base/qrsvg.h"

int qrsvg_render(const char *text, const char *css_size, const char *title, struct buf *out,
                 int *modules)
{
	QRcode *qr = NULL;
	int rc = -1, w, side;

	if (modules)
		*modules = 0;
	if (!text || !*text)
		goto out;
	qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!qr)
		goto out;
	w = qr->width;
	side = w + 2 * QRSVG_QUIET;
	if (buf_printf(
	            out,
	            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" viewBox=\"0 0 %d %d\" "
	            "shape-rendering=\"crispEdges\" role=\"img\"",
	            side, side) < 0)
		goto out;
	if (css_size && (buf_puts(out, " width=\"") < 0 || html_attr(out, css_size) < 0 ||
	                 buf_puts(out, "\" height=\"") < 0 || html_attr(out, css_size) < 0 ||
	                 buf_puts(out, "\"") < 0))
		goto out;
	if (buf_puts(out, ">") < 0)
		goto out;
	if (title && (buf_puts(out, "<title>") < 0 || html_text(out, title) < 0 ||
	              buf_puts(out, "</title>") < 0))
		goto out;
	if (buf_printf(out,
	               "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	               side, side) < 0)
		goto out;
	for (int y = 0; y < w; y++) {
		const unsigned char *row = qr->data + (size_t)y * (size_t)w;

		for (int x = 0; x < w;) {
			int run = 0;

			/* Bit 0 of each byte is the module: 1 dark. */
			while (x + run < w && (row[x + run] & 1))
				run++;
			if (run) {
				if (buf_printf(out, "M%d %dh%dv1h-%dz", x + QRSVG_QUIET,
				               y + QRSVG_QUIET, run, run) < 0)
					goto out;
				x += run;
			} else {
				x++;
			}
		}
	}
	if (buf_puts(out, "\"/></svg>") < 0)
		goto out;
	if (modules)
		*modules = w;
	rc = 0;
out:
	if (qr)
		QRcode_free(qr);
	return rc;
}
