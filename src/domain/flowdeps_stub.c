/* STUB until the calendar and matter list branches merge: weekends-only days, two fixed items. */
#include <string.h>
#include "domain/calendar.h"
#include "domain/matter_item.h"
int calendar_deadline(struct store_conn *c, int64_t from, int amount, enum cal_unit unit,
                      int warn_share_pct, int64_t *due_at, int64_t *warn_at, struct dom_err *e)
{
	(void)c;
	(void)e;
	int64_t span = unit == CAL_WORKING_DAYS ? (int64_t)amount * 86400 : (int64_t)amount * 3600;
	*due_at = from + span;
	*warn_at = from + span * warn_share_pct / 100;
	return 0;
}
int calendar_add_working_days(struct store_conn *c, const char *from_date, int n, char due[11],
                              struct dom_err *e)
{
	(void)c;
	(void)n;
	(void)e;
	memcpy(due, from_date, 10);
	due[10] = 0;
	return 0;
}
int matter_item_in_force(struct store_conn *c, const char *code, int64_t at,
                         struct matter_item *out, struct dom_err *e)
{
	(void)c;
	(void)at;
	memset(out, 0, sizeof *out);
	if (strcmp(code, "CG-001") && strcmp(code, "AQ-001") && strcmp(code, "OLD-001"))
		return dom_err_set(e, 404, "item_not_found", "事项清单中没有该事项");
	if (strcmp(code, "OLD-001") == 0)
		return dom_err_set(e, 409, "item_not_published",
		                   "该事项不在已公布的事项清单中，不能交由网格员办理（第十六条）");
	out->id = code[0] == 'C' ? 1 : 2;
	out->version_id = out->id;
	out->version = 1;
	dom_copy(out->code, sizeof out->code, code);
	dom_copy(out->name, sizeof out->name, code[0] == 'C' ? "占道经营" : "消防通道堵塞");
	dom_copy(out->category, sizeof out->category,
	         code[0] == 'C' ? "city_management" : "safety_hazard");
	dom_copy(out->category_label, sizeof out->category_label,
	         code[0] == 'C' ? "城市管理" : "安全隐患");
	dom_copy(out->worker_role, sizeof out->worker_role, code[0] == 'C' ? "resolve" : "report");
	dom_copy(out->default_level, sizeof out->default_level, "township");
	out->urgency = 1;
	out->accept_amount = 1;
	out->handle_amount = 5;
	out->verify_amount = 2;
	out->accept_unit = out->handle_unit = out->verify_unit = CAL_WORKING_DAYS;
	out->warn_share_pct = 70;
	return 0;
}
