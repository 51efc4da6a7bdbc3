/*
 * Demo grid workers (demo_workers.h). Every choice is a hash of the grid code, so the same city
 * gives the same staff; workers are inserted with worker_insert (the registry's own validation
 * and sealing) inside one dom_write of the system principal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/idcard.h"
#include "domain/demo_workers.h"
#include "domain/worker.h"
#include "store/store.h"

static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄",
	                                "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
	                                "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
	                                "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾" };
static const char *const given[] = {
	"伟",   "芳",   "娜",   "秀英", "敏",   "静",   "丽",   "强",   "磊",   "军",  "洋",
	"勇",   "艳",   "杰",   "娟",   "涛",   "明",   "超",   "秀兰", "霞",   "平",  "刚",
	"桂英", "建华", "海燕", "志强", "晓东", "文博", "春梅", "玉兰", "国庆", "红霞"
};
static const char *const educations[] = { "大学本科", "大学专科", "高中", "中专", "研究生" };
static const char *const part_sources[] = {
	"committee_member", "villager_rep",     "volunteer",
	"mediator",         "police_assistant", "resident_rep"
};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t hash(const char *s, uint32_t salt)
{
	uint32_t h = 2166136261u ^ salt;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct staff {
	int64_t grid_worker_user, marker_user;
	int64_t n; /* workers made so far: seeds unique ID numbers */
	struct demo_staffing *out;
};

/* A worker for grid code managed by township, full-time or part-time; *id its id. */
static int make_worker(struct store_conn *c, const struct dom_ctx *x, struct staff *s,
                       const char *code, const char *township, int full_time, int64_t user_id,
                       const char *fixed_name, int64_t *id, struct dom_err *e)
{
	char idn[32], name[64], phone[16], work[16], start[WORKER_DATE_LEN + 1],
	        cert[WORKER_DATE_LEN + 1], certno[32];
	uint32_t h = hash(code, (uint32_t)s->n * 2654435761u);
	int64_t n = s->n++, day0 = clock_days_from_civil(1968, 1, 1), days;
	int y, m, d;
	struct worker_input in = WORKER_INPUT_INIT;

	/* Born 1968..2000 (adults on any start date from 2019): gcd(7919, 12000) = 1 makes the
	   birth date unique for the first 12000 workers; the sequence keeps later ones apart. */
	days = day0 + (n * 7919) % 12000;
	clock_civil_from_days(days, &y, &m, &d);
	(void)snprintf(idn, sizeof idn, "%.6s%04u%02u%02u%03u", township, (unsigned)y % 10000u,
	               (unsigned)m % 100u, (unsigned)d % 100u,
	               (unsigned)((100 + (n / 12000) * 10 + (h % 10)) % 1000));
	idn[17] = idcard_check_char(idn);
	idn[18] = '\0';
	if (fixed_name)
		(void)snprintf(name, sizeof name, "%s", fixed_name);
	else
		(void)snprintf(name, sizeof name, "%s%s", surnames[h % N_OF(surnames)],
		               given[(h >> 8) % N_OF(given)]);
	(void)snprintf(phone, sizeof phone, "1%02u%08u", 30 + (h >> 4) % 60,
	               (unsigned)((h ^ (uint32_t)n * 7u) % 100000000u));
	(void)snprintf(work, sizeof work, "0635-%07u", (unsigned)(8000000 + (uint32_t)n % 1000000));
	(void)snprintf(start, sizeof start, "%04u-%02u-01", 2019u + (h >> 12) % 5u,
	               1u + (h >> 16) % 12u);
	(void)snprintf(cert, sizeof cert, "%04u-12-31", 2025u + (h >> 20) % 4u);
	(void)snprintf(certno, sizeof certno, "LCWG%06" PRId64, n + 1);
	in.name = name;
	in.id_number = idn;
	in.phone = phone;
	in.work_phone = work;
	in.employment = full_time ? "full_time" : "part_time";
	in.part_time_source = full_time ? NULL : part_sources[(h >> 6) % N_OF(part_sources)];
	in.education = educations[(h >> 10) % N_OF(educations)];
	in.certificate_no = certno;
	in.certificate_valid_to = cert;
	in.region = township;
	in.start_date = start;
	in.user_id = user_id > 0 ? user_id : -1;
	if (worker_insert(c, x, &in, id, e) < 0)
		return -1;
	s->out->workers++;
	return 0;
}

static int serve(struct store_conn *c, struct dom_err *e, int64_t worker, int64_t grid, int lead,
                 int64_t now)
{
	return dom_exec(c, e,
	                "INSERT INTO worker_grids (worker_id, grid_id, lead, since) VALUES (?, ?, "
	                "?, ?)",
	                "iiii", worker, grid, (int64_t)lead, now);
}

static int staff_apply(struct store_conn *c, const struct dom_ctx *x, struct dom_write *w,
                       struct dom_err *e)
{
	struct staff *s = w->arg;
	struct store_stmt *st;
	int64_t own = 0;
	char today[WORKER_DATE_LEN + 1], exc_from[WORKER_DATE_LEN + 1], exc_to[WORKER_DATE_LEN + 1];
	int64_t rural_seen = 0;
	int rc;

	if (!(st = store_prepare(c, "SELECT count(*) FROM workers")) ||
	    store_step(st) != STORE_ROW) {
		if (st)
			store_reset(st);
		return dom_err_read(e);
	}
	rc = store_col_int64(st, 0) > 0;
	store_reset(st);
	if (rc)
		return 0;
	worker_local_date(x->now, today);
	/* The exceptions run from the first of this year to the end of the next. */
	(void)snprintf(exc_from, sizeof exc_from, "%.4s-01-01", today);
	(void)snprintf(exc_to, sizeof exc_to, "%04u-12-31",
	               (unsigned)(strtol(today, NULL, 10) + 1) % 10000u);
	/* Grids in code order with their township; the grids of the grid-worker account are left
	   to its own worker (below). Statements are prepared once each; the loop reads the grid
	   query to the end before writing through others. */
	{
		size_t cap = 0, ng = 0;
		struct g {
			int64_t id;
			char code[16], township[13];
			int rural, own;
		} *gs = NULL;

		if (!(st = store_prepare(
		              c, "SELECT g.id, g.code, r.parent_code, "
		                 "substr(g.community_code, 10, 3) >= '200', "
		                 "g.id IN (SELECT grid_id FROM user_grids WHERE user_id = ?) "
		                 "FROM grids g JOIN regions r ON r.code = g.community_code "
		                 "WHERE g.status = 'active' ORDER BY g.code")))
			return dom_err_read(e);
		store_bind_int64(st, 1, s->grid_worker_user);
		while ((rc = store_step(st)) == STORE_ROW) {
			if (ng == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct g *n2 = realloc(gs, ncap * sizeof *n2);

				if (!n2) {
					rc = STORE_ERR;
					break;
				}
				gs = n2;
				cap = ncap;
			}
			gs[ng].id = store_col_int64(st, 0);
			dom_copy(gs[ng].code, sizeof gs[ng].code, store_col_text(st, 1));
			dom_copy(gs[ng].township, sizeof gs[ng].township, store_col_text(st, 2));
			gs[ng].rural = (int)store_col_int64(st, 3);
			gs[ng].own = (int)store_col_int64(st, 4);
			ng++;
		}
		store_reset(st);
		if (rc != STORE_DONE) {
			free(gs);
			return dom_err_read(e);
		}
		/* Which grids are short of staff is decided by the position of the grid among the
		   village grids (code order), not by a hash, so that even the test city (a dozen
		   village grids) shows a few of each kind and the city scale the same proportions:
		   of every 16 village grids, two are marked exceptions (a part-time lead and a
		   dated exception, Art. 10) and one fails (part-time only and no exception, or, one
		   time in four, nobody yet). Community grids fail by hash, about one in fifty. */
		for (size_t i = 0; i < ng; i++) {
			struct g *g = &gs[i];
			uint32_t h = hash(g->code, 7) % 100;
			int64_t wid, k = g->rural ? rural_seen++ : -1;

			s->out->grids++;
			if (g->own)
				continue;
			if (k >= 0 && (k % 16 == 1 || k % 16 == 6)) {
				/* A village that cannot have a full-time worker yet: a part-time
				   worker and a marked exception, dated for this year and next. */
				if (make_worker(c, x, s, g->code, g->township, 0, 0, NULL, &wid,
				                e) < 0 ||
				    serve(c, e, wid, g->id, 1, x->now) < 0 ||
				    dom_exec(c, e,
				             "INSERT INTO staffing_exceptions (grid_id, reason, "
				             "valid_from, valid_to, marked_by, marked_at) VALUES "
				             "(?, ?, "
				             "?, ?, ?, ?)",
				             "itttii", g->id,
				             "行政村暂不具备配备专职网格员条件，由村民委员会成员兼"
				             "任",
				             exc_from, exc_to, s->marker_user, x->now) < 0)
					goto fail;
				s->out->exceptions++;
			} else if (k >= 0 && k % 64 == 43) {
				s->out->failing++; /* nobody yet */
			} else if ((k >= 0 && k % 16 == 11) || (k < 0 && h < 2)) {
				/* Failing: only a part-time worker, no exception marked. */
				if (make_worker(c, x, s, g->code, g->township, 0, 0, NULL, &wid,
				                e) < 0 ||
				    serve(c, e, wid, g->id, 0, x->now) < 0)
					goto fail;
				s->out->failing++;
			} else {
				if (make_worker(c, x, s, g->code, g->township, 1, 0, NULL, &wid,
				                e) < 0 ||
				    serve(c, e, wid, g->id, 1, x->now) < 0)
					goto fail;
				/* Some grids also have a part-time helper. */
				if (h % 4 == 0 && (make_worker(c, x, s, g->code, g->township, 0, 0,
				                               NULL, &wid, e) < 0 ||
				                   serve(c, e, wid, g->id, 0, x->now) < 0))
					goto fail;
			}
		}
		/* The demo grid-worker account's own record: full-time lead of the account's grids
		   (its access scope stays exactly these grids). */
		for (size_t i = 0; i < ng; i++) {
			if (!gs[i].own)
				continue;
			if (!own && make_worker(c, x, s, gs[i].code, gs[i].township, 1,
			                        s->grid_worker_user, "郑网格", &own, e) < 0)
				goto fail;
			if (serve(c, e, own, gs[i].id, 1, x->now) < 0)
				goto fail;
		}
		/* Linking the account rewrote its grid bindings to the worker's (none then): they
		   follow the grids just assigned, as worker_set_grids would do. */
		if (own && dom_exec(c, e,
		                    "INSERT OR IGNORE INTO user_grids (user_id, grid_id) SELECT ?, "
		                    "grid_id FROM worker_grids WHERE worker_id = ?",
		                    "ii", s->grid_worker_user, own) < 0)
			goto fail;
		free(gs);
		dom_write_detail(w,
		                 "演示数据：登记网格员 %" PRId64 " 名，配备例外 %" PRId64 " 个网格",
		                 s->out->workers, s->out->exceptions);
		return 0;
	fail:
		free(gs);
		return -1;
	}
}

int demo_workers_staff(const struct dom_ctx *x, int64_t grid_worker_user, int64_t marker_user,
                       struct demo_staffing *out, char *err, size_t errlen)
{
	struct staff s = { .grid_worker_user = grid_worker_user,
		           .marker_user = marker_user,
		           .out = out };
	struct dom_write w = { .action = "worker.demo",
		               .permission = "worker.write",
		               /* The demo builder runs as the system principal, which may do
		                  anything; the permission is the whole rule. */
		               .authorize = dom_authorize_any,
		               .apply = staff_apply,
		               .arg = &s };
	struct dom_err e = { 0 };

	memset(out, 0, sizeof *out);
	dom_write_object(&w, "workers");
	if (dom_write(x, &w, &e) < 0) {
		(void)snprintf(err, errlen, "%s", e.message);
		return -1;
	}
	return 0;
}
