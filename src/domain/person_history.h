/*
 * A person's history (issue 12 part 3): the dated records of person_events (registered, born,
 * moved in, moved out, died, workplace, tags entered and left, basic fields changed) answered in
 * date order, under the same scope and key-people rules as the person's record (registry.h,
 * person_get). Owned by the registry; the records are written by person.c.
 */
#ifndef WANGGE_DOMAIN_PERSON_HISTORY_H
#define WANGGE_DOMAIN_PERSON_HISTORY_H

#include <jansson.h>
#include <stdint.h>

#include "domain/dom.h"

/*
 * Keyset page (date, then order of recording) of person id's records: {person, items: [{id, date,
 * kind, label, house {id, address} or null, unit {id, name} or null, tag?, tag_label?, detail?,
 * recorded_at}], next_cursor}. 404 when the person is missing or out of scope. A person in a key
 * category now: without person.key_read 403 key_person (audited as person.key_read, denied);
 * without an acceptable reason 400 reason_required. Records of key categories (entered or left,
 * now or in the past) are answered only to a caller with person.key_read and a reason; every
 * answer that shows key-people data is audited as person.key_read on person:{id} with the reason.
 */
json_t *person_history(const struct dom_ctx *x, int64_t id, const char *reason,
                       const struct dom_page *pg, struct dom_err *e);

#include "base/banned.h"
#endif
