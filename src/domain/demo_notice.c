/*
 * The demo's supervision phones (domain/demo_notice.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "domain/demo_notice.h"
#include "domain/notice.h"
#include "store/store.h"

#define DEMO_CENTERS_MAX 512

int demo_supervision_phones(const struct dom_ctx *x, struct dom_err *e)
{
	struct store_conn *c = dom_reader(x, e);
	struct store_stmt *st;
	int64_t ids[DEMO_CENTERS_MAX];
	size_t n = 0;
	int rc;

	if (!c)
		return -1;
	st = store_prepare(c, "SELECT id FROM organisations WHERE kind = 'center' "
	                      "AND supervision_phone IS NULL ORDER BY id LIMIT ?");
	if (!st)
		return dom_err_read(e);
	store_bind_int64(st, 1, DEMO_CENTERS_MAX);
	while ((rc = store_step(st)) == STORE_ROW)
		ids[n++] = store_col_int64(st, 0);
	store_reset(st);
	if (rc != STORE_DONE)
		return dom_err_read(e);
	for (size_t i = 0; i < n; i++) {
		char phone[24];

		(void)snprintf(phone, sizeof phone, "0635-8%06" PRId64, (ids[i] * 7919) % 1000000);
		if (notice_set_supervision_phone(x, ids[i], phone, e) < 0)
			return -1;
	}
	return 0;
}
