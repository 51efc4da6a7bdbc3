/*
 * Edits of houses and units (registry.h: house_update, unit_update; issue 12 part 1). Each is one
 * dom_write: authorize loads the row inside the caller's scope (404 outside it), checks the
 * version the client read (409 version_conflict) and the grid moved to (active, in scope); apply
 * changes the row, bumps its version and keeps the per-grid counters in step in the same
 * transaction. A house's use is a dated fact (house_uses); a house moved to another grid takes
 * its present residents with it (their grid follows the house they live in, as for a move), so
 * the houses counter and the residents' contributions move between the two grids' counters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/codes.h"
#include "domain/registry.h"
#include "domain/worker.h" /* worker_date_valid, worker_local_date */
#include "store/store.h"

#define DATE_LEN WORKER_DATE_LEN

/* Appends s to the text buf of n bytes (truncating). */
static void append(char *buf, size_t n, const char *s)
{
	size_t len = strlen(buf);

	if (len < n)
		(void)snprintf(buf + len, n - len, "%s", s);
}

/* An optional text given "" to clear it: NULL (SQL NULL) for "". */
static const char *cleared(const char *s)
{
	return s && *s ? s : NULL;
}

/* 1 when s is NULL (not given), "" (cleared) or 1..max characters. */
static int optional_ok(const char *s, size_t max)
{
	return !s || !*s || registry_text_ok(s, max);
}

/* Loads "SELECT <cols> FROM <table> t WHERE t.id = ?<scope>" into st. 1 row, 0 none, -1. */
static int load_scoped(struct store_conn *c, const struct dom_ctx *x, const char *cols,
                       const char *table, int64_t id, struct store_stmt **out)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[768];
	struct store_stmt *st;
	int rc;

	*out = NULL;
	dom_scope_sql(x->caller, "t.path", "t.grid_id", scope);
	(void)snprintf(sql, sizeof sql, "SELECT %s FROM %s t WHERE t.id = ?%s", cols, table, scope);
	if (!(st = store_prepare(c, sql)))
		return -1;
	if (store_bind_int64(st, 1, id) || dom_scope_bind(x->caller, "t.grid_id", st, 2) < 0) {
		store_reset(st);
		return -1;
	}
	rc = store_step(st);
	if (rc == STORE_ROW) {
		*out = st;
		return 1;
	}
	store_reset(st);
	return rc == STORE_DONE ? 0 : -1;
}

static int version_check(int64_t given, int64_t stored, const char *what, struct dom_err *e)
{
	if (given == stored)
		return 0;
	return dom_err_set(e, 409, "version_conflict",
	                   "该%s信息已被他人修改（当前版本 %" PRId64 "），请刷新后重试", what,
	                   stored);
}

/* ---- houses ---- */

struct house_arg {
	const struct house_change *in;
	int64_t id;
	const char *type, *use; /* parsed codes, NULL when not given */
	char date[DATE_LEN + 1];
	/* the stored row */
	int64_t grid_id, version;
	char use_now[12], use_since[DATE_LEN + 1];
	/* the grid moved to (moving set when it is another grid) */
	int moving;
	int64_t new_grid;
	char new_path[ACCESS_PATH_MAX];
	struct registry_counts residents; /* what the present residents add to their grid */
};

/* The present residents' contribution to their grid's counters, as person.c's contribution()
   counts one person, summed over the house in one query. *keys: how many are key people. */
static int residents_sum(struct store_conn *c, int64_t house, struct registry_counts *d,
                         int64_t *keys, struct dom_err *e)
{
	struct store_stmt *st = store_prepare(
	        c,
	        "SELECT count(*), coalesce(sum(relation IS 'head'), 0), "
	        "coalesce(sum(reg_type = 'floating'), 0), coalesce(sum(reg_type = 'foreign'), 0), "
	        "coalesce(sum(care_count > 0), 0), coalesce(sum(key_count > 0), 0) FROM people "
	        "WHERE house_id = ? AND status = 'present'");
	int rc;

	memset(d, 0, sizeof *d);
	if (!st)
		return dom_err_read(e);
	store_bind_int64(st, 1, house);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		d->residents = store_col_int64(st, 0);
		d->households = store_col_int64(st, 1);
		d->floating = store_col_int64(st, 2);
		d->foreigners = store_col_int64(st, 3);
		d->care = store_col_int64(st, 4);
		d->key_people = store_col_int64(st, 5);
		*keys = d->key_people;
	}
	store_reset(st);
	return rc == STORE_ROW ? 0 : dom_err_read(e);
}

static int house_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct house_arg *a = w->arg;
	struct store_stmt *st;
	int64_t keys = 0;
	int rc = load_scoped(c, x,
	                     "t.grid_id, t.use, t.version, (SELECT max(u.since) FROM house_uses u "
	                     "WHERE u.house_id = t.id)",
	                     "houses", a->id, &st);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "房屋不存在");
	a->grid_id = store_col_int64(st, 0);
	dom_copy(a->use_now, sizeof a->use_now, store_col_text(st, 1));
	a->version = store_col_int64(st, 2);
	dom_copy(a->use_since, sizeof a->use_since, store_col_text(st, 3));
	store_reset(st);
	if (version_check(a->in->version, a->version, "房屋", e) < 0)
		return -1;
	if (a->in->grid) {
		if (registry_grid_resolve(c, x, a->in->grid, &a->new_grid, a->new_path, e) < 0)
			return -1;
		a->moving = a->new_grid != a->grid_id;
	}
	if (a->moving) {
		if (residents_sum(c, a->id, &a->residents, &keys, e) < 0)
			return -1;
		/* Moving the house moves its key people to another grid's workers: the same rule as
		   any change to a key person (person.c key_rule). */
		if (keys > 0 && !access_can(x->caller, "person.key_read"))
			return dom_err_set(e, 403, "key_person",
			                   "该房屋住有重点人员，须由持有重点人员查看权限"
			                   "（person.key_read）的人员变更网格");
	}
	/* Uses keep their order, as residence records do. */
	if (a->use && strcmp(a->use, a->use_now) != 0 && a->use_since[0] &&
	    strcmp(a->date, a->use_since) < 0)
		return dom_err_set(e, 400, "bad_date", "用途变更日期不能早于当前用途的起始日期 %s",
		                   a->use_since);
	return 0;
}

static int house_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct house_arg *a = w->arg;
	const struct house_change *in = a->in;
	struct registry_counts d = a->residents;
	int use_changes = a->use && strcmp(a->use, a->use_now) != 0;
	char changed[160] = "", use_note[96] = "";

	if (in->address)
		append(changed, sizeof changed, "地址 ");
	if (in->building || in->unit_no || in->room)
		append(changed, sizeof changed, "楼栋单元房号 ");
	if (a->type)
		append(changed, sizeof changed, "类型 ");
	if (dom_exec(c, e,
	             "UPDATE houses SET address = coalesce(?, address), building = CASE WHEN ? "
	             "THEN ? ELSE building END, unit_no = CASE WHEN ? THEN ? ELSE unit_no END, "
	             "room = CASE WHEN ? THEN ? ELSE room END, type = coalesce(?, type), use = ?, "
	             "grid_id = ?, path = coalesce(?, path), version = version + 1, updated_at = ? "
	             "WHERE id = ?",
	             "titititttitii", in->address, (int64_t)(in->building != NULL),
	             cleared(in->building), (int64_t)(in->unit_no != NULL), cleared(in->unit_no),
	             (int64_t)(in->room != NULL), cleared(in->room), a->type,
	             use_changes ? a->use : a->use_now, a->moving ? a->new_grid : a->grid_id,
	             a->moving ? a->new_path : NULL, x->now, a->id) < 0)
		return -1;
	if (use_changes) {
		if (registry_house_use_add(c, x, a->id, a->use, a->date, e) < 0)
			return -1;
		(void)snprintf(use_note, sizeof use_note, "用途 %s→%s（%s 起） ",
		               registry_label(a->use_now), registry_label(a->use), a->date);
		append(changed, sizeof changed, use_note);
	}
	if (a->moving) {
		/* The residents' grid follows their house; their contributions and the house move
		   from the old grid's counters to the new one's. */
		d.houses = 1;
		if (dom_exec(c, e,
		             "UPDATE people SET grid_id = ?, path = ? WHERE house_id = ? AND "
		             "status = "
		             "'present'",
		             "iti", a->new_grid, a->new_path, a->id) < 0 ||
		    registry_stats_add(c, a->grid_id, &d, -1, e) < 0 ||
		    registry_stats_add(c, a->new_grid, &d, 1, e) < 0)
			return -1;
		(void)snprintf(use_note, sizeof use_note, "网格 %.15s（随迁住户 %" PRId64 " 人） ",
		               in->grid, d.residents);
		append(changed, sizeof changed, use_note);
	}
	/* Field names and codes only: an address is not personal data, but the trail needs no
	   copy of it. */
	dom_write_detail(w, "修改房屋（%s）", changed[0] ? changed : "无变化");
	return 0;
}

int house_update(const struct dom_ctx *x, int64_t id, const struct house_change *in,
                 struct dom_err *e)
{
	struct house_arg a = { .in = in, .id = id };
	struct dom_write w = { .action = "house.update",
		               .permission = "registry.write",
		               .authorize = house_authorize,
		               .apply = house_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };
	char today[DATE_LEN + 1];

	dom_write_object(&w, "house:%" PRId64, id);
	worker_local_date(x->now, today);
	if (in->version <= 0)
		return dom_err_set(e, 400, "bad_field", "须提供所修改记录的版本 version");
	if (in->address && !registry_text_ok(in->address, REGISTRY_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_field", "地址 address 应为 1 到 %d 个字",
		                   REGISTRY_TEXT_CHARS);
	if (!optional_ok(in->building, 20) || !optional_ok(in->unit_no, 20) ||
	    !optional_ok(in->room, 20))
		return dom_err_set(e, 400, "bad_field", "楼栋、单元、房号各不超过 20 个字");
	if (in->type && !(a.type = house_type_parse(in->type)))
		return dom_err_set(e, 400, "bad_type",
		                   "房屋类型 type 应为 住宅、商铺、办公、厂房 或 其他");
	if (in->use && !(a.use = house_use_parse(in->use)))
		return dom_err_set(e, 400, "bad_use", "房屋用途 use 应为 自住、出租、空置 或 经营");
	if (in->date && !in->use)
		return dom_err_set(e, 400, "bad_field", "日期 date 只随用途 use 的变更填写");
	if (in->date && (!worker_date_valid(in->date) || strcmp(in->date, today) > 0))
		return dom_err_set(e, 400, "bad_date", "日期 %.20s 无效或晚于今天", in->date);
	dom_copy(a.date, sizeof a.date, in->date ? in->date : today);
	return dom_write(x, &w, e);
}

/* ---- units ---- */

struct unit_arg {
	const struct unit_change *in;
	int64_t id;
	const char *kind;
	char credit[19]; /* the new code, normalised; "" when not given */
	int64_t grid_id, version;
	int moving;
	int64_t new_grid;
	char new_path[ACCESS_PATH_MAX];
};

static int unit_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                          struct dom_err *e)
{
	struct unit_arg *a = w->arg;
	struct store_stmt *st;
	int rc = load_scoped(c, x, "t.grid_id, t.version", "units", a->id, &st);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "单位不存在");
	a->grid_id = store_col_int64(st, 0);
	a->version = store_col_int64(st, 1);
	store_reset(st);
	if (version_check(a->in->version, a->version, "单位", e) < 0)
		return -1;
	if (a->in->grid) {
		if (registry_grid_resolve(c, x, a->in->grid, &a->new_grid, a->new_path, e) < 0)
			return -1;
		a->moving = a->new_grid != a->grid_id;
	}
	if (a->credit[0]) {
		/* Another unit's code anywhere (the code is unique in the whole registry), so the
		   answer may name a unit outside the scope only as "registered". */
		if (!(st = store_prepare(c,
		                         "SELECT 1 FROM units WHERE credit_code = ? AND id <> ?")))
			return dom_err_read(e);
		store_bind_text(st, 1, a->credit, -1);
		store_bind_int64(st, 2, a->id);
		rc = store_step(st);
		store_reset(st);
		if (rc == STORE_ROW)
			return dom_err_set(e, 409, "duplicate", "统一社会信用代码 %s 已登记",
			                   a->credit);
		if (rc != STORE_DONE)
			return dom_err_read(e);
	}
	return 0;
}

static int unit_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                      struct dom_err *e)
{
	struct unit_arg *a = w->arg;
	const struct unit_change *in = a->in;
	struct registry_counts d = { .units = 1 };
	char changed[160] = "";

	if (in->name)
		append(changed, sizeof changed, "名称 ");
	if (a->credit[0])
		append(changed, sizeof changed, "统一社会信用代码 ");
	if (a->kind)
		append(changed, sizeof changed, "类别 ");
	if (in->address)
		append(changed, sizeof changed, "地址 ");
	if (in->contact_name || in->contact_phone)
		append(changed, sizeof changed, "联系人 ");
	if (a->moving)
		append(changed, sizeof changed, "网格 ");
	if (dom_exec(c, e,
	             "UPDATE units SET name = coalesce(?, name), credit_code = coalesce(?, "
	             "credit_code), kind = coalesce(?, kind), address = coalesce(?, address), "
	             "contact_name = CASE WHEN ? THEN ? ELSE contact_name END, contact_phone = "
	             "CASE WHEN ? THEN ? ELSE contact_phone END, grid_id = ?, path = coalesce(?, "
	             "path), version = version + 1, updated_at = ? WHERE id = ?",
	             "ttttitititii", in->name, a->credit[0] ? a->credit : NULL, a->kind,
	             in->address, (int64_t)(in->contact_name != NULL), cleared(in->contact_name),
	             (int64_t)(in->contact_phone != NULL), cleared(in->contact_phone),
	             a->moving ? a->new_grid : a->grid_id, a->moving ? a->new_path : NULL, x->now,
	             a->id) < 0)
		return -1;
	if (a->moving && (registry_stats_add(c, a->grid_id, &d, -1, e) < 0 ||
	                  registry_stats_add(c, a->new_grid, &d, 1, e) < 0))
		return -1;
	/* Field names only: the contact is a person's name and phone. */
	dom_write_detail(w, "修改单位（%s）", changed[0] ? changed : "无变化");
	return 0;
}

int unit_update(const struct dom_ctx *x, int64_t id, const struct unit_change *in,
                struct dom_err *e)
{
	struct unit_arg a = { .in = in, .id = id };
	struct dom_write w = { .action = "unit.update",
		               .permission = "registry.write",
		               .authorize = unit_authorize,
		               .apply = unit_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };
	struct code_error ce = { 0 };

	dom_write_object(&w, "unit:%" PRId64, id);
	if (in->version <= 0)
		return dom_err_set(e, 400, "bad_field", "须提供所修改记录的版本 version");
	if (in->name && !registry_text_ok(in->name, REGISTRY_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_name", "单位名称 name 应为 1 到 %d 个字",
		                   REGISTRY_TEXT_CHARS);
	if (in->address && !registry_text_ok(in->address, REGISTRY_TEXT_CHARS))
		return dom_err_set(e, 400, "bad_field", "地址 address 应为 1 到 %d 个字",
		                   REGISTRY_TEXT_CHARS);
	if (in->credit_code && uscc_parse(in->credit_code, a.credit, &ce) < 0)
		return dom_err_set(e, 400, "bad_credit_code", "统一社会信用代码有误：%s",
		                   ce.message ? ce.message : "格式不正确");
	if (in->kind && !(a.kind = unit_kind_parse(in->kind)))
		return dom_err_set(e, 400, "bad_kind",
		                   "单位类别 kind 应为 企业、商户、学校、医院、社会组织、"
		                   "机关事业单位 或 其他");
	if (!optional_ok(in->contact_name, 32) || !optional_ok(in->contact_phone, 20))
		return dom_err_set(e, 400, "bad_field",
		                   "联系人不超过 32 个字，联系电话不超过 20 位");
	return dom_write(x, &w, e);
}
