/*
 * The demo accounts (see demo_accounts.h). Organisations come from the regions the demo city
 * builder made: the first township of 东昌府区 (古楼街道) and its first community with two or more
 * grids (古城社区).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/codes.h"
#include "base/idcard.h"
#include "domain/audit.h"
#include "domain/demo.h"
#include "domain/demo_accounts.h"
#include "store/store.h"

#define CITY "371500000000"
#define COUNTY "371502000000"
#define OTHER_COUNTY "371521000000"

static int region_name(struct store_conn *c, const char *code, char *name, size_t n)
{
	struct store_stmt *st = store_prepare(c, "SELECT name FROM regions WHERE code = ?");
	int found = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, code, -1);
	if (store_step(st) == STORE_ROW) {
		snprintf(name, n, "%s", store_col_text(st, 0));
		found = 1;
	}
	store_reset(st);
	return found;
}

/* The first community (level 5 region) under the county with at least two active grids, its
   township, and the ids of its first two grids. */
static int pick_community(struct store_conn *c, char community[13], char township[13],
                          int64_t grids[2])
{
	struct store_stmt *st = store_prepare(
	        c, "SELECT r.code, r.parent_code FROM regions r WHERE r.path >= ? AND r.path < ? "
	           "AND (SELECT count(*) FROM grids g WHERE g.community_code = r.code AND g.status "
	           "= 'active' AND g.kind = 1) >= 2 ORDER BY r.path LIMIT 1");
	int found = 0, n = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, CITY "/" COUNTY "/", -1);
	store_bind_text(st, 2, CITY "/" COUNTY "0", -1);
	if (store_step(st) == STORE_ROW) {
		snprintf(community, 13, "%s", store_col_text(st, 0));
		snprintf(township, 13, "%s", store_col_text(st, 1));
		found = 1;
	}
	store_reset(st);
	if (!found)
		return 0;
	st = store_prepare(c, "SELECT id FROM grids WHERE community_code = ? AND status = 'active' "
	                      "AND kind = 1 ORDER BY code LIMIT 2");
	if (!st)
		return -1;
	store_bind_text(st, 1, community, -1);
	while (n < 2 && store_step(st) == STORE_ROW)
		grids[n++] = store_col_int64(st, 0);
	store_reset(st);
	return n == 2 ? 1 : 0;
}

struct plan {
	const char *role, *username, *display_name;
	int org; /* index into orgs */
	int totp;
};

int demo_accounts_create(const struct dom_ctx *x, struct demo_account out[DEMO_ACCOUNT_MAX],
                         char *err, size_t errlen)
{
	struct store_conn *c = store_reader(x->store);
	char community[13], township[13], cname[REGION_NAME_BYTES], tname[REGION_NAME_BYTES];
	char names[6][ORG_NAME_BYTES];
	int64_t grids[2], org_ids[6], other_ids[2];
	struct dom_err e = { 0 };
	static const struct plan plans[] = {
		{ "sysadmin", "sysadmin", "赵系统", 0, 1 },
		{ "secadmin", "secadmin", "钱安全", 0, 1 },
		{ "auditor", "auditor", "孙审计", 0, 1 },
		{ "center_operator", "operator", "李操作", 1, 0 },
		/* May unmask personal data: TOTP like the administrators (activation.h). */
		{ "center_leader", "leader", "周领导", 1, 1 },
		{ "dept_handler", "handler", "吴民警", 2, 0 },
		{ "grid_worker", "worker", "郑网格", 3, 0 },
		/* The matter flow: the township center that holds what the worker reports, and a
		   second department for joint handling (联动处置). */
		{ "center_operator", "township", "王街道", 4, 0 },
		{ "dept_handler", "handler2", "陈城管", 5, 0 },
	};
	int n = 0, rc;

	if (!c) {
		snprintf(err, errlen, "cannot read the database");
		return -1;
	}
	{
		struct store_stmt *st =
		        store_prepare(c, "SELECT count(*) FROM users WHERE username "
		                         "= 'sysadmin'");
		int64_t k = 0;
		if (st && store_step(st) == STORE_ROW)
			k = store_col_int64(st, 0);
		if (st)
			store_reset(st);
		if (k)
			return 0;
	}
	if (region_name(c, CITY, cname, sizeof cname) != 1 ||
	    region_name(c, COUNTY, tname, sizeof tname) != 1) {
		snprintf(err, errlen, "the demo city (371500, 371502) is missing");
		return -1;
	}
	rc = pick_community(c, community, township, grids);
	if (rc != 1) {
		snprintf(err, errlen, "no community with two grids in 371502");
		return -1;
	}
	snprintf(names[0], sizeof names[0], "%.90s网格化服务管理中心", cname);
	snprintf(names[1], sizeof names[1], "%.90s网格化服务管理中心", tname);
	snprintf(names[2], sizeof names[2], "%.90s公安分局", tname);
	region_name(c, community, tname, sizeof tname);
	demo_short_name(tname, cname, sizeof cname); /* 古城社区居委会 -> 古城社区 */
	snprintf(names[3], sizeof names[3], "%.90s网格员队伍", cname);
	org_ids[0] = org_ensure(x, names[0], "center", "city", CITY);
	org_ids[1] = org_ensure(x, names[1], "center", "county", COUNTY);
	org_ids[2] = org_ensure(x, names[2], "department", NULL, COUNTY);
	org_ids[3] = org_ensure(x, names[3], "grid_team", NULL, community);
	region_name(c, township, tname, sizeof tname);
	{
		char tn[ORG_NAME_BYTES], on[ORG_NAME_BYTES], oc[REGION_NAME_BYTES] = "阳谷县";
		snprintf(tn, sizeof tn, "%.90s网格化服务管理中心", tname);
		region_name(c, OTHER_COUNTY, oc, sizeof oc);
		snprintf(on, sizeof on, "%.90s网格化服务管理中心", oc);
		other_ids[0] = org_ensure(x, tn, "center", "township", township);
		other_ids[1] = org_ensure(x, on, "center", "county", OTHER_COUNTY);
		snprintf(names[4], sizeof names[4], "%s", tn);
		org_ids[4] = other_ids[0];
	}
	{
		char cn[REGION_NAME_BYTES] = "";

		region_name(c, COUNTY, cn, sizeof cn);
		snprintf(names[5], sizeof names[5], "%.90s城市管理局", cn);
		org_ids[5] = org_ensure(x, names[5], "department", NULL, COUNTY);
	}
	for (int i = 0; i < 6; i++)
		if (org_ids[i] < 0) {
			snprintf(err, errlen, "cannot create organisation %s", names[i]);
			return -1;
		}
	if (other_ids[0] < 0 || other_ids[1] < 0) {
		snprintf(err, errlen, "cannot create the other-scope organisations");
		return -1;
	}
	for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
		struct demo_account *a = &out[n];
		const struct plan *p = &plans[i];
		memset(a, 0, sizeof *a);
		snprintf(a->role, sizeof a->role, "%s", p->role);
		snprintf(a->username, sizeof a->username, "%s", p->username);
		snprintf(a->display_name, sizeof a->display_name, "%s", p->display_name);
		snprintf(a->organisation, sizeof a->organisation, "%s", names[p->org]);
		a->org_id = org_ids[p->org];
		a->user_id = user_bootstrap(x, p->username, p->display_name, a->org_id, p->role, 0,
		                            a->password, sizeof a->password,
		                            p->totp ? a->totp_secret : NULL, &e);
		if (a->user_id < 0) {
			snprintf(err, errlen, "cannot create %s: %s", p->username, e.message);
			return -1;
		}
		n++;
	}
	{
		/* Region codes, and personal data on the worker so masking shows. */
		static const char *const region_of[6] = {
			CITY, COUNTY, COUNTY, NULL, NULL, COUNTY
		};
		struct user_fields f = { .phone = "13812345678", .disabled = -1 };
		char idn[19] = "37150219900307123";
		idn[17] = idcard_check_char(idn);
		idn[18] = '\0';
		f.id_number = idn;
		for (int i = 0; i < n; i++) {
			int o = plans[i].org;
			snprintf(out[i].region_code, sizeof out[i].region_code, "%s",
			         region_of[o] ? region_of[o]
			         : o == 4     ? township
			                      : community);
		}
		if (user_update(x, out[6].user_id, &f, &e) < 0 ||
		    user_set_grids(x, out[6].user_id, grids, 2, &e) < 0) {
			snprintf(err, errlen, "cannot set up the grid worker: %s", e.message);
			return -1;
		}
	}
	return n;
}

int demo_accounts_write(const char *path, const struct demo_account *a, size_t n, char *err,
                        size_t errlen)
{
	json_t *arr = json_array();
	char *text = NULL;
	int fd = -1, rc = -1;
	size_t len;

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack(
		        "{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "role", a[i].role, "username",
		        a[i].username, "password", a[i].password, "organisation", a[i].organisation,
		        "display_name", a[i].display_name, "user_id", (json_int_t)a[i].user_id,
		        "org_id", (json_int_t)a[i].org_id, "region_code", a[i].region_code);
		if (a[i].totp_secret[0])
			json_object_set_new(o, "totp_secret", json_string(a[i].totp_secret));
		json_array_append_new(arr, o);
	}
	text = json_dumps(arr, JSON_INDENT(2));
	json_decref(arr);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	len = strlen(text);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	sodium_memzero(text, len);
	free(text);
	return rc;
}
