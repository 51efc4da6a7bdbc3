/*
 * `wangge demo --matters N`: N plausible matters over the last year, each with the event history
 * the flow would have written (report, accept, dispatch to one or two departments, sign, result,
 * verification, closing; some rejected, some self-handled by the grid worker, some overdue with a
 * written explanation, the recent ones still open at every stage), for benchmarks and for a
 * dashboard that looks like a city's. The events are folded with matter_fold exactly like live
 * actions, so `wangge check` finds the projection and the counters consistent.
 *
 * Speed matters here (ten million matters for the queue bench): rows are written directly in
 * batches of BATCH matters per write, one audit record per batch, with the counters in the same
 * write. A township or county without a center, and a county without
 * departments, gets them first (the demo city has only a few).
 */
#include "domain/demo_matters.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/codes.h"
#include "domain/calendar.h"
#include "domain/matter.h"
#include "domain/matter_internal.h"
#include "domain/matter_item.h"
#include "domain/org.h"
#include "domain/region.h"
#include "store/store.h"

#define BATCH 2000
#define ITEMS_MAX 64

struct dgrid {
	int64_t id;
	char path[ACCESS_PATH_MAX];
	char county[13], township[13], community[13], city[13];
	int64_t center; /* the township's center (else the county's) */
	int64_t depts[4];
	int ndepts;
};

struct gen {
	const struct dom_ctx *x;
	struct dgrid *grids;
	size_t ngrids;
	struct matter_item items[ITEMS_MAX];
	int nitems;
	uint64_t rng;
	int64_t start, span, total, done;
	int64_t matters_written;
};

static uint64_t next_rand(struct gen *g)
{
	/* xorshift64*: deterministic for a seed, plenty for demo data. */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ULL;
}

static int pick(struct gen *g, int n)
{
	return n > 0 ? (int)(next_rand(g) % (uint64_t)n) : 0;
}

/* The items of the matter list in force now (at most ITEMS_MAX of them). */
static int load_items(struct store_conn *c, struct gen *g)
{
	struct store_stmt *st = store_prepare(c, "SELECT code FROM matter_items ORDER BY code");
	char codes[ITEMS_MAX * 2][32];
	int n = 0;
	struct dom_err e = { 0 };

	if (!st)
		return -1;
	while (n < ITEMS_MAX * 2 && store_step(st) == STORE_ROW)
		dom_copy(codes[n++], sizeof codes[0], store_col_text(st, 0));
	store_reset(st);
	for (int i = 0; i < n && g->nitems < ITEMS_MAX; i++)
		if (matter_item_in_force(c, codes[i], g->x->now, &g->items[g->nitems], &e) == 0)
			g->nitems++;
	return g->nitems > 0 ? 0 : -1;
}

static void split_path(const char *path, struct dgrid *d)
{
	const char *p = path;
	int level = 0;

	while (*p && level < 4) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char *dst = level == 0   ? d->city
		            : level == 1 ? d->county
		            : level == 2 ? d->township
		                         : d->community;

		if (len == 12) {
			memcpy(dst, p, 12);
			dst[12] = '\0';
		}
		level++;
		if (!slash)
			break;
		p = slash + 1;
	}
}

static int64_t center_of(struct store_conn *c, const char *code)
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT id FROM organisations WHERE kind = 'center' "
	                         "AND disabled = 0 AND region_code = ? LIMIT 1");
	int64_t id = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, code, -1);
	if (store_step(st) == STORE_ROW)
		id = store_col_int64(st, 0);
	store_reset(st);
	return id;
}

/* Centers for every township and county, and departments for every county, where missing. */
static int ensure_orgs(struct gen *g)
{
	static const char *const dept_names[] = { "公安分局", "城市管理局", "市场监督管理局",
		                                  "生态环境分局" };
	struct store_conn *c = store_reader(g->x->store);
	struct store_stmt *st;
	struct {
		char code[13], name[REGION_NAME_BYTES];
		int level;
	} *regs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!c)
		return -1;
	st = store_prepare(c,
	                   "SELECT code, name, level FROM regions WHERE level IN (3, 4) ORDER BY "
	                   "code");
	if (!st)
		return -1;
	while (store_step(st) == STORE_ROW) {
		if (n == cap) {
			void *p = realloc(regs, (cap = cap ? cap * 2 : 256) * sizeof *regs);

			if (!p) {
				rc = -1;
				break;
			}
			regs = p;
		}
		dom_copy(regs[n].code, sizeof regs[n].code, store_col_text(st, 0));
		dom_copy(regs[n].name, sizeof regs[n].name, store_col_text(st, 1));
		regs[n].level = (int)store_col_int64(st, 2);
		n++;
	}
	store_reset(st);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char name[ORG_NAME_BYTES];
		int64_t have = center_of(c, regs[i].code);

		if (have < 0) {
			rc = -1;
			break;
		}
		if (!have) {
			snprintf(name, sizeof name, "%.90s网格化服务管理中心", regs[i].name);
			if (org_ensure(g->x, name, "center",
			               regs[i].level == 3 ? "county" : "township",
			               regs[i].code) < 0)
				rc = -1;
		}
		if (regs[i].level == 3)
			for (size_t k = 0; rc == 0 && k < sizeof dept_names / sizeof dept_names[0];
			     k++) {
				snprintf(name, sizeof name, "%.90s%s", regs[i].name, dept_names[k]);
				if (org_ensure(g->x, name, "department", NULL, regs[i].code) < 0)
					rc = -1;
			}
	}
	free(regs);
	return rc;
}

static int load_grids(struct gen *g)
{
	struct store_conn *c = store_reader(g->x->store);
	struct store_stmt *st, *dst;
	size_t cap = 0;

	if (!c)
		return -1;
	st = store_prepare(c, "SELECT id, path FROM grids WHERE status = 'active' ORDER BY id");
	dst = store_prepare(c,
	                    "SELECT id FROM organisations WHERE kind = 'department' AND disabled = "
	                    "0 AND region_code = ? ORDER BY id LIMIT 4");
	if (!st || !dst)
		return -1;
	while (store_step(st) == STORE_ROW) {
		struct dgrid *d;

		if (g->ngrids == cap) {
			void *p =
			        realloc(g->grids, (cap = cap ? cap * 2 : 1024) * sizeof *g->grids);

			if (!p) {
				store_reset(st);
				return -1;
			}
			g->grids = p;
		}
		d = &g->grids[g->ngrids++];
		memset(d, 0, sizeof *d);
		d->id = store_col_int64(st, 0);
		dom_copy(d->path, sizeof d->path, store_col_text(st, 1));
		split_path(d->path, d);
	}
	store_reset(st);
	for (size_t i = 0; i < g->ngrids; i++) {
		struct dgrid *d = &g->grids[i];

		d->center = center_of(c, d->township);
		if (d->center <= 0)
			d->center = center_of(c, d->county);
		if (d->center <= 0)
			d->center = center_of(c, d->city);
		store_bind_text(dst, 1, d->county, -1);
		while (store_step(dst) == STORE_ROW && d->ndepts < 4)
			d->depts[d->ndepts++] = store_col_int64(dst, 0);
		store_reset(dst);
	}
	return g->ngrids ? 0 : -1;
}

/* ---- one matter ---- */

static const char *const titles[] = {
	"占道经营",       "乱堆乱放",   "井盖缺失",     "路灯不亮",       "违章搭建",
	"噪声扰民",       "邻里纠纷",   "消防通道堵塞", "电动车楼道充电", "污水外溢",
	"垃圾清运不及时", "树木倒伏",   "房屋漏雨",     "独居老人求助",   "小区停车纠纷",
	"燃气异味",       "河道漂浮物", "露天焚烧",     "非法小广告",     "道路破损",
};

struct mctx {
	struct store_conn *c;
	struct gen *g;
	struct store_stmt *ins_matter, *ins_event, *ins_asg, *upd_matter;
	int64_t actor;
};

static int write_event(struct mctx *m, int64_t id, int seq, int64_t at, int64_t org,
                       const char *action, const char *from, const char *to, json_t *f)
{
	char *text = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return -1;
	store_bind_int64(m->ins_event, 1, id);
	store_bind_int64(m->ins_event, 2, seq);
	store_bind_int64(m->ins_event, 3, at);
	store_bind_null(m->ins_event, 4);
	if (org)
		store_bind_int64(m->ins_event, 5, org);
	else
		store_bind_null(m->ins_event, 5);
	store_bind_text(m->ins_event, 6, action, -1);
	if (from)
		store_bind_text(m->ins_event, 7, from, -1);
	else
		store_bind_null(m->ins_event, 7);
	store_bind_text(m->ins_event, 8, to, -1);
	store_bind_text(m->ins_event, 9, text, -1);
	rc = dom_step_done(m->ins_event);
	free(text);
	return rc;
}

/* Applies one action to v (fold) and writes its event. fields is consumed. */
static int step(struct mctx *m, struct matter_view *v, int64_t at, int64_t org, const char *action,
                json_t *f)
{
	enum flow_state from = v->state;
	int rc;

	if (!f)
		return -1;
	rc = matter_fold(v, action, f, at);
	if (rc == 0)
		rc = write_event(m, v->id, v->version, at, org, action,
		                 v->version == 1 ? NULL : flow_state_name(from),
		                 flow_state_name(v->state), f);
	json_decref(f);
	return rc;
}

static int deadline(struct mctx *m, int64_t at, const struct matter_item *it, int stage,
                    int64_t *due, int64_t *warn)
{
	struct dom_err e = { 0 };
	int amount = stage == 0   ? it->accept_amount
	             : stage == 1 ? it->handle_amount
	                          : it->verify_amount;
	enum cal_unit unit = stage == 0   ? it->accept_unit
	                     : stage == 1 ? it->handle_unit
	                                  : it->verify_unit;

	return calendar_deadline(m->c, at, amount, unit,
	                         it->warn_share_pct > 0 ? it->warn_share_pct : 70, due, warn, &e);
}

static json_t *with_stage(struct mctx *m, json_t *f, int64_t at, const struct matter_item *it,
                          int stage)
{
	int64_t due = 0, warn = 0;

	if (!f || deadline(m, at, it, stage, &due, &warn) < 0) {
		json_decref(f);
		return NULL;
	}
	json_object_set_new(f, "due_at", json_integer(due));
	json_object_set_new(f, "warn_at", json_integer(warn));
	return f;
}

static int one_matter(struct mctx *m, int64_t t0, int64_t now)
{
	struct gen *g = m->g;
	struct dgrid *d = &g->grids[pick(g, (int)g->ngrids)];
	const struct matter_item *it = &g->items[pick(g, g->nitems)];
	const char *title = titles[pick(g, (int)(sizeof titles / sizeof titles[0]))];
	struct matter_view v;
	int64_t t = t0, id;
	int age_days = (int)((now - t0) / 86400), fate = pick(g, 100), alert;
	json_t *f;
	char desc[256];
	int rc = -1;

	if (d->center <= 0)
		return 0; /* a grid with no center above it: nothing can hold its matters */
	memset(&v, 0, sizeof v);
	f = json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:[i,i],s:[i,i],s:[i,i],s:i}", "owner_org_id",
	              (json_int_t)d->center, "item", it->code, "item_version_id",
	              (json_int_t)it->version_id, "title", title, "source",
	              fate < 70   ? "patrol"
	              : fate < 85 ? "resident"
	                          : "hotline",
	              "grid", "", "accept", it->accept_amount, (int)it->accept_unit, "handle",
	              it->handle_amount, (int)it->handle_unit, "verify", it->verify_amount,
	              (int)it->verify_unit, "warn", it->warn_share_pct);
	if (!f)
		return -1;
	{
		/* The limits are one object in the live report's fields. */
		json_t *limits =
		        json_pack("{s:O,s:O,s:O,s:O}", "accept", json_object_get(f, "accept"),
		                  "handle", json_object_get(f, "handle"), "verify",
		                  json_object_get(f, "verify"), "warn", json_object_get(f, "warn"));
		json_object_del(f, "accept");
		json_object_del(f, "handle");
		json_object_del(f, "verify");
		json_object_del(f, "warn");
		json_object_set_new(f, "limits", limits);
	}
	f = with_stage(m, f, t, it, 0);
	if (!f || matter_fold(&v, "report", f, t) < 0) {
		json_decref(f);
		return -1;
	}
	snprintf(desc, sizeof desc, "网格员巡查发现：%s，需要处置。", title);
	alert = 0;
	store_bind_text(m->ins_matter, 1, json_string_value(json_object_get(f, "source")), -1);
	store_bind_text(m->ins_matter, 2, it->code, -1);
	store_bind_int64(m->ins_matter, 3, it->version_id);
	store_bind_text(m->ins_matter, 4, it->category, -1);
	store_bind_text(m->ins_matter, 5, title, -1);
	store_bind_text(m->ins_matter, 6, desc, -1);
	store_bind_int64(m->ins_matter, 7, d->id);
	store_bind_text(m->ins_matter, 8, d->path, -1);
	store_bind_text(m->ins_matter, 9, d->city, -1);
	store_bind_text(m->ins_matter, 10, d->county, -1);
	store_bind_text(m->ins_matter, 11, d->township, -1);
	store_bind_text(m->ins_matter, 12, d->community, -1);
	store_bind_int64(m->ins_matter, 13, it->urgency ? it->urgency : 1);
	store_bind_int64(m->ins_matter, 14, d->center);
	store_bind_int64(m->ins_matter, 15, t);
	if (dom_step_done(m->ins_matter) < 0) {
		json_decref(f);
		return -1;
	}
	id = store_last_insert_id(m->c);
	v.id = id;
	rc = write_event(m, id, 1, t, 0, "report", NULL, "reported", f);
	json_decref(f);
	if (rc < 0)
		return -1;
	rc = -1;
	/* How far the matter got: old ones are finished; recent ones stop at every stage. */
	{
		int stages = age_days > 20 ? 99 : pick(g, 8);
		int self = strcmp(it->worker_role, "resolve") == 0 && fate % 5 == 0;
		int overdue = fate % 11 == 0;

		if (self && stages > 0) {
			t += 1800 + pick(g, 7200);
			f = with_stage(m, json_pack("{s:s}", "result", "已现场处置完毕。"), t, it,
			               2);
			if (step(m, &v, t, 0, "self_handle", f) < 0)
				return -1;
			stages = stages > 2 ? stages : 2;
			goto verify;
		}
		if (stages < 1)
			goto save;
		t += 600 + pick(g, 7200);
		if (fate % 23 == 0) {
			if (step(m, &v, t, d->center, "reject",
			         json_pack("{s:s}", "reason", "经核实不属于网格事项")) < 0)
				return -1;
			goto save;
		}
		if (step(m, &v, t, d->center, "accept", with_stage(m, json_object(), t, it, 1)) < 0)
			return -1;
		if (stages < 2)
			goto save;
		t += 600 + pick(g, 3600 * 4);
		{
			int two = d->ndepts > 1 && fate % 4 == 0;
			int first = pick(g, d->ndepts);
			json_t *list = json_array();

			for (int k = 0; k < (two ? 2 : 1); k++) {
				int64_t due = 0, warn = 0, ret = 0, rwarn = 0;

				if (deadline(m, t, it, 1, &due, &warn) < 0 ||
				    deadline(m, t, it, 0, &ret, &rwarn) < 0) {
					json_decref(list);
					return -1;
				}
				json_array_append_new(
				        list,
				        json_pack("{s:i,s:I,s:s,s:s,s:I,s:I,s:I}", "n", k + 1,
				                  "org_id",
				                  (json_int_t)d->depts[(first + k) % d->ndepts],
				                  "kind", "dispatch", "role", k ? "co" : "lead",
				                  "due_at", (json_int_t)due, "warn_at",
				                  (json_int_t)warn, "return_by", (json_int_t)ret));
			}
			if (!d->ndepts) {
				json_decref(list);
				if (step(m, &v, t, d->center, "handle", json_object()) < 0)
					return -1;
			} else if (step(m, &v, t, d->center, "dispatch",
			                json_pack("{s:o}", "assignments", list)) < 0) {
				return -1;
			}
		}
		if (stages < 3)
			goto save;
		for (int k = 0; k < v.nassign; k++) {
			t += 600 + pick(g, 3600 * 3);
			if (step(m, &v, t, v.a[k].org_id, "sign",
			         json_pack("{s:i}", "assignment", v.a[k].n)) < 0)
				return -1;
		}
		if (stages < 4)
			goto save;
		{
			int64_t result_at = t + 3600 * (4 + pick(g, 24 * 4));

			if (overdue && v.nassign)
				result_at = v.a[0].due_at + 3600 * (2 + pick(g, 48));
			if (result_at > now)
				goto save;
			t = result_at;
			if (!v.nassign) {
				f = with_stage(m, json_pack("{s:s}", "result", "已处置完毕。"), t,
				               it, 2);
				if (step(m, &v, t, d->center, "submit", f) < 0)
					return -1;
			}
			for (int k = 0; k < v.nassign; k++) {
				if (t >= v.a[k].due_at &&
				    step(m, &v, t, v.a[k].org_id, "explain_overdue",
				         json_pack("{s:i,s:s}", "assignment", v.a[k].n,
				                   "explanation",
				                   "因当事人不配合，未能按期办结。")) < 0)
					return -1;
				f = with_stage(m,
				               json_pack("{s:i,s:s}", "assignment", v.a[k].n,
				                         "result", "已按要求处置完毕。"),
				               t, it, 2);
				if (step(m, &v, t, v.a[k].org_id, "submit", f) < 0)
					return -1;
			}
		}
	verify:
		if (stages < 5)
			goto save;
		t += 3600 + pick(g, 3600 * 20);
		if (t > now)
			goto save;
		if (step(m, &v, t, d->center, "verify", json_object()) < 0)
			return -1;
		if (stages < 6)
			goto save;
		t += 600 + pick(g, 3600 * 8);
		if (t > now)
			goto save;
		if (step(m, &v, t, d->center, "close", json_object()) < 0)
			return -1;
	}
save:
	alert = matter_alert_at(v.due_at, v.warn_at, now);
	store_bind_text(m->upd_matter, 1, flow_state_name(v.state), -1);
	if (v.handler[0])
		store_bind_text(m->upd_matter, 2, v.handler, -1);
	else
		store_bind_null(m->upd_matter, 2);
	if (v.due_at) {
		store_bind_int64(m->upd_matter, 3, v.due_at);
		store_bind_int64(m->upd_matter, 4, v.warn_at);
	} else {
		store_bind_null(m->upd_matter, 3);
		store_bind_null(m->upd_matter, 4);
	}
	store_bind_int64(m->upd_matter, 5, alert);
	store_bind_int64(m->upd_matter, 6, v.version);
	store_bind_int64(m->upd_matter, 7, v.updated_at);
	if (v.closed_at)
		store_bind_int64(m->upd_matter, 8, v.closed_at);
	else
		store_bind_null(m->upd_matter, 8);
	store_bind_int64(m->upd_matter, 9, id);
	if (dom_step_done(m->upd_matter) < 0)
		return -1;
	for (int k = 0; k < v.nassign; k++) {
		const struct matter_assignment *a = &v.a[k];
		int open = strcmp(a->status, "pending") == 0 || strcmp(a->status, "signed") == 0;
		struct store_stmt *s = m->ins_asg;

		store_bind_int64(s, 1, id);
		store_bind_int64(s, 2, a->n);
		store_bind_int64(s, 3, a->org_id);
		store_bind_text(s, 4, a->kind, -1);
		store_bind_text(s, 5, a->role, -1);
		store_bind_text(s, 6, a->status, -1);
		store_bind_int64(s, 7, a->due_at);
		store_bind_int64(s, 8, a->warn_at);
		store_bind_int64(s, 9, open ? matter_alert_at(a->due_at, a->warn_at, now) : 0);
		store_bind_int64(s, 10, a->explained);
		store_bind_int64(s, 11, a->return_by);
		store_bind_int64(s, 12, a->created_at);
		store_bind_int64(s, 13, a->updated_at);
		if (dom_step_done(s) < 0)
			return -1;
	}
	{
		const char *codes[3] = { d->city, d->county, d->township };
		const char *source = fate < 70 ? "patrol" : fate < 85 ? "resident" : "hotline";
		struct matter_view none;
		int late = alert == 2, open = flow_state_open(v.state);
		struct dom_err e = { 0 };

		memset(&none, 0, sizeof none);
		for (int k = 0; k < v.nassign; k++)
			late |= v.a[k].explained;
		if (matter_counters_move(m->c, codes, it->category, NULL, 0,
		                         flow_state_name(v.state), alert) < 0 ||
		    matter_daily_add(m->c, codes, t0, source, it->category) < 0 ||
		    (open && matter_grid_open_move(m->c, d->id, 1) < 0) ||
		    matter_org_alerts_move(m->c, &none, 0, &v, alert, now) < 0 ||
		    (v.state == FS_CLOSED &&
		     (matter_org_count(m->c, v.owner_org_id, "closed", 1) < 0 ||
		      (!late &&
		       matter_org_count(m->c, v.owner_org_id, "closed_on_time", 1) < 0))) ||
		    (late && dom_exec(m->c, &e, "UPDATE matters SET ever_red = 1 WHERE id = ?", "i",
		                      id) < 0))
			return -1;
	}
	g->matters_written++;
	return 0;
}

static int batch_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct gen *g = w->arg;
	struct mctx m = { .c = c, .g = g };
	int64_t n = g->total - g->done < BATCH ? g->total - g->done : BATCH;

	m.ins_matter = store_prepare(
	        c, "INSERT INTO matters (source, item_code, item_version_id, category, title, "
	           "description, grid_id, path, city_code, county_code, township_code, "
	           "community_code, urgency, state, owner_org_id, version, created_at, updated_at) "
	           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'reported', ?, 1, ?15, ?15)");
	m.ins_event =
	        store_prepare(c, "INSERT INTO matter_events (matter_id, seq, at, actor_user_id, "
	                         "actor_org_id, action, from_state, to_state, fields) VALUES "
	                         "(?, ?, ?, ?, ?, ?, ?, ?, ?)");
	m.ins_asg = store_prepare(
	        c,
	        "INSERT INTO matter_assignments (matter_id, n, org_id, kind, role, status, due_at, "
	        "warn_at, alert, explained, return_by, created_at, updated_at) VALUES (?, ?, ?, ?, "
	        "?, ?, ?, ?, ?, ?, ?, ?, ?)");
	m.upd_matter = store_prepare(c, "UPDATE matters SET state = ?, handler = ?, due_at = ?, "
	                                "warn_at = ?, alert = ?, version = ?, updated_at = ?, "
	                                "closed_at = ? WHERE id = ?");
	if (!m.ins_matter || !m.ins_event || !m.ins_asg || !m.upd_matter)
		return dom_err_store(e, -1);
	for (int64_t i = 0; i < n; i++) {
		int64_t k = g->done + i;
		int64_t t0 = g->start + (g->span * k) / (g->total ? g->total : 1) + pick(g, 600);

		if (one_matter(&m, t0, x->now) < 0)
			return dom_err_set(e, 503, "write_failed", "生成演示事项失败");
	}
	g->done += n;
	dom_write_detail(w, "生成演示事项 %lld 件（累计 %lld 件）", (long long)n,
	                 (long long)g->done);
	return 0;
}

int demo_matters_create(const struct dom_ctx *x, int64_t n, uint64_t seed, int64_t *written,
                        char *err, size_t errlen)
{
	struct gen g = { .x = x,
		         .rng = seed ? seed * 0x9E3779B97F4A7C15ULL : 88172645463325252ULL,
		         .total = n };
	struct dom_err e = { 0 };
	struct dom_write w = { .action = "demo.matters",
		               .permission = "matter.report",
		               .authorize = dom_authorize_any, /* the system builds demo data */
		               .apply = batch_apply,
		               .arg = &g,
		               .callers_unchanged = 1 };
	int rc = -1;

	*written = 0;
	if (ensure_orgs(&g) < 0) {
		snprintf(err, errlen, "cannot create the centers and departments of the demo");
		goto out;
	}
	if (load_items(store_reader(x->store), &g) < 0) {
		snprintf(err, errlen, "no item of the matter list is in force");
		goto out;
	}
	if (load_grids(&g) < 0) {
		snprintf(err, errlen, "no active grid to put matters in");
		goto out;
	}
	g.span = 365 * 86400;
	g.start = x->now - g.span;
	while (g.done < g.total) {
		dom_write_object(&w, "matters");
		if (dom_write(x, &w, &e) < 0) {
			snprintf(err, errlen, "%s", e.message);
			goto out;
		}
	}
	*written = g.matters_written;
	rc = 0;
out:
	free(g.grids);
	return rc;
}
