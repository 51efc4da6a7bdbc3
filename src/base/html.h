/*
 * Server-rendered HTML for the public pages that work without login and without JavaScript (the
 * grid notice board, the published matter list, the resident's pages): they must load on a weak
 * phone connection and print on A4. Every piece of data goes through html_text or html_attr,
 * which escape it; markup comes only from string constants in our code. No page built here
 * carries inline script or inline style attributes, so the server's strict CSP holds for them;
 * styles come from a file under web/public/.
 */
#ifndef WANGGE_BASE_HTML_H
#define WANGGE_BASE_HTML_H

#include "base/buf.h"

/* Appends s as element text: & < > " ' escaped. NULL appends nothing. 0, or -1 when b is full. */
int html_text(struct buf *b, const char *s);
/* Appends s for a double-quoted attribute value (the same escaping). 0, or -1. */
int html_attr(struct buf *b, const char *s);
/* Opens a page: doctype, <html lang="zh-CN">, charset, viewport, the title (escaped) and the
   stylesheet at css_href (a constant path such as "/public/public.css"), then <body>. 0, or -1. */
int html_page_open(struct buf *b, const char *title, const char *css_href);
/* Closes what html_page_open opened. 0, or -1. */
int html_page_close(struct buf *b);

#endif
