/* STUB until the calendar branch merges (interface agreed in its brief). */
#ifndef WANGGE_DOMAIN_CALENDAR_H
#define WANGGE_DOMAIN_CALENDAR_H
#include <stdint.h>
#include "domain/dom.h"
enum cal_unit { CAL_WORKING_DAYS = 1, CAL_WORKING_HOURS = 2 };
int calendar_deadline(struct store_conn *c, int64_t from, int amount, enum cal_unit unit,
                      int warn_share_pct, int64_t *due_at, int64_t *warn_at, struct dom_err *e);
int calendar_add_working_days(struct store_conn *c, const char *from_date, int n, char due[11],
                              struct dom_err *e);
#endif
