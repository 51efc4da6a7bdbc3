/*
 * Bulk import of the registry (issue 12 part 7): people (实有人口), houses (房屋) or units (单位),
 * from a CSV text or the first sheet of an .xlsx workbook, at the size of a whole city.
 *
 *   - Streamed: the CSV reader walks the text record by record (the command maps the file, so
 *     only the pages being read are resident); rows are held one batch at a time.
 *   - Batched: every `batch` rows (default 20,000) are one dom_write ("person.import",
 *     "house.import" or "unit.import", one audit record per batch) that runs alone in its
 *     transaction (dom_write.alone: no savepoint; a failed batch is rolled back whole and its
 *     failure recorded after). People are registered by person_insert_many: checked as
 *     person_create checks one (ID and phone sealed, blind index, house found or registered,
 *     dated record), with multi-row statements, names indexed and grid counters added once per
 *     batch. Houses and units by house_insert and unit_insert, the checks of house_create and
 *     unit_create, row by row.
 *   - Every bad row is reported through on_error with its line and reason. A batch is
 *     all-or-nothing: one bad row rolls its batch back. After the first bad batch nothing more is
 *     committed, but the remaining rows are still checked (in writes that are rolled back), so
 *     one run names every bad row.
 *   - Resumable: the transaction of each committed batch records, in import_progress, the last
 *     line it committed and a hash of the file's records up to it. A re-run of the same source
 *     and kind skips those lines when they are unchanged (refuses with 409 file_changed
 *     otherwise), so a run after a crash or after fixing bad rows goes on where the committed
 *     part ends. A person already registered is refused anyway (409 duplicate, found by the ID
 *     number's blind index), as is a unit (its credit code); a house has no such key.
 *
 * Columns (header row, Chinese or English names, any order; others ignored):
 *   people: 姓名 name, 身份证号码 id_number (a foreigner's passport number), 登记类型 reg_type,
 *     网格编码 grid (required); 联系电话 phone, 地址 address, 房间 room, 户号 household_no,
 *     与户主关系 relation. A row with an address lives in the house of that grid, address and
 *     room, registered when missing; without one the person is registered in the grid.
 *   houses: 网格编码 grid, 地址 address, 房屋类型 type, 房屋用途 use (required); 楼栋 building,
 *     单元 unit_no, 房号 room, 用途起始日期 date (the day the use began, YYYY-MM-DD; today when
 *     empty).
 *   units: 单位名称 name, 统一社会信用代码 credit_code, 单位类别 kind, 地址 address, 网格编码 grid
 *     (required); 联系人 contact_name, 联系电话 contact_phone.
 */
#ifndef WANGGE_DOMAIN_REGISTRY_IMPORT_H
#define WANGGE_DOMAIN_REGISTRY_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

/* A batch takes about half a second: other writes (a running server's) wait that long. */
#define REGISTRY_IMPORT_BATCH 20000

struct registry_import_result {
	int64_t resumed_after; /* the line the run started after (0: the start of the file) */
	int64_t rows;          /* data rows read in this run (the skipped part not counted) */
	int64_t imported;      /* rows committed in this run */
	int64_t bad;           /* rows refused */
	int64_t batches;       /* batches committed in this run */
	int64_t last_line;     /* the last line committed (this run or before) */
	int already_complete;  /* the source was imported completely before: nothing done */
};

/* What a file holds. */
enum registry_import_kind {
	REGISTRY_IMPORT_PEOPLE, /* 实有人口: person_insert_many */
	REGISTRY_IMPORT_HOUSES, /* 房屋: house_insert, row by row */
	REGISTRY_IMPORT_UNITS,  /* 单位: unit_insert, row by row */
};

struct registry_import_opts {
	enum registry_import_kind kind; /* default: people */
	const char *source; /* the progress key, with kind: the file's absolute path; required */
	size_t batch;       /* rows per write; 0: REGISTRY_IMPORT_BATCH */
	int64_t stop_after; /* tests: stop (as a crash would) after this many batches; 0: never */
	void (*on_error)(void *arg, int64_t line, const char *code, const char *message);
	void (*on_progress)(void *arg, const struct registry_import_result *r);
	void *arg;
};

/*
 * Imports the rows of o->kind from the CSV text data[0..len) (borrowed) or of the .xlsx workbook
 * data[0..len). 0 when every row of the file is committed (now or before), filling *r; -1 with
 * e otherwise: 400 import_failed (bad rows, reported through on_error), 400 bad_header /
 * bad_csv / bad_xlsx / empty, 409 file_changed (the committed part differs), 503 stopped
 * (stop_after reached), or a write error. *r tells what was committed in any case.
 */
int registry_import_csv(const struct dom_ctx *x, const char *data, size_t len,
                        const struct registry_import_opts *o, struct registry_import_result *r,
                        struct dom_err *e);
int registry_import_xlsx(const struct dom_ctx *x, const char *data, size_t len,
                         const struct registry_import_opts *o, struct registry_import_result *r,
                         struct dom_err *e);

#include "base/banned.h"
#endif
