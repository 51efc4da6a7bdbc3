/* STUB until the matter list branch merges (interface agreed in its brief). */
#ifndef WANGGE_DOMAIN_MATTER_ITEM_H
#define WANGGE_DOMAIN_MATTER_ITEM_H
#include <stdint.h>
#include "domain/calendar.h"
#include "domain/dom.h"
struct matter_item {
	int64_t id;
	int64_t version_id;
	int version;
	char code[32];
	char name[128];
	char category[32];
	char category_label[64];
	char worker_role[16];
	char default_level[16];
	int urgency;
	int accept_amount, handle_amount, verify_amount;
	enum cal_unit accept_unit, handle_unit, verify_unit;
	int warn_share_pct;
	int64_t departments[8];
	int n_departments;
};
int matter_item_in_force(struct store_conn *c, const char *code, int64_t at,
                         struct matter_item *out, struct dom_err *e);
#endif
