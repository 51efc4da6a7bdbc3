/*
 * Duty records (Art. 13 of the Liaocheng regulation): a grid worker logs each visit or service in
 * the grids the worker serves: which of the ten duties of Art. 13 it served, what was done (the
 * act), when, where (optional GPS point), a note and up to UPLOAD_MAX_PER_RECORD photos
 * (domain/upload.h).
 *
 * Art. 13 also says what a grid worker must not do: administrative licensing (行政许可),
 * administrative penalties (行政处罚) and coercive measures (行政强制措施) belong to
 * administrative staff. Those cannot be recorded as a worker's duty: a record whose act or duty
 * names one of them (by code, or by the Chinese words in the text sent) is refused with 400
 * prohibited_act and a message that cites Art. 13, before anything is stored.
 *
 * Who records: whoever holds duty.write (built in: the grid worker), in a grid the caller may see
 * — for a grid worker one of the grids bound to the account (user_grids), for a center clerk
 * given duty.write by a custom role any active grid in the center's region (recording on a
 * worker's behalf). worker_id is the worker record linked to the recording account
 * (workers.user_id), NULL when the account has none. Who reads: holders of duty.read, scoped like
 * grids (grid workers their own grids, centers their region subtree); a photo is served only with
 * its record.
 */
#ifndef WANGGE_DOMAIN_DUTY_H
#define WANGGE_DOMAIN_DUTY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"
#include "domain/upload.h"

#define DUTY_TYPE_COUNT 10
#define DUTY_NOTE_CHARS 1000

/* The ten duties of Art. 13, in the order of the article. */
struct duty_type {
	const char *code;  /* stable ASCII code, stored and sent by the API */
	const char *label; /* short Chinese label for lists and menus */
	const char *text;  /* the duty as Art. 13 words it (for the public notice board) */
};
extern const struct duty_type duty_types[DUTY_TYPE_COUNT];

/* What was done. The last three are the acts Art. 13 forbids: never stored, always refused. */
struct duty_act {
	const char *code;
	const char *label;
	int prohibited;
};
extern const struct duty_act duty_acts[];
extern const size_t duty_act_count;

/* The duty type of a code, or NULL. */
const struct duty_type *duty_type_find(const char *code);
/* The Chinese name of the prohibited act s names (a prohibited act code, or text containing
   行政许可 / 行政处罚 / 行政强制 or a word for such a measure: 罚款, 查封, 扣押, 吊销, 拘留), or
   NULL when s names none. */
const char *duty_prohibited(const char *s);

struct duty_input {
	const char *duty; /* a duty_types code */
	const char *act;  /* a duty_acts code; NULL means "visit" */
	const char *grid; /* grid code */
	int64_t at;       /* when it was done (UTC seconds); 0 means x->now */
	int has_location;
	double lng, lat;
	const char *note; /* may be NULL */
	const struct upload *photos;
	size_t nphotos;
	/* A key-people visit (issue 12 part 5): the person visited, 0 for none. Needs duty
	   key_group_visit, a current key person in the record's grid (else 404) and
	   person.key_read (403 key_person). */
	int64_t person_id;
};

/* Checks what needs no database: prohibited acts first (400 prohibited_act), then duty (400
   bad_duty), act (400 bad_act), grid code given (400 bad_grid), time not more than 10 minutes
   ahead of x->now and not before 2000 (400 bad_time), location in range (400 bad_location),
   note length (400 bad_note), photos (400 too_many_photos). 0, or -1 with e. */
int duty_check(const struct dom_ctx *x, const struct duty_input *in, struct dom_err *e);

/* Records a duty (duty_check, then dom_write "duty.create" with permission duty.write: the grid
   must be visible to the caller and active, else 404 / 409 grid_retired). *id is the new
   record's id. 0, or -1 with e. */
int duty_create(const struct dom_ctx *x, const struct duty_input *in, int64_t *id,
                struct dom_err *e);

struct duty_filter {
	const char *grid;  /* grid code, or NULL */
	int64_t worker_id; /* 0: any */
	const char *duty;  /* duty code, or NULL */
	int64_t from, to;  /* at >= from, at < to (0: open) */
	int mine;          /* only records the caller made */
};
/* A keyset page of records, newest first, scoped in SQL: {items, next_cursor}. NULL with e. */
json_t *duty_list(const struct dom_ctx *x, const struct duty_filter *f, const struct dom_page *pg,
                  struct dom_err *e);
/* One record with its photos, or NULL with e (404 when missing or out of scope). */
json_t *duty_get(const struct dom_ctx *x, int64_t id, struct dom_err *e);
/* A photo of record id that the caller may see: 0 with *mime (static), or -1 with e (404 when the
   record is missing or out of scope, or the photo is not one of its photos). */
int duty_photo(const struct dom_ctx *x, int64_t id, const char *hash, const char **mime,
               struct dom_err *e);
/* The duty types and acts as JSON: {"duties":[{code,label,text}], "acts":[{code,label,
   prohibited}]}. */
json_t *duty_catalog_json(void);

#include "base/banned.h"
#endif
