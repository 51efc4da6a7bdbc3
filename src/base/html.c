/*
 * HTML escaping and the frame of the server-rendered public pages (see html.h).
 */
#include "base/html.h"

#include <string.h>

static int escape(struct buf *b, const char *s)
{
	int rc = 0;
	const char *run = s;

	if (!s)
		return 0;
	for (const char *p = s; *p && rc == 0; p++) {
		const char *rep = NULL;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: break;
		}
		if (rep) {
			rc = buf_append(b, run, (size_t)(p - run));
			if (rc == 0)
				rc = buf_puts(b, rep);
			run = p + 1;
		}
	}
	if (rc == 0)
		rc = buf_append(b, run, strlen(run));
	return rc;
}

int html_text(struct buf *b, const char *s)
{
	return escape(b, s);
}

int html_attr(struct buf *b, const char *s)
{
	return escape(b, s);
}

int html_page_open(struct buf *b, const char *title, const char *css_href)
{
	int rc = buf_puts(b,
	                  "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	                  "<title>");
	if (rc == 0)
		rc = html_text(b, title);
	if (rc == 0)
		rc = buf_puts(b, "</title><link rel=\"stylesheet\" href=\"");
	if (rc == 0)
		rc = html_attr(b, css_href);
	if (rc == 0)
		rc = buf_puts(b, "\"></head><body>\n");
	return rc;
}

int html_page_close(struct buf *b)
{
	return buf_puts(b, "\n</body></html>\n");
}
