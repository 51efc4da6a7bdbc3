/*
 * QR codes as SVG, for the notice board's link to the resident's report page: libqrencode makes
 * the matrix (8-bit mode, error correction level M, the smallest version that fits), and this
 * draws it: a white square with a quiet zone of QRSVG_QUIET modules on every side and one path
 * of black modules (each row's runs of dark modules as rectangles), in module units through the
 * viewBox, so the code scales to any printed size without blur. No style attribute or script:
 * the SVG may be inlined in a page under the strict CSP.
 */
#ifndef WANGGE_BASE_QRSVG_H
#define WANGGE_BASE_QRSVG_H

#include "base/buf.h"

#define QRSVG_QUIET 4

/* Appends the SVG of text's QR code to out, with width and height attributes css_size (e.g.
   "40mm"; NULL leaves them out) and an accessible title (escaped; NULL for none). *modules, when
   not NULL, gets the code's width in modules (without the quiet zone). 0, or -1 (text too long
   for a QR code, out of memory, out full). */
int qrsvg_render(const char *text, const char *css_size, const char *title, struct buf *out,
                 int *modules);

#endif
