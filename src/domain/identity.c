/*
 * Identity: configuration, passwords, callers, organisations, users, roles, lockouts. See
 * identity.h for the rules. Writes run on the store's writer thread and append their audit record
 * in the same transaction, so a change and its record commit together.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/codes.h"
#include "base/log.h"
#include "base/vault.h"
#include "domain/audit.h"
#include "domain/identity.h"
#include "domain/totp.h"
#include "store/store.h"

/* ---- configuration ---- */

void identity_config_default(struct identity_config *c)
{
	memset(c, 0, sizeof *c);
	c->argon2_opslimit = 3;
	c->argon2_memlimit = 64u * 1024 * 1024;
	c->session_idle_s = 30 * 60;
	c->session_absolute_s = 12 * 3600;
	c->lockout_account_failures = 5;
	c->lockout_address_failures = 20;
	c->lockout_window_s = 15 * 60;
	c->lockout_duration_s = 15 * 60;
	c->password_max_age_s = 90 * 86400LL;
	c->audit_retention_s = AUDIT_DEFAULT_RETENTION_S;
	c->token_max_lifetime_s = 365 * 86400LL;
}

static int env_ll(const char *name, long long min, long long max, long long *out, char *err,
                  size_t errlen)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		snprintf(err, errlen, "%s=%s: want an integer in %lld..%lld", name, v, min, max);
		return -1;
	}
	*out = n;
	return 1;
}

int identity_config_from_env(struct identity_config *c, char *err, size_t errlen)
{
	long long v;
	int r;

	if ((r = env_ll("WANGGE_ARGON2_OPSLIMIT", crypto_pwhash_OPSLIMIT_MIN, 64, &v, err,
	                errlen)) < 0)
		return -1;
	if (r)
		c->argon2_opslimit = (unsigned long long)v;
	if ((r = env_ll("WANGGE_ARGON2_MEMLIMIT_KB", crypto_pwhash_MEMLIMIT_MIN / 1024,
	                4LL * 1024 * 1024, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->argon2_memlimit = (size_t)v * 1024;
	if ((r = env_ll("WANGGE_SESSION_IDLE_S", 1, 7 * 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->session_idle_s = v;
	if ((r = env_ll("WANGGE_SESSION_ABSOLUTE_S", 1, 30 * 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->session_absolute_s = v;
	if ((r = env_ll("WANGGE_LOCKOUT_ACCOUNT_FAILURES", 1, 1000, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_account_failures = (int)v;
	if ((r = env_ll("WANGGE_LOCKOUT_ADDRESS_FAILURES", 1, 100000, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_address_failures = (int)v;
	if ((r = env_ll("WANGGE_LOCKOUT_WINDOW_S", 1, 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_window_s = v;
	if ((r = env_ll("WANGGE_LOCKOUT_DURATION_S", 1, 30 * 86400, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->lockout_duration_s = v;
	if ((r = env_ll("WANGGE_PASSWORD_MAX_AGE_DAYS", 0, 3650, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->password_max_age_s = v * 86400;
	if ((r = env_ll("WANGGE_AUDIT_RETENTION_DAYS", 180, 36500, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->audit_retention_s = v * 86400;
	if ((r = env_ll("WANGGE_SECURE_COOKIES", 0, 1, &v, err, errlen)) < 0)
		return -1;
	if (r)
		c->secure_cookies = (int)v;
	return 0;
}

/* ---- small helpers ---- */

static int step_done(struct store_stmt *st)
{
	int rc = store_step(st);

	store_reset(st);
	if (rc == STORE_DONE || rc == STORE_ROW)
		return 0;
	return rc < 0 ? rc : STORE_ERR;
}

/* Runs fn on the writer thread (store_write) and translates its result for the public
   functions below: 0 after a committed write; -1 when fn refused the write (returned 1, having
   set e) or when the write failed (e set to 503 write_failed). */
static int write_or_fail(struct store *s, store_write_fn fn, void *arg, struct dom_err *e)
{
	int rc = store_write(s, fn, arg);

	if (rc == 1)
		return -1;
	if (rc) {
		dom_err_set(e, 503, "write_failed", "写入失败，请稍后重试");
		return -1;
	}
	return 0;
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void scope(const struct principal *p, char lo[ACCESS_PATH_MAX], char hi[ACCESS_PATH_MAX])
{
	access_scope_range(p, lo, hi);
}

static size_t u8chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void idctx_audit_init(const struct idctx *x, const struct principal *p, struct audit_entry *e)
{
	memset(e, 0, sizeof *e);
	e->user_id = p ? p->user_id : 0;
	e->username = p ? p->username : "-";
	e->org_id = p ? p->org_id : 0;
	e->source = x->source;
	e->request_id = x->request_id;
	e->outcome = "success";
}

static int audit_in(struct store_conn *c, const struct idctx *x, const struct principal *p,
                    const char *action, const char *object, const char *outcome, const char *detail)
{
	struct audit_entry e;

	idctx_audit_init(x, p, &e);
	e.action = action;
	e.object = object;
	e.outcome = outcome;
	e.detail = detail;
	return audit_append_conn(c, x->audit_key, &e);
}

/* ---- passwords ---- */

int identity_username_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 3 || n > USERNAME_MAX)
		return 0;
	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (!islower(ch) && !isdigit(ch) && ch != '_' && ch != '.' && ch != '-')
			return 0;
	}
	return 1;
}

const char *identity_password_policy(const char *username, const char *password)
{
	int lower = 0, upper = 0, digit = 0, other = 0;

	if (!password || !*password)
		return "密码不能为空";
	if (strlen(password) > PASSWORD_MAX_BYTES)
		return "密码过长（最多 128 字节）";
	if (u8chars(password) < PASSWORD_MIN_CHARS)
		return "密码至少 12 个字符";
	for (const unsigned char *s = (const unsigned char *)password; *s; s++) {
		if (*s < 0x20 || *s == 0x7f)
			return "密码不能包含控制字符";
		if (islower(*s))
			lower = 1;
		else if (isupper(*s))
			upper = 1;
		else if (isdigit(*s))
			digit = 1;
		else
			other = 1;
	}
	if (lower + upper + digit + other < 3)
		return "密码须包含小写字母、大写字母、数字、其他符号中的至少三类";
	if (username && *username && strlen(username) >= 3) {
		size_t ul = strlen(username), pl = strlen(password);
		for (size_t i = 0; i + ul <= pl; i++)
			if (strncasecmp(password + i, username, ul) == 0)
				return "密码不能包含用户名";
	}
	return NULL;
}

int identity_password_hash(const struct identity_config *c, const char *password,
                           char out[PASSWORD_HASH_MAX])
{
	if (crypto_pwhash_str_alg(out, password, strlen(password), c->argon2_opslimit,
	                          c->argon2_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		log_error("password.hash_failed", "memlimit=%zu", c->argon2_memlimit);
		return -1;
	}
	return 0;
}

int identity_password_verify(const char *hash, const char *password)
{
	if (!hash || !password || strlen(password) > PASSWORD_MAX_BYTES)
		return 0;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void identity_password_generate(char *out, size_t n)
{
	static const char *const classes[] = { "abcdefghjkmnpqrstuvwxyz",
		                               "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "#%+-=@^_" };
	size_t len = n - 1 < 16 ? n - 1 : 16;

	if (n == 0)
		return;
	for (;;) {
		int seen[4] = { 0 };
		for (size_t i = 0; i < len; i++) {
			/* Weight letters more so passwords stay easy to read out. */
			uint32_t k = randombytes_uniform(10);
			const char *cl;

			k = k < 4 ? 0 : k < 7 ? 1 : k < 9 ? 2 : 3;
			cl = classes[k];
			out[i] = cl[randombytes_uniform((uint32_t)strlen(cl))];
			seen[k] = 1;
		}
		out[len] = '\0';
		if (seen[0] && seen[1] && seen[2] && seen[3])
			return;
	}
}

/* ---- callers ---- */

void caller_init(struct caller *c)
{
	memset(c, 0, sizeof *c);
	c->p.impl = &c->perms;
	copy(c->p.username, sizeof c->p.username, "-");
}

void caller_release(struct caller *c)
{
	free(c->grid_buf);
	c->grid_buf = NULL;
	c->p.grid_ids = NULL;
	c->p.ngrids = 0;
	sodium_memzero(c->csrf_hash, sizeof c->csrf_hash);
}

int caller_restricted(const struct caller *c)
{
	return c->must_change_password || (c->totp_required && !c->totp_enrolled);
}

/* Adds the permissions of one role (built-in from the catalog, custom from the database). */
static int role_perms(struct store_conn *c, int64_t role_id, const char *name, int builtin,
                      struct perm_set *out)
{
	struct store_stmt *st;
	int rc;

	if (builtin) {
		const struct builtin_role *b = builtin_role_find(name);
		struct perm_set s;
		if (b) {
			builtin_role_perms(b, &s);
			perm_set_union(out, &s);
		}
		return 0;
	}
	st = store_prepare(c, "SELECT permission FROM role_permissions WHERE role_id = ?");
	if (!st)
		return -1;
	store_bind_int64(st, 1, role_id);
	while ((rc = store_step(st)) == STORE_ROW)
		perm_set_add_name(out, store_col_text(st, 0)); /* unknown names are ignored */
	store_reset(st);
	return rc == STORE_DONE ? 0 : -1;
}

/* The union of a user's roles; *grid_worker set when one of them is the grid worker role. */
static int user_perms(struct store_conn *c, int64_t user_id, struct perm_set *out, int *grid_worker)
{
	struct store_stmt *st;
	struct {
		int64_t id;
		char name[ROLE_NAME_MAX + 1];
		int builtin;
	} roles[32];
	int n = 0, rc;

	memset(out, 0, sizeof *out);
	if (grid_worker)
		*grid_worker = 0;
	st = store_prepare(c, "SELECT r.id, r.name, r.builtin FROM user_roles ur JOIN roles r ON "
	                      "r.id = ur.role_id WHERE ur.user_id = ? ORDER BY r.id");
	if (!st)
		return -1;
	store_bind_int64(st, 1, user_id);
	while ((rc = store_step(st)) == STORE_ROW && n < 32) {
		roles[n].id = store_col_int64(st, 0);
		copy(roles[n].name, sizeof roles[n].name, store_col_text(st, 1));
		roles[n].builtin = (int)store_col_int64(st, 2);
		n++;
	}
	store_reset(st);
	if (rc != STORE_DONE && rc != STORE_ROW)
		return -1;
	for (int i = 0; i < n; i++) {
		if (role_perms(c, roles[i].id, roles[i].name, roles[i].builtin, out) < 0)
			return -1;
		if (grid_worker && roles[i].builtin && strcmp(roles[i].name, "grid_worker") == 0)
			*grid_worker = 1;
	}
	return 0;
}

static int load_grids(struct store_conn *c, int64_t user_id, struct caller *out)
{
	struct store_stmt *st = store_prepare(c, "SELECT grid_id FROM user_grids WHERE user_id = ? "
	                                         "ORDER BY grid_id");
	size_t cap = 0, n = 0;
	int rc;

	if (!st)
		return -1;
	store_bind_int64(st, 1, user_id);
	while ((rc = store_step(st)) == STORE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			int64_t *g = realloc(out->grid_buf, ncap * sizeof *g);
			if (!g) {
				store_reset(st);
				return -1;
			}
			out->grid_buf = g;
			cap = ncap;
		}
		out->grid_buf[n++] = store_col_int64(st, 0);
	}
	store_reset(st);
	if (rc != STORE_DONE)
		return -1;
	out->p.grid_ids = out->grid_buf;
	out->p.ngrids = n;
	return 0;
}

enum org_kind org_kind_from_name(const char *kind)
{
	if (!kind)
		return ORG_NONE;
	if (strcmp(kind, "center") == 0)
		return ORG_CENTER;
	if (strcmp(kind, "department") == 0)
		return ORG_DEPARTMENT;
	if (strcmp(kind, "committee") == 0)
		return ORG_COMMITTEE;
	if (strcmp(kind, "grid_team") == 0)
		return ORG_GRID_TEAM;
	return ORG_NONE;
}

int identity_load_caller(struct store_conn *c, const struct identity_config *cfg, int64_t user_id,
                         int64_t now, struct caller *out)
{
	struct store_stmt *st;
	int rc, found = -1, grid_worker = 0;
	int64_t changed_at;

	caller_init(out);
	st = store_prepare(c,
	                   "SELECT u.username, u.display_name, u.org_id, u.must_change_password, "
	                   "u.password_changed_at, u.totp_enabled, u.disabled, o.name, o.kind, "
	                   "o.region_code, r.path, o.disabled FROM users u JOIN organisations o "
	                   "ON o.id = u.org_id JOIN regions r ON r.code = o.region_code "
	                   "WHERE u.id = ?");
	if (!st)
		return -1;
	store_bind_int64(st, 1, user_id);
	rc = store_step(st);
	if (rc == STORE_DONE) {
		found = 0;
	} else if (rc == STORE_ROW) {
		if (store_col_int64(st, 6) || store_col_int64(st, 11)) {
			found = 0;
		} else {
			out->p.user_id = user_id;
			copy(out->p.username, sizeof out->p.username, store_col_text(st, 0));
			copy(out->display_name, sizeof out->display_name, store_col_text(st, 1));
			out->p.org_id = store_col_int64(st, 2);
			out->must_change_password = store_col_int64(st, 3) != 0;
			changed_at = store_col_int64(st, 4);
			if (cfg && cfg->password_max_age_s > 0 &&
			    now - changed_at > cfg->password_max_age_s)
				out->must_change_password = 1;
			out->totp_enrolled = store_col_int64(st, 5) != 0;
			copy(out->org_name, sizeof out->org_name, store_col_text(st, 7));
			out->p.org_kind = org_kind_from_name(store_col_text(st, 8));
			copy(out->p.region_code, sizeof out->p.region_code, store_col_text(st, 9));
			copy(out->p.region_path, sizeof out->p.region_path, store_col_text(st, 10));
			found = 1;
		}
	}
	store_reset(st);
	if (found != 1)
		return found;
	if (user_perms(c, user_id, &out->perms, &grid_worker) < 0 ||
	    load_grids(c, user_id, out) < 0)
		return -1;
	out->p.grid_bound = grid_worker || out->p.ngrids > 0;
	out->totp_required = perm_set_is_admin(&out->perms);
	return 1;
}

/* ---- organisations ---- */

static const char org_cols[] =
        "SELECT o.id, o.name, o.kind, coalesce(o.level, ''), o.region_code, r.name, r.path, "
        "o.disabled, o.created_at, o.updated_at FROM organisations o JOIN regions r ON r.code = "
        "o.region_code ";

static void org_from_row(struct store_stmt *st, struct org *o)
{
	o->id = store_col_int64(st, 0);
	copy(o->name, sizeof o->name, store_col_text(st, 1));
	copy(o->kind, sizeof o->kind, store_col_text(st, 2));
	copy(o->level, sizeof o->level, store_col_text(st, 3));
	copy(o->region_code, sizeof o->region_code, store_col_text(st, 4));
	copy(o->region_name, sizeof o->region_name, store_col_text(st, 5));
	copy(o->region_path, sizeof o->region_path, store_col_text(st, 6));
	o->disabled = (int)store_col_int64(st, 7);
	o->created_at = store_col_int64(st, 8);
	o->updated_at = store_col_int64(st, 9);
}

int identity_org_get(struct store_conn *c, const struct principal *p, int64_t id, struct org *out)
{
	char sql[512], lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	struct store_stmt *st;
	int rc, found = -1;

	snprintf(sql, sizeof sql, "%sWHERE o.id = ? AND r.path >= ? AND r.path < ?", org_cols);
	scope(p, lo, hi);
	if (!c || !(st = store_prepare(c, sql)))
		return -1;
	store_bind_int64(st, 1, id);
	store_bind_text(st, 2, lo, -1);
	store_bind_text(st, 3, hi, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		org_from_row(st, out);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

static const char *org_kind_label(const char *kind)
{
	if (strcmp(kind, "center") == 0)
		return "网格化服务管理中心";
	if (strcmp(kind, "department") == 0)
		return "职能部门";
	if (strcmp(kind, "committee") == 0)
		return "村(居)民委员会";
	if (strcmp(kind, "grid_team") == 0)
		return "网格员队伍";
	return "";
}

json_t *identity_org_json(const struct org *o)
{
	char t1[32], t2[32];

	return json_pack("{s:I,s:s,s:s,s:s,s:s*,s:s,s:s,s:b,s:s,s:s}", "id", (json_int_t)o->id,
	                 "name", o->name, "kind", o->kind, "kind_label", org_kind_label(o->kind),
	                 "level", o->level[0] ? o->level : NULL, "region_code", o->region_code,
	                 "region_name", o->region_name, "disabled", o->disabled, "created_at",
	                 clock_format_local(o->created_at, t1, sizeof t1), "updated_at",
	                 clock_format_local(o->updated_at, t2, sizeof t2));
}

json_t *identity_org_list(struct store *s, const struct principal *p, const char *kind,
                          int64_t limit, int64_t offset, struct dom_err *e)
{
	struct store_conn *c = store_reader(s);
	char sql[640], lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	struct store_stmt *st;
	json_t *items = json_array(), *out = NULL;
	int64_t total = 0;
	int rc;

	scope(p, lo, hi);
	if (!c || !items)
		goto fail;
	st = store_prepare(c, "SELECT count(*) FROM organisations o JOIN regions r ON r.code = "
	                      "o.region_code WHERE r.path >= ? AND r.path < ? AND (? IS NULL OR "
	                      "o.kind = ?)");
	if (!st)
		goto fail;
	store_bind_text(st, 1, lo, -1);
	store_bind_text(st, 2, hi, -1);
	store_bind_text(st, 3, kind, -1);
	store_bind_text(st, 4, kind, -1);
	if (store_step(st) == STORE_ROW)
		total = store_col_int64(st, 0);
	store_reset(st);
	snprintf(sql, sizeof sql,
	         "%sWHERE r.path >= ? AND r.path < ? AND (? IS NULL OR o.kind = ?) "
	         "ORDER BY r.path, o.kind, o.id LIMIT ? OFFSET ?",
	         org_cols);
	st = store_prepare(c, sql);
	if (!st)
		goto fail;
	store_bind_text(st, 1, lo, -1);
	store_bind_text(st, 2, hi, -1);
	store_bind_text(st, 3, kind, -1);
	store_bind_text(st, 4, kind, -1);
	store_bind_int64(st, 5, limit);
	store_bind_int64(st, 6, offset);
	while ((rc = store_step(st)) == STORE_ROW) {
		struct org o;
		org_from_row(st, &o);
		json_array_append_new(items, identity_org_json(&o));
	}
	store_reset(st);
	if (rc != STORE_DONE)
		goto fail;
	out = json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "limit",
	                (json_int_t)limit, "offset", (json_int_t)offset);
	return out;
fail:
	json_decref(items);
	dom_err_set(e, 503, "read_failed", "读取组织机构失败，请稍后重试");
	return NULL;
}

/* Looks up a region's path if it is inside p's scope: 1, 0 not found/out of scope, -1 error. */
static int region_in_scope(struct store_conn *c, const struct principal *p, const char *code,
                           char path[ACCESS_PATH_MAX])
{
	struct store_stmt *st = store_prepare(c, "SELECT path FROM regions WHERE code = ?");
	int rc, found = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		copy(path, ACCESS_PATH_MAX, store_col_text(st, 0));
		found = access_sees_region(p, path) ? 1 : 0;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

struct org_write {
	const struct idctx *x;
	const struct principal *p;
	int64_t id;
	const char *name, *kind, *level, *region_code;
	int disabled;
	int ensure; /* return the existing id on a duplicate */
	struct dom_err *e;
};

static int org_create_fn(struct store_conn *c, void *arg)
{
	struct org_write *w = arg;
	char path[ACCESS_PATH_MAX], obj[40];
	struct store_stmt *st;
	int64_t now = clock_now();
	int rc;

	rc = region_in_scope(c, w->p, w->region_code, path);
	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "unknown_region", "区划 %s 不存在或不在管辖范围内",
		            w->region_code);
		return 1;
	}
	if (w->ensure) {
		st = store_prepare(
		        c, "SELECT id FROM organisations WHERE region_code = ? AND name = ?");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, w->region_code, -1);
		store_bind_text(st, 2, w->name, -1);
		if (store_step(st) == STORE_ROW) {
			w->id = store_col_int64(st, 0);
			store_reset(st);
			return 0;
		}
		store_reset(st);
	}
	st = store_prepare(c, "INSERT INTO organisations (name, kind, level, region_code, "
	                      "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->name, -1);
	store_bind_text(st, 2, w->kind, -1);
	store_bind_text(st, 3, w->level && *w->level ? w->level : NULL, -1);
	store_bind_text(st, 4, w->region_code, -1);
	store_bind_int64(st, 5, now);
	store_bind_int64(st, 6, now);
	rc = step_done(st);
	if (rc == STORE_CONSTRAINT) {
		dom_err_set(w->e, 409, "duplicate", "该区划下已有同名组织机构");
		return 1;
	}
	if (rc)
		return rc;
	w->id = store_last_insert_id(c);
	snprintf(obj, sizeof obj, "org:%" PRId64, w->id);
	return audit_in(c, w->x, w->p, "org.create", obj, "success", w->name);
}

static int org_validate(const char *name, const char *kind, const char *level, struct dom_err *e)
{
	char msg[128];

	if (!dom_name_valid(name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_name", "%s", msg);
		return -1;
	}
	if (org_kind_from_name(kind) == ORG_NONE) {
		dom_err_set(e, 400, "bad_kind",
		            "kind 必须是 center、department、committee 或 grid_team 之一");
		return -1;
	}
	if (strcmp(kind, "center") == 0) {
		if (!level || (strcmp(level, "city") && strcmp(level, "county") &&
		               strcmp(level, "township"))) {
			dom_err_set(e, 400, "bad_level",
			            "中心的 level 必须是 city、county 或 township");
			return -1;
		}
	} else if (level && *level) {
		dom_err_set(e, 400, "bad_level", "只有中心需要 level");
		return -1;
	}
	return 0;
}

int identity_org_create(const struct idctx *x, const struct principal *p, const char *name,
                        const char *kind, const char *level, const char *region_code, int64_t *id,
                        struct dom_err *e)
{
	struct org_write w = { .x = x,
		               .p = p,
		               .name = name,
		               .kind = kind,
		               .level = level,
		               .region_code = region_code,
		               .e = e };

	if (org_validate(name, kind, level, e) < 0)
		return -1;
	if (!region_code || strlen(region_code) != 12) {
		dom_err_set(e, 400, "bad_region", "region_code 必须是 12 位区划代码");
		return -1;
	}
	if (write_or_fail(x->store, org_create_fn, &w, e) < 0)
		return -1;
	*id = w.id;
	return 0;
}

int64_t identity_org_ensure(const struct idctx *x, const char *name, const char *kind,
                            const char *level, const char *region_code)
{
	struct dom_err e = { 0 };
	struct org_write w = { .x = x,
		               .p = access_system(),
		               .name = name,
		               .kind = kind,
		               .level = level,
		               .region_code = region_code,
		               .ensure = 1,
		               .e = &e };

	if (org_validate(name, kind, level, &e) < 0 || store_write(x->store, org_create_fn, &w)) {
		log_error("org.ensure_failed", "region=%s code=%s", region_code,
		          e.code ? e.code : "write");
		return -1;
	}
	return w.id;
}

static int org_update_fn(struct store_conn *c, void *arg)
{
	struct org_write *w = arg;
	struct org o;
	struct store_stmt *st;
	char obj[40];
	int rc = identity_org_get(c, w->p, w->id, &o);

	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "not_found", "组织机构不存在");
		return 1;
	}
	st = store_prepare(c,
	                   "UPDATE organisations SET name = coalesce(?, name), disabled = "
	                   "CASE WHEN ? < 0 THEN disabled ELSE ? END, updated_at = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->name, -1);
	store_bind_int64(st, 2, w->disabled);
	store_bind_int64(st, 3, w->disabled);
	store_bind_int64(st, 4, clock_now());
	store_bind_int64(st, 5, w->id);
	rc = step_done(st);
	if (rc == STORE_CONSTRAINT) {
		dom_err_set(w->e, 409, "duplicate", "该区划下已有同名组织机构");
		return 1;
	}
	if (rc)
		return rc;
	snprintf(obj, sizeof obj, "org:%" PRId64, w->id);
	return audit_in(c, w->x, w->p, "org.update", obj, "success", w->name ? w->name : "");
}

int identity_org_update(const struct idctx *x, const struct principal *p, int64_t id,
                        const char *name, int disabled, struct dom_err *e)
{
	struct org_write w = {
		.x = x, .p = p, .id = id, .name = name, .disabled = disabled, .e = e
	};
	char msg[128];

	if (name && !dom_name_valid(name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_name", "%s", msg);
		return -1;
	}
	return write_or_fail(x->store, org_update_fn, &w, e);
}

/* ---- users ---- */

static const char user_cols[] =
        "SELECT u.id, u.username, u.display_name, u.org_id, o.name, r.path, "
        "coalesce(u.phone, ''), coalesce(u.id_number, ''), u.must_change_password, "
        "u.totp_enabled, u.disabled, u.created_at, u.password_changed_at, "
        "EXISTS (SELECT 1 FROM lockouts l WHERE l.kind = 'account' AND l.subject = u.username "
        "AND l.until > ? AND l.released_at IS NULL) "
        "FROM users u JOIN organisations o ON o.id = u.org_id JOIN regions r ON r.code = "
        "o.region_code ";

/* Sensitive user fields are sealed at rest (base/vault.h); the field names are the AEAD's
   associated data together with the user id, so a value does not open in another field or row. */
#define SEALED_FIELD_PHONE "users.phone"
#define SEALED_FIELD_ID_NUMBER "users.id_number"
#define SEALED_FIELD_TOTP "users.totp_secret"
#define SEALED_MAX 256

/* Opens the stored value of a sealed field of user row into dst. A value that is not sealed (from
   before encryption at rest; `wangge check` reports it) is shown as stored; one that does not open
   (no key, wrong key, altered) is shown as "" and logged. */
static void unseal(char *dst, size_t n, const char *field, int64_t row, const char *stored)
{
	if (!stored || !*stored) {
		copy(dst, n, "");
		return;
	}
	if (!vault_is_sealed(stored)) {
		copy(dst, n, stored);
		return;
	}
	if (vault_open(vault_global(), field, row, stored, dst, n) < 0) {
		log_warn("vault.open_failed", "field=%s row=%" PRId64, field, row);
		copy(dst, n, "");
	}
}

int identity_totp_seal(int64_t row, const char *secret, char *out, size_t n)
{
	const struct vault *v = vault_global();

	if (!v || !secret)
		return -1;
	return vault_seal(v, SEALED_FIELD_TOTP, row, secret, out, n);
}

int identity_totp_open(int64_t row, const char *stored, char *out, size_t n)
{
	unseal(out, n, SEALED_FIELD_TOTP, row, stored);
	return stored && vault_is_sealed(stored) && !out[0] ? -1 : 0;
}

/* Writes the sealed phone and ID number of user row (NULL leaves a field, "" clears it) and the
   ID number's blind index. Returns 0, 1 with e when there is no data key, or a store error. */
static int user_seal_fields(struct store_conn *c, int64_t row, const char *phone, const char *idn,
                            struct dom_err *e)
{
	const struct vault *v = vault_global();
	char sp[SEALED_MAX], si[SEALED_MAX], bidx[VAULT_INDEX_HEX];
	struct store_stmt *st;
	int rc;

	if (!phone && !idn)
		return 0;
	if (((phone && *phone) || (idn && *idn)) && !v) {
		dom_err_set(e, 503, "vault_unavailable",
		            "敏感信息加密密钥未加载，暂时无法保存电话号码或身份证号码");
		return 1;
	}
	if (phone && *phone && vault_seal(v, SEALED_FIELD_PHONE, row, phone, sp, sizeof sp) < 0)
		return STORE_ERR;
	if (idn && *idn) {
		if (vault_seal(v, SEALED_FIELD_ID_NUMBER, row, idn, si, sizeof si) < 0)
			return STORE_ERR;
		vault_blind_index(v, SEALED_FIELD_ID_NUMBER, idn, bidx);
	}
	st = store_prepare(c, "UPDATE users SET phone = CASE WHEN ? = 1 THEN ? ELSE phone END, "
	                      "id_number = CASE WHEN ? = 1 THEN ? ELSE id_number END, "
	                      "id_number_bidx = CASE WHEN ? = 1 THEN ? ELSE id_number_bidx END "
	                      "WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, phone != NULL);
	store_bind_text(st, 2, phone && *phone ? sp : NULL, -1);
	store_bind_int64(st, 3, idn != NULL);
	store_bind_text(st, 4, idn && *idn ? si : NULL, -1);
	store_bind_int64(st, 5, idn != NULL);
	store_bind_text(st, 6, idn && *idn ? bidx : NULL, -1);
	store_bind_int64(st, 7, row);
	rc = step_done(st);
	sodium_memzero(sp, sizeof sp);
	sodium_memzero(si, sizeof si);
	return rc;
}

static void user_from_row(struct store_stmt *st, struct user_view *u)
{
	u->id = store_col_int64(st, 0);
	copy(u->username, sizeof u->username, store_col_text(st, 1));
	copy(u->display_name, sizeof u->display_name, store_col_text(st, 2));
	u->org_id = store_col_int64(st, 3);
	copy(u->org_name, sizeof u->org_name, store_col_text(st, 4));
	copy(u->org_region_path, sizeof u->org_region_path, store_col_text(st, 5));
	unseal(u->phone, sizeof u->phone, SEALED_FIELD_PHONE, u->id, store_col_text(st, 6));
	unseal(u->id_number, sizeof u->id_number, SEALED_FIELD_ID_NUMBER, u->id,
	       store_col_text(st, 7));
	u->must_change_password = (int)store_col_int64(st, 8);
	u->totp_enabled = (int)store_col_int64(st, 9);
	u->disabled = (int)store_col_int64(st, 10);
	u->created_at = store_col_int64(st, 11);
	u->password_changed_at = store_col_int64(st, 12);
	u->locked = (int)store_col_int64(st, 13);
}

int identity_user_get(struct store_conn *c, const struct principal *p, int64_t id,
                      struct user_view *out)
{
	char sql[1024], lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];
	struct store_stmt *st;
	int rc, found = -1;

	snprintf(sql, sizeof sql, "%sWHERE u.id = ? AND r.path >= ? AND r.path < ?", user_cols);
	scope(p, lo, hi);
	if (!c || !(st = store_prepare(c, sql)))
		return -1;
	store_bind_int64(st, 1, clock_now());
	store_bind_int64(st, 2, id);
	store_bind_text(st, 3, lo, -1);
	store_bind_text(st, 4, hi, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		user_from_row(st, out);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	/* A grid-bound caller sees only itself among users. */
	if (found == 1 && p->grid_bound && !p->is_system && p->user_id != id)
		found = 0;
	return found;
}

json_t *identity_user_roles_json(struct store_conn *c, int64_t user_id)
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT r.name, r.label FROM user_roles ur JOIN "
	                         "roles r ON r.id = ur.role_id WHERE ur.user_id = ? "
	                         "ORDER BY r.id");
	json_t *a = json_array();

	if (!st)
		return a;
	store_bind_int64(st, 1, user_id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(a, json_pack("{s:s,s:s}", "name", store_col_text(st, 0),
		                                   "label", store_col_text(st, 1)));
	store_reset(st);
	return a;
}

json_t *identity_user_grids_json(struct store_conn *c, int64_t user_id)
{
	struct store_stmt *st =
	        store_prepare(c, "SELECT ug.grid_id, g.code, g.name FROM user_grids "
	                         "ug JOIN grids g ON g.id = ug.grid_id WHERE "
	                         "ug.user_id = ? ORDER BY g.code");
	json_t *a = json_array();

	if (!st)
		return a;
	store_bind_int64(st, 1, user_id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(
		        a, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)store_col_int64(st, 0),
		                     "code", store_col_text(st, 1), "name", store_col_text(st, 2)));
	store_reset(st);
	return a;
}

/* Sets "roles" ({name,label} like identity_user_roles_json) on every item of a page of users
   (objects with an integer "id", ordered by id) with one query over the page's id range. */
static int attach_roles(struct store_conn *c, json_t *items)
{
	struct store_stmt *st;
	size_t n = json_array_size(items), i = 0;
	json_t *item;
	int rc;

	if (n == 0)
		return 0;
	json_array_foreach(items, i, item) json_object_set_new(item, "roles", json_array());
	st = store_prepare(c, "SELECT ur.user_id, r.name, r.label FROM user_roles ur JOIN roles r "
	                      "ON r.id = ur.role_id WHERE ur.user_id >= ? AND ur.user_id <= ? "
	                      "ORDER BY ur.user_id, r.id");
	if (!st)
		return -1;
	store_bind_int64(st, 1,
	                 json_integer_value(json_object_get(json_array_get(items, 0), "id")));
	store_bind_int64(st, 2,
	                 json_integer_value(json_object_get(json_array_get(items, n - 1), "id")));
	i = 0;
	while ((rc = store_step(st)) == STORE_ROW) {
		int64_t uid = store_col_int64(st, 0);

		/* Both sides ascend by id: advance to the user (users of the range that are not on
		   the page, filtered out, are skipped). */
		while (i < n &&
		       json_integer_value(json_object_get(json_array_get(items, i), "id")) < uid)
			i++;
		if (i == n)
			continue;
		item = json_array_get(items, i);
		if (json_integer_value(json_object_get(item, "id")) == uid)
			json_array_append_new(json_object_get(item, "roles"),
			                      json_pack("{s:s,s:s}", "name", store_col_text(st, 1),
			                                "label", store_col_text(st, 2)));
	}
	store_reset(st);
	return rc == STORE_DONE ? 0 : -1;
}

json_t *identity_user_list(struct store *s, const struct principal *p, const struct user_filter *f,
                           user_json_fn row, void *ctx, struct dom_err *e)
{
	struct store_conn *c = store_reader(s);
	char sql[1600], lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX], like[160];
	static const char filter[] =
	        "WHERE r.path >= ? AND r.path < ? AND (? = 0 OR u.org_id = ?) AND (? IS NULL OR "
	        "u.username LIKE ? OR u.display_name LIKE ?) AND (? IS NULL OR EXISTS (SELECT 1 "
	        "FROM user_roles ur JOIN roles ro ON ro.id = ur.role_id WHERE ur.user_id = u.id "
	        "AND "
	        "ro.name = ?)) AND (? = 0 OR u.id = ?) ";
	struct store_stmt *st;
	json_t *items = json_array();
	int64_t total = 0, only = p->grid_bound && !p->is_system ? p->user_id : 0;
	int rc;

	scope(p, lo, hi);
	if (f->q)
		snprintf(like, sizeof like, "%%%s%%", f->q);
	if (!c || !items)
		goto fail;
	for (int pass = 0; pass < 2; pass++) {
		int k = 1;
		if (pass == 0)
			snprintf(sql, sizeof sql,
			         "SELECT count(*) FROM users u JOIN organisations o ON o.id = "
			         "u.org_id "
			         "JOIN regions r ON r.code = o.region_code %s",
			         filter);
		else
			snprintf(sql, sizeof sql, "%s%sORDER BY u.id LIMIT ? OFFSET ?", user_cols,
			         filter);
		st = store_prepare(c, sql);
		if (!st)
			goto fail;
		if (pass == 1)
			store_bind_int64(st, k++, clock_now());
		store_bind_text(st, k++, lo, -1);
		store_bind_text(st, k++, hi, -1);
		store_bind_int64(st, k++, f->org_id);
		store_bind_int64(st, k++, f->org_id);
		store_bind_text(st, k++, f->q ? like : NULL, -1);
		store_bind_text(st, k++, f->q ? like : NULL, -1);
		store_bind_text(st, k++, f->q ? like : NULL, -1);
		store_bind_text(st, k++, f->role, -1);
		store_bind_text(st, k++, f->role, -1);
		store_bind_int64(st, k++, only);
		store_bind_int64(st, k++, only);
		if (pass == 1) {
			store_bind_int64(st, k++, f->limit);
			store_bind_int64(st, k++, f->offset);
		}
		while ((rc = store_step(st)) == STORE_ROW) {
			if (pass == 0) {
				total = store_col_int64(st, 0);
			} else {
				struct user_view u;
				user_from_row(st, &u);
				json_array_append_new(items, row(ctx, &u));
			}
		}
		store_reset(st);
		if (rc != STORE_DONE)
			goto fail;
	}
	if (attach_roles(c, items) < 0)
		goto fail;
	return json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "limit",
	                 (json_int_t)f->limit, "offset", (json_int_t)f->offset);
fail:
	json_decref(items);
	dom_err_set(e, 503, "read_failed", "读取用户失败，请稍后重试");
	return NULL;
}

static int user_fields_validate(const struct user_fields *f, int creating, struct dom_err *e)
{
	char msg[128];

	if (creating && !identity_username_ok(f->username)) {
		dom_err_set(e, 400, "bad_username",
		            "用户名须为 3 到 32 个小写字母、数字或 _ . -，以字母或数字开头");
		return -1;
	}
	if ((creating || f->display_name) && !dom_name_valid(f->display_name, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_display_name", "姓名：%s", msg);
		return -1;
	}
	if (f->phone && *f->phone) {
		size_t n = strlen(f->phone);
		if (n < 5 || n > 20 || strspn(f->phone, "0123456789-+") != n) {
			dom_err_set(e, 400, "bad_phone", "电话号码格式不正确");
			return -1;
		}
	}
	if (f->id_number && *f->id_number) {
		struct code_error ce = { 0 };
		if (idcard_parse(f->id_number, NULL, &ce) < 0) {
			dom_err_set(e, 400, "bad_id_number", "身份证号码无效：%s",
			            ce.message ? ce.message : "");
			return -1;
		}
	}
	return 0;
}

struct user_write {
	const struct idctx *x;
	const struct principal *p;
	const struct user_fields *f;
	int64_t id;
	const char *hash;
	const char *role; /* bootstrap */
	const char *totp; /* bootstrap */
	int must_change;
	int check_scope;
	struct dom_err *e;
};

static int insert_user_role(struct store_conn *c, int64_t user_id, const char *role,
                            int64_t granted_by)
{
	struct store_stmt *st = store_prepare(c, "INSERT INTO user_roles (user_id, role_id, "
	                                         "granted_by, granted_at) SELECT ?, id, ?, ? FROM "
	                                         "roles WHERE name = ?");
	int rc;

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, user_id);
	if (granted_by)
		store_bind_int64(st, 2, granted_by);
	else
		store_bind_null(st, 2);
	store_bind_int64(st, 3, clock_now());
	store_bind_text(st, 4, role, -1);
	rc = step_done(st);
	if (rc)
		return rc;
	return store_changes(c) == 1 ? 0 : STORE_ERR;
}

static int user_create_fn(struct store_conn *c, void *arg)
{
	struct user_write *w = arg;
	const struct user_fields *f = w->f;
	struct store_stmt *st;
	struct org o;
	char obj[40], idn[19] = "";
	int64_t now = clock_now();
	int rc;

	rc = identity_org_get(c, w->check_scope ? w->p : access_system(), f->org_id, &o);
	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "unknown_org", "组织机构不存在或不在管辖范围内");
		return 1;
	}
	if (f->id_number && *f->id_number) {
		struct idcard ic;
		if (idcard_parse(f->id_number, &ic, NULL) == 0)
			copy(idn, sizeof idn, ic.number);
	}
	st = store_prepare(c,
	                   "INSERT INTO users (username, display_name, org_id, phone, "
	                   "id_number, password_hash, password_changed_at, must_change_password, "
	                   "totp_secret, totp_enabled, created_at, updated_at) VALUES (?, ?, ?, ?, "
	                   "?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, f->username, -1);
	store_bind_text(st, 2, f->display_name, -1);
	store_bind_int64(st, 3, f->org_id);
	store_bind_null(st, 4); /* sealed below, once the row id is known */
	store_bind_null(st, 5);
	store_bind_text(st, 6, w->hash, -1);
	store_bind_int64(st, 7, now);
	store_bind_int64(st, 8, w->must_change);
	store_bind_null(st, 9); /* sealed below, once the row id is known */
	store_bind_int64(st, 10, w->totp ? 1 : 0);
	store_bind_int64(st, 11, now);
	store_bind_int64(st, 12, now);
	rc = step_done(st);
	if (rc == STORE_CONSTRAINT) {
		dom_err_set(w->e, 409, "duplicate", "用户名 %s 已存在", f->username);
		return 1;
	}
	if (rc)
		return rc;
	w->id = store_last_insert_id(c);
	rc = user_seal_fields(c, w->id, f->phone && *f->phone ? f->phone : NULL,
	                      idn[0] ? idn : NULL, w->e);
	if (rc)
		return rc;
	if (w->totp) {
		/* The TOTP secret is sealed like the phone, bound to the new row id. */
		char sealed[IDENTITY_TOTP_SEALED_MAX];
		if (identity_totp_seal(w->id, w->totp, sealed, sizeof sealed) < 0) {
			dom_err_set(w->e, 503, "vault_unavailable",
			            "敏感信息加密密钥未加载，暂时无法保存动态口令密钥");
			return 1;
		}
		st = store_prepare(c, "UPDATE users SET totp_secret = ? WHERE id = ?");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, sealed, -1);
		store_bind_int64(st, 2, w->id);
		if ((rc = step_done(st)) != 0)
			return rc;
	}
	if (w->role && (rc = insert_user_role(c, w->id, w->role, 0)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	return audit_in(c, w->x, w->p, "user.create", obj, "success",
	                w->role ? w->role : f->username);
}

int identity_user_create(const struct idctx *x, const struct principal *p,
                         const struct user_fields *f, int64_t *id, char *temp_password,
                         size_t tplen, struct dom_err *e)
{
	char hash[PASSWORD_HASH_MAX];
	struct user_write w = {
		.x = x, .p = p, .f = f, .hash = hash, .must_change = 1, .check_scope = 1, .e = e
	};
	int rc;

	if (user_fields_validate(f, 1, e) < 0)
		return -1;
	identity_password_generate(temp_password, tplen);
	if (identity_password_hash(x->cfg, temp_password, hash) < 0) {
		dom_err_set(e, 500, "internal", "服务器内部错误");
		return -1;
	}
	rc = write_or_fail(x->store, user_create_fn, &w, e);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		return -1;
	*id = w.id;
	return 0;
}

int64_t identity_user_bootstrap(const struct idctx *x, const char *username,
                                const char *display_name, int64_t org_id, const char *role,
                                int must_change, char *password_out, size_t pwlen,
                                char *totp_secret_out, struct dom_err *e)
{
	char hash[PASSWORD_HASH_MAX], secret[TOTP_SECRET_B32];
	struct user_fields f = { .username = username,
		                 .display_name = display_name,
		                 .org_id = org_id };
	struct user_write w = { .x = x,
		                .p = access_system(),
		                .f = &f,
		                .hash = hash,
		                .role = role,
		                .must_change = must_change,
		                .e = e };
	int rc;

	if (!builtin_role_find(role)) {
		dom_err_set(e, 400, "unknown_role", "未知角色 %s", role ? role : "");
		return -1;
	}
	if (user_fields_validate(&f, 1, e) < 0)
		return -1;
	identity_password_generate(password_out, pwlen);
	if (totp_secret_out) {
		totp_new_secret(secret);
		w.totp = secret;
	}
	if (identity_password_hash(x->cfg, password_out, hash) < 0) {
		dom_err_set(e, 500, "internal", "服务器内部错误");
		return -1;
	}
	rc = store_write(x->store, user_create_fn, &w);
	sodium_memzero(hash, sizeof hash);
	if (rc == 1)
		return -1;
	if (rc) {
		dom_err_set(e, 503, "write_failed", "写入失败");
		return -1;
	}
	if (totp_secret_out)
		memcpy(totp_secret_out, secret, TOTP_SECRET_B32);
	sodium_memzero(secret, sizeof secret);
	return w.id;
}

static int user_visible_fn(struct store_conn *c, const struct principal *p, int64_t id,
                           struct user_view *u, struct dom_err *e)
{
	int rc = identity_user_get(c, p, id, u);

	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(e, 404, "not_found", "用户不存在");
		return 1;
	}
	return 0;
}

static int user_update_fn(struct store_conn *c, void *arg)
{
	struct user_write *w = arg;
	const struct user_fields *f = w->f;
	struct user_view u;
	struct store_stmt *st;
	char obj[40], idn[19] = "", detail[160];
	int rc = user_visible_fn(c, w->p, w->id, &u, w->e);

	if (rc)
		return rc;
	if (f->org_id) {
		struct org o;
		rc = identity_org_get(c, w->p, f->org_id, &o);
		if (rc < 0)
			return STORE_ERR;
		if (rc == 0) {
			dom_err_set(w->e, 404, "unknown_org", "组织机构不存在或不在管辖范围内");
			return 1;
		}
	}
	if (f->disabled > 0 && w->id == w->p->user_id) {
		dom_err_set(w->e, 409, "self_disable", "不能停用自己的账号");
		return 1;
	}
	if (f->id_number && *f->id_number) {
		struct idcard ic;
		if (idcard_parse(f->id_number, &ic, NULL) == 0)
			copy(idn, sizeof idn, ic.number);
	}
	st = store_prepare(
	        c, "UPDATE users SET display_name = coalesce(?, display_name), org_id = "
	           "CASE WHEN ? = 0 THEN org_id ELSE ? END, disabled = CASE WHEN ? < 0 THEN "
	           "disabled ELSE ? END, updated_at = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, f->display_name, -1);
	store_bind_int64(st, 2, f->org_id);
	store_bind_int64(st, 3, f->org_id);
	store_bind_int64(st, 4, f->disabled);
	store_bind_int64(st, 5, f->disabled);
	store_bind_int64(st, 6, clock_now());
	store_bind_int64(st, 7, w->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	rc = user_seal_fields(c, w->id, f->phone, f->id_number ? idn : NULL, w->e);
	if (rc)
		return rc;
	if (f->disabled > 0) {
		st = store_prepare(c, "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND "
		                      "revoked_at IS NULL");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, clock_now());
		store_bind_int64(st, 2, w->id);
		if ((rc = step_done(st)) != 0)
			return rc;
	}
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	/* Which fields changed, never their values (they may be personal data). */
	snprintf(detail, sizeof detail, "修改字段：%s%s%s%s%s", f->display_name ? " 姓名" : "",
	         f->org_id ? " 所属组织" : "", f->phone ? " 电话" : "",
	         f->id_number ? " 身份证号" : "", f->disabled >= 0 ? " 停用状态" : "");
	return audit_in(c, w->x, w->p, "user.update", obj, "success", detail);
}

int identity_user_update(const struct idctx *x, const struct principal *p, int64_t id,
                         const struct user_fields *f, struct dom_err *e)
{
	struct user_write w = { .x = x, .p = p, .f = f, .id = id, .e = e };

	if (user_fields_validate(f, 0, e) < 0)
		return -1;
	return write_or_fail(x->store, user_update_fn, &w, e);
}

static int revoke_sessions(struct store_conn *c, int64_t user_id, int64_t keep)
{
	struct store_stmt *st = store_prepare(c, "UPDATE sessions SET revoked_at = ? WHERE user_id "
	                                         "= ? AND id <> ? AND revoked_at IS NULL");

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, clock_now());
	store_bind_int64(st, 2, user_id);
	store_bind_int64(st, 3, keep);
	return step_done(st);
}

struct pw_write {
	const struct idctx *x;
	const struct principal *p;
	int64_t id;
	const char *hash;
	int must_change;
	int64_t keep_session;
	const char *action;
	struct dom_err *e;
};

static int set_password_fn(struct store_conn *c, void *arg)
{
	struct pw_write *w = arg;
	struct store_stmt *st;
	struct user_view u;
	char obj[40];
	int rc = user_visible_fn(c, w->p, w->id, &u, w->e);

	if (rc)
		return rc;
	st = store_prepare(c, "UPDATE users SET password_hash = ?, password_changed_at = ?, "
	                      "must_change_password = ?, updated_at = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->hash, -1);
	store_bind_int64(st, 2, clock_now());
	store_bind_int64(st, 3, w->must_change);
	store_bind_int64(st, 4, clock_now());
	store_bind_int64(st, 5, w->id);
	if ((rc = step_done(st)) != 0 || (rc = revoke_sessions(c, w->id, w->keep_session)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	return audit_in(c, w->x, w->p, w->action, obj, "success", "");
}

int identity_user_reset_password(const struct idctx *x, const struct principal *p, int64_t id,
                                 char *temp_password, size_t tplen, struct dom_err *e)
{
	char hash[PASSWORD_HASH_MAX];
	struct pw_write w = { .x = x,
		              .p = p,
		              .id = id,
		              .hash = hash,
		              .must_change = 1,
		              .action = "user.password_reset",
		              .e = e };
	int rc;

	if (id == p->user_id) {
		dom_err_set(e, 409, "self_reset", "不能重置自己的密码，请使用修改密码");
		return -1;
	}
	identity_password_generate(temp_password, tplen);
	if (identity_password_hash(x->cfg, temp_password, hash) < 0) {
		dom_err_set(e, 500, "internal", "服务器内部错误");
		return -1;
	}
	rc = write_or_fail(x->store, set_password_fn, &w, e);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		return -1;
	return 0;
}

int identity_password_change(const struct idctx *x, const struct principal *p,
                             const char *old_password, const char *new_password,
                             int64_t keep_session, struct dom_err *e)
{
	struct store_conn *c = store_reader(x->store);
	struct store_stmt *st;
	char hash[PASSWORD_HASH_MAX] = "", old_hash[PASSWORD_HASH_MAX] = "";
	struct pw_write w = { .x = x,
		              .p = p,
		              .id = p->user_id,
		              .hash = hash,
		              .must_change = 0,
		              .keep_session = keep_session,
		              .action = "user.password_change",
		              .e = e };
	const char *why;
	int rc;

	if (!p->user_id) {
		dom_err_set(e, 403, "forbidden", "只有用户可以修改密码");
		return -1;
	}
	if (!c || !(st = store_prepare(c, "SELECT password_hash FROM users WHERE id = ?"))) {
		dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
		return -1;
	}
	store_bind_int64(st, 1, p->user_id);
	if (store_step(st) == STORE_ROW)
		copy(old_hash, sizeof old_hash, store_col_text(st, 0));
	store_reset(st);
	if (!identity_password_verify(old_hash, old_password)) {
		struct audit_entry ae;
		char obj[40];
		snprintf(obj, sizeof obj, "user:%" PRId64, p->user_id);
		idctx_audit_init(x, p, &ae);
		ae.action = "user.password_change";
		ae.object = obj;
		ae.outcome = "failure";
		ae.detail = "当前密码错误";
		audit_append(x->store, x->audit_key, &ae);
		dom_err_set(e, 400, "wrong_password", "当前密码不正确");
		return -1;
	}
	if ((why = identity_password_policy(p->username, new_password)) != NULL) {
		dom_err_set(e, 400, "weak_password", "%s", why);
		return -1;
	}
	if (identity_password_verify(old_hash, new_password)) {
		dom_err_set(e, 400, "same_password", "新密码不能与当前密码相同");
		return -1;
	}
	if (identity_password_hash(x->cfg, new_password, hash) < 0) {
		dom_err_set(e, 500, "internal", "服务器内部错误");
		return -1;
	}
	rc = write_or_fail(x->store, set_password_fn, &w, e);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		return -1;
	return 0;
}

/* ---- roles of users ---- */

struct roles_write {
	const struct idctx *x;
	const struct principal *p;
	int64_t id;
	const char *const *names;
	size_t n;
	char joined[512];
	int refused;
	struct dom_err *e;
};

static int set_roles_fn(struct store_conn *c, void *arg)
{
	struct roles_write *w = arg;
	struct user_view u;
	struct store_stmt *st;
	struct perm_set total = { 0 };
	char obj[40];
	int rc = user_visible_fn(c, w->p, w->id, &u, w->e);

	if (rc)
		return rc;
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	if (w->id == w->p->user_id) {
		dom_err_set(w->e, 403, "self_grant", "不能为自己授予或更改角色");
		w->refused = 1;
		return audit_in(c, w->x, w->p, "user.roles", obj, "denied", w->joined);
	}
	/* Resolve every name and compute the resulting permissions. */
	for (size_t i = 0; i < w->n; i++) {
		int64_t rid = 0, builtin = 0;
		st = store_prepare(c, "SELECT id, builtin FROM roles WHERE name = ?");
		if (!st)
			return STORE_ERR;
		store_bind_text(st, 1, w->names[i], -1);
		if (store_step(st) == STORE_ROW) {
			rid = store_col_int64(st, 0);
			builtin = store_col_int64(st, 1);
		}
		store_reset(st);
		if (!rid) {
			dom_err_set(w->e, 400, "unknown_role", "未知角色 %s", w->names[i]);
			return 1;
		}
		if (role_perms(c, rid, w->names[i], (int)builtin, &total) < 0)
			return STORE_ERR;
	}
	if (!perm_set_separated(&total)) {
		dom_err_set(w->e, 409, "separation",
		            "系统管理、安全管理、安全审计的权限不能授予同一用户（三员分立）");
		w->refused = 1;
		return audit_in(c, w->x, w->p, "user.roles", obj, "denied", w->joined);
	}
	st = store_prepare(c, "DELETE FROM user_roles WHERE user_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	for (size_t i = 0; i < w->n; i++) {
		rc = insert_user_role(c, w->id, w->names[i], w->p->user_id);
		if (rc == STORE_CONSTRAINT)
			continue; /* the same name twice */
		if (rc)
			return rc;
	}
	/* New rights apply at the next request; existing sessions stay (they re-read roles). */
	return audit_in(c, w->x, w->p, "user.roles", obj, "success", w->joined);
}

int identity_user_set_roles(const struct idctx *x, const struct principal *p, int64_t id,
                            const char *const *roles, size_t n, struct dom_err *e)
{
	struct roles_write w = { .x = x, .p = p, .id = id, .names = roles, .n = n, .e = e };
	size_t o = strlen("角色：");

	memcpy(w.joined, "角色：", o + 1);
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(w.joined + o, sizeof w.joined - o, "%s%s", i ? "," : "", roles[i]);
		if (k < 0 || (size_t)k >= sizeof w.joined - o)
			break;
		o += (size_t)k;
	}
	if (write_or_fail(x->store, set_roles_fn, &w, e) < 0 || w.refused)
		return -1;
	return 0;
}

struct grids_write {
	const struct idctx *x;
	const struct principal *p;
	int64_t id;
	const int64_t *grids;
	size_t n;
	struct dom_err *e;
};

static int set_grids_fn(struct store_conn *c, void *arg)
{
	struct grids_write *w = arg;
	struct user_view u;
	struct store_stmt *st;
	char obj[40], detail[256];
	size_t o = 0;
	int rc = user_visible_fn(c, w->p, w->id, &u, w->e);

	if (rc)
		return rc;
	o = (size_t)snprintf(detail, sizeof detail, "网格：");
	for (size_t i = 0; i < w->n; i++) {
		char path[ACCESS_PATH_MAX] = "";
		int found = 0, k;
		st = store_prepare(c, "SELECT path FROM grids WHERE id = ? AND status = 'active'");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, w->grids[i]);
		if (store_step(st) == STORE_ROW) {
			copy(path, sizeof path, store_col_text(st, 0));
			found = 1;
		}
		store_reset(st);
		if (!found || !access_sees_grid(w->p, w->grids[i], path) ||
		    strncmp(path, u.org_region_path, strlen(u.org_region_path)) != 0) {
			dom_err_set(w->e, 404, "unknown_grid",
			            "网格 %" PRId64 " 不存在、已撤销或不在该用户所属组织的辖区内",
			            w->grids[i]);
			return 1;
		}
		k = snprintf(detail + o, sizeof detail - o, "%s%" PRId64, i ? "," : "",
		             w->grids[i]);
		if (k > 0 && (size_t)k < sizeof detail - o)
			o += (size_t)k;
	}
	st = store_prepare(c, "DELETE FROM user_grids WHERE user_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	for (size_t i = 0; i < w->n; i++) {
		st = store_prepare(c, "INSERT INTO user_grids (user_id, grid_id) VALUES (?, ?) ON "
		                      "CONFLICT DO NOTHING");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, w->id);
		store_bind_int64(st, 2, w->grids[i]);
		if ((rc = step_done(st)) != 0)
			return rc;
	}
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	return audit_in(c, w->x, w->p, "user.grids", obj, "success", detail);
}

int identity_user_set_grids(const struct idctx *x, const struct principal *p, int64_t id,
                            const int64_t *grids, size_t n, struct dom_err *e)
{
	struct grids_write w = { .x = x, .p = p, .id = id, .grids = grids, .n = n, .e = e };

	return write_or_fail(x->store, set_grids_fn, &w, e);
}

static int totp_reset_fn(struct store_conn *c, void *arg)
{
	struct grids_write *w = arg;
	struct user_view u;
	struct store_stmt *st;
	char obj[40];
	int rc = user_visible_fn(c, w->p, w->id, &u, w->e);

	if (rc)
		return rc;
	if (w->id == w->p->user_id) {
		dom_err_set(w->e, 403, "self_grant", "不能重置自己的双因素认证");
		return 1;
	}
	st = store_prepare(c, "UPDATE users SET totp_secret = NULL, totp_enabled = 0, "
	                      "totp_last_step = 0, updated_at = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, clock_now());
	store_bind_int64(st, 2, w->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	st = store_prepare(c, "DELETE FROM totp_recovery_codes WHERE user_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = step_done(st)) != 0 || (rc = revoke_sessions(c, w->id, 0)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "user:%" PRId64, w->id);
	return audit_in(c, w->x, w->p, "user.totp_reset", obj, "success", "");
}

int identity_user_totp_reset(const struct idctx *x, const struct principal *p, int64_t id,
                             struct dom_err *e)
{
	struct grids_write w = { .x = x, .p = p, .id = id, .e = e };

	return write_or_fail(x->store, totp_reset_fn, &w, e);
}

int64_t identity_user_count(struct store *s)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	int64_t n = -1;

	if (!c || !(st = store_prepare(c, "SELECT count(*) FROM users")))
		return -1;
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

/* ---- roles ---- */

json_t *identity_roles_json(struct store *s, struct dom_err *e)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	json_t *out = json_array();
	int rc;

	if (!c || !out)
		goto fail;
	st = store_prepare(c, "SELECT r.id, r.name, r.label, r.builtin, (SELECT count(*) FROM "
	                      "user_roles ur WHERE ur.role_id = r.id) FROM roles r ORDER BY r.id");
	if (!st)
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW) {
		struct perm_set ps = { 0 };
		json_t *perms = json_array();
		const char *name = store_col_text(st, 1);
		int builtin = (int)store_col_int64(st, 3);

		if (role_perms(c, store_col_int64(st, 0), name, builtin, &ps) < 0) {
			json_decref(perms);
			store_reset(st);
			goto fail;
		}
		for (size_t i = 0; i < permission_count; i++)
			if (perm_set_has(&ps, (int)i))
				json_array_append_new(perms,
				                      json_string(permission_catalog[i].name));
		json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:b,s:o,s:I}", "id",
		                                     (json_int_t)store_col_int64(st, 0), "name",
		                                     name, "label", store_col_text(st, 2),
		                                     "builtin", builtin, "permissions", perms,
		                                     "users", (json_int_t)store_col_int64(st, 4)));
	}
	store_reset(st);
	if (rc != STORE_DONE)
		goto fail;
	return out;
fail:
	json_decref(out);
	dom_err_set(e, 503, "read_failed", "读取角色失败，请稍后重试");
	return NULL;
}

static int role_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 3 || n > ROLE_NAME_MAX || !islower((unsigned char)name[0]))
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int perms_validate(const char *const *perms, size_t n, struct perm_set *out,
                          struct dom_err *e)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		if (!permission_grantable(perms[i])) {
			dom_err_set(e, 400, "unknown_permission", "权限 %s 不存在或不可授予",
			            perms[i] ? perms[i] : "");
			return -1;
		}
		perm_set_add_name(out, perms[i]);
	}
	if (!perm_set_separated(out)) {
		dom_err_set(e, 409, "separation",
		            "系统管理、安全管理、安全审计的权限不能放在同一角色中（三员分立）");
		return -1;
	}
	return 0;
}

struct role_write {
	const struct idctx *x;
	const struct principal *p;
	int64_t id;
	const char *name, *label;
	const char *const *perms;
	size_t n;
	int set_perms;
	int refused;
	char joined[1024];
	struct dom_err *e;
};

static int write_role_perms(struct store_conn *c, struct role_write *w)
{
	struct store_stmt *st = store_prepare(c, "DELETE FROM role_permissions WHERE role_id = ?");
	int rc;

	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	for (size_t i = 0; i < w->n; i++) {
		st = store_prepare(c,
		                   "INSERT INTO role_permissions (role_id, permission) VALUES (?, "
		                   "?) ON CONFLICT DO NOTHING");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, w->id);
		store_bind_text(st, 2, w->perms[i], -1);
		if ((rc = step_done(st)) != 0)
			return rc;
	}
	return 0;
}

static void join_perms(struct role_write *w)
{
	size_t o = strlen("权限：");

	memcpy(w->joined, "权限：", o + 1);
	for (size_t i = 0; w->perms && i < w->n; i++) {
		int k = snprintf(w->joined + o, sizeof w->joined - o, "%s%s", i ? "," : "",
		                 w->perms[i]);
		if (k < 0 || (size_t)k >= sizeof w->joined - o)
			break;
		o += (size_t)k;
	}
}

static int role_create_fn(struct store_conn *c, void *arg)
{
	struct role_write *w = arg;
	struct store_stmt *st;
	char obj[64];
	int64_t now = clock_now();
	int rc;

	st = store_prepare(c, "INSERT INTO roles (name, label, builtin, created_at, updated_at) "
	                      "VALUES (?, ?, 0, ?, ?)");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->name, -1);
	store_bind_text(st, 2, w->label, -1);
	store_bind_int64(st, 3, now);
	store_bind_int64(st, 4, now);
	rc = step_done(st);
	if (rc == STORE_CONSTRAINT) {
		dom_err_set(w->e, 409, "duplicate", "角色 %s 已存在", w->name);
		return 1;
	}
	if (rc)
		return rc;
	w->id = store_last_insert_id(c);
	if ((rc = write_role_perms(c, w)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "role:%s", w->name);
	return audit_in(c, w->x, w->p, "role.create", obj, "success", w->joined);
}

int identity_role_create(const struct idctx *x, const struct principal *p, const char *name,
                         const char *label, const char *const *perms, size_t n, int64_t *id,
                         struct dom_err *e)
{
	struct role_write w = {
		.x = x, .p = p, .name = name, .label = label, .perms = perms, .n = n, .e = e
	};
	struct perm_set ps;
	char msg[128];

	if (!role_name_ok(name)) {
		dom_err_set(e, 400, "bad_name", "角色标识须为 3 到 32 个小写字母、数字或下划线");
		return -1;
	}
	if (!dom_name_valid(label, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_label", "角色名称：%s", msg);
		return -1;
	}
	if (perms_validate(perms, n, &ps, e) < 0)
		return -1;
	join_perms(&w);
	if (write_or_fail(x->store, role_create_fn, &w, e) < 0)
		return -1;
	*id = w.id;
	return 0;
}

/* Loads a role row: 1 found, 0 not, -1 error. */
static int role_row(struct store_conn *c, int64_t id, char *name, size_t nlen, int *builtin,
                    int64_t *holders, int64_t caller)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT name, builtin, (SELECT count(*) FROM user_roles WHERE role_id = r.id), "
	           "(SELECT count(*) FROM user_roles WHERE role_id = r.id AND user_id = ?) FROM "
	           "roles r WHERE id = ?");
	int rc, found = -1;

	if (!st)
		return -1;
	store_bind_int64(st, 1, caller);
	store_bind_int64(st, 2, id);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		copy(name, nlen, store_col_text(st, 0));
		*builtin = (int)store_col_int64(st, 1);
		holders[0] = store_col_int64(st, 2);
		holders[1] = store_col_int64(st, 3);
		found = 1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

static int role_update_fn(struct store_conn *c, void *arg)
{
	struct role_write *w = arg;
	struct store_stmt *st;
	char name[ROLE_NAME_MAX + 1], obj[64];
	int builtin = 0, rc;
	int64_t holders[2] = { 0, 0 };

	rc = role_row(c, w->id, name, sizeof name, &builtin, holders, w->p->user_id);
	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "not_found", "角色不存在");
		return 1;
	}
	snprintf(obj, sizeof obj, "role:%s", name);
	if (builtin) {
		dom_err_set(w->e, 403, "builtin_role", "内置角色的权限由系统规定，不能修改");
		return 1;
	}
	if (holders[1]) {
		dom_err_set(w->e, 403, "self_grant", "不能修改自己所持有的角色");
		w->refused = 1;
		return audit_in(c, w->x, w->p, "role.update", obj, "denied", w->joined);
	}
	if (w->set_perms) {
		/* Every holder must stay within one administrator family. */
		if ((rc = write_role_perms(c, w)) != 0)
			return rc;
		st = store_prepare(c, "SELECT user_id FROM user_roles WHERE role_id = ?");
		if (!st)
			return STORE_ERR;
		store_bind_int64(st, 1, w->id);
		while (store_step(st) == STORE_ROW) {
			struct perm_set total;
			int64_t uid = store_col_int64(st, 0);
			/* user_perms prepares other statements; this one stays valid. */
			if (user_perms(c, uid, &total, NULL) < 0) {
				store_reset(st);
				return STORE_ERR;
			}
			if (!perm_set_separated(&total)) {
				store_reset(st);
				dom_err_set(w->e, 409, "separation",
				            "修改后用户 %" PRId64
				            " 将同时持有两类管理员权限（三员分立）",
				            uid);
				return 1;
			}
		}
		store_reset(st);
	}
	st = store_prepare(c, "UPDATE roles SET label = coalesce(?, label), updated_at = ? WHERE "
	                      "id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, w->label, -1);
	store_bind_int64(st, 2, clock_now());
	store_bind_int64(st, 3, w->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	return audit_in(c, w->x, w->p, "role.update", obj, "success",
	                w->set_perms ? w->joined : "修改名称");
}

int identity_role_update(const struct idctx *x, const struct principal *p, int64_t id,
                         const char *label, const char *const *perms, size_t n, struct dom_err *e)
{
	struct role_write w = { .x = x,
		                .p = p,
		                .id = id,
		                .label = label,
		                .perms = perms,
		                .n = n,
		                .set_perms = perms != NULL,
		                .e = e };
	struct perm_set ps;
	char msg[128];

	if (label && !dom_name_valid(label, msg, sizeof msg)) {
		dom_err_set(e, 400, "bad_label", "角色名称：%s", msg);
		return -1;
	}
	if (perms && perms_validate(perms, n, &ps, e) < 0)
		return -1;
	join_perms(&w);
	if (write_or_fail(x->store, role_update_fn, &w, e) < 0 || w.refused)
		return -1;
	return 0;
}

static int role_delete_fn(struct store_conn *c, void *arg)
{
	struct role_write *w = arg;
	struct store_stmt *st;
	char name[ROLE_NAME_MAX + 1], obj[64];
	int builtin = 0, rc;
	int64_t holders[2] = { 0, 0 };

	rc = role_row(c, w->id, name, sizeof name, &builtin, holders, w->p->user_id);
	if (rc < 0)
		return STORE_ERR;
	if (rc == 0) {
		dom_err_set(w->e, 404, "not_found", "角色不存在");
		return 1;
	}
	if (builtin) {
		dom_err_set(w->e, 403, "builtin_role", "内置角色不能删除");
		return 1;
	}
	if (holders[0]) {
		dom_err_set(w->e, 409, "role_in_use", "仍有 %" PRId64 " 个用户持有该角色",
		            holders[0]);
		return 1;
	}
	st = store_prepare(c, "DELETE FROM role_permissions WHERE role_id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	st = store_prepare(c, "DELETE FROM roles WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "role:%s", name);
	return audit_in(c, w->x, w->p, "role.delete", obj, "success", "");
}

int identity_role_delete(const struct idctx *x, const struct principal *p, int64_t id,
                         struct dom_err *e)
{
	struct role_write w = { .x = x, .p = p, .id = id, .e = e };

	return write_or_fail(x->store, role_delete_fn, &w, e);
}

/* ---- lockouts ---- */

json_t *identity_lockouts_json(struct store *s, int64_t now, struct dom_err *e)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	json_t *out = json_array();
	int rc;

	if (!c || !out ||
	    !(st = store_prepare(c, "SELECT id, kind, subject, locked_at, until FROM lockouts "
	                            "WHERE until > ? AND released_at IS NULL ORDER BY id"))) {
		json_decref(out);
		dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
		return NULL;
	}
	store_bind_int64(st, 1, now);
	while ((rc = store_step(st)) == STORE_ROW) {
		char t1[32], t2[32];
		json_array_append_new(
		        out,
		        json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)store_col_int64(st, 0),
		                  "kind", store_col_text(st, 1), "subject", store_col_text(st, 2),
		                  "locked_at",
		                  clock_format_local(store_col_int64(st, 3), t1, sizeof t1),
		                  "until",
		                  clock_format_local(store_col_int64(st, 4), t2, sizeof t2)));
	}
	store_reset(st);
	if (rc != STORE_DONE) {
		json_decref(out);
		dom_err_set(e, 503, "read_failed", "读取失败，请稍后重试");
		return NULL;
	}
	return out;
}

static int lockout_release_fn(struct store_conn *c, void *arg)
{
	struct grids_write *w = arg;
	struct store_stmt *st;
	char kind[16] = "", subject[128] = "", obj[160];
	int rc, found = 0;

	st = store_prepare(c, "SELECT kind, subject FROM lockouts WHERE id = ? AND released_at IS "
	                      "NULL AND until > ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, w->id);
	store_bind_int64(st, 2, clock_now());
	if (store_step(st) == STORE_ROW) {
		copy(kind, sizeof kind, store_col_text(st, 0));
		copy(subject, sizeof subject, store_col_text(st, 1));
		found = 1;
	}
	store_reset(st);
	if (!found) {
		dom_err_set(w->e, 404, "not_found", "锁定记录不存在或已失效");
		return 1;
	}
	if (strcmp(kind, "account") == 0 && strcmp(subject, w->p->username) == 0) {
		dom_err_set(w->e, 403, "self_grant", "不能解除自己账号的锁定");
		return 1;
	}
	st = store_prepare(c, "UPDATE lockouts SET released_at = ?, released_by = ? WHERE id = ?");
	if (!st)
		return STORE_ERR;
	store_bind_int64(st, 1, clock_now());
	store_bind_int64(st, 2, w->p->user_id);
	store_bind_int64(st, 3, w->id);
	if ((rc = step_done(st)) != 0)
		return rc;
	st = store_prepare(c, strcmp(kind, "account") == 0
	                              ? "DELETE FROM login_failures WHERE username = ?"
	                              : "DELETE FROM login_failures WHERE source = ?");
	if (!st)
		return STORE_ERR;
	store_bind_text(st, 1, subject, -1);
	if ((rc = step_done(st)) != 0)
		return rc;
	snprintf(obj, sizeof obj, "%s:%s", kind, subject);
	return audit_in(c, w->x, w->p, "lockout.release", obj, "success", "");
}

int identity_lockout_release(const struct idctx *x, const struct principal *p, int64_t id,
                             struct dom_err *e)
{
	struct grids_write w = { .x = x, .p = p, .id = id, .e = e };

	return write_or_fail(x->store, lockout_release_fn, &w, e);
}

/* ---- encryption at rest ---- */

int64_t identity_sealed_count(struct store_conn *c)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT (SELECT count(*) FROM users WHERE phone LIKE 'v1:%') + (SELECT count(*) "
	           "FROM users WHERE id_number LIKE 'v1:%') + (SELECT count(*) FROM users WHERE "
	           "totp_secret LIKE 'v1:%')");
	int64_t n = -1;

	if (!st)
		return -1;
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

int identity_check_sealed(struct store_conn *c, const struct vault *v, struct buf *report)
{
	/* Each sealed field and its column in the query below. */
	static const char *const fields[] = { SEALED_FIELD_PHONE, SEALED_FIELD_ID_NUMBER,
		                              SEALED_FIELD_TOTP };
	static const int cols[] = { 1, 2, 4 };
	struct store_stmt *st = store_prepare(
	        c, "SELECT id, phone, id_number, id_number_bidx, totp_secret FROM users WHERE "
	           "phone IS NOT NULL OR id_number IS NOT NULL OR totp_secret IS NOT NULL "
	           "ORDER BY id");
	char plain[SEALED_MAX], bidx[VAULT_INDEX_HEX];
	int findings = 0, rc;

	if (!st)
		return -1;
	while ((rc = store_step(st)) == STORE_ROW) {
		int64_t id = store_col_int64(st, 0);
		for (int i = 0; i < 3; i++) {
			const char *val = store_col_text(st, cols[i]);
			if (!val)
				continue;
			if (!vault_is_sealed(val)) {
				buf_printf(report,
				           "sensitive: user %" PRId64 " %s is stored in clear\n",
				           id, fields[i]);
				findings++;
			} else if (v &&
			           vault_open(v, fields[i], id, val, plain, sizeof plain) < 0) {
				buf_printf(report,
				           "sensitive: user %" PRId64
				           " %s does not decrypt (altered, "
				           "moved or another key)\n",
				           id, fields[i]);
				findings++;
			} else if (v && i == 1) {
				const char *have = store_col_text(st, 3);
				vault_blind_index(v, SEALED_FIELD_ID_NUMBER, plain, bidx);
				if (!have || strcmp(have, bidx) != 0) {
					buf_printf(report,
					           "sensitive: user %" PRId64
					           " users.id_number_bidx does not match the ID "
					           "number\n",
					           id);
					findings++;
				}
			}
			sodium_memzero(plain, sizeof plain);
		}
	}
	store_reset(st);
	return rc == STORE_DONE ? findings : -1;
}

int identity_user_find_by_id_number(struct store_conn *c, const struct principal *p,
                                    const char *id_number, int64_t *id)
{
	const struct vault *v = vault_global();
	struct store_stmt *st;
	struct idcard ic;
	struct user_view u;
	char bidx[VAULT_INDEX_HEX];
	int64_t cand[16];
	size_t n = 0;
	int rc;

	if (!v || !id_number || idcard_parse(id_number, &ic, NULL) < 0)
		return 0;
	vault_blind_index(v, SEALED_FIELD_ID_NUMBER, ic.number, bidx);
	st = store_prepare(c, "SELECT id FROM users WHERE id_number_bidx = ? ORDER BY id LIMIT 16");
	if (!st)
		return -1;
	store_bind_text(st, 1, bidx, -1);
	while ((rc = store_step(st)) == STORE_ROW)
		cand[n++] = store_col_int64(st, 0);
	store_reset(st);
	if (rc != STORE_DONE)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* Visible to p, and really this number (the index only narrows the search). */
		rc = identity_user_get(c, p, cand[i], &u);
		if (rc < 0)
			return -1;
		if (rc == 1 && strcmp(u.id_number, ic.number) == 0) {
			sodium_memzero(&u, sizeof u);
			*id = cand[i];
			return 1;
		}
		sodium_memzero(&u, sizeof u);
	}
	return 0;
}
