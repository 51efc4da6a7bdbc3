/*
 * The public notice of a grid (domain/notice.h): only the fields Art. 15 publishes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/notice.h"
#include "domain/org.h"
#include "store/store.h"

void notice_release(struct notice *n)
{
	if (n) {
		free(n->boundary);
		n->boundary = NULL;
	}
}

int notice_phone_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '+' || s[n] == ' '))
			return 0;
	return n >= 3 && n <= 20;
}

/* The grid and the names of the regions above it; 1, 0 (unknown or retired), -1. */
static int load_grid(struct store_conn *c, const char *code, struct notice *n, int64_t *grid_id,
                     char path[ACCESS_PATH_MAX])
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT g.id, g.code, g.name, g.boundary, g.path, cm.name, tw.name, co.name "
	           "FROM grids g JOIN regions cm ON cm.code = g.community_code "
	           "LEFT JOIN regions tw ON tw.code = cm.parent_code "
	           "LEFT JOIN regions co ON co.code = tw.parent_code "
	           "WHERE g.code = ? AND g.status = 'active'");
	int rc, found = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, code, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		*grid_id = store_col_int64(st, 0);
		dom_copy(n->grid_code, sizeof n->grid_code, store_col_text(st, 1));
		dom_copy(n->grid_name, sizeof n->grid_name, store_col_text(st, 2));
		n->boundary = strdup(store_col_text(st, 3) ? store_col_text(st, 3) : "");
		dom_copy(path, ACCESS_PATH_MAX, store_col_text(st, 4));
		dom_copy(n->community_name, sizeof n->community_name, store_col_text(st, 5));
		dom_copy(n->township_name, sizeof n->township_name, store_col_text(st, 6));
		dom_copy(n->county_name, sizeof n->county_name, store_col_text(st, 7));
		found = n->boundary ? 1 : -1;
	} else if (rc == STORE_DONE) {
		found = 0;
	}
	store_reset(st);
	return found;
}

/* The active workers serving the grid: lead first, then full-time, then by name. */
static int load_workers(struct store_conn *c, int64_t grid_id, struct notice *n)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT w.name, w.employment = 'full_time', wg.lead, coalesce(w.work_phone, '') "
	           "FROM worker_grids wg JOIN workers w ON w.id = wg.worker_id "
	           "WHERE wg.grid_id = ? AND w.status = 'active' "
	           "ORDER BY wg.lead DESC, w.employment = 'full_time' DESC, w.name, w.id LIMIT ?");
	int rc;

	if (!st)
		return -1;
	store_bind_int64(st, 1, grid_id);
	store_bind_int64(st, 2, NOTICE_WORKERS_MAX);
	while ((rc = store_step(st)) == STORE_ROW && n->nworkers < NOTICE_WORKERS_MAX) {
		struct notice_worker *w = &n->workers[n->nworkers++];

		dom_copy(w->name, sizeof w->name, store_col_text(st, 0));
		w->full_time = (int)store_col_int64(st, 1);
		w->lead = (int)store_col_int64(st, 2);
		dom_copy(w->work_phone, sizeof w->work_phone, store_col_text(st, 3));
	}
	store_reset(st);
	return rc == STORE_ROW || rc == STORE_DONE ? 0 : -1;
}

/* The nearest enabled center up the tree from the grid's community that has a supervision
   phone (the township's, or else the county's or the city's). */
static int load_center(struct store_conn *c, const char *path, struct notice *n)
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT o.name, o.supervision_phone FROM organisations o "
	           "JOIN regions r ON r.code = o.region_code "
	           "WHERE o.kind = 'center' AND o.disabled = 0 AND o.supervision_phone IS NOT NULL "
	           "AND r.path = substr(?, 1, length(r.path)) "
	           "ORDER BY length(r.path) DESC, o.id LIMIT 1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, path, -1);
	rc = store_step(st);
	if (rc == STORE_ROW) {
		dom_copy(n->center_name, sizeof n->center_name, store_col_text(st, 0));
		dom_copy(n->supervision_phone, sizeof n->supervision_phone, store_col_text(st, 1));
	}
	store_reset(st);
	return rc == STORE_ROW || rc == STORE_DONE ? 0 : -1;
}

int notice_load(const struct dom_ctx *x, const char *code, struct notice *out, struct dom_err *e)
{
	struct store_conn *c;
	char path[ACCESS_PATH_MAX] = "";
	int64_t grid_id = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (!code || !*code || strlen(code) >= sizeof out->grid_code)
		return dom_err_set(e, 404, "not_found", "网格不存在或已撤销");
	if (!(c = dom_reader(x, e)))
		return -1;
	rc = load_grid(c, code, out, &grid_id, path);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "网格不存在或已撤销");
	if (rc < 0 || load_workers(c, grid_id, out) < 0 || load_center(c, path, out) < 0)
		return dom_err_read(e);
	return 0;
}

/* ---- the supervision phone ---- */

struct phone_arg {
	int64_t id;
	const char *phone;
};

static int phone_authorize(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                           struct dom_err *e)
{
	struct phone_arg *a = w->arg;
	struct org o;
	int rc = org_load(c, x->caller, a->id, &o);

	if (rc < 0)
		return dom_err_read(e);
	if (rc == 0)
		return dom_err_set(e, 404, "not_found", "组织机构不存在");
	if (strcmp(o.kind, "center") != 0)
		return dom_err_set(e, 400, "not_a_center", "只有网格化服务管理中心有监督电话");
	dom_write_detail(w, "设置%s的监督电话：%s", o.name, a->phone ? a->phone : "（清除）");
	return 0;
}

static int phone_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct phone_arg *a = w->arg;

	return dom_exec(
	        c, e, "UPDATE organisations SET supervision_phone = ?, updated_at = ? WHERE id = ?",
	        "tii", a->phone, x->now, a->id);
}

int notice_set_supervision_phone(const struct dom_ctx *x, int64_t org_id, const char *phone,
                                 struct dom_err *e)
{
	struct phone_arg a = { org_id, phone && *phone ? phone : NULL };
	struct dom_write w = { .action = "org.supervision_phone",
		               .permission = "org.write",
		               .authorize = phone_authorize,
		               .apply = phone_apply,
		               .arg = &a,
		               .callers_unchanged = 1 };

	if (a.phone && !notice_phone_valid(a.phone))
		return dom_err_set(e, 400, "bad_phone", "电话号码格式无效");
	dom_write_object(&w, "org:%" PRId64, org_id);
	return dom_write(x, &w, e);
}
