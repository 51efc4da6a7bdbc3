/*
 * Duty records (domain/duty.h): the ten duties and the acts of Art. 13, the refusal of the acts
 * it forbids, the write through dom_write, and scoped keyset reads.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "domain/duty.h"
#include "domain/grid.h"
#include "store/files.h"
#include "store/store.h"

const struct duty_type duty_types[DUTY_TYPE_COUNT] = {
	{ "data_collection", "采集核实信息",
	  "依法采集、核实网格内实有人口、房屋、单位等基础数据、动态信息，及时了解、收集社情民意" },
	{ "convenience_service", "便民服务",
	  "协助有关部门为网格内居民提供养老助残、扶弱济困等便民服务" },
	{ "dispute_screening", "矛盾纠纷排查",
	  "协助有关部门排查处置网格内矛盾纠纷以及其他影响社会稳定的问题隐患" },
	{ "psychological_service", "社会心理服务", "参与做好网格内居民的社会心理服务工作" },
	{ "key_group_visit", "重点人群走访",
	  "协助走访网格内社区矫正对象、刑满释放人员、吸毒解戒人员和严重精神障碍患者等重点人群" },
	{ "safety_hazard", "治安和安全隐患排查", "协助排查、上报网格内社会治安问题和公共安全隐患" },
	{ "incident_response", "一般治安和应急事件处置",
	  "协助开展网格内一般治安事件处置、应急事件预防处置" },
	{ "security_prevention", "安全防范",
	  "协助排查和制止非法宗教活动，协助开展反邪教、反传销、反电信网络诈骗等安全防范工作" },
	{ "publicity", "宣传和精神文明建设",
	  "宣传宪法、法律法规和国家方针政策，宣传、参与城乡精神文明建设，弘扬社会主义核心价值观" },
	{ "other_matters", "其他服务管理事项", "办理纳入网格开展的其他服务管理事项" },
};

const struct duty_act duty_acts[] = {
	{ "visit", "走访", 0 },
	{ "collect", "采集核实", 0 },
	{ "service", "服务", 0 },
	{ "inspect", "巡查排查", 0 },
	{ "mediate", "协助调解", 0 },
	{ "report", "上报", 0 },
	{ "publicize", "宣传", 0 },
	{ "other", "其他", 0 },
	/* Art. 13: not a grid worker's to do; refused, never stored (the table's CHECK agrees). */
	{ "administrative_license", "行政许可", 1 },
	{ "administrative_penalty", "行政处罚", 1 },
	{ "administrative_coercion", "行政强制措施", 1 },
};
const size_t duty_act_count = sizeof duty_acts / sizeof duty_acts[0];

const struct duty_type *duty_type_find(const char *code)
{
	for (size_t i = 0; code && i < DUTY_TYPE_COUNT; i++)
		if (strcmp(duty_types[i].code, code) == 0)
			return &duty_types[i];
	return NULL;
}

static const struct duty_act *act_find(const char *code)
{
	for (size_t i = 0; code && i < duty_act_count; i++)
		if (strcmp(duty_acts[i].code, code) == 0)
			return &duty_acts[i];
	return NULL;
}

const char *duty_prohibited(const char *s)
{
	/* Words that name an act of the three kinds, or one of its usual measures. */
	static const struct {
		const char *word, *act;
	} words[] = {
		{ "行政许可", "行政许可" },     { "审批", "行政许可" },
		{ "行政处罚", "行政处罚" },     { "罚款", "行政处罚" },
		{ "吊销", "行政处罚" },         { "拘留", "行政处罚" },
		{ "行政强制", "行政强制措施" }, { "查封", "行政强制措施" },
		{ "扣押", "行政强制措施" },     { "冻结", "行政强制措施" },
		{ "license", "行政许可" },      { "penalty", "行政处罚" },
		{ "penalt", "行政处罚" },       { "coerci", "行政强制措施" },
		{ "coercive", "行政强制措施" },
	};
	const struct duty_act *a = act_find(s);

	if (!s)
		return NULL;
	if (a)
		return a->prohibited ? a->label : NULL;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strstr(s, words[i].word))
			return words[i].act;
	return NULL;
}

/* ---- validation ---- */

#define AHEAD_MAX 600    /* a phone clock may run a little fast */
#define AT_MIN 946684800 /* 2000-01-01 */

int duty_check(const struct dom_ctx *x, const struct duty_input *in, struct dom_err *e)
{
	const char *which = duty_prohibited(in->act);
	const struct duty_act *act;

	if (!which)
		which = duty_prohibited(in->duty);
	if (which)
		return dom_err_set(e, 400, "prohibited_act",
		                   "不能登记：%s不属于网格员职责。《聊城市城乡网格化服务管理条例》"
		                   "第十三条规定，网格员不得实施行政许可、行政处罚、行政强制措施等"
		                   "依法应当由行政机关工作人员或者其他人员实施的事项",
		                   which);
	if (!duty_type_find(in->duty))
		return dom_err_set(e, 400, "bad_duty",
		                   "履职类型无效：应为第十三条所列十项职责之一");
	act = act_find(in->act ? in->act : "visit");
	if (!act)
		return dom_err_set(e, 400, "bad_act", "履职方式无效");
	if (!in->grid || !*in->grid)
		return dom_err_set(e, 400, "bad_grid", "缺少网格编码 grid");
	if (in->at && (in->at > x->now + AHEAD_MAX || in->at < AT_MIN))
		return dom_err_set(e, 400, "bad_time", "履职时间无效（不能晚于当前时间）");
	if (in->has_location && (!isfinite(in->lng) || !isfinite(in->lat) || in->lng < -180 ||
	                         in->lng > 180 || in->lat < -90 || in->lat > 90))
		return dom_err_set(e, 400, "bad_location",
		                   "位置无效：经度应在 -180 到 180 之间，纬度在 -90 到 90 之间");
	if (in->note && dom_utf8_chars(in->note) > DUTY_NOTE_CHARS)
		return dom_err_set(e, 400, "bad_note", "备注过长（最多 %d 个字）", DUTY_NOTE_CHARS);
	/* photos NULL: only the count is checked (before the files are taken into the store). */
	return upload_check(in->photos, in->nphotos, e);
}

/* ---- the write ---- */

struct create_arg {
	const struct duty_input *in;
	int64_t grid_id;
	char grid_path[ACCESS_PATH_MAX];
	int64_t id;
};

/* A visit of a key person: the person is a current key person in the record's grid, and the
   caller may see key people. */
static int visit_authorize(struct store_conn *c, const struct dom_ctx *x, struct create_arg *a,
                           struct dom_err *e)
{
	struct store_stmt *st;
	int rc;

	if (strcmp(a->in->duty, "key_group_visit") != 0)
		return dom_err_set(e, 400, "bad_person", "只有重点人群走访记录可关联人员 person");
	if (!access_can(x->caller, "person.key_read"))
		return dom_err_set(e, 403, "key_person",
		                   "无权登记重点人员走访（须 person.key_read）");
	if (!(st = store_prepare(c, "SELECT 1 FROM people WHERE id = ? AND grid_id = ? AND "
	                            "key_count > 0 AND status = 'present'")))
		return dom_err_read(e);
	store_bind_int64(st, 1, a->in->person_id);
	store_bind_int64(st, 2, a->grid_id);
	rc = store_step(st);
	store_reset(st);
	if (rc == STORE_DONE)
		return dom_err_set(e, 404, "not_found", "该网格内没有这位重点人员");
	return rc == STORE_ROW ? 0 : dom_err_read(e);
}

static int create_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct create_arg *a = w->arg;
	struct grid g;
	int rc;

	/* Scoped by the caller in SQL: a grid worker's own grids, a center's region subtree. */
	rc = grid_load(c, x, a->in->grid, &g);
	if (rc < 0) {
		grid_release(&g);
		return dom_err_read(e);
	}
	if (rc == 0) {
		grid_release(&g);
		return dom_err_set(e, 404, "not_found", "网格不存在或不在您负责的范围内");
	}
	a->grid_id = g.id;
	dom_copy(a->grid_path, sizeof a->grid_path, g.path);
	rc = g.retired;
	grid_release(&g);
	if (rc)
		return dom_err_set(e, 409, "grid_retired", "该网格已撤销，不能再登记履职记录");
	return a->in->person_id > 0 ? visit_authorize(c, x, a, e) : 0;
}

static int create_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct create_arg *a = w->arg;
	const struct duty_input *in = a->in;
	struct store_stmt *st;
	int64_t worker_id = 0;
	int rc;

	/* The worker record linked to the recording account, if there is one. */
	if (x->caller->user_id > 0) {
		st = store_prepare(c, "SELECT id FROM workers WHERE user_id = ?");
		if (!st)
			return dom_err_read(e);
		store_bind_int64(st, 1, x->caller->user_id);
		rc = store_step(st);
		if (rc == STORE_ROW)
			worker_id = store_col_int64(st, 0);
		store_reset(st);
		if (rc != STORE_ROW && rc != STORE_DONE)
			return dom_err_read(e);
	}
	st = store_prepare(c, "INSERT INTO duty_records (duty, act, at, grid_id, path, worker_id, "
	                      "lng, lat, note, photos, recorded_by, created_at, person_id) "
	                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return dom_err_store(e, STORE_ERR);
	store_bind_text(st, 1, in->duty, -1);
	store_bind_text(st, 2, in->act ? in->act : "visit", -1);
	store_bind_int64(st, 3, in->at ? in->at : x->now);
	store_bind_int64(st, 4, a->grid_id);
	store_bind_text(st, 5, a->grid_path, -1);
	if (worker_id)
		store_bind_int64(st, 6, worker_id);
	else
		store_bind_null(st, 6);
	if (in->has_location) {
		store_bind_double(st, 7, in->lng);
		store_bind_double(st, 8, in->lat);
	} else {
		store_bind_null(st, 7);
		store_bind_null(st, 8);
	}
	store_bind_text(st, 9, in->note && *in->note ? in->note : NULL, -1);
	store_bind_int64(st, 10, (int64_t)in->nphotos);
	if (x->caller->user_id > 0)
		store_bind_int64(st, 11, x->caller->user_id);
	else
		store_bind_null(st, 11);
	store_bind_int64(st, 12, x->now);
	if (in->person_id > 0)
		store_bind_int64(st, 13, in->person_id);
	else
		store_bind_null(st, 13);
	rc = dom_step_done(st);
	if (rc < 0)
		return dom_err_store(e, rc);
	a->id = store_last_insert_id(c);
	for (size_t i = 0; i < in->nphotos; i++) {
		if (upload_record_conn(c, x, &in->photos[i], e) < 0 ||
		    dom_exec(c, e,
		             "INSERT INTO duty_record_photos (record_id, hash, position) "
		             "VALUES (?, ?, ?) ON CONFLICT (record_id, hash) DO NOTHING",
		             "iti", a->id, in->photos[i].hash, (int64_t)i) < 0)
			return -1;
	}
	dom_write_object(w, "duty_record:%" PRId64, a->id);
	dom_write_detail(w, "登记履职记录：网格 %s，%s，照片 %zu 张", in->grid,
	                 duty_type_find(in->duty)->label, in->nphotos);
	return 0;
}

int duty_create(const struct dom_ctx *x, const struct duty_input *in, int64_t *id,
                struct dom_err *e)
{
	struct create_arg a = { .in = in };
	struct dom_write w = { .action = "duty.create",
		               .permission = "duty.write",
		               .authorize = create_authorize,
		               .apply = create_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };

	*id = 0;
	if (duty_check(x, in, e) < 0)
		return -1;
	dom_write_object(&w, "grid:%s", in->grid);
	if (dom_write(x, &w, e) < 0)
		return -1;
	*id = a.id;
	return 0;
}

/* ---- reads ---- */

#define RECORD_COLS                                                                                \
	"d.id, d.duty, d.act, d.at, g.code, g.name, d.worker_id, w.name, d.lng, d.lat, d.note, "   \
	"d.photos, d.recorded_by, u.display_name, d.created_at, "                                  \
	"(SELECT p.hash FROM duty_record_photos p WHERE p.record_id = d.id "                       \
	"ORDER BY p.position LIMIT 1) "                                                            \
	"FROM duty_records d JOIN grids g ON g.id = d.grid_id "                                    \
	"LEFT JOIN workers w ON w.id = d.worker_id LEFT JOIN users u ON u.id = d.recorded_by "

static const char *act_label(const char *code)
{
	const struct duty_act *a = act_find(code);

	return a ? a->label : "";
}

static void set_text_or_null(json_t *o, const char *key, struct store_stmt *st, int col)
{
	json_object_set_new(o, key,
	                    store_col_is_null(st, col) ? json_null()
	                                               : json_string(store_col_text(st, col)));
}

static json_t *record_row(struct store_stmt *st, void *arg)
{
	const struct duty_type *t = duty_type_find(store_col_text(st, 1));
	char at[32], created[32], url[160];
	int64_t id = store_col_int64(st, 0);
	json_t *o;

	(void)arg;
	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "id", (json_int_t)id, "duty",
	              store_col_text(st, 1), "duty_label", t ? t->label : "", "act",
	              store_col_text(st, 2), "act_label", act_label(store_col_text(st, 2)), "at",
	              clock_format_local(store_col_int64(st, 3), at, sizeof at), "grid",
	              store_col_text(st, 4), "grid_name", store_col_text(st, 5), "photo_count",
	              (json_int_t)store_col_int64(st, 11), "created_at",
	              clock_format_local(store_col_int64(st, 14), created, sizeof created));
	if (!o)
		return NULL;
	json_object_set_new(o, "worker_id",
	                    store_col_is_null(st, 6) ? json_null()
	                                             : json_integer(store_col_int64(st, 6)));
	set_text_or_null(o, "worker_name", st, 7);
	if (store_col_is_null(st, 8))
		json_object_set_new(o, "location", json_null());
	else
		json_object_set_new(o, "location",
		                    json_pack("{s:f,s:f}", "lng", store_col_double(st, 8), "lat",
		                              store_col_double(st, 9)));
	set_text_or_null(o, "note", st, 10);
	json_object_set_new(o, "recorded_by",
	                    store_col_is_null(st, 12) ? json_null()
	                                              : json_integer(store_col_int64(st, 12)));
	set_text_or_null(o, "recorded_by_name", st, 13);
	if (store_col_is_null(st, 15)) {
		json_object_set_new(o, "thumbnail", json_null());
	} else {
		(void)snprintf(url, sizeof url, "/api/v1/duty-records/%" PRId64 "/photos/%s", id,
		               store_col_text(st, 15));
		json_object_set_new(o, "thumbnail", json_string(url));
	}
	return o;
}

json_t *duty_list(const struct dom_ctx *x, const struct duty_filter *f, const struct dom_page *pg,
                  struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char scope[DOM_SCOPE_SQL_MAX], sql[1536];
	struct store_stmt *st;
	int64_t after = 0;
	int k;

	if (!c || dom_page_after_id(pg, &after, e) < 0)
		return NULL;
	dom_scope_sql(x->caller, "d.path", "d.grid_id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT " RECORD_COLS "WHERE d.id < ?%s%s%s%s%s%s%s "
	               "ORDER BY d.id DESC LIMIT ?",
	               scope, f->grid ? " AND g.code = ?" : "",
	               f->worker_id ? " AND d.worker_id = ?" : "", f->duty ? " AND d.duty = ?" : "",
	               f->from ? " AND d.at >= ?" : "", f->to ? " AND d.at < ?" : "",
	               f->mine ? " AND d.recorded_by = ?" : "");
	if (!(st = store_prepare(c, sql))) {
		dom_err_read(e);
		return NULL;
	}
	k = 1;
	store_bind_int64(st, k++, after ? after : INT64_MAX);
	k = dom_scope_bind(x->caller, "d.grid_id", st, k);
	if (f->grid)
		store_bind_text(st, k++, f->grid, -1);
	if (f->worker_id)
		store_bind_int64(st, k++, f->worker_id);
	if (f->duty)
		store_bind_text(st, k++, f->duty, -1);
	if (f->from)
		store_bind_int64(st, k++, f->from);
	if (f->to)
		store_bind_int64(st, k++, f->to);
	if (f->mine)
		store_bind_int64(st, k++, x->caller->user_id);
	store_bind_int64(st, k, pg->limit + 1);
	return dom_page_collect(st, pg, record_row, NULL, e);
}

/* The record id as the caller may see it: its row on st (stepped), 1 found, 0 not, -1 error. */
static struct store_stmt *load_record(struct store_conn *c, const struct dom_ctx *x, int64_t id,
                                      int *found)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[1024];
	struct store_stmt *st;
	int rc;

	*found = -1;
	dom_scope_sql(x->caller, "d.path", "d.grid_id", scope);
	(void)snprintf(sql, sizeof sql, "SELECT " RECORD_COLS "WHERE d.id = ?%s", scope);
	if (!(st = store_prepare(c, sql)))
		return NULL;
	store_bind_int64(st, 1, id);
	if (dom_scope_bind(x->caller, "d.grid_id", st, 2) < 0) {
		store_reset(st);
		return NULL;
	}
	rc = store_step(st);
	if (rc == STORE_ROW)
		*found = 1;
	else if (rc == STORE_DONE)
		*found = 0;
	return st;
}

json_t *duty_get(const struct dom_ctx *x, int64_t id, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	json_t *o = NULL, *photos;
	int found, rc;

	if (!c)
		return NULL;
	st = load_record(c, x, id, &found);
	if (found == 1)
		o = record_row(st, NULL);
	if (st)
		store_reset(st);
	if (found == 0) {
		dom_err_set(e, 404, "not_found", "履职记录不存在");
		return NULL;
	}
	if (found < 0 || !o) {
		json_decref(o);
		dom_err_read(e);
		return NULL;
	}
	photos = json_array();
	st = store_prepare(c, "SELECT p.hash, u.mime, u.size FROM duty_record_photos p "
	                      "JOIN uploads u ON u.hash = p.hash WHERE p.record_id = ? "
	                      "ORDER BY p.position");
	if (!st || !photos) {
		json_decref(o);
		json_decref(photos);
		dom_err_read(e);
		return NULL;
	}
	store_bind_int64(st, 1, id);
	while ((rc = store_step(st)) == STORE_ROW) {
		char url[160];

		(void)snprintf(url, sizeof url, "/api/v1/duty-records/%" PRId64 "/photos/%s", id,
		               store_col_text(st, 0));
		json_array_append_new(photos,
		                      json_pack("{s:s,s:s,s:I,s:s}", "hash", store_col_text(st, 0),
		                                "mime", store_col_text(st, 1), "size",
		                                (json_int_t)store_col_int64(st, 2), "url", url));
	}
	store_reset(st);
	if (rc != STORE_DONE) {
		json_decref(o);
		json_decref(photos);
		dom_err_read(e);
		return NULL;
	}
	json_object_set_new(o, "photos", photos);
	return o;
}

int duty_photo(const struct dom_ctx *x, int64_t id, const char *hash, const char **mime,
               struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char scope[DOM_SCOPE_SQL_MAX], sql[512];
	struct store_stmt *st;
	int rc;

	*mime = NULL;
	if (!c)
		return -1;
	if (!files_name_valid(hash))
		return dom_err_set(e, 404, "not_found", "照片不存在");
	/* The record's scope decides, never the hash: the same photo attached to a record the
	   caller cannot see is not served through this one. */
	dom_scope_sql(x->caller, "d.path", "d.grid_id", scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT u.mime FROM duty_records d JOIN duty_record_photos p ON "
	               "p.record_id = d.id JOIN uploads u ON u.hash = p.hash "
	               "WHERE d.id = ? AND p.hash = ?%s",
	               scope);
	if (!(st = store_prepare(c, sql)))
		return dom_err_read(e);
	store_bind_int64(st, 1, id);
	store_bind_text(st, 2, hash, -1);
	dom_scope_bind(x->caller, "d.grid_id", st, 3);
	rc = store_step(st);
	if (rc == STORE_ROW)
		*mime = upload_mime(store_col_text(st, 0));
	store_reset(st);
	if (rc == STORE_ROW && *mime)
		return 0;
	if (rc == STORE_ROW || rc == STORE_DONE)
		return dom_err_set(e, 404, "not_found", "照片不存在");
	return dom_err_read(e);
}

json_t *duty_catalog_json(void)
{
	json_t *duties = json_array(), *acts = json_array();

	for (size_t i = 0; duties && i < DUTY_TYPE_COUNT; i++)
		json_array_append_new(duties, json_pack("{s:s,s:s,s:s}", "code", duty_types[i].code,
		                                        "label", duty_types[i].label, "text",
		                                        duty_types[i].text));
	for (size_t i = 0; acts && i < duty_act_count; i++)
		json_array_append_new(acts, json_pack("{s:s,s:s,s:b}", "code", duty_acts[i].code,
		                                      "label", duty_acts[i].label, "prohibited",
		                                      duty_acts[i].prohibited));
	return json_pack("{s:o,s:o}", "duties", duties, "acts", acts);
}
