/*
 * The public notice board of a grid (Art. 15), without login: GET /public/grids/:code, a Chinese
 * page rendered here from live data (domain/notice.h), and GET /public/grids/:code/print, the A4
 * board with a QR code to the grid's report page. Every piece of data goes through html_text /
 * html_attr; the markup is constants; no script and no style attribute (the CSP forbids both),
 * the styles are web/public/notice.css. The outline is drawn by our code from the boundary
 * (geo/outline.h) and the QR code by base/qrsvg.h: the page loads nothing from elsewhere.
 *
 * Requests are limited per client address (http/ratelimit.h; the address believes forwarding
 * headers only from trusted proxies): over the quota, 429 with Retry-After.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "base/clock.h"
#include "base/html.h"
#include "base/qrsvg.h"
#include "domain/duty.h"
#include "domain/notice.h"
#include "geo/outline.h"
#include "http/ratelimit.h"

#define CSS "/public/notice.css"
#define PAGE_MAX (1024 * 1024)
#define OUTLINE_SIDE 200

/* 0 when the request may go on; -1 after answering 429. */
static int rate_or_respond(struct req *r)
{
	struct app *app = req_app(r);
	int retry = 0;
	char value[16];

	if (!app->public_limit ||
	    ratelimit_take(app->public_limit, req_client_addr(r), clock_mono_ms(), &retry) == 0)
		return 0;
	(void)snprintf(value, sizeof value, "%d", retry);
	resp_header(r, "Retry-After", value);
	resp_error(r, 429, "rate_limited", "访问过于频繁，请稍后再试");
	return -1;
}

static void send_page(struct req *r, int status, struct buf *b)
{
	resp_bytes(r, status, "text/html; charset=utf-8", b->data, b->len);
}

static void not_found_page(struct req *r)
{
	struct buf b;

	buf_init(&b, 16 * 1024);
	if (html_page_open(&b, "网格不存在", CSS) == 0 &&
	    buf_puts(&b, "<main class=\"notice\"><h1>网格不存在</h1><p>没有找到这个网格，"
	                 "或者它已经撤销。请核对公示牌上的网格编码。</p></main>") == 0 &&
	    html_page_close(&b) == 0)
		send_page(r, 404, &b);
	else
		resp_error(r, 404, "not_found", "网格不存在或已撤销");
	buf_release(&b);
}

/* The base URL of links printed on the board: --public-url when configured; otherwise the
   request's Host only when it is a plain host name or address with an optional port (a forged
   Host could otherwise put someone else's site into a printed QR code). */
static void public_base(struct req *r, char *out, size_t n)
{
	struct app *app = req_app(r);
	const char *host = req_header(r, "Host");
	size_t len = host ? strlen(host) : 0;
	int ok = len > 0 && len < 256;

	if (app->public_url && *app->public_url) {
		(void)snprintf(out, n, "%s", app->public_url);
		return;
	}
	for (size_t i = 0; ok && i < len; i++) {
		char c = host[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
	}
	(void)snprintf(out, n, "http://%s", ok ? host : "localhost");
}

static int put(struct buf *b, const char *s)
{
	return buf_puts(b, s);
}

static int text(struct buf *b, const char *s)
{
	return html_text(b, s);
}

/* "东昌府区 古楼街道 某社区" */
static int scope_line(struct buf *b, const struct notice *n)
{
	int rc = 0;
	const char *parts[] = { n->county_name, n->township_name, n->community_name };

	for (size_t i = 0; rc == 0 && i < 3; i++)
		if (parts[i][0])
			rc = (i && parts[i - 1][0] ? put(b, " ") : 0) || text(b, parts[i]);
	return rc ? -1 : 0;
}

static int outline(struct buf *b, const struct notice *n)
{
	struct buf path;
	int rc = -1;

	buf_init(&path, 512 * 1024);
	if (geo_outline_path(n->boundary, OUTLINE_SIDE, &path) < 0) {
		rc = 0; /* no drawable outline: the names say the scope */
		goto out;
	}
	if (buf_printf(
	            b,
	            "<svg class=\"outline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d "
	            "%d\" role=\"img\"><title>网格范围示意图</title><path fill-rule=\"evenodd\" "
	            "d=\"",
	            OUTLINE_SIDE, OUTLINE_SIDE) < 0 ||
	    html_attr(b, path.data) < 0 || put(b, "\"/></svg>") < 0)
		goto out;
	rc = 0;
out:
	buf_release(&path);
	return rc;
}

static int workers(struct buf *b, const struct notice *n)
{
	if (n->nworkers == 0)
		return put(b, "<p class=\"empty\">暂无在岗网格员。</p>");
	if (put(b, "<ul class=\"workers\">") < 0)
		return -1;
	for (size_t i = 0; i < n->nworkers; i++) {
		const struct notice_worker *w = &n->workers[i];

		if (put(b, "<li><span class=\"name\">") < 0 || text(b, w->name) < 0 ||
		    put(b, "</span> <span class=\"tag\">") < 0 ||
		    put(b, w->lead ? "牵头网格员 · " : "") < 0 ||
		    put(b, w->full_time ? "专职" : "兼职") < 0 || put(b, "</span> ") < 0)
			return -1;
		if (w->work_phone[0]) {
			if (put(b, "<a class=\"phone\" href=\"tel:") < 0 ||
			    html_attr(b, w->work_phone) < 0 || put(b, "\">") < 0 ||
			    text(b, w->work_phone) < 0 || put(b, "</a>") < 0)
				return -1;
		}
		if (put(b, "</li>") < 0)
			return -1;
	}
	return put(b, "</ul>");
}

static int duties(struct buf *b)
{
	if (put(b, "<ol class=\"duties\">") < 0)
		return -1;
	for (size_t i = 0; i < DUTY_TYPE_COUNT; i++)
		if (put(b, "<li>") < 0 || text(b, duty_types[i].text) < 0 || put(b, "；</li>") < 0)
			return -1;
	return put(b, "</ol><p class=\"limit\">网格员不得实施行政许可、行政处罚、行政强制措施等"
	              "依法应当由行政机关工作人员或者其他人员实施的事项。</p>");
}

static int supervision(struct buf *b, const struct notice *n)
{
	if (!n->supervision_phone[0])
		return put(b, "<p class=\"empty\">监督电话尚未公布。</p>");
	return put(b, "<p class=\"supervision\">") || text(b, n->center_name) ||
	                       put(b, "：<a class=\"phone\" href=\"tel:") ||
	                       html_attr(b, n->supervision_phone) || put(b, "\">") ||
	                       text(b, n->supervision_phone) || put(b, "</a></p>")
	               ? -1
	               : 0;
}

static int body(struct buf *b, const struct notice *n, int print, const char *report_url)
{
	if (put(b, print ? "<main class=\"notice board\">" : "<main class=\"notice\">") < 0 ||
	    put(b, "<header><p class=\"kicker\">网格公示</p><h1>") < 0 ||
	    text(b, n->grid_name) < 0 || put(b, "</h1><p class=\"code\">网格编码 ") < 0 ||
	    text(b, n->grid_code) < 0 ||
	    put(b, "</p></header><section class=\"scope\"><h2>管辖范围</h2><p>") < 0 ||
	    scope_line(b, n) < 0 || put(b, "</p>") < 0 || outline(b, n) < 0 ||
	    put(b, "</section><section><h2>网格员</h2>") < 0 || workers(b, n) < 0 ||
	    put(b, "</section><section><h2>网格员职责</h2>") < 0 || duties(b) < 0 ||
	    put(b, "</section><section><h2>监督电话</h2>") < 0 || supervision(b, n) < 0 ||
	    put(b, "</section>") < 0)
		return -1;
	if (print) {
		if (put(b, "<section class=\"report\"><h2>扫码反映问题</h2>") < 0 ||
		    qrsvg_render(report_url, "40mm", "反映问题二维码", b, NULL) < 0 ||
		    put(b, "<p class=\"url\">") < 0 || text(b, report_url) < 0 ||
		    put(b, "</p></section>") < 0)
			return -1;
	}
	if (put(b, "<footer>依据《聊城市城乡网格化服务管理条例》第十五条公示") < 0)
		return -1;
	if (!print && (put(b, " · <a href=\"/public/grids/") < 0 ||
	               html_attr(b, n->grid_code) < 0 || put(b, "/print\">打印公示牌</a>") < 0))
		return -1;
	return put(b, "</footer></main>");
}

static void notice_page(struct req *r, int print)
{
	struct dom_err e = { 0 };
	struct notice n;
	struct dom_ctx x;
	char base[320], url[400], title[NOTICE_TEXT_MAX + 32];
	struct buf b;

	if (rate_or_respond(r) < 0)
		return;
	api_ctx(r, &x);
	if (notice_load(&x, req_param(r, "code"), &n, &e) < 0) {
		notice_release(&n);
		if (e.status == 404)
			not_found_page(r);
		else
			respond_dom_err(r, &e);
		return;
	}
	public_base(r, base, sizeof base);
	(void)snprintf(url, sizeof url, "%s/public/report/%s", base, n.grid_code);
	(void)snprintf(title, sizeof title, "%s · 网格公示", n.grid_name);
	buf_init(&b, PAGE_MAX);
	if (html_page_open(&b, title, CSS) == 0 && body(&b, &n, print, url) == 0 &&
	    html_page_close(&b) == 0)
		send_page(r, 200, &b);
	else
		resp_error(r, 500, "internal", "生成公示页面失败");
	buf_release(&b);
	notice_release(&n);
}

void api_public_grid(struct req *r)
{
	notice_page(r, 0);
}

void api_public_grid_print(struct req *r)
{
	notice_page(r, 1);
}
