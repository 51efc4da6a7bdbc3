/*
 * The public notice of a grid (Art. 15): "城乡社区、行政村和网格应当在辖区显著位置公示网格名称、
 * 网格管辖范围、网格员职责、网格员姓名和联系方式等信息，并及时更新". Read by anyone, without
 * login, so this module reads only what the article asks to publish and nothing else: the grid's
 * name, code and boundary, the names of its community, township and county, the active workers
 * serving it (name, full-time or part-time, lead, and the work phone, which Art. 15 requires to
 * be published in full), the duties of Art. 13, and the supervision phone of the township's
 * center (the nearest center up the tree that has one). Never a worker's ID number, personal
 * phone, age or anything else of the registry.
 *
 * Built from the live tables on every call: a change of a grid's workers shows on the next view.
 * A retired or unknown grid answers 404.
 */
#ifndef WANGGE_DOMAIN_NOTICE_H
#define WANGGE_DOMAIN_NOTICE_H

#include <stddef.h>

#include "domain/dom.h"

#define NOTICE_WORKERS_MAX 32
#define NOTICE_TEXT_MAX 192

struct notice_worker {
	char name[NOTICE_TEXT_MAX];
	int full_time;
	int lead;
	char work_phone[48]; /* "" when none recorded */
};

struct notice {
	char grid_code[32];
	char grid_name[NOTICE_TEXT_MAX];
	char community_name[NOTICE_TEXT_MAX];
	char township_name[NOTICE_TEXT_MAX];
	char county_name[NOTICE_TEXT_MAX];
	char *boundary; /* GeoJSON text; owned */
	struct notice_worker workers[NOTICE_WORKERS_MAX];
	size_t nworkers;
	char center_name[NOTICE_TEXT_MAX];
	char supervision_phone[48]; /* "" when no center above the grid has one */
};

/* Loads the notice of the grid code (public: no caller scope applies). 0, or -1 with e (404
   not_found for an unknown or retired grid, 503 read_failed). out is released with
   notice_release in every case. */
int notice_load(const struct dom_ctx *x, const char *code, struct notice *out, struct dom_err *e);
void notice_release(struct notice *n);

/* Sets the supervision phone of organisation org_id (a center); "" or NULL clears it. Used by the
   demo (domain/demo_notice.c); audited through dom_write ("org.supervision_phone", permission
   org.write, scope of the caller). 0, or -1 with e (400 bad_phone, 404). */
int notice_set_supervision_phone(const struct dom_ctx *x, int64_t org_id, const char *phone,
                                 struct dom_err *e);
/* 1 when s is an acceptable published phone number: 3 to 20 of digits, '-', '+', ' '. */
int notice_phone_valid(const char *s);

#include "base/banned.h"
#endif
