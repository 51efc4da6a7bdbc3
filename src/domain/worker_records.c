/*
 * What is recorded about a worker besides the registry row (worker.h): the Art. 11 attestations
 * (which condition was checked, by whom, when) and the workforce records of Art. 22-24 (training;
 * rewards and penalties; pay, allowance and insurance as amounts for periods: records, not
 * payroll). Both are writes on a worker in the caller's scope through dom_write, and reads scoped
 * by the worker's visibility.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "domain/worker.h"
#include "store/store.h"

static const struct {
	const char *item, *label;
} attestation_items[] = {
	{ "political", "拥护中国共产党领导，遵守法律法规，具有良好的政治素质和道德品行" },
	{ "education", "具有符合岗位要求的文化程度" },
	{ "health", "具备履行职责的身体条件" },
	{ "ability", "具备履行职责的工作能力" },
	{ "devotion", "热心网格化服务管理工作" },
	{ "legal", "无违法犯罪记录等不宜担任网格员的情形" },
};

const char *worker_attestation_label(const char *item)
{
	for (size_t i = 0; item && i < sizeof attestation_items / sizeof attestation_items[0]; i++)
		if (strcmp(attestation_items[i].item, item) == 0)
			return attestation_items[i].label;
	return NULL;
}

struct rec_arg {
	int64_t id;
	struct worker w;
	const char *item, *note;
	const struct worker_record_input *in;
	int64_t record_id;
};

/* The worker must be visible (404). Records about an exited worker (a final pay, a late
   penalty) are still allowed: the registry keeps the history. */
static int rec_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                         struct dom_err *e)
{
	struct rec_arg *a = w->arg;
	int rc = worker_load(c, x, a->id, &a->w);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "网格员不存在");
	return 0;
}

static int attest_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct rec_arg *a = w->arg;

	if (dom_exec(
	            c, e,
	            "INSERT INTO worker_attestations (worker_id, item, checked_by, checked_at, "
	            "note) "
	            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (worker_id, item) DO UPDATE SET checked_by "
	            "= excluded.checked_by, checked_at = excluded.checked_at, note = excluded.note",
	            "itnit", a->id, a->item, x->caller->user_id, x->now,
	            a->note && *a->note ? a->note : NULL) < 0)
		return -1;
	dom_write_detail(w, "网格员 %s 任职条件核查：%s", a->w.name,
	                 worker_attestation_label(a->item));
	return 0;
}

int worker_attest(const struct dom_ctx *x, int64_t id, const char *item, const char *note,
                  struct dom_err *e)
{
	struct rec_arg a = { .id = id, .item = item, .note = note };
	struct dom_write w = { .action = "worker.attest",
		               .permission = "worker.write",
		               .authorize = rec_authorize,
		               .apply = attest_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };

	if (!worker_attestation_label(item))
		return dom_err_set(
		        e, 400, "bad_item",
		        "核查项目应为 political、education、health、ability、devotion 或 "
		        "legal");
	if (note && dom_utf8_chars(note) > WORKER_TEXT_CHARS)
		return dom_err_set(e, 400, "bad_field", "备注过长（最多 %d 个字）",
		                   WORKER_TEXT_CHARS);
	/* checked_by references users: the system principal (CLI, demo) has no account row. */
	if (x->caller->user_id <= 0)
		return dom_err_set(e, 400, "bad_caller", "核查须由登录用户记录");
	dom_write_object(&w, "worker:%" PRId64, id);
	return dom_write(x, &w, e);
}

json_t *worker_attestations(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	struct worker w;
	json_t *a;
	int rc;

	if (!c)
		return NULL;
	rc = worker_load(c, x, id, &w);
	if (rc <= 0) {
		if (rc < 0)
			dom_err_read(e);
		else
			dom_err_set(e, 404, "not_found", "网格员不存在");
		return NULL;
	}
	if (!(st = store_prepare(c,
	                         "SELECT a.item, u.display_name, a.checked_at, "
	                         "coalesce(a.note, '') FROM worker_attestations a JOIN users u "
	                         "ON u.id = a.checked_by WHERE a.worker_id = ? ORDER BY a.item")) ||
	    !(a = json_array())) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	while (store_step(st) == STORE_ROW) {
		char t[32];
		const char *item = store_col_text(st, 0);

		json_array_append_new(
		        a, json_pack("{s:s,s:s,s:s,s:s,s:s}", "item", item, "label",
		                     worker_attestation_label(item), "checked_by",
		                     store_col_text(st, 1), "checked_at",
		                     clock_format_local(store_col_int64(st, 2), t, sizeof t),
		                     "note", store_col_text(st, 3)));
	}
	store_reset(st);
	return a;
}

/* ---- workforce records ---- */

static int is_kind(const char *k, const char *a, const char *b, const char *c)
{
	return k &&
	       ((a && strcmp(k, a) == 0) || (b && strcmp(k, b) == 0) || (c && strcmp(k, c) == 0));
}

/* Parses a non-negative decimal with at most `decimals` digits after the point into units of
   10^-decimals, at most max: 0 or -1. */
static int decimal_parse(const char *s, int decimals, int64_t max, int64_t *out)
{
	int64_t v = 0;
	int frac = -1, digits = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || frac == decimals || ++digits > 12)
			return -1;
		v = v * 10 + (*s - '0');
		if (frac >= 0)
			frac++;
	}
	if (digits == 0)
		return -1;
	for (int i = frac < 0 ? 0 : frac; i < decimals; i++)
		v *= 10;
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int worker_amount_parse(const char *s, int64_t *cents)
{
	return decimal_parse(s, 2, INT64_C(9999999999), cents);
}

int worker_hours_parse(const char *s, int64_t *tenths)
{
	if (decimal_parse(s, 1, 10000, tenths) < 0 || *tenths <= 0)
		return -1;
	return 0;
}

static int record_check(const struct worker_record_input *in, struct dom_err *e)
{
	const char *k = in->kind;

	if (!is_kind(k, "training", "reward", "penalty") &&
	    !is_kind(k, "pay", "allowance", "insurance"))
		return dom_err_set(
		        e, 400, "bad_kind",
		        "记录类型应为 training（培训）、reward（奖励）、penalty（惩戒）、"
		        "pay（薪酬）、allowance（补贴）或 insurance（保险）");
	if (!worker_date_valid(in->date))
		return dom_err_set(e, 400, "bad_date", "日期 date 应为 YYYY-MM-DD 格式的有效日期");
	if ((in->topic && dom_utf8_chars(in->topic) > WORKER_TEXT_CHARS) ||
	    (in->organiser && dom_utf8_chars(in->organiser) > 64) ||
	    (in->note && dom_utf8_chars(in->note) > WORKER_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_field",
		                   "文字过长（内容最多 %d 个字，单位最多 64 个字）",
		                   WORKER_TEXT_CHARS);
	if (is_kind(k, "training", "reward", "penalty") && (!in->topic || !*in->topic))
		return dom_err_set(e, 400, "bad_field",
		                   strcmp(k, "training") == 0 ? "培训记录须填写培训内容 topic"
		                                              : "奖惩记录须填写事由 topic");
	if (strcmp(k, "training") == 0 && in->hours_tenths <= 0)
		return dom_err_set(e, 400, "bad_field",
		                   "培训记录须填写学时 hours（大于 0，最多一位小数）");
	if (!is_kind(k, "training", NULL, NULL) && in->hours_tenths > 0)
		return dom_err_set(e, 400, "bad_field", "只有培训记录填写学时 hours");
	if (is_kind(k, "pay", "allowance", "insurance")) {
		if (in->amount_cents < 0)
			return dom_err_set(e, 400, "bad_amount",
			                   "须填写金额 amount（元，最多两位小数）");
		if (!worker_date_valid(in->period_from) || !worker_date_valid(in->period_to) ||
		    strcmp(in->period_from, in->period_to) > 0)
			return dom_err_set(
			        e, 400, "bad_period",
			        "须填写期间 period_from 和 period_to（YYYY-MM-DD，起不晚于止）");
	} else if (in->amount_cents >= 0 || in->period_from || in->period_to) {
		return dom_err_set(e, 400, "bad_field", "只有薪酬、补贴和保险记录填写金额和期间");
	}
	return 0;
}

static int record_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct rec_arg *a = w->arg;
	const struct worker_record_input *in = a->in;

	if (dom_exec(c, e,
	             "INSERT INTO worker_records (worker_id, kind, date, topic, hours_tenths, "
	             "organiser, amount_cents, period_from, period_to, note, recorded_by, "
	             "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	             "ittt"
	             "nt"
	             "n"
	             "ttt"
	             "ii",
	             a->id, in->kind, in->date, in->topic && *in->topic ? in->topic : NULL,
	             in->hours_tenths > 0 ? in->hours_tenths : 0,
	             in->organiser && *in->organiser ? in->organiser : NULL,
	             in->amount_cents > 0 ? in->amount_cents : 0, in->period_from, in->period_to,
	             in->note && *in->note ? in->note : NULL, x->caller->user_id, x->now) < 0)
		return -1;
	/* A zero amount is a real record (an unpaid month): 'n' binds 0 as NULL, so set it. */
	a->record_id = store_last_insert_id(c);
	if (in->amount_cents == 0 &&
	    dom_exec(c, e, "UPDATE worker_records SET amount_cents = 0 WHERE id = ?", "i",
	             a->record_id) < 0)
		return -1;
	dom_write_detail(w, "网格员 %s 记录 %s %s", a->w.name, in->kind, in->date);
	return 0;
}

int worker_record_add(const struct dom_ctx *x, int64_t id, const struct worker_record_input *in,
                      int64_t *record_id, struct dom_err *e)
{
	struct rec_arg a = { .id = id, .in = in };
	struct dom_write w = { .action = "worker.record",
		               .permission = "worker.write",
		               .authorize = rec_authorize,
		               .apply = record_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };
	int rc;

	if (record_check(in, e) < 0)
		return -1;
	if (x->caller->user_id <= 0)
		return dom_err_set(e, 400, "bad_caller", "记录须由登录用户填写");
	dom_write_object(&w, "worker:%" PRId64, id);
	rc = dom_write(x, &w, e);
	*record_id = a.record_id;
	return rc;
}

/* Cents as "1234.50". */
static json_t *yuan(int64_t cents)
{
	char s[32];

	(void)snprintf(s, sizeof s, "%" PRId64 ".%02d", cents / 100, (int)(cents % 100));
	return json_string(s);
}

static json_t *record_row(struct store_stmt *st, void *arg)
{
	char t[32], h[24];
	json_t *o;

	(void)arg;
	o = json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)store_col_int64(st, 0), "kind",
	              store_col_text(st, 1), "date", store_col_text(st, 2), "recorded_by",
	              store_col_text(st, 10), "recorded_at",
	              clock_format_local(store_col_int64(st, 11), t, sizeof t));
	if (!o)
		return NULL;
	json_object_set_new(o, "topic",
	                    store_col_is_null(st, 3) ? json_null()
	                                             : json_string(store_col_text(st, 3)));
	if (store_col_is_null(st, 4)) {
		json_object_set_new(o, "hours", json_null());
	} else {
		int64_t v = store_col_int64(st, 4);

		(void)snprintf(h, sizeof h, "%" PRId64 ".%d", v / 10, (int)(v % 10));
		json_object_set_new(o, "hours", json_string(h));
	}
	json_object_set_new(o, "organiser",
	                    store_col_is_null(st, 5) ? json_null()
	                                             : json_string(store_col_text(st, 5)));
	json_object_set_new(o, "amount",
	                    store_col_is_null(st, 6) ? json_null() : yuan(store_col_int64(st, 6)));
	json_object_set_new(o, "period_from",
	                    store_col_is_null(st, 7) ? json_null()
	                                             : json_string(store_col_text(st, 7)));
	json_object_set_new(o, "period_to",
	                    store_col_is_null(st, 8) ? json_null()
	                                             : json_string(store_col_text(st, 8)));
	json_object_set_new(o, "note",
	                    store_col_is_null(st, 9) ? json_null()
	                                             : json_string(store_col_text(st, 9)));
	return o;
}

json_t *worker_records(const struct dom_ctx *x, int64_t id, const char *kind,
                       const struct dom_page *pg, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	struct worker w;
	int64_t after;
	int rc;

	if (!c || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	if (kind && !is_kind(kind, "training", "reward", "penalty") &&
	    !is_kind(kind, "pay", "allowance", "insurance")) {
		dom_err_set(e, 400, "bad_param", "参数 kind 不是有效的记录类型");
		return NULL;
	}
	rc = worker_load(c, x, id, &w);
	if (rc <= 0) {
		if (rc < 0)
			dom_err_read(e);
		else
			dom_err_set(e, 404, "not_found", "网格员不存在");
		return NULL;
	}
	/* worker_records_worker (worker_id, id) serves the order; kind filters one worker's rows.
	 */
	if (!(st = store_prepare(c,
	                         "SELECT r.id, r.kind, r.date, r.topic, r.hours_tenths, "
	                         "r.organiser, r.amount_cents, r.period_from, r.period_to, "
	                         "r.note, u.display_name, r.recorded_at FROM worker_records r "
	                         "JOIN users u ON u.id = r.recorded_by WHERE r.worker_id = ? AND "
	                         "(? IS NULL OR r.kind = ?) AND r.id > ? ORDER BY r.id LIMIT ?"))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	store_bind_text(st, 2, kind, -1);
	store_bind_text(st, 3, kind, -1);
	store_bind_int64(st, 4, after);
	store_bind_int64(st, 5, pg->limit + 1);
	return dom_page_collect(st, pg, record_row, NULL, e);
}
