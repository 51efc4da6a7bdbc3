/*
 * People (实有人口, registry.h): validation, the create and change writes through dom_write (each
 * appending its dated records to person_events and keeping the per-grid counters in step in the
 * same transaction), the key-people rule (person.key_read, a reason, every read audited), and
 * the reads scoped in SQL with sealed ID and phone numbers opened and masked for display.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/idcard.h"
#include "base/vault.h"
#include "domain/registry.h"
#include "store/fts_cjk.h"
#include "domain/sealed.h"
#include "domain/sensitive.h"
#include "domain/worker.h" /* worker_date_valid, worker_local_date */
#include "store/store.h"

#define DATE_LEN WORKER_DATE_LEN

/* The stored state of a person that the counters and the rules depend on. */
struct person_state {
	int64_t id, grid_id, house_id, unit_id;
	char path[ACCESS_PATH_MAX];
	char status[12], reg_type[12], relation[16];
	int64_t key_count, care_count;
};

struct person_arg {
	const struct person_input *in;
	int64_t id;
	struct person_state old, cur;
	char date[DATE_LEN + 1];
	char idn[40], sex[2], birth[DATE_LEN + 1], bidx[VAULT_INDEX_HEX];
	const char *reg_type, *relation, *doc_type;
	const char *enter_code[REGISTRY_TAGS_MAX], *enter_kind[REGISTRY_TAGS_MAX];
	const char *leave_code[REGISTRY_TAGS_MAX], *leave_kind[REGISTRY_TAGS_MAX];
	int touches_key; /* a key category is entered or left */
};

/* What one person adds to its grid's counters. */
static struct registry_counts contribution(const struct person_state *s)
{
	struct registry_counts d = { 0 };

	if (strcmp(s->status, "present") != 0)
		return d;
	d.residents = 1;
	d.households = strcmp(s->relation, "head") == 0;
	d.floating = strcmp(s->reg_type, "floating") == 0;
	d.foreigners = strcmp(s->reg_type, "foreign") == 0;
	d.care = s->care_count > 0;
	d.key_people = s->key_count > 0;
	return d;
}

/* ---- validation without the database ---- */

static int phone_ok(const char *s)
{
	size_t n = strlen(s), digits = 0;

	if (n < 3 || n > 20)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] != '-' && s[i] != '+' && s[i] != ' ')
			return 0;
	}
	return digits >= 3;
}

static int tags_parse(const struct dom_ctx *x, struct person_arg *a, struct dom_err *e)
{
	const struct person_input *in = a->in;

	(void)x;
	for (size_t i = 0; i < in->n_enter; i++)
		if (!(a->enter_code[i] = person_tag_parse(in->tags_enter[i], &a->enter_kind[i])))
			return dom_err_set(e, 400, "bad_tag", "未知的人员标签：%.40s",
			                   in->tags_enter[i]);
		else if (strcmp(a->enter_kind[i], "key") == 0)
			a->touches_key = 1;
	for (size_t i = 0; i < in->n_leave; i++)
		if (!(a->leave_code[i] = person_tag_parse(in->tags_leave[i], &a->leave_kind[i])))
			return dom_err_set(e, 400, "bad_tag", "未知的人员标签：%.40s",
			                   in->tags_leave[i]);
		else if (strcmp(a->leave_kind[i], "key") == 0)
			a->touches_key = 1;
	return 0;
}

/* The date of the change's records: given (not in the future) or today. */
static int event_date(const struct dom_ctx *x, const char *given, char out[DATE_LEN + 1],
                      struct dom_err *e)
{
	char today[DATE_LEN + 1];

	worker_local_date(x->now, today);
	if (!given || !*given) {
		dom_copy(out, DATE_LEN + 1, today);
		return 0;
	}
	if (!worker_date_valid(given) || strcmp(given, today) > 0)
		return dom_err_set(e, 400, "bad_date", "日期 %.20s 无效或晚于今天", given);
	dom_copy(out, DATE_LEN + 1, given);
	return 0;
}

static int validate_create(const struct dom_ctx *x, struct person_arg *a, struct dom_err *e)
{
	const struct person_input *in = a->in;
	struct code_error ce = { 0 };
	struct idcard card;
	char today[DATE_LEN + 1];
	int y, m, d;

	if (!registry_text_ok(in->name, 32))
		return dom_err_set(e, 400, "bad_name", "须填写姓名 name（1 到 32 个字）");
	if (!(a->reg_type = person_reg_type_parse(in->reg_type)))
		return dom_err_set(e, 400, "bad_reg_type",
		                   "登记类型 reg_type 应为 户籍、流动 或 境外");
	worker_local_date(x->now, today);
	if (strcmp(a->reg_type, "foreign") == 0) {
		if (!in->passport || !registry_text_ok(in->passport, 20) || in->id_number)
			return dom_err_set(e, 400, "bad_passport",
			                   "境外人员须填写护照号码 passport（不超过 20 位）");
		a->doc_type = "passport";
		dom_copy(a->idn, sizeof a->idn, in->passport);
		if (in->sex && *in->sex) {
			if (strcmp(in->sex, "M") != 0 && strcmp(in->sex, "F") != 0)
				return dom_err_set(e, 400, "bad_field", "性别 sex 应为 M 或 F");
			dom_copy(a->sex, sizeof a->sex, in->sex);
		}
		if (in->birth_date && *in->birth_date) {
			if (!worker_date_valid(in->birth_date) || strcmp(in->birth_date, today) > 0)
				return dom_err_set(e, 400, "bad_date", "出生日期 birth_date 无效");
			dom_copy(a->birth, sizeof a->birth, in->birth_date);
		}
	} else {
		if (in->passport)
			return dom_err_set(e, 400, "bad_passport", "仅境外人员登记护照号码");
		y = (int)strtol(today, NULL, 10);
		m = (int)strtol(today + 5, NULL, 10);
		d = (int)strtol(today + 8, NULL, 10);
		if (idcard_parse_on(in->id_number, y, m, d, &card, &ce) < 0)
			return dom_err_set(e, 400, "bad_id_number", "身份证号码有误：%s",
			                   ce.message ? ce.message : "格式不正确");
		a->doc_type = "id_card";
		dom_copy(a->idn, sizeof a->idn, card.number);
		dom_copy(a->sex, sizeof a->sex, idcard_sex_code(&card));
		idcard_birth_date(&card, a->birth);
		sodium_memzero(&card, sizeof card);
	}
	return 0;
}

/* Validation of the fields both a create and a change may carry. */
static int validate_common(const struct dom_ctx *x, struct person_arg *a, struct dom_err *e)
{
	const struct person_input *in = a->in;

	if (in->phone && *in->phone && !phone_ok(in->phone))
		return dom_err_set(e, 400, "bad_phone", "联系电话格式不正确");
	if (in->relation && *in->relation && !(a->relation = person_relation_parse(in->relation)))
		return dom_err_set(
		        e, 400, "bad_relation",
		        "与户主关系 relation 应为 户主、配偶、子女、父母、孙子女、兄弟姐妹 或 "
		        "其他");
	if (in->household_no && *in->household_no && !registry_text_ok(in->household_no, 32))
		return dom_err_set(e, 400, "bad_field", "户号 household_no 不超过 32 位");
	if (in->died && (!worker_date_valid(in->died)))
		return dom_err_set(e, 400, "bad_date", "死亡日期 died 应为 YYYY-MM-DD");
	if (in->n_enter > REGISTRY_TAGS_MAX || in->n_leave > REGISTRY_TAGS_MAX)
		return dom_err_set(e, 400, "bad_tag", "一次最多变更 %d 个标签", REGISTRY_TAGS_MAX);
	if (event_date(x, in->died ? in->died : in->date, a->date, e) < 0)
		return -1;
	return tags_parse(x, a, e);
}

/* ---- the writes ---- */

/* Appends s to the text buf of n bytes (truncating). */
static void append(char *buf, size_t n, const char *s)
{
	size_t len = strlen(buf);

	if (len < n)
		(void)snprintf(buf + len, n - len, "%s", s);
}

static int add_event(struct store_conn *c, const struct dom_ctx *x, struct person_arg *a,
                     const char *kind, int64_t house, int64_t unit, const char *tag,
                     const char *detail, struct dom_err *e)
{
	return dom_exec(c, e,
	                "INSERT INTO person_events (person_id, kind, date, house_id, unit_id, tag, "
	                "detail, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                "ittnnttni", a->id, kind, a->date, house, unit, tag, detail,
	                x->caller->user_id, x->now);
}

/* Enters and leaves the tags of the change, appending their records, and refreshes the
   person's current counts of care tags and key categories. */
static int apply_tags(struct store_conn *c, const struct dom_ctx *x, struct person_arg *a,
                      struct dom_err *e)
{
	const struct person_input *in = a->in;
	struct store_stmt *st;

	for (size_t i = 0; i < in->n_leave; i++) {
		if (dom_exec(c, e,
		             "UPDATE person_tags SET left_on = ? WHERE person_id = ? AND tag = ? "
		             "AND "
		             "left_on IS NULL",
		             "tit", a->date, a->id, a->leave_code[i]) < 0)
			return -1;
		if (store_changes(c) == 0)
			return dom_err_set(e, 400, "tag_not_current", "该人员当前不在“%s”中",
			                   registry_label(a->leave_code[i]));
		if (add_event(c, x, a, "tag_leave", 0, 0, a->leave_code[i], NULL, e) < 0)
			return -1;
	}
	for (size_t i = 0; i < in->n_enter; i++) {
		if (!(st = store_prepare(c,
		                         "SELECT 1 FROM person_tags WHERE person_id = ? AND tag = "
		                         "? AND left_on IS NULL")))
			return dom_err_read(e);
		store_bind_int64(st, 1, a->id);
		store_bind_text(st, 2, a->enter_code[i], -1);
		if (store_step(st) == STORE_ROW) {
			store_reset(st);
			return dom_err_set(e, 409, "tag_current", "该人员已在“%s”中",
			                   registry_label(a->enter_code[i]));
		}
		store_reset(st);
		if (dom_exec(c, e,
		             "INSERT INTO person_tags (person_id, kind, tag, entered_on, "
		             "created_at) "
		             "VALUES (?, ?, ?, ?, ?)",
		             "ittti", a->id, a->enter_kind[i], a->enter_code[i], a->date,
		             x->now) < 0 ||
		    add_event(c, x, a, "tag_enter", 0, 0, a->enter_code[i], NULL, e) < 0)
			return -1;
	}
	if (dom_exec(
	            c, e,
	            "UPDATE people SET care_count = (SELECT count(*) FROM person_tags WHERE "
	            "person_id = ? AND kind = 'care' AND left_on IS NULL), key_count = (SELECT "
	            "count(*) FROM person_tags WHERE person_id = ? AND kind = 'key' AND left_on IS "
	            "NULL) WHERE id = ?",
	            "iii", a->id, a->id, a->id) < 0)
		return -1;
	if (!(st = store_prepare(c, "SELECT care_count, key_count FROM people WHERE id = ?")))
		return dom_err_read(e);
	store_bind_int64(st, 1, a->id);
	if (store_step(st) == STORE_ROW) {
		a->cur.care_count = store_col_int64(st, 0);
		a->cur.key_count = store_col_int64(st, 1);
	}
	store_reset(st);
	return 0;
}

/* Refuses a key category change by a caller without person.key_read. */
static int key_rule(const struct dom_ctx *x, const struct person_arg *a, struct dom_err *e)
{
	if ((a->touches_key || a->old.key_count > 0) && !access_can(x->caller, "person.key_read"))
		return dom_err_set(
		        e, 403, "key_person",
		        "重点人员信息须由持有重点人员查看权限（person.key_read）的人员维护");
	return 0;
}

/* The house and unit referred to, inside the caller's scope. */
static int resolve_refs(struct store_conn *c, const struct dom_ctx *x, struct person_arg *a,
                        struct dom_err *e)
{
	const struct person_input *in = a->in;
	int rc;

	if (in->house > 0) {
		rc = registry_house_locate(c, x, in->house, &a->cur.grid_id, a->cur.path);
		if (rc < 0)
			return dom_err_read(e);
		if (rc == 0)
			return dom_err_set(e, 404, "not_found", "房屋 %" PRId64 " 不存在",
			                   in->house);
	}
	if (in->unit > 0) {
		rc = registry_unit_visible(c, x, in->unit);
		if (rc < 0)
			return dom_err_read(e);
		if (rc == 0)
			return dom_err_set(e, 404, "not_found", "单位 %" PRId64 " 不存在",
			                   in->unit);
	}
	return 0;
}

static int create_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct person_arg *a = w->arg;
	struct store_stmt *st;
	int rc;

	if (key_rule(x, a, e) < 0)
		return -1;
	if (a->in->house > 0) {
		if (resolve_refs(c, x, a, e) < 0)
			return -1;
	} else if (registry_grid_resolve(c, x, a->in->grid, &a->cur.grid_id, a->cur.path, e) < 0) {
		return -1;
	} else if (a->in->unit > 0 && resolve_refs(c, x, a, e) < 0) {
		return -1;
	}
	if (sealed_index(SEALED_FIELD_PERSON_ID_NUMBER, a->idn, a->bidx) < 0)
		return dom_err_set(e, 503, "vault_unavailable",
		                   "敏感信息加密密钥未加载，暂时无法保存证件号码");
	if (!(st = store_prepare(c, "SELECT id FROM people WHERE id_number_bidx = ?")))
		return dom_err_read(e);
	store_bind_text(st, 1, a->bidx, -1);
	rc = store_step(st);
	store_reset(st);
	if (rc == STORE_ROW)
		return dom_err_set(e, 409, "duplicate", "该证件号码已登记，不能重复登记");
	return rc == STORE_DONE ? 0 : dom_err_read(e);
}

static int create_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct person_arg *a = w->arg;
	const struct person_input *in = a->in;
	struct registry_counts d;
	int64_t house = in->house > 0 ? in->house : 0, unit = in->unit > 0 ? in->unit : 0;

	if (dom_exec(
	            c, e,
	            "INSERT INTO people (grid_id, path, name, doc_type, id_number_bidx, sex, "
	            "birth_date, reg_type, nationality, house_id, household_no, relation, unit_id, "
	            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	            "ittttttttnttnii", a->cur.grid_id, a->cur.path, in->name, a->doc_type, a->bidx,
	            a->sex[0] ? a->sex : NULL, a->birth[0] ? a->birth : NULL, a->reg_type,
	            in->nationality && *in->nationality   ? in->nationality
	            : strcmp(a->reg_type, "foreign") == 0 ? "UNK"
	                                                  : "CHN",
	            house, in->household_no && *in->household_no ? in->household_no : NULL,
	            a->relation, unit, x->now, x->now) < 0)
		return -1;
	a->id = store_last_insert_id(c);
	if (person_names_index(c, a->id, a->id, e) < 0 ||
	    sealed_put(c, SEALED_FIELD_PERSON_ID_NUMBER, a->id, a->idn, e) < 0 ||
	    sealed_put(c, SEALED_FIELD_PERSON_PHONE, a->id, in->phone, e) < 0)
		return -1;
	if (add_event(c, x, a,
	              in->born ? "born"
	              : house  ? "move_in"
	                       : "registered",
	              house, unit, NULL, NULL, e) < 0)
		return -1;
	/* A new person's counts are 0 (the columns' default) unless tags come with the create. */
	if ((in->n_enter > 0 || in->n_leave > 0) && apply_tags(c, x, a, e) < 0)
		return -1;
	dom_copy(a->cur.status, sizeof a->cur.status, "present");
	dom_copy(a->cur.reg_type, sizeof a->cur.reg_type, a->reg_type);
	dom_copy(a->cur.relation, sizeof a->cur.relation, a->relation ? a->relation : "");
	d = contribution(&a->cur);
	if (registry_stats_add(c, a->cur.grid_id, &d, 1, e) < 0)
		return -1;
	dom_write_object(w, "person:%" PRId64, a->id);
	/* No name, number or tag in the record: the trail is read by auditors, not by those who
	   may see key people. */
	dom_write_detail(w, "登记实有人口（%s）", registry_label(a->reg_type));
	return 0;
}

int person_names_index(struct store_conn *c, int64_t first, int64_t last, struct dom_err *e)
{
	return dom_exec(c, e,
	                "INSERT INTO people_names (rowid, name) SELECT id, name FROM people WHERE "
	                "id BETWEEN ? AND ?",
	                "ii", first, last);
}

int person_check_new(const struct dom_ctx *x, const struct person_input *in, struct person_new *out,
                     struct dom_err *e)
{
	struct person_arg *a = calloc(1, sizeof *a);
	int rc = -1;

	if (!a)
		return dom_err_set(e, 500, "internal", "内部错误");
	a->in = in;
	if (in->died) {
		dom_err_set(e, 400, "bad_field", "登记时不能填写死亡日期");
	} else if (in->n_enter > 0 || in->n_leave > 0) {
		dom_err_set(e, 400, "bad_tag", "批量登记不含标签");
	} else if (validate_create(x, a, e) < 0 || validate_common(x, a, e) < 0) {
		/* e says why */
	} else if (sealed_index(SEALED_FIELD_PERSON_ID_NUMBER, a->idn, out->bidx) < 0) {
		dom_err_set(e, 503, "vault_unavailable",
		            "敏感信息加密密钥未加载，暂时无法保存证件号码");
	} else {
		out->doc_type = a->doc_type;
		out->reg_type = a->reg_type;
		out->relation = a->relation;
		dom_copy(out->idn, sizeof out->idn, a->idn);
		dom_copy(out->sex, sizeof out->sex, a->sex);
		dom_copy(out->birth, sizeof out->birth, a->birth);
		dom_copy(out->date, sizeof out->date, a->date);
		rc = 0;
	}
	sodium_memzero(a, sizeof *a);
	free(a);
	return rc;
}

int person_create(const struct dom_ctx *x, const struct person_input *in, int64_t *id,
                  struct dom_err *e)
{
	struct person_arg *a = calloc(1, sizeof *a);
	struct dom_write w = { .action = "person.create",
		               .permission = "person.write",
		               .authorize = create_authorize,
		               .apply = create_apply,
		               .callers_unchanged = 1 };
	int rc = -1;

	if (!a)
		return dom_err_set(e, 500, "internal", "内部错误");
	a->in = in;
	w.arg = a;
	dom_write_object(&w, "person:new");
	if (in->died) {
		rc = dom_err_set(e, 400, "bad_field", "登记时不能填写死亡日期");
	} else if (validate_create(x, a, e) == 0 && validate_common(x, a, e) == 0) {
		rc = dom_write(x, &w, e);
		*id = a->id;
	}
	sodium_memzero(a, sizeof *a);
	free(a);
	return rc;
}

/* Loads the state of person id inside the caller's scope. 1, 0, -1. */
static int load_state(struct store_conn *c, const struct dom_ctx *x, int64_t id,
                      struct person_state *s)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[768];
	struct store_stmt *st;
	int rc;

	memset(s, 0, sizeof *s);
	dom_scope_sql(x->caller, "p.path", "p.grid_id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT p.id, p.grid_id, coalesce(p.house_id, 0), coalesce(p.unit_id, 0), "
	               "p.path, p.status, p.reg_type, coalesce(p.relation, ''), p.key_count, "
	               "p.care_count FROM people p WHERE p.id = ?%s",
	               scope);
	if (!(st = store_prepare(c, sql)))
		return -1;
	if (store_bind_int64(st, 1, id) || dom_scope_bind(x->caller, "p.grid_id", st, 2) < 0) {
		store_reset(st);
		return -1;
	}
	rc = store_step(st);
	if (rc == STORE_ROW) {
		s->id = store_col_int64(st, 0);
		s->grid_id = store_col_int64(st, 1);
		s->house_id = store_col_int64(st, 2);
		s->unit_id = store_col_int64(st, 3);
		dom_copy(s->path, sizeof s->path, store_col_text(st, 4));
		dom_copy(s->status, sizeof s->status, store_col_text(st, 5));
		dom_copy(s->reg_type, sizeof s->reg_type, store_col_text(st, 6));
		dom_copy(s->relation, sizeof s->relation, store_col_text(st, 7));
		s->key_count = store_col_int64(st, 8);
		s->care_count = store_col_int64(st, 9);
	}
	store_reset(st);
	return rc == STORE_ROW ? 1 : rc == STORE_DONE ? 0 : -1;
}

static int update_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct person_arg *a = w->arg;
	const struct person_input *in = a->in;
	struct store_stmt *st;
	int rc = load_state(c, x, a->id, &a->old);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "人员不存在");
	if (key_rule(x, a, e) < 0)
		return -1;
	if (strcmp(a->old.status, "dead") == 0)
		return dom_err_set(e, 409, "dead", "该人员已登记死亡，不能再变更");
	a->cur = a->old;
	if (resolve_refs(c, x, a, e) < 0)
		return -1;
	/* Residence records keep their order: a move is not dated before the last one. */
	if (in->house >= 0 || in->died) {
		if (!(st = store_prepare(c,
		                         "SELECT max(date) FROM person_events WHERE person_id = ? "
		                         "AND kind IN ('move_in', 'born', 'move_out', 'died', "
		                         "'registered')")))
			return dom_err_read(e);
		store_bind_int64(st, 1, a->id);
		rc = store_step(st) == STORE_ROW && store_col_text(st, 0) &&
		     strcmp(store_col_text(st, 0), a->date) > 0;
		store_reset(st);
		if (rc)
			return dom_err_set(e, 400, "bad_date",
			                   "变动日期不能早于上一次居住变动的日期");
	}
	return 0;
}

static int update_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct person_arg *a = w->arg;
	const struct person_input *in = a->in;
	struct registry_counts before = contribution(&a->old), after;
	char changed[128] = "";

	if (in->name || in->reg_type || in->household_no || in->relation) {
		if (in->name)
			append(changed, sizeof changed, "姓名 ");
		if (in->reg_type)
			append(changed, sizeof changed, "登记类型 ");
		if (in->household_no)
			append(changed, sizeof changed, "户号 ");
		if (in->relation)
			append(changed, sizeof changed, "与户主关系 ");
		if (dom_exec(c, e,
		             "UPDATE people SET name = coalesce(?, name), reg_type = coalesce(?, "
		             "reg_type), household_no = CASE WHEN ? THEN ? ELSE household_no END, "
		             "relation = CASE WHEN ? THEN ? ELSE relation END WHERE id = ?",
		             "ttititi", in->name, a->reg_type, (int64_t)(in->household_no != NULL),
		             in->household_no && *in->household_no ? in->household_no : NULL,
		             (int64_t)(in->relation != NULL), a->relation, a->id) < 0)
			return -1;
		if (a->reg_type)
			dom_copy(a->cur.reg_type, sizeof a->cur.reg_type, a->reg_type);
		if (in->relation)
			dom_copy(a->cur.relation, sizeof a->cur.relation,
			         a->relation ? a->relation : "");
	}
	if (in->phone) {
		append(changed, sizeof changed, "联系电话 ");
		if (sealed_put(c, SEALED_FIELD_PERSON_PHONE, a->id, in->phone, e) < 0)
			return -1;
	}
	if (changed[0] && add_event(c, x, a, "changed", 0, 0, NULL, changed, e) < 0)
		return -1;
	if (in->verify) {
		append(changed, sizeof changed, "核实 ");
		if (dom_exec(c, e, "UPDATE people SET verified_at = ? WHERE id = ?", "ii", x->now,
		             a->id) < 0)
			return -1;
	}
	if (in->house > 0) {
		if (dom_exec(c, e,
		             "UPDATE people SET house_id = ?, grid_id = ?, path = ?, status = "
		             "'present' "
		             "WHERE id = ?",
		             "iiti", in->house, a->cur.grid_id, a->cur.path, a->id) < 0 ||
		    add_event(c, x, a, "move_in", in->house, 0, NULL, NULL, e) < 0)
			return -1;
		a->cur.house_id = in->house;
		dom_copy(a->cur.status, sizeof a->cur.status, "present");
	} else if (in->house == 0) {
		if (dom_exec(c, e,
		             "UPDATE people SET house_id = NULL, status = 'moved_out' WHERE id = ?",
		             "i", a->id) < 0 ||
		    add_event(c, x, a, "move_out", a->old.house_id, 0, NULL, NULL, e) < 0)
			return -1;
		dom_copy(a->cur.status, sizeof a->cur.status, "moved_out");
	}
	if (in->unit >= 0 && (dom_exec(c, e, "UPDATE people SET unit_id = ? WHERE id = ?", "ni",
	                               in->unit, a->id) < 0 ||
	                      add_event(c, x, a, "unit", 0, in->unit, NULL, NULL, e) < 0))
		return -1;
	if (apply_tags(c, x, a, e) < 0)
		return -1;
	if (in->died) {
		if (dom_exec(c, e, "UPDATE people SET status = 'dead' WHERE id = ?", "i", a->id) <
		            0 ||
		    add_event(c, x, a, "died", a->cur.house_id, 0, NULL, NULL, e) < 0)
			return -1;
		dom_copy(a->cur.status, sizeof a->cur.status, "dead");
	}
	if (dom_exec(c, e, "UPDATE people SET version = version + 1, updated_at = ? WHERE id = ?",
	             "ii", x->now, a->id) < 0)
		return -1;
	after = contribution(&a->cur);
	if (registry_stats_add(c, a->old.grid_id, &before, -1, e) < 0 ||
	    registry_stats_add(c, a->cur.grid_id, &after, 1, e) < 0)
		return -1;
	dom_write_detail(w, "变更实有人口信息（%s日期 %s）", changed[0] ? changed : "", a->date);
	return 0;
}

int person_update(const struct dom_ctx *x, int64_t id, const struct person_input *in,
                  struct dom_err *e)
{
	struct person_arg *a = calloc(1, sizeof *a);
	struct dom_write w = { .action = "person.update",
		               .permission = "person.write",
		               .authorize = update_authorize,
		               .apply = update_apply,
		               .callers_unchanged = 1 };
	int rc = -1;

	if (!a)
		return dom_err_set(e, 500, "internal", "内部错误");
	a->in = in;
	a->id = id;
	w.arg = a;
	dom_write_object(&w, "person:%" PRId64, id);
	if (in->id_number || in->passport || in->sex || in->birth_date || in->grid || in->born ||
	    in->nationality) {
		rc = dom_err_set(
		        e, 400, "bad_field",
		        "证件号码、性别、出生日期、国籍和网格不能直接修改（网格随房屋变动）");
	} else if (in->name && !registry_text_ok(in->name, 32)) {
		rc = dom_err_set(e, 400, "bad_name", "姓名 name 应为 1 到 32 个字");
	} else if (in->reg_type && !(a->reg_type = person_reg_type_parse(in->reg_type))) {
		rc = dom_err_set(e, 400, "bad_reg_type",
		                 "登记类型 reg_type 应为 户籍、流动 或 境外");
	} else if (validate_common(x, a, e) == 0) {
		rc = dom_write(x, &w, e);
	}
	sodium_memzero(a, sizeof *a);
	free(a);
	return rc;
}

/* ---- key people ---- */

int person_key_access(const struct dom_ctx *x, const char *reason)
{
	return access_can(x->caller, "person.key_read") && sensitive_reason_ok(reason);
}

int person_key_read_record(const struct dom_ctx *x, const char *object, const char *reason)
{
	char detail[DOM_DETAIL_MAX];

	(void)snprintf(detail, sizeof detail, "查看重点人员信息，理由：%.400s",
	               reason ? reason : "");
	return dom_audit(x, "person.key_read", object, "success", detail);
}

/* ---- reads ---- */

#define PERSON_COLS                                                                                \
	"p.id, p.name, p.doc_type, p.id_number, coalesce(p.sex, ''), coalesce(p.birth_date, ''), " \
	"coalesce(p.phone, ''), p.reg_type, p.nationality, g.code, coalesce(p.house_id, 0), "      \
	"coalesce(h.address, ''), coalesce(p.household_no, ''), coalesce(p.relation, ''), "        \
	"coalesce(p.unit_id, 0), coalesce(u.name, ''), p.status, p.key_count, p.version, "         \
	"p.created_at, p.updated_at"
#define PERSON_FROM                                                                                \
	" FROM people p JOIN grids g ON g.id = p.grid_id LEFT JOIN houses h ON h.id = p.house_id " \
	"LEFT JOIN units u ON u.id = p.unit_id "

struct row_ctx {
	struct store_conn *c;
	int unmask, with_key_detail;
};

/* The person's current tags of kind as [{tag, label, entered_on}]. */
static json_t *tags_json(struct store_conn *c, int64_t id, const char *kind)
{
	struct store_stmt *st = store_prepare(c, "SELECT tag, entered_on FROM person_tags WHERE "
	                                         "person_id = ? AND kind = ? AND left_on IS NULL "
	                                         "ORDER BY tag");
	json_t *arr = json_array();

	if (!st || !arr)
		return arr;
	store_bind_int64(st, 1, id);
	store_bind_text(st, 2, kind, -1);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "tag", store_col_text(st, 0),
		                                     "label", registry_label(store_col_text(st, 0)),
		                                     "entered_on", store_col_text(st, 1)));
	store_reset(st);
	return arr;
}

static json_t *person_row(struct store_stmt *st, void *arg)
{
	struct row_ctx *rc = arg;
	char idn[48], idm[64], phone[32], phm[48], birth[16], bm[32], t1[40], t2[40];
	int64_t id = store_col_int64(st, 0), house = store_col_int64(st, 10),
	        unit = store_col_int64(st, 14);
	const char *rel = store_col_text(st, 13);
	json_t *o;

	sealed_open(idn, sizeof idn, SEALED_FIELD_PERSON_ID_NUMBER, id, store_col_text(st, 3));
	sealed_open(phone, sizeof phone, SEALED_FIELD_PERSON_PHONE, id, store_col_text(st, 6));
	dom_copy(birth, sizeof birth, store_col_text(st, 5));
	clock_format_local(store_col_int64(st, 19), t1, sizeof t1);
	clock_format_local(store_col_int64(st, 20), t2, sizeof t2);
	o = json_pack(
	        "{s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:o,s:s,s:b,s:I,s:s,"
	        "s:s}",
	        "id", (json_int_t)id, "name", store_col_text(st, 1), "doc_type",
	        store_col_text(st, 2), "id_number",
	        sensitive_show("person", "id_number", idn, rc->unmask, idm, sizeof idm), "sex",
	        registry_opt(store_col_text(st, 4)), "birth_date",
	        registry_opt(birth[0] ? sensitive_show("person", "birth_date", birth, rc->unmask,
	                                               bm, sizeof bm)
	                              : ""),
	        "phone",
	        registry_opt(phone[0] ? sensitive_show("person", "phone", phone, rc->unmask, phm,
	                                               sizeof phm)
	                              : ""),
	        "reg_type", store_col_text(st, 7), "reg_type_label",
	        registry_label(store_col_text(st, 7)), "nationality", store_col_text(st, 8), "grid",
	        store_col_text(st, 9), "house",
	        house ? json_pack("{s:I,s:s}", "id", (json_int_t)house, "address",
	                          store_col_text(st, 11))
	              : json_null(),
	        "household_no", registry_opt(store_col_text(st, 12)), "relation", registry_opt(rel),
	        "relation_label", registry_label(rel), "unit",
	        unit ? json_pack("{s:I,s:s}", "id", (json_int_t)unit, "name",
	                         store_col_text(st, 15))
	             : json_null(),
	        "status", store_col_text(st, 16), "key_person", store_col_int64(st, 17) > 0,
	        "version", (json_int_t)store_col_int64(st, 18), "created_at", t1, "updated_at", t2);
	sodium_memzero(idn, sizeof idn);
	sodium_memzero(phone, sizeof phone);
	if (o && rc->c) {
		json_object_set_new(o, "care_tags", tags_json(rc->c, id, "care"));
		if (rc->with_key_detail)
			json_object_set_new(o, "key_categories", tags_json(rc->c, id, "key"));
	}
	return o;
}

json_t *person_get(const struct dom_ctx *x, int64_t id, const char *reason, int unmask,
                   struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[1536], obj[40];
	struct store_conn *c = dom_reader(x, e);
	struct row_ctx rc = { c, unmask, 0 };
	struct store_stmt *st;
	json_t *o = NULL;
	int r, key;

	if (!c)
		return NULL;
	dom_scope_sql(x->caller, "p.path", "p.grid_id", scope);
	(void)snprintf(sql, sizeof sql, "SELECT " PERSON_COLS PERSON_FROM "WHERE p.id = ?%s",
	               scope);
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	if (dom_scope_bind(x->caller, "p.grid_id", st, 2) < 0) {
		store_reset(st);
		dom_err_read(e);
		return NULL;
	}
	r = store_step(st);
	if (r != STORE_ROW) {
		store_reset(st);
		if (r == STORE_DONE)
			dom_err_set(e, 404, "not_found", "人员不存在");
		else
			dom_err_read(e);
		return NULL;
	}
	key = store_col_int64(st, 17) > 0;
	(void)snprintf(obj, sizeof obj, "person:%" PRId64, id);
	if (key && !access_can(x->caller, "person.key_read")) {
		store_reset(st);
		(void)dom_audit(x, "person.key_read", obj, "denied",
		                "无重点人员查看权限（person.key_read）");
		dom_err_set(e, 403, "key_person", "无权查看重点人员信息");
		e->audited = 1;
		return NULL;
	}
	if (key && !sensitive_reason_ok(reason)) {
		store_reset(st);
		dom_err_set(e, 400, "reason_required", "查看重点人员信息须填写理由（2 到 200 字）");
		return NULL;
	}
	rc.with_key_detail = key;
	o = person_row(st, &rc);
	store_reset(st);
	if (!o) {
		dom_err_set(e, 500, "internal", "内部错误");
		return NULL;
	}
	if (key && person_key_read_record(x, obj, reason) < 0) {
		json_decref(o);
		dom_err_set(e, 503, "audit_failed", "审计记录写入失败，暂不能查看重点人员信息");
		return NULL;
	}
	return o;
}

/* The statement of the people in scope matching f after id `after` (0: from the start), in
   (path, id) order, at most limit rows; NULL with e (400 bad_param for a bad filter). Shared by
   the list (one page) and the export (every row, up to its cap). */
static struct store_stmt *people_stmt(struct store_conn *c, const struct dom_ctx *x,
                                      const struct person_filter *f, int64_t after, int64_t limit,
                                      struct dom_err *e)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[2048], bidx[VAULT_INDEX_HEX], match[512];
	const char *reg = NULL, *tag = NULL, *kind = NULL, *idn = NULL;
	struct code_error ce = { 0 };
	struct idcard card;
	struct store_stmt *st;
	int k = 1;

	if (f->grid && strlen(f->grid) != 15) {
		dom_err_set(e, 400, "bad_param", "参数 grid 应为 15 位网格编码");
		return NULL;
	}
	if (f->reg_type && !(reg = person_reg_type_parse(f->reg_type))) {
		dom_err_set(e, 400, "bad_param", "参数 reg_type 应为 户籍、流动 或 境外");
		return NULL;
	}
	if (f->tag && (!(tag = person_tag_parse(f->tag, &kind)) ||
	               (strcmp(kind, "key") == 0 && !f->with_key))) {
		dom_err_set(e, 400, "bad_param", "参数 tag 不是可查询的人员标签");
		return NULL;
	}
	if (f->status && strcmp(f->status, "present") != 0 && strcmp(f->status, "moved_out") != 0 &&
	    strcmp(f->status, "dead") != 0) {
		dom_err_set(e, 400, "bad_param", "参数 status 应为 present、moved_out 或 dead");
		return NULL;
	}
	if (f->name) {
		int n = fts_cjk_query(f->name, match, sizeof match);

		if (n <= 0 || dom_utf8_chars(f->name) > 40) {
			dom_err_set(e, 400, "bad_param",
			            "参数 name 应为 1 至 40 个字的姓名或其一部分");
			return NULL;
		}
	}
	if (f->id_number) {
		/* An ID number is looked up in its normalised form (15 -> 18, upper-case X); a
		   passport number as given. */
		idn = idcard_parse(f->id_number, &card, &ce) == 0 ? card.number : f->id_number;
		if (sealed_index(SEALED_FIELD_PERSON_ID_NUMBER, idn, bidx) < 0) {
			dom_err_set(e, 503, "vault_unavailable", "敏感信息加密密钥未加载");
			return NULL;
		}
		sodium_memzero(&card, sizeof card);
	}
	dom_scope_sql(x->caller, "p.path", "p.grid_id", scope);
	/* A name search walks the name index in id order and stops at the page's end, so a common
	   name costs a page, not a sort of every person bearing it; other lists go in (path, id)
	   order along the scope's index. */
	(void)snprintf(
	        sql, sizeof sql, "SELECT " PERSON_COLS "%s%s%s%s%s%s%s%s%s ORDER BY %s LIMIT ?",
	        f->name ? " FROM people_names CROSS JOIN people p ON p.id = people_names.rowid "
	                  "JOIN "
	                  "grids g ON g.id = p.grid_id LEFT JOIN houses h ON h.id = p.house_id "
	                  "LEFT JOIN units u ON u.id = p.unit_id WHERE people_names MATCH ? AND "
	                  "people_names.rowid > ?"
	                : PERSON_FROM "WHERE (? = 0 OR (p.path, p.id) > ((SELECT p2.path FROM "
	                              "people p2 WHERE p2.id = ?), ?))",
	        scope, f->with_key ? "" : " AND p.key_count = 0", f->grid ? " AND g.code = ?" : "",
	        f->house > 0 ? " AND p.house_id = ?" : "",
	        f->id_number ? " AND p.id_number_bidx = ?" : "", reg ? " AND p.reg_type = ?" : "",
	        tag ? " AND EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id AND "
	              "t.tag = ? AND t.left_on IS NULL)"
	            : "",
	        f->status ? " AND p.status = ?" : "",
	        f->name ? "people_names.rowid" : "p.path, p.id");
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	if (f->name) {
		store_bind_text(st, k++, match, -1);
		store_bind_int64(st, k++, after);
	} else {
		store_bind_int64(st, k++, after);
		store_bind_int64(st, k++, after);
		store_bind_int64(st, k++, after);
	}
	k = dom_scope_bind(x->caller, "p.grid_id", st, k);
	if (f->grid)
		store_bind_text(st, k++, f->grid, -1);
	if (f->house > 0)
		store_bind_int64(st, k++, f->house);
	if (f->id_number)
		store_bind_text(st, k++, bidx, -1);
	if (reg)
		store_bind_text(st, k++, reg, -1);
	if (tag)
		store_bind_text(st, k++, tag, -1);
	if (f->status)
		store_bind_text(st, k++, f->status, -1);
	store_bind_int64(st, k, limit);
	return st;
}

json_t *person_list(const struct dom_ctx *x, const struct person_filter *f,
                    const struct dom_page *pg, int unmask, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct row_ctx rc = { c, unmask, 0 };
	struct store_stmt *st;
	int64_t after;

	if (!c || dom_page_after_id(pg, &after, e) < 0 ||
	    !(st = people_stmt(c, x, f, after, (int64_t)pg->limit + 1, e)))
		return NULL;
	return dom_page_collect(st, pg, person_row, &rc, e);
}

int person_each(const struct dom_ctx *x, const struct person_filter *f, int64_t max,
                person_each_fn fn, void *arg, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct row_ctx rc = { c, 0, 0 };
	struct store_stmt *st;

	if (!c || !(st = people_stmt(c, x, f, 0, max + 1, e)))
		return -1;
	return registry_walk(st, max, person_row, &rc, "人员", "人", fn, arg, e);
}
