/*
 * Regions on the domain kernel (domain/dom.h): codes and materialized paths; reads scoped in SQL
 * and paged by code; create, update and the CSV import through dom_write, each with its authorize
 * step and one audit record. The import validates every row before writing any.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/csv.h"
#include "domain/region.h"
#include "geo/geom.h"
#include "store/store.h"

int dom_name_valid(const char *name, char *msg, size_t msglen)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t chars = 0, n;

	if (!name || !*name) {
		(void)snprintf(msg, msglen, "名称不能为空");
		return 0;
	}
	n = strlen(name);
	if (name[0] == ' ' || name[n - 1] == ' ') {
		(void)snprintf(msg, msglen, "名称首尾不能有空格");
		return 0;
	}
	while (*s) {
		int len = *s < 0x80         ? 1
		          : (*s >> 5) == 6  ? 2
		          : (*s >> 4) == 14 ? 3
		          : (*s >> 3) == 30 ? 4
		                            : 0;

		if (len == 0)
			goto bad_utf8;
		if (len == 1 && (*s < 0x20 || *s == 0x7f)) {
			(void)snprintf(msg, msglen, "名称不能包含控制字符");
			return 0;
		}
		for (int i = 1; i < len; i++)
			if ((s[i] & 0xc0) != 0x80)
				goto bad_utf8;
		s += len;
		chars++;
	}
	if (chars > REGION_NAME_CHARS) {
		(void)snprintf(msg, msglen, "名称过长（最多 %d 个字）", REGION_NAME_CHARS);
		return 0;
	}
	return 1;
bad_utf8:
	(void)snprintf(msg, msglen, "名称不是合法的 UTF-8 文本");
	return 0;
}

int region_code_normalize(const char *in, char out[13], struct code_error *err)
{
	static const struct code_error bad_len = { "bad_length", "区划代码应为 6 位或 12 位数字" };
	size_t n = in ? strlen(in) : 0;
	enum division_level level;

	out[0] = '\0';
	if (n != 6 && n != 12) {
		if (err)
			*err = bad_len;
		return 0;
	}
	memcpy(out, in, n);
	if (n == 6)
		memcpy(out + 6, "000000", 6);
	out[12] = '\0';
	level = division_level(out, err);
	if (level == DIV_INVALID) {
		out[0] = '\0';
		return 0;
	}
	/* A 6-digit input names a county or above; division_level judged the widened form. */
	return (int)level;
}

int region_path_join(const char *parent_path, const char *code, char out[ACCESS_PATH_MAX])
{
	int n = snprintf(out, ACCESS_PATH_MAX, "%s%s/", parent_path ? parent_path : "", code);

	if (n < 0 || n >= ACCESS_PATH_MAX) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

static int part3(const char *code12, int at)
{
	return (code12[at] - '0') * 100 + (code12[at + 1] - '0') * 10 + (code12[at + 2] - '0');
}

const char *region_kind_label(const char *code12)
{
	switch (division_level(code12, NULL)) {
	case DIV_PROVINCE: return "省";
	case DIV_PREFECTURE: return "市";
	case DIV_COUNTY:
		switch (division_county_kind((code12[4] - '0') * 10 + (code12[5] - '0'))) {
		case 1: return "区";
		case 2: return "县";
		case 3: return "县级市";
		default: return "县级单位";
		}
	case DIV_TOWNSHIP:
		switch (division_township_kind(part3(code12, 6))) {
		case 1: return "街道";
		case 2: return "镇";
		case 3: return "乡";
		default: return "乡级单位";
		}
	case DIV_VILLAGE: return part3(code12, 9) < 200 ? "社区" : "村";
	default: return "";
	}
}

void region_release(struct region *r)
{
	if (r) {
		free(r->boundary);
		r->boundary = NULL;
	}
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* ---- code ranges ---- */

void region_code_range(const char *code12, char lo[13], char hi[13])
{
	/* Significant digits of a code by level: 37, 3715, 371502, 371502001, 371502001001. */
	static const size_t digits[] = { 0, 2, 4, 6, 9, 12 };
	enum division_level level =
	        code12 && strlen(code12) == 12 ? division_level(code12, NULL) : DIV_INVALID;
	size_t n;

	lo[0] = hi[0] = '\0';
	if (level == DIV_INVALID)
		return;
	n = digits[level];
	memcpy(lo, code12, n);
	lo[n] = '\0';
	memcpy(hi, lo, n + 1);
	hi[n - 1] = (char)(hi[n - 1] + 1); /* '9' + 1 is ':', still above every digit */
}

void region_scope_code_range(const struct principal *p, char lo[13], char hi[13])
{
	if (p && !p->is_system && p->region_path[0]) {
		region_code_range(p->region_code, lo, hi);
		if (lo[0])
			return;
	}
	/* The system, or a scope the SQL condition decides alone (nothing, for no scope). */
	lo[0] = '\0';
	hi[0] = '\x7f';
	hi[1] = '\0';
}

void region_code_range_narrow(char lo[13], char hi[13], const char *lo2, const char *hi2)
{
	if (strcmp(lo2, lo) > 0)
		copy_text(lo, 13, lo2);
	if (strcmp(hi2, hi) < 0)
		copy_text(hi, 13, hi2);
}

int codes_cursor_check(const struct dom_page *pg, size_t len, struct dom_err *e)
{
	size_t n = strlen(pg->after);

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (pg->after[i] < '0' || pg->after[i] > '9')
			n = 0;
	if (n != len)
		return dom_err_set(e, 400, "bad_cursor", "分页游标无效，请从第一页重新查询");
	return 0;
}

json_t *codes_page_json(json_t *items, const char *last)
{
	char cursor[DOM_CURSOR_MAX];
	json_t *out;

	if (!items)
		return NULL;
	if (last)
		dom_cursor_encode(last, cursor);
	out = json_pack("{s:o,s:s?}", "items", items, "next_cursor", last ? cursor : NULL);
	return out;
}

/* ---- reads ---- */

#define REGION_COLS                                                                                \
	"r.code, r.name, r.level, r.parent_code, r.path, r.boundary, r.created_at, r.updated_at"

int region_load(struct store_conn *c, const struct dom_ctx *x, const char *code12,
                struct region *out)
{
	char scope[DOM_SCOPE_SQL_MAX], sql[512];
	struct store_stmt *st;
	int rc, found = -1;

	memset(out, 0, sizeof *out);
	if (!c || !code12)
		return -1;
	dom_scope_sql(x->caller, "r.path", NULL, scope);
	(void)snprintf(sql, sizeof sql, "SELECT " REGION_COLS " FROM regions r WHERE r.code = ?%s",
	               scope);
	st = store_prepare(c, sql);
	if (!st)
		return -1;
	if (store_bind_text(st, 1, code12, -1) || dom_scope_bind(x->caller, NULL, st, 2) < 0)
		goto out;
	rc = store_step(st);
	if (rc == STORE_ROW) {
		copy_text(out->code, sizeof out->code, store_col_text(st, 0));
		copy_text(out->name, sizeof out->name, store_col_text(st, 1));
		out->level = (int)store_col_int64(st, 2);
		copy_text(out->parent_code, sizeof out->parent_code, store_col_text(st, 3));
		copy_text(out->path, sizeof out->path, store_col_text(st, 4));
		if (!store_col_is_null(st, 5) && !(out->boundary = strdup(store_col_text(st, 5))))
			goto out;
		out->created_at = store_col_int64(st, 6);
		out->updated_at = store_col_int64(st, 7);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
out:
	store_reset(st);
	return found;
}

int region_get(const struct dom_ctx *x, const char *code12, struct region *out, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	int rc;

	if (!c) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	rc = region_load(c, x, code12, out);
	if (rc < 0)
		return dom_err_set(e, 503, "read_failed", "读取区划失败，请稍后重试");
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "区划不存在");
	return 0;
}

json_t *region_to_json(const struct region *r, int with_boundary)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:s,s:b}", "code", r->code, "name", r->name,
	                      "level", r->level, "kind", region_kind_label(r->code), "path",
	                      r->path, "has_boundary", r->boundary != NULL);

	if (!o)
		return NULL;
	json_object_set_new(o, "parent_code",
	                    r->parent_code[0] ? json_string(r->parent_code) : json_null());
	if (with_boundary) {
		json_t *b = r->boundary ? json_loads(r->boundary, 0, NULL) : NULL;

		json_object_set_new(o, "boundary", b ? b : json_null());
	}
	return o;
}

json_t *region_detail_json(const struct dom_ctx *x, const struct region *reg)
{
	struct store_conn *c = store_reader(x->store);
	json_t *o = region_to_json(reg, 1), *anc = json_array();
	const char *p = reg->path;

	while (c && o && anc && p && *p) {
		const char *slash = strchr(p, '/');
		char code[13];
		struct region a;

		if (!slash || slash - p != 12)
			break;
		memcpy(code, p, 12);
		code[12] = '\0';
		p = slash + 1;
		if (strcmp(code, reg->code) == 0)
			break;
		/* Ancestors outside the caller's scope are left out, like everything else there. */
		if (region_load(c, x, code, &a) == 1)
			json_array_append_new(anc, json_pack("{s:s,s:s,s:i}", "code", a.code,
			                                     "name", a.name, "level", a.level));
		region_release(&a);
	}
	if (o)
		json_object_set_new(o, "ancestors", anc ? anc : json_array());
	else
		json_decref(anc);
	return o;
}

json_t *region_list(const struct dom_ctx *x, const struct region_filter *f,
                    const struct dom_page *pg, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	char scope[DOM_SCOPE_SQL_MAX], sql[1024], lo[13], hi[13], last[13] = "";
	const char *lower = lo, *op = ">=";
	struct store_stmt *st = NULL;
	json_t *items = NULL, *out = NULL;
	int idx, rc, n = 0, more = 0;

	if (!c || codes_cursor_check(pg, 12, e) < 0)
		return NULL;
	/* The scope's code range serves the order from the code index; the path condition of the
	   scope then decides exactly. A cursor past the start of the range moves the start. */
	region_scope_code_range(x->caller, lo, hi);
	if (pg->after[0] && strcmp(pg->after, lo) >= 0) {
		lower = pg->after;
		op = ">";
	}
	dom_scope_sql(x->caller, "r.path", NULL, scope);
	(void)snprintf(sql, sizeof sql,
	               "SELECT r.code, r.name, r.level, r.parent_code, r.path, "
	               "r.boundary IS NOT NULL, "
	               "(SELECT count(*) FROM regions c WHERE c.parent_code = r.code), "
	               "(SELECT count(*) FROM grids g WHERE g.community_code = r.code "
	               "AND g.status = 'active') "
	               "FROM regions r WHERE r.code %s ? AND r.code < ?%s%s%s "
	               "ORDER BY r.code LIMIT ?",
	               op, scope, f->parent ? " AND r.parent_code = ?" : "",
	               f->level ? " AND r.level = ?" : "");
	if (!(st = store_prepare(c, sql)))
		goto fail;
	if (store_bind_text(st, 1, lower, -1) || store_bind_text(st, 2, hi, -1) ||
	    (idx = dom_scope_bind(x->caller, NULL, st, 3)) < 0 ||
	    (f->parent && store_bind_text(st, idx++, f->parent, -1)) ||
	    (f->level && store_bind_int64(st, idx++, f->level)) ||
	    store_bind_int64(st, idx, pg->limit + 1))
		goto fail;
	if (!(items = json_array()))
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW) {
		const char *code = store_col_text(st, 0);
		json_t *o;

		if (n == pg->limit) {
			more = 1;
			break;
		}
		o = json_pack("{s:s,s:s,s:i,s:s,s:s,s:b,s:I,s:I}", "code", code, "name",
		              store_col_text(st, 1), "level", (int)store_col_int64(st, 2), "kind",
		              region_kind_label(code), "path", store_col_text(st, 4),
		              "has_boundary", (int)store_col_int64(st, 5), "children",
		              (json_int_t)store_col_int64(st, 6), "grids",
		              (json_int_t)store_col_int64(st, 7));
		if (!o)
			goto fail;
		json_object_set_new(o, "parent_code",
		                    store_col_is_null(st, 3) ? json_null()
		                                             : json_string(store_col_text(st, 3)));
		json_array_append_new(items, o);
		copy_text(last, sizeof last, code);
		n++;
	}
	if (rc != STORE_ROW && rc != STORE_DONE)
		goto fail;
	store_reset(st);
	st = NULL;
	out = codes_page_json(items, more ? last : NULL);
	items = NULL;
	if (!out)
		goto fail;
	return out;
fail:
	if (st)
		store_reset(st);
	json_decref(items);
	dom_err_set(e, 503, "read_failed", "读取区划失败，请稍后重试");
	return NULL;
}

/* ---- create / update ---- */

/* Looks up a region's path on c without scoping (is the code taken at all?). 1 found, 0 not, -1
   error. */
static int path_of(struct store_conn *c, const char *code, char path[ACCESS_PATH_MAX])
{
	struct store_stmt *st = store_prepare(c, "SELECT path FROM regions WHERE code = ?");
	int rc, found = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		copy_text(path, ACCESS_PATH_MAX, store_col_text(st, 0));
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

/* The path of a region inside the caller's scope. 1 found, 0 not (or out of scope), -1 error. */
static int scoped_path_of(struct store_conn *c, const struct dom_ctx *x, const char *code,
                          char path[ACCESS_PATH_MAX])
{
	char scope[DOM_SCOPE_SQL_MAX], sql[512];
	struct store_stmt *st;
	int rc, found = -1;

	dom_scope_sql(x->caller, "r.path", NULL, scope);
	(void)snprintf(sql, sizeof sql, "SELECT r.path FROM regions r WHERE r.code = ?%s", scope);
	if (!(st = store_prepare(c, sql)))
		return -1;
	if (store_bind_text(st, 1, code, -1) == 0 && dom_scope_bind(x->caller, NULL, st, 2) > 0) {
		rc = store_step(st);
		if (rc == STORE_ROW) {
			copy_text(path, ACCESS_PATH_MAX, store_col_text(st, 0));
			found = 1;
		} else if (rc == STORE_DONE) {
			found = 0;
		}
	}
	store_reset(st);
	return found;
}

/* Resolves parent and path of r (code and level set) on c: the parent must exist inside the
   caller's scope; only the system creates a top-level region. 0, or -1 with e set. */
static int resolve_parent(struct store_conn *c, const struct dom_ctx *x, struct region *r,
                          struct dom_err *e)
{
	char parent[13], ppath[ACCESS_PATH_MAX];
	int found = 0;

	r->parent_code[0] = '\0';
	if (division_parent(r->code, parent) == 0)
		found = scoped_path_of(c, x, parent, ppath);
	else
		parent[0] = '\0';
	if (found < 0)
		return dom_err_read(e);
	if (found) {
		memcpy(r->parent_code, parent, sizeof parent);
	} else if (r->level >= DIV_COUNTY) {
		return dom_err_set(e, 404, "unknown_parent", "上级区划 %s 不存在，请先创建上级区划",
		                   parent[0] ? parent : "(无)");
	} else if (!x->caller->is_system) {
		return dom_err_set(e, 403, "forbidden", "只有系统可以创建顶级区划");
	}
	if (region_path_join(found ? ppath : "", r->code, r->path) < 0)
		return dom_err_set(e, 400, "bad_code", "区划层级过深");
	return 0;
}

/* authorize: the code is free and the parent lies inside the caller's scope. */
static int create_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct region *r = w->arg;
	char path[ACCESS_PATH_MAX];
	int rc = path_of(c, r->code, path);

	if (rc < 0)
		return dom_err_read(e);
	if (rc > 0)
		return dom_err_set(e, 409, "duplicate", "区划代码 %s 已存在", r->code);
	return resolve_parent(c, x, r, e);
}

/* One region row, as created by hand or imported. 0, or -1 with e. */
static int insert_region(struct store_conn *c, struct dom_err *e, int64_t now, const char *code,
                         const char *name, int level, const char *parent, const char *path,
                         const char *boundary)
{
	return dom_exec(c, e,
	                "INSERT INTO regions (code, name, level, parent_code, path, boundary, "
	                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	                "ttitttii", code, name, (int64_t)level, parent && *parent ? parent : NULL,
	                path, boundary, now, now);
}

static int create_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct region *r = w->arg;

	if (insert_region(c, e, x->now, r->code, r->name, r->level, r->parent_code, r->path,
	                  r->boundary) < 0)
		return -1;
	r->created_at = r->updated_at = x->now;
	dom_write_detail(w, "新建%s %s", region_kind_label(r->code), r->name);
	return 0;
}

static int check_boundary(const json_t *boundary, char **text, struct dom_err *e)
{
	char msg[GEO_MSG_MAX];

	*text = NULL;
	if (!boundary || json_is_null(boundary))
		return 0;
	if (geo_boundary_check(boundary, text, msg, sizeof msg) < 0)
		return dom_err_set(e, 400, "bad_boundary", "%s", msg);
	return 0;
}

int region_create(const struct dom_ctx *x, const char *code, const char *name,
                  const json_t *boundary, struct region *out, struct dom_err *e)
{
	struct dom_write w = { .action = "region.create",
		               .permission = "region.write",
		               .authorize = create_authorize,
		               .apply = create_apply,
		               .arg = out };
	struct code_error cerr = { 0 };
	char msg[256];

	memset(out, 0, sizeof *out);
	out->level = region_code_normalize(code, out->code, &cerr);
	if (!out->level)
		return dom_err_set(e, 400, "bad_code", "区划代码无效：%s", cerr.message);
	if (!dom_name_valid(name, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_name", "%s", msg);
	copy_text(out->name, sizeof out->name, name);
	if (check_boundary(boundary, &out->boundary, e) < 0)
		return -1;
	dom_write_object(&w, "region:%s", out->code);
	if (dom_write(x, &w, e) < 0) {
		region_release(out);
		return -1;
	}
	return 0;
}

struct update_arg {
	const char *code, *name, *boundary;
	int set_boundary;
};

/* authorize: the region exists inside the caller's scope. */
static int update_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct update_arg *u = w->arg;
	struct region r;
	int rc = region_load(c, x, u->code, &r);

	region_release(&r);
	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "区划 %s 不存在", u->code);
	return 0;
}

static int update_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct update_arg *u = w->arg;

	if (dom_exec(c, e,
	             "UPDATE regions SET name = coalesce(?, name), boundary = CASE WHEN ? = 1 THEN "
	             "? "
	             "ELSE boundary END, updated_at = ? WHERE code = ?",
	             "titit", u->name, (int64_t)u->set_boundary, u->boundary, x->now, u->code) < 0)
		return -1;
	dom_write_detail(w, "修改区划：%s%s%s", u->name ? "名称" : "",
	                 u->name && u->set_boundary ? "、" : "",
	                 !u->set_boundary ? ""
	                 : u->boundary    ? "边界"
	                                  : "清除边界");
	return 0;
}

int region_update(const struct dom_ctx *x, const char *code12, const char *name,
                  const json_t *boundary, int clear_boundary, struct dom_err *e)
{
	struct update_arg u = { .code = code12, .name = name };
	struct dom_write w = { .action = "region.update",
		               .permission = "region.write",
		               .authorize = update_authorize,
		               .apply = update_apply,
		               .arg = &u };
	char msg[256], *text = NULL;
	int rc;

	if (name && !dom_name_valid(name, msg, sizeof msg))
		return dom_err_set(e, 400, "bad_name", "%s", msg);
	if (boundary && check_boundary(boundary, &text, e) < 0)
		return -1;
	u.boundary = text;
	u.set_boundary = text != NULL || clear_boundary;
	dom_write_object(&w, "region:%s", code12);
	rc = dom_write(x, &w, e);
	free(text);
	return rc;
}

/* ---- CSV import ---- */

#define IMPORT_FIELD_MAX (8u * 1024 * 1024) /* one cell: a boundary may be large */

struct csv_row {
	int line; /* physical line where the record starts */
	char code[13];
	int level;
	char *name;
	char *boundary; /* normalized GeoJSON or NULL */
	char parent[13];
	char path[ACCESS_PATH_MAX];
	int bad;
	char *msg; /* the row's first problem, reported with its line number */
};

static void trim(struct buf *b)
{
	size_t s = 0, e = b->len;

	while (s < e && (b->data[s] == ' ' || b->data[s] == '\t'))
		s++;
	while (e > s && (b->data[e - 1] == ' ' || b->data[e - 1] == '\t'))
		e--;
	memmove(b->data, b->data + s, e - s);
	b->len = e - s;
	b->data[b->len] = '\0';
}

static int row_cmp_code(const void *a, const void *b)
{
	return strcmp(((const struct csv_row *)a)->code, ((const struct csv_row *)b)->code);
}

static int row_cmp_level(const void *a, const void *b)
{
	const struct csv_row *x = a, *y = b;

	if (x->level != y->level)
		return x->level - y->level;
	return strcmp(x->code, y->code);
}

struct import_ctx {
	struct csv_row *rows;     /* file order, then level order for the write */
	struct csv_row **by_code; /* sorted by code, for parent lookups */
	size_t n;
	int nbad;
};

static void bad_row(struct import_ctx *x, struct csv_row *row, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void bad_row(struct import_ctx *x, struct csv_row *row, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	if (row->bad)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	row->msg = strdup(msg);
	row->bad = 1;
	x->nbad++;
}

static int ptr_cmp_code(const void *a, const void *b)
{
	return strcmp((*(struct csv_row *const *)a)->code, (*(struct csv_row *const *)b)->code);
}

static struct csv_row *find_row(struct import_ctx *x, const char *code)
{
	struct csv_row key, *kp = &key, **hit;

	memcpy(key.code, code, 13);
	hit = bsearch(&kp, x->by_code, x->n, sizeof *x->by_code, ptr_cmp_code);
	if (!hit)
		return NULL;
	/* With duplicates in the file, prefer the good row among the equal ones. */
	while (hit > x->by_code && strcmp((*(hit - 1))->code, code) == 0)
		hit--;
	for (struct csv_row **h = hit; h < x->by_code + x->n && strcmp((*h)->code, code) == 0; h++)
		if (!(*h)->bad)
			return *h;
	return *hit;
}

static int row_cmp_line(const void *a, const void *b)
{
	return ((const struct csv_row *)a)->line - ((const struct csv_row *)b)->line;
}

/*
 * authorize: every row's code is free in the database and its parent is either an earlier row of
 * the file or a region inside the caller's scope; only the system creates top-level regions. A
 * row failing that is reported as bad, and any bad row (found here or while reading the file)
 * refuses the whole import.
 */
static int import_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                            struct dom_err *e)
{
	struct import_ctx *ix = w->arg;
	const struct principal *p = x->caller;
	char path[ACCESS_PATH_MAX];

	/* Rows are sorted by level, so every parent in the file is resolved before its children. */
	for (size_t i = 0; i < ix->n; i++) {
		struct csv_row *row = &ix->rows[i];
		struct csv_row *prow;
		char parent[13];
		int found;

		if (row->bad)
			continue;
		found = path_of(c, row->code, path);
		if (found < 0)
			return dom_err_read(e);
		if (found) {
			bad_row(ix, row, "区划代码 %s 已存在于数据库中（重复）", row->code);
			continue;
		}
		row->parent[0] = '\0';
		if (division_parent(row->code, parent) < 0) {
			if (!p->is_system)
				bad_row(ix, row, "没有权限创建顶级区划 %s", row->code);
			else
				(void)region_path_join("", row->code, row->path);
			continue;
		}
		prow = find_row(ix, parent);
		if (prow) {
			if (prow->bad) {
				bad_row(ix, row, "上级区划 %s 所在的第 %d 行有错误", parent,
				        prow->line);
				continue;
			}
			memcpy(row->parent, parent, sizeof parent);
			if (region_path_join(prow->path, row->code, row->path) < 0)
				bad_row(ix, row, "区划层级过深");
			continue;
		}
		found = scoped_path_of(c, x, parent, path);
		if (found < 0)
			return dom_err_read(e);
		if (found) {
			memcpy(row->parent, parent, sizeof parent);
			if (region_path_join(path, row->code, row->path) < 0)
				bad_row(ix, row, "区划层级过深");
		} else if (row->level >= DIV_COUNTY) {
			bad_row(ix, row, "上级区划 %s 不存在（文件和数据库中都没有）", parent);
		} else if (!p->is_system) {
			bad_row(ix, row, "没有权限创建顶级区划 %s", row->code);
		} else {
			(void)region_path_join("", row->code, row->path);
		}
	}
	if (ix->nbad)
		return dom_err_set(e, 400, "bad_rows", "有 %d 行数据有误，未导入任何区划",
		                   ix->nbad);
	return 0;
}

static int import_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                        struct dom_err *e)
{
	struct import_ctx *ix = w->arg;

	for (size_t i = 0; i < ix->n; i++) {
		struct csv_row *row = &ix->rows[i];

		if (insert_region(c, e, x->now, row->code, row->name, row->level, row->parent,
		                  row->path, row->boundary) < 0)
			return -1;
	}
	/* One record per import run, not one per row. */
	dom_write_detail(w, "从 CSV 导入 %zu 个区划", ix->n);
	return 0;
}

static int header_ok(struct buf *f, int n)
{
	static const char *codes[] = { "code", "代码", "区划代码", "统计用区划代码" };
	static const char *names[] = { "name", "名称", "区划名称" };
	static const char *bnds[] = { "boundary", "边界" };
	int ok = 0;

	if (n < 2 || n > 3)
		return 0;
	for (size_t i = 0; i < 4; i++)
		ok |= strcasecmp(f[0].data, codes[i]) == 0;
	if (!ok)
		return 0;
	ok = 0;
	for (size_t i = 0; i < 3; i++)
		ok |= strcasecmp(f[1].data, names[i]) == 0;
	if (!ok)
		return 0;
	if (n == 3) {
		ok = 0;
		for (size_t i = 0; i < 2; i++)
			ok |= strcasecmp(f[2].data, bnds[i]) == 0;
	}
	return ok;
}

/* Checks one data record's fields into row (code, level, name, boundary); bad_row on a problem. */
static void read_row(struct import_ctx *x, struct csv_row *row, struct buf *fields, int nf)
{
	struct code_error cerr = { 0 };
	char msg[GEO_MSG_MAX];

	if (nf < 2 || nf > 3) {
		bad_row(x, row, "列数应为 2 或 3（code,name[,boundary]），实际为 %d", nf);
		return;
	}
	row->level = region_code_normalize(fields[0].data, row->code, &cerr);
	if (!row->level) {
		bad_row(x, row, "区划代码“%s”无效：%s", fields[0].data, cerr.message);
		return;
	}
	if (fields[1].len == 0) {
		bad_row(x, row, "缺少名称");
		return;
	}
	if (!dom_name_valid(fields[1].data, msg, sizeof msg)) {
		bad_row(x, row, "%s", msg);
		return;
	}
	if (!(row->name = strdup(fields[1].data))) {
		bad_row(x, row, "内存不足");
		return;
	}
	if (nf == 3 && fields[2].len) {
		json_error_t jerr;
		json_t *j = json_loads(fields[2].data, JSON_REJECT_DUPLICATES, &jerr);

		if (!j) {
			bad_row(x, row, "边界不是合法的 GeoJSON：%s", jerr.text);
			return;
		}
		if (geo_boundary_check(j, &row->boundary, msg, sizeof msg) < 0)
			bad_row(x, row, "%s", msg);
		json_decref(j);
	}
}

int region_import_csv(const struct dom_ctx *x, const char *data, size_t len, struct buf *report)
{
	struct csv_reader rd;
	struct buf fields[4];
	struct import_ctx ix = { 0 };
	struct dom_write w = { .action = "region.import",
		               .permission = "region.write",
		               .authorize = import_authorize,
		               .apply = import_apply,
		               .arg = &ix };
	struct dom_err e = { 0 };
	size_t cap = 0;
	int nf, line = 0, result = -1, first = 1;

	csv_reader_init(&rd, data, len);
	for (int i = 0; i < 4; i++)
		buf_init(&fields[i], IMPORT_FIELD_MAX);
	while ((nf = csv_read(&rd, fields, 4, &line)) != 0) {
		struct csv_row *row;

		if (nf < 0) {
			(void)buf_printf(report, "第 %d 行：%s\n", line,
			                 nf == CSV_TOO_LONG ? "字段过长" : "引号未闭合");
			ix.nbad++;
			break;
		}
		for (int i = 0; i < nf && i < 4; i++)
			trim(&fields[i]);
		if (nf == 1 && fields[0].len == 0)
			continue; /* blank line */
		if (first) {
			first = 0;
			if (!header_ok(fields, nf)) {
				(void)buf_printf(
				        report,
				        "第 %d 行：表头应为 code,name 或 code,name,boundary\n",
				        line);
				ix.nbad++;
				break;
			}
			continue;
		}
		if (ix.n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct csv_row *nr = ncap > SIZE_MAX / sizeof *nr
			                             ? NULL
			                             : realloc(ix.rows, ncap * sizeof *nr);

			if (!nr) {
				(void)buf_puts(report, "内存不足\n");
				goto out;
			}
			ix.rows = nr;
			cap = ncap;
		}
		row = &ix.rows[ix.n++];
		memset(row, 0, sizeof *row);
		row->line = line;
		read_row(&ix, row, fields, nf);
	}
	if (first && ix.nbad == 0) {
		(void)buf_puts(report, "第 1 行：文件为空，缺少表头\n");
		ix.nbad++;
	}
	/* Duplicates inside the file: sort by code and compare neighbours. */
	if (ix.n > 1) {
		qsort(ix.rows, ix.n, sizeof *ix.rows, row_cmp_code);
		for (size_t i = 1; i < ix.n; i++)
			if (ix.rows[i].code[0] &&
			    strcmp(ix.rows[i].code, ix.rows[i - 1].code) == 0) {
				struct csv_row *a = &ix.rows[i - 1], *b = &ix.rows[i];

				if (a->line > b->line) {
					struct csv_row *t = a;

					a = b;
					b = t;
				}
				bad_row(&ix, b, "区划代码 %s 与第 %d 行重复", b->code, a->line);
			}
	}
	/* Parents and duplicates against the database are checked (import_authorize) even when some
	   rows are already bad, so that one run reports every bad row; nothing is written unless
	   every row is good. */
	if (ix.n > 0) {
		qsort(ix.rows, ix.n, sizeof *ix.rows, row_cmp_level);
		ix.by_code = malloc(ix.n * sizeof *ix.by_code);
		if (!ix.by_code) {
			(void)buf_puts(report, "内存不足\n");
			goto out;
		}
		for (size_t i = 0; i < ix.n; i++)
			ix.by_code[i] = &ix.rows[i];
		qsort(ix.by_code, ix.n, sizeof *ix.by_code, ptr_cmp_code);
		dom_write_object(&w, "regions");
		dom_write_detail(&w, "从 CSV 导入区划（%zu 行）", ix.n);
		if (dom_write(x, &w, &e) == 0) {
			result = (int)ix.n;
		} else if (e.status == 403) {
			(void)buf_printf(report, "%s\n", e.message);
		} else if (ix.nbad == 0) {
			(void)buf_puts(report, "写入数据库失败，未导入任何数据\n");
			result = -2;
		}
	} else if (ix.nbad == 0) {
		result = 0;
	}
	if (ix.nbad && ix.n) {
		qsort(ix.rows, ix.n, sizeof *ix.rows, row_cmp_line);
		for (size_t i = 0; i < ix.n; i++)
			if (ix.rows[i].msg)
				(void)buf_printf(report, "第 %d 行：%s\n", ix.rows[i].line,
				                 ix.rows[i].msg);
	}
out:
	for (size_t i = 0; i < ix.n; i++) {
		free(ix.rows[i].name);
		free(ix.rows[i].boundary);
		free(ix.rows[i].msg);
	}
	free(ix.rows);
	free(ix.by_code);
	for (int i = 0; i < 4; i++)
		buf_release(&fields[i]);
	return result;
}
