/*
 * The residents' pages, without login (Art. 18; docs/api-matters.md "Residents"): where a grid's
 * notice QR code leads, GET /public/report/:code, a phone-first form to report a problem with up
 * to three photos, and its POST (multipart/form-data, the same URL), which answers the tracking
 * code; GET /public/track/:code, the progress in plain words, the answers and the result, and
 * once the matter is closed a rating form posted to /public/track/:code/rate.
 *
 * Everything is rendered here with base/html.h (data through html_text / html_attr; markup only
 * from constants; no inline script or style: the CSP forbids them; styles in
 * web/public/resident.css). The pages work without JavaScript on a slow network and load nothing
 * from elsewhere; web/public/resident.js only adds "use my location" to the form.
 *
 * These pages act as nobody: a browser that also carries a staff session cookie (a worker
 * reporting a problem at home) reports as a resident, never in the staff member's name, so a
 * cross-site form cannot make a staff session write anything through them (api_public_ctx).
 *
 * Abuse: every page is limited per client address (the public pages' token buckets); reports are
 * counted per address and per grid over a window (http/quota.h). Below the quota a report is
 * free; above it the form asks a small sum (http/challenge.h, an HMAC-signed expiring token in a
 * hidden field); above the hard limit the answer is 429. The limits come from the environment
 * (WANGGE_REPORT_QUOTA_ADDRESS="5/20", WANGGE_REPORT_QUOTA_GRID="50/200": quota/hard limit per
 * window; WANGGE_REPORT_QUOTA_WINDOW_S=3600). The JSON API (api/matters.c) counts against the
 * same quotas and, having no form to show a challenge in, answers 429 above the quota.
 */
#include <math.h>
#include <sodium.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "base/clock.h"
#include "base/html.h"
#include "base/log.h"
#include "domain/access.h"
#include "domain/matter.h"
#include "domain/matter_contact.h"
#include "domain/matter_item.h"
#include "domain/notice.h"
#include "domain/upload.h"
#include "geo/geom.h"
#include "http/challenge.h"
#include "http/multipart.h"
#include "http/quota.h"
#include "http/ratelimit.h"

#define CSS "/public/resident.css"
#define SCRIPT "/public/resident.js"
#define PAGE_MAX (1024 * 1024)
#define CONTACT_CHARS 60

_Static_assert(MULTIPART_FILE_MAX == UPLOAD_MAX_BYTES,
               "the HTTP layer stops a file where the upload rule refuses it");
_Static_assert(RESIDENT_PHOTOS_MAX <= UPLOAD_MAX_PER_RECORD, "the domain takes them all");

/* ---- quotas ---- */

static struct {
	unsigned addr_soft, addr_hard, grid_soft, grid_hard;
	int64_t window_s;
	struct quota *q;
} limits;
static pthread_once_t limits_once = PTHREAD_ONCE_INIT;

/* "soft/hard" from the environment, or the defaults (with a warning when malformed). */
static void limit_pair(const char *name, unsigned dsoft, unsigned dhard, unsigned *soft,
                       unsigned *hard)
{
	const char *v = getenv(name);
	char *end = NULL;
	unsigned long s, h;

	*soft = dsoft;
	*hard = dhard;
	if (!v || !*v)
		return;
	s = strtoul(v, &end, 10);
	if (end && *end == '/') {
		h = strtoul(end + 1, &end, 10);
		if (end && !*end && s >= 1 && h >= s && h <= 1000000) {
			*soft = (unsigned)s;
			*hard = (unsigned)h;
			return;
		}
	}
	log_warn("resident.quota_ignored", "name=%s value=\"%s\" reason=\"want N/M, 1<=N<=M\"",
	         name, v);
}

static void limits_init(void)
{
	const char *w = getenv("WANGGE_REPORT_QUOTA_WINDOW_S");
	long window = w ? strtol(w, NULL, 10) : 3600;

	limit_pair("WANGGE_REPORT_QUOTA_ADDRESS", 5, 20, &limits.addr_soft, &limits.addr_hard);
	limit_pair("WANGGE_REPORT_QUOTA_GRID", 50, 200, &limits.grid_soft, &limits.grid_hard);
	limits.window_s = window >= 60 && window <= 86400 ? window : 3600;
	limits.q = quota_new(16384, limits.window_s * 1000);
	if (!limits.q)
		log_error("resident.quota_failed", "reason=%s", "out of memory");
}

enum gate { GATE_FREE, GATE_CHALLENGE, GATE_REFUSED };

static void quota_keys(struct req *r, const char *grid, char *addr_key, char *grid_key, size_t n)
{
	(void)snprintf(addr_key, n, "a|%s", req_client_addr(r));
	(void)snprintf(grid_key, n, "g|%s", grid ? grid : "");
}

/* Where the reports from this address to this grid stand against the quotas. */
static enum gate report_gate(struct req *r, const char *grid)
{
	char ak[128], gk[128];
	int64_t now = clock_mono_ms();
	unsigned na, ng;

	(void)pthread_once(&limits_once, limits_init);
	if (!limits.q)
		return GATE_REFUSED; /* no table: refuse rather than run unlimited */
	quota_keys(r, grid, ak, gk, sizeof ak);
	na = quota_peek(limits.q, ak, now);
	ng = quota_peek(limits.q, gk, now);
	if (na >= limits.addr_hard || ng >= limits.grid_hard)
		return GATE_REFUSED;
	if (na >= limits.addr_soft || ng >= limits.grid_soft)
		return GATE_CHALLENGE;
	return GATE_FREE;
}

static void report_counted(struct req *r, const char *grid)
{
	char ak[128], gk[128];
	int64_t now = clock_mono_ms();

	(void)pthread_once(&limits_once, limits_init);
	if (!limits.q)
		return;
	quota_keys(r, grid, ak, gk, sizeof ak);
	quota_add(limits.q, ak, now);
	quota_add(limits.q, gk, now);
}

static void retry_after(struct req *r, int64_t seconds)
{
	char v[24];

	(void)snprintf(v, sizeof v, "%lld", (long long)seconds);
	resp_header(r, "Retry-After", v);
}

int api_resident_quota_or_respond(struct req *r, const char *grid)
{
	if (report_gate(r, grid) == GATE_FREE)
		return 0;
	retry_after(r, limits.window_s / 4);
	resp_error(r, 429, "quota_exceeded",
	           "提交过于频繁，请稍后再试，或通过网页表单提交（需回答验证问题）");
	return -1;
}

void api_resident_counted(struct req *r, const char *grid)
{
	report_counted(r, grid);
}

void api_public_ctx(struct req *r, struct dom_ctx *x)
{
	struct dom_ctx full;

	api_ctx(r, &full);
	dom_ctx_as(x, &full, access_anonymous());
}

/* The challenge is bound to the address and the grid it was shown for. */
static void challenge_bind(struct req *r, const char *grid, char *out, size_t n)
{
	(void)snprintf(out, n, "report|%s|%s", req_client_addr(r), grid);
}

/* ---- page pieces ---- */

static int put(struct buf *b, const char *s)
{
	return buf_puts(b, s);
}

static int text(struct buf *b, const char *s)
{
	return html_text(b, s);
}

static int attr(struct buf *b, const char *s)
{
	return html_attr(b, s);
}

static void send_page(struct req *r, int status, struct buf *b)
{
	resp_header(r, "Cache-Control", "no-store");
	resp_bytes(r, status, "text/html; charset=utf-8", b->data, b->len);
}

/* A short page: a heading and a paragraph (and a link back when back is not NULL). */
static void message_page(struct req *r, int status, const char *title, const char *message,
                         const char *back_href, const char *back_text)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	if (html_page_open(&b, title, CSS) == 0 && put(&b, "<main class=\"resident\"><h1>") == 0 &&
	    text(&b, title) == 0 && put(&b, "</h1><p class=\"message\">") == 0 &&
	    text(&b, message) == 0 && put(&b, "</p>") == 0 &&
	    (!back_href ||
	     (put(&b, "<p><a class=\"button\" href=\"") == 0 && attr(&b, back_href) == 0 &&
	      put(&b, "\">") == 0 && text(&b, back_text) == 0 && put(&b, "</a></p>") == 0)) &&
	    put(&b, "</main>") == 0 && html_page_close(&b) == 0)
		send_page(r, status, &b);
	else
		resp_error(r, status, "page_failed", message);
	buf_release(&b);
}

/* 0 when the request may go on; -1 after answering 429 (per client address, every page). */
static int pace_or_respond(struct req *r)
{
	struct app *app = req_app(r);
	int retry = 0;

	if (!app->public_limit ||
	    ratelimit_take(app->public_limit, req_client_addr(r), clock_mono_ms(), &retry) == 0)
		return 0;
	retry_after(r, retry);
	message_page(r, 429, "访问过于频繁", "访问过于频繁，请稍后再试。", NULL, NULL);
	return -1;
}

static void grid_missing_page(struct req *r)
{
	message_page(r, 404, "网格不存在",
	             "没有找到这个网格，或者它已经撤销。请核对公示牌上的二维码或网格编码。", NULL,
	             NULL);
}

/* "2026-11-28T23:00:00+08:00" shown as "2026-11-28 23:00". */
static int time_text(struct buf *b, const char *rfc3339)
{
	char s[17];

	if (!rfc3339 || strlen(rfc3339) < 16)
		return text(b, rfc3339 ? rfc3339 : "");
	memcpy(s, rfc3339, 16);
	s[10] = ' ';
	s[16] = '\0';
	return text(b, s);
}

/* ---- the report form ---- */

/* What the resident typed, kept when the form comes back with a message. Borrowed. */
struct form_values {
	const char *item, *title, *description, *address, *contact, *lng, *lat;
};

static int input(struct buf *b, const char *id, const char *label, const char *type,
                 const char *value, int maxlength, const char *extra)
{
	return buf_printf(b, "<label for=\"%s\">", id) < 0 || text(b, label) < 0 ||
	                       buf_printf(b,
	                                  "</label><input id=\"%s\" name=\"%s\" type=\"%s\" "
	                                  "maxlength=\"%d\" %s value=\"",
	                                  id, id, type, maxlength, extra) < 0 ||
	                       attr(b, value ? value : "") < 0 || put(b, "\">") < 0
	               ? -1
	               : 0;
}

/* The published list in force, grouped by category, as a <select>. */
static int item_select(struct buf *b, const json_t *list, const char *chosen)
{
	const json_t *cats = json_object_get(list, "categories"), *cat;
	size_t i, j;

	if (put(b, "<label for=\"item\">反映事项类别</label><select id=\"item\" name=\"item\" "
	           "required><option value=\"\">请选择</option>") < 0)
		return -1;
	json_array_foreach(cats, i, cat)
	{
		const json_t *items = json_object_get(cat, "items"), *it;

		if (put(b, "<optgroup label=\"") < 0 ||
		    attr(b, json_string_value(json_object_get(cat, "label"))) < 0 ||
		    put(b, "\">") < 0)
			return -1;
		json_array_foreach(items, j, it)
		{
			const char *code = json_string_value(json_object_get(it, "code"));

			if (!code)
				continue;
			if (put(b, "<option value=\"") < 0 || attr(b, code) < 0 ||
			    put(b, chosen && strcmp(chosen, code) == 0 ? "\" selected>" : "\">") <
			            0 ||
			    text(b, json_string_value(json_object_get(it, "name"))) < 0 ||
			    put(b, "</option>") < 0)
				return -1;
		}
		if (put(b, "</optgroup>") < 0)
			return -1;
	}
	return put(b, "</select>");
}

static int form_body(struct buf *b, const struct notice *n, const json_t *list,
                     const struct form_values *v, const char *error, const struct challenge *ch)
{
	const char *parts[] = { n->county_name, n->township_name, n->community_name };

	if (put(b, "<main class=\"resident\"><header><p class=\"kicker\">问题反映</p><h1>") < 0 ||
	    text(b, n->grid_name) < 0 || put(b, "</h1><p class=\"where\">") < 0)
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (parts[i][0] && (put(b, i ? " " : "") < 0 || text(b, parts[i]) < 0))
			return -1;
	if (put(b, "</p></header>") < 0)
		return -1;
	if (error && (put(b, "<p class=\"error\" role=\"alert\">") < 0 || text(b, error) < 0 ||
	              put(b, "</p>") < 0))
		return -1;
	if (put(b,
	        "<form method=\"post\" enctype=\"multipart/form-data\" action=\"/public/report/") <
	            0 ||
	    attr(b, n->grid_code) < 0 || put(b, "\">") < 0 || item_select(b, list, v->item) < 0 ||
	    input(b, "title", "标题（一句话说明问题）", "text", v->title, MATTER_TITLE_CHARS,
	          "required") < 0 ||
	    put(b, "<label for=\"description\">问题描述</label><textarea id=\"description\" "
	           "name=\"description\" rows=\"5\" maxlength=\"2000\" required>") < 0 ||
	    text(b, v->description ? v->description : "") < 0 || put(b, "</textarea>") < 0 ||
	    input(b, "address", "详细地址（选填）", "text", v->address, 200, "") < 0)
		return -1;
	if (put(b, "<fieldset class=\"location\"><legend>位置</legend><p class=\"hint\">"
	           "已按二维码定位到本网格。可以补充您的精确位置（选填）。</p>"
	           "<input type=\"hidden\" id=\"lng\" name=\"lng\" value=\"") < 0 ||
	    attr(b, v->lng ? v->lng : "") < 0 ||
	    put(b, "\"><input type=\"hidden\" id=\"lat\" name=\"lat\" value=\"") < 0 ||
	    attr(b, v->lat ? v->lat : "") < 0 ||
	    put(b, "\"><button type=\"button\" id=\"locate\" class=\"secondary\" hidden>"
	           "使用我的位置</button><p id=\"locate-status\" class=\"hint\" "
	           "aria-live=\"polite\"></p></fieldset>") < 0)
		return -1;
	if (buf_printf(b,
	               "<fieldset class=\"photos\"><legend>照片（选填，最多 %d 张，每张不超过 %u "
	               "MB）</legend>",
	               RESIDENT_PHOTOS_MAX, UPLOAD_MAX_BYTES / (1024 * 1024)) < 0)
		return -1;
	for (int i = 1; i <= RESIDENT_PHOTOS_MAX; i++)
		if (buf_printf(b,
		               "<label for=\"photo%d\">照片 %d</label><input id=\"photo%d\" "
		               "name=\"photos\" type=\"file\" accept=\"image/*\" "
		               "capture=\"environment\">",
		               i, i, i) < 0)
			return -1;
	if (put(b, "</fieldset>") < 0 ||
	    input(b, "contact", "联系方式（必填，电话等，仅办理人员可见）", "text", v->contact,
	          CONTACT_CHARS, "required inputmode=\"tel\" autocomplete=\"tel\"") < 0)
		return -1;
	if (ch && (put(b, "<fieldset class=\"challenge\"><legend>验证问题</legend><label "
	                  "for=\"challenge_answer\">") < 0 ||
	           text(b, ch->question) < 0 ||
	           put(b, "（请填写阿拉伯数字）</label><input id=\"challenge_answer\" "
	                  "name=\"challenge_answer\" type=\"text\" inputmode=\"numeric\" "
	                  "maxlength=\"3\" autocomplete=\"off\" required><input type=\"hidden\" "
	                  "name=\"challenge_token\" value=\"") < 0 ||
	           attr(b, ch->token) < 0 || put(b, "\"></fieldset>") < 0))
		return -1;
	if (put(b, "<button type=\"submit\">提交</button></form><p class=\"hint\">提交后会得到一个"
	           "查询码，凭它查看办理进度、办结后评价。您的联系方式只用于办理和回访，不会公开。"
	           "</p><footer><a href=\"/public/grids/") < 0 ||
	    attr(b, n->grid_code) < 0 ||
	    put(b, "\">本网格公示</a> · <a href=\"/public/matter-list\">事项清单</a></footer>"
	           "</main><script src=\"" SCRIPT "\" defer></script>") < 0)
		return -1;
	return 0;
}

/* Renders the form of grid code (status, with the values and a message); the challenge is
   included when the quota asks for it. A missing grid answers the 404 page. */
static void report_form(struct req *r, const struct dom_ctx *x, int status,
                        const struct form_values *v, const char *error)
{
	struct dom_err e = { 0 };
	struct notice n;
	struct challenge ch, *chp = NULL;
	char title[NOTICE_TEXT_MAX + 32], bind[256];
	json_t *list = NULL;
	struct buf b;

	memset(&n, 0, sizeof n);
	if (notice_load(x, req_param(r, "code"), &n, &e) < 0) {
		notice_release(&n);
		if (e.status == 404)
			grid_missing_page(r);
		else
			message_page(r, e.status ? e.status : 500, "暂时无法打开", e.message, NULL,
			             NULL);
		return;
	}
	list = matter_item_public_json(x, &e);
	if (!list) {
		notice_release(&n);
		message_page(r, e.status ? e.status : 500, "暂时无法打开", e.message, NULL, NULL);
		return;
	}
	if (report_gate(r, n.grid_code) != GATE_FREE) {
		challenge_bind(r, n.grid_code, bind, sizeof bind);
		if (challenge_new(bind, clock_mono_ms() / 1000, &ch) == 0)
			chp = &ch;
	}
	(void)snprintf(title, sizeof title, "%s · 问题反映", n.grid_name);
	buf_init(&b, PAGE_MAX);
	if (html_page_open(&b, title, CSS) == 0 && form_body(&b, &n, list, v, error, chp) == 0 &&
	    html_page_close(&b) == 0)
		send_page(r, status, &b);
	else
		resp_error(r, 500, "internal", "生成页面失败");
	buf_release(&b);
	json_decref(list);
	notice_release(&n);
}

void api_resident_report_page(struct req *r)
{
	struct form_values v = { 0 };
	struct dom_ctx x;

	if (pace_or_respond(r) < 0)
		return;
	api_public_ctx(r, &x);
	report_form(r, &x, 200, &v, NULL);
}

static const char *const form_fields[] = { "item",    "title",           "description",
	                                   "address", "contact",         "lng",
	                                   "lat",     "challenge_token", "challenge_answer",
	                                   NULL };

static int known_field(const char *name)
{
	for (size_t i = 0; form_fields[i]; i++)
		if (strcmp(form_fields[i], name) == 0)
			return 1;
	return 0;
}

/* A coordinate from the hidden fields: 1 parsed and in range, 0 absent, -1 malformed. */
static int coordinate(const char *s, double lo, double hi, double *out)
{
	char *end = NULL;

	if (!s || !*s)
		return 0;
	*out = strtod(s, &end);
	return end && !*end && isfinite(*out) && *out >= lo && *out <= hi ? 1 : -1;
}

static void success_page(struct req *r, const char *code)
{
	char shown[MATTER_TRACKING_CHARS + 4], href[64];
	struct buf b;
	size_t k = 0;

	/* Four groups of four are easier to copy down; the dashes are ignored when typed back. */
	for (size_t i = 0; code[i] && k + 1 < sizeof shown; i++) {
		if (i && i % 4 == 0)
			shown[k++] = '-';
		shown[k++] = code[i];
	}
	shown[k] = '\0';
	(void)snprintf(href, sizeof href, "/public/track/%s", code);
	buf_init(&b, 64 * 1024);
	if (html_page_open(&b, "提交成功 · 请记下查询码", CSS) == 0 &&
	    put(&b, "<main class=\"resident\"><header><p class=\"kicker\">提交成功</p><h1>"
	            "请记下查询码</h1></header><p class=\"tracking\" id=\"tracking-code\">") == 0 &&
	    text(&b, shown) == 0 &&
	    put(&b, "</p><p>凭查询码可以随时查看办理进度；办结后请您评价。查询码只显示这一次，"
	            "请截图或抄下来。</p><p><a class=\"button\" id=\"track-link\" href=\"") == 0 &&
	    attr(&b, href) == 0 && put(&b, "\">查看办理进度</a></p></main>") == 0 &&
	    html_page_close(&b) == 0)
		send_page(r, 201, &b);
	else
		resp_error(r, 500, "internal", "生成页面失败");
	buf_release(&b);
}

void api_resident_report_post(struct req *r)
{
	const struct multipart *m = req_multipart(r);
	struct upload photos[RESIDENT_PHOTOS_MAX];
	struct matter_report in = { .source = "resident" };
	struct form_values v = { 0 };
	struct dom_err e = { 0 };
	struct dom_ctx x;
	const char *grid = req_param(r, "code");
	char code[MATTER_TRACKING_CHARS + 1], bind[256];
	size_t nphotos = 0, take[MULTIPART_FILES_MAX];
	enum gate gate;
	int64_t id = 0;
	int hl, ha;

	if (pace_or_respond(r) < 0)
		return;
	api_public_ctx(r, &x);
	if (!m) {
		message_page(r, 400, "提交失败", "请通过网页表单提交（multipart/form-data）。",
		             NULL, NULL);
		return;
	}
	if (m->error) {
		message_page(r, m->error == 413 ? 413 : 400, "提交失败",
		             m->error == 413 ? "照片太大或太多：最多 3 张，每张不超过 8 MB。"
		                             : "表单格式错误，请返回重新填写。",
		             NULL, NULL);
		return;
	}
	v.item = multipart_value(m, "item");
	v.title = multipart_value(m, "title");
	v.description = multipart_value(m, "description");
	v.address = multipart_value(m, "address");
	v.contact = multipart_value(m, "contact");
	v.lng = multipart_value(m, "lng");
	v.lat = multipart_value(m, "lat");
	/* A file input left empty sends an empty part without a file name, which may arrive as an
	   empty text field "photos" or an empty file part: neither is a photo. */
	for (size_t i = 0; i < m->nfields; i++)
		if (!known_field(m->fields[i].name) &&
		    !(strcmp(m->fields[i].name, "photos") == 0 && m->fields[i].len == 0)) {
			report_form(r, &x, 400, &v, "表单含有不支持的字段，请刷新页面后重新填写。");
			return;
		}
	for (size_t i = 0; i < m->nfiles; i++) {
		if (m->files[i].size == 0 && !m->files[i].filename[0])
			continue;
		if (strcmp(m->files[i].field, "photos") != 0) {
			report_form(r, &x, 400, &v, "照片只能放在照片栏中。");
			return;
		}
		if (nphotos == RESIDENT_PHOTOS_MAX) {
			report_form(r, &x, 400, &v, "最多只能附 3 张照片。");
			return;
		}
		take[nphotos++] = i;
	}
	gate = report_gate(r, grid);
	if (gate == GATE_REFUSED) {
		retry_after(r, limits.window_s / 4);
		message_page(
		        r, 429, "提交过于频繁",
		        "您或这个网格的提交次数已达上限，请稍后再试，或拨打公示牌上的监督电话。",
		        NULL, NULL);
		return;
	}
	if (gate == GATE_CHALLENGE) {
		challenge_bind(r, grid, bind, sizeof bind);
		if (!challenge_verify(bind, multipart_value(m, "challenge_token"),
		                      multipart_value(m, "challenge_answer"),
		                      clock_mono_ms() / 1000)) {
			report_form(r, &x, 400, &v,
			            multipart_value(m, "challenge_token")
			                    ? "验证问题回答不正确或已过期，请回答新的问题。"
			                    : "提交较多，请回答下面的验证问题。");
			return;
		}
	}
	in.item = v.item;
	in.title = v.title;
	in.description = v.description;
	in.address = v.address;
	in.grid_code = grid;
	in.nphotos = nphotos;
	hl = coordinate(v.lng, GEO_LNG_MIN, GEO_LNG_MAX, &in.lng);
	ha = coordinate(v.lat, GEO_LAT_MIN, GEO_LAT_MAX, &in.lat);
	if (hl < 0 || ha < 0 || hl != ha) {
		report_form(r, &x, 400, &v, "位置无效，请重新获取位置或不填位置。");
		return;
	}
	in.has_location = hl > 0;
	/* Everything the report needs no database for first: a refused form stores no file. */
	if (!v.contact || !*v.contact) {
		report_form(r, &x, 400, &v, "请留下联系方式，便于办理人员联系和回访。");
		return;
	}
	if (matter_report_check(&in, &e) < 0) {
		report_form(r, &x, e.status, &v, e.message);
		return;
	}
	for (size_t i = 0; i < nphotos; i++)
		if (upload_accept(&x, m->files[take[i]].path, &photos[i], &e) < 0) {
			report_form(r, &x, e.status, &v, e.message);
			return;
		}
	in.photos = photos;
	if (matter_public_report(&x, &in, v.contact, code, &id, &e) < 0) {
		report_form(r, &x, e.status, &v, e.message);
		return;
	}
	report_counted(r, grid);
	api_written(r);
	success_page(r, code);
	sodium_memzero(code, sizeof code);
}

/* ---- the tracking page ---- */

static void track_missing_page(struct req *r)
{
	/* The same page for every code that finds nothing, well-formed or not. */
	message_page(r, 404, "查询码无效",
	             "没有查到对应的事项。请核对查询码（共 16 位，不区分大小写）。", NULL, NULL);
}

static int fact(struct buf *b, const char *label, const char *value)
{
	if (!value || !*value)
		return 0;
	return put(b, "<dt>") < 0 || text(b, label) < 0 || put(b, "</dt><dd>") < 0 ||
	                       text(b, value) < 0 || put(b, "</dd>") < 0
	               ? -1
	               : 0;
}

static int fact_time(struct buf *b, const char *label, const char *value)
{
	if (!value || !*value)
		return 0;
	return put(b, "<dt>") < 0 || text(b, label) < 0 || put(b, "</dt><dd>") < 0 ||
	                       time_text(b, value) < 0 || put(b, "</dd>") < 0
	               ? -1
	               : 0;
}

static int rating_form(struct buf *b, const char *code)
{
	return put(b, "<form class=\"rate\" method=\"post\" enctype=\"multipart/form-data\" "
	              "action=\"/public/track/") < 0 ||
	                       attr(b, code) < 0 ||
	                       put(b, "/rate\"><fieldset><legend>请您对办理结果评价（只能评价一次）"
	                              "</legend><label class=\"choice\"><input type=\"radio\" "
	                              "name=\"rating\" value=\"1\" required> 满意</label><label "
	                              "class=\"choice\"><input type=\"radio\" name=\"rating\" "
	                              "value=\"2\"> 基本满意</label><label class=\"choice\"><input "
	                              "type=\"radio\" name=\"rating\" value=\"3\"> 不满意</label>"
	                              "</fieldset><label for=\"comment\">意见（选填）</label>"
	                              "<textarea id=\"comment\" name=\"comment\" rows=\"3\" "
	                              "maxlength=\"500\"></textarea><button type=\"submit\">"
	                              "提交评价</button></form>") < 0
	               ? -1
	               : 0;
}

static int track_body(struct buf *b, const json_t *t, const char *code, const char *notice)
{
	const json_t *steps = json_object_get(t, "steps"), *s;
	const char *state = json_string_value(json_object_get(t, "state"));
	const char *result = NULL;
	size_t i;

	json_array_foreach(steps, i, s)
	{
		const char *a = json_string_value(json_object_get(s, "action"));

		if (a && (strcmp(a, "submit") == 0 || strcmp(a, "self_handle") == 0))
			result = json_string_value(json_object_get(s, "text"));
	}
	if (put(b, "<main class=\"resident\"><header><p class=\"kicker\">办理进度</p><h1>") < 0 ||
	    text(b, json_string_value(json_object_get(t, "title"))) < 0 ||
	    put(b, "</h1></header>") < 0)
		return -1;
	if (notice && (put(b, "<p class=\"notice\" role=\"status\">") < 0 || text(b, notice) < 0 ||
	               put(b, "</p>") < 0))
		return -1;
	if (put(b, "<dl class=\"facts\"><dt>当前状态</dt><dd class=\"state\" id=\"state\">") < 0 ||
	    text(b, json_string_value(json_object_get(t, "state_label"))) < 0 ||
	    put(b, "</dd>") < 0 ||
	    fact(b, "所在网格", json_string_value(json_object_get(t, "grid"))) < 0 ||
	    fact_time(b, "反映时间", json_string_value(json_object_get(t, "reported_at"))) < 0 ||
	    fact_time(b, "办结时间", json_string_value(json_object_get(t, "closed_at"))) < 0 ||
	    fact(b, "办理结果", result) < 0 ||
	    fact(b, "您的评价", json_string_value(json_object_get(t, "rating"))) < 0 ||
	    fact(b, "您的联系方式", json_string_value(json_object_get(t, "contact"))) < 0 ||
	    put(b, "</dl>") < 0)
		return -1;
	if (state && strcmp(state, "reviewing") == 0 &&
	    put(b, "<p class=\"notice\">您对办理结果不满意，已转中心复核。</p>") < 0)
		return -1;
	if (put(b, "<h2>办理过程</h2><ol class=\"steps\" id=\"steps\">") < 0)
		return -1;
	json_array_foreach(steps, i, s)
	{
		const char *words = json_string_value(json_object_get(s, "words"));
		const char *said = json_string_value(json_object_get(s, "text"));

		if (put(b, "<li><span class=\"at\">") < 0 ||
		    time_text(b, json_string_value(json_object_get(s, "at"))) < 0 ||
		    put(b, "</span> <span class=\"words\">") < 0 || text(b, words) < 0 ||
		    put(b, "</span>") < 0)
			return -1;
		if (said && *said &&
		    (put(b, "<p class=\"said\">") < 0 || text(b, said) < 0 || put(b, "</p>") < 0))
			return -1;
		if (put(b, "</li>") < 0)
			return -1;
	}
	if (put(b, "</ol>") < 0)
		return -1;
	if (json_is_true(json_object_get(t, "can_rate")) && rating_form(b, code) < 0)
		return -1;
	return put(b, "<p class=\"hint\">如有疑问，可拨打网格公示牌上的监督电话。</p></main>");
}

/* The tracking page of code (status, with a line on top when notice is not NULL). */
static void track_page(struct req *r, const struct dom_ctx *x, const char *code, int status,
                       const char *notice)
{
	struct dom_err e = { 0 };
	json_t *t = matter_track(x, code, &e);
	struct buf b;

	if (!t) {
		if (e.status == 404)
			track_missing_page(r);
		else
			message_page(r, e.status ? e.status : 500, "暂时无法查询", e.message, NULL,
			             NULL);
		return;
	}
	buf_init(&b, PAGE_MAX);
	if (html_page_open(&b, "办理进度", CSS) == 0 && track_body(&b, t, code, notice) == 0 &&
	    html_page_close(&b) == 0)
		send_page(r, status, &b);
	else
		resp_error(r, 500, "internal", "生成页面失败");
	buf_release(&b);
	json_decref(t);
}

void api_resident_track_page(struct req *r)
{
	struct dom_ctx x;

	if (pace_or_respond(r) < 0)
		return;
	api_public_ctx(r, &x);
	track_page(r, &x, req_param(r, "code"), 200, NULL);
}

void api_resident_rate_post(struct req *r)
{
	const struct multipart *m = req_multipart(r);
	const char *code = req_param(r, "code"), *rating, *comment;
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char back[64];
	int n;

	if (pace_or_respond(r) < 0)
		return;
	api_public_ctx(r, &x);
	(void)snprintf(back, sizeof back, "/public/track/%.20s", code);
	if (!m || m->error || m->nfiles > 0) {
		message_page(r, 400, "评价失败", "请通过网页上的评价表单提交。", back,
		             "返回办理进度");
		return;
	}
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].name, "rating") != 0 &&
		    strcmp(m->fields[i].name, "comment") != 0) {
			message_page(r, 400, "评价失败", "表单含有不支持的字段。", back,
			             "返回办理进度");
			return;
		}
	rating = multipart_value(m, "rating");
	comment = multipart_value(m, "comment");
	n = rating && rating[0] >= '1' && rating[0] <= '3' && !rating[1] ? rating[0] - '0' : 0;
	if (!n) {
		message_page(r, 400, "评价失败", "请选择满意、基本满意或不满意。", back,
		             "返回办理进度");
		return;
	}
	if (matter_rate(&x, code, n, comment, &e) < 0) {
		if (e.status == 404)
			track_missing_page(r);
		else if (e.code && strcmp(e.code, "already_rated") == 0)
			message_page(r, 409, "已经评价过",
			             "您已评价过这个事项，每个事项只能评价一次。", back,
			             "返回办理进度");
		else if (e.code && strcmp(e.code, "bad_transition") == 0)
			message_page(r, 409, "还不能评价", "事项办结后才能评价，请稍后再来。", back,
			             "返回办理进度");
		else
			message_page(r, e.status ? e.status : 500, "评价失败", e.message, back,
			             "返回办理进度");
		return;
	}
	api_written(r);
	track_page(r, &x, code, 200,
	           n == 3 ? "感谢您的评价。您对办理结果不满意，已转中心复核。" : "感谢您的评价。");
}

/* ---- the reporter's contact for staff ---- */

void api_matters_contact(struct req *r)
{
	struct dom_err e = { 0 };
	struct dom_ctx x;
	char contact[MATTER_CONTACT_MAX], object[48];
	int64_t id;
	int unmask, rc;

	if (api_id_param(r, "id", &id) < 0 || (unmask = api_unmask_requested(r)) < 0)
		return;
	api_ctx(r, &x);
	rc = matter_reporter_contact(&x, id, unmask, contact, sizeof contact, &e);
	if (rc < 0) {
		respond_dom_err(r, &e);
		return;
	}
	if (rc > 0 && unmask) {
		(void)snprintf(object, sizeof object, "matter:%lld", (long long)id);
		api_unmask_record(r, object);
	}
	resp_json(r, 200,
	          json_pack("{s:s?,s:b}", "contact", rc > 0 ? contact : NULL, "masked", !unmask));
	sodium_memzero(contact, sizeof contact);
}
