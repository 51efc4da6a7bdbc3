/*
 * Bulk import of people (实有人口, issue 12 part 7) from a CSV text or the first sheet of an .xlsx
 * workbook, at the size of a whole city.
 *
 *   - Streamed: the CSV reader walks the text record by record (the command maps the file, so
 *     only the pages being read are resident); rows are held one batch at a time.
 *   - Batched: every `batch` rows (default 20,000) are one dom_write ("person.import", one audit
 *     record per batch) that runs alone in its transaction (dom_write.alone: no savepoint; a
 *     failed batch is rolled back whole and its failure recorded after). The rows are registered
 *     by person_insert_many: checked as person_create checks one (ID and phone sealed, blind
 *     index, house found or registered, dated record), with multi-row statements, names indexed
 *     and grid counters added once per batch.
 *   - Every bad row is reported through on_error with its line and reason. A batch is
 *     all-or-nothing: one bad row rolls its batch back. After the first bad batch nothing more is
 *     committed, but the remaining rows are still checked (in writes that are rolled back), so
 *     one run names every bad row.
 *   - Resumable: the transaction of each committed batch records, in import_progress, the last
 *     line it committed and a hash of the file's records up to it. A re-run of the same source
 *     skips those lines when they are unchanged (refuses with 409 file_changed otherwise), so a
 *     run after a crash or after fixing bad rows goes on where the committed part ends. A row
 *     already registered is refused anyway (409 duplicate, found by the ID number's blind index).
 *
 * Columns (header row, Chinese or English names, any order; others ignored): 姓名 name,
 * 身份证号码 id_number (a foreigner's passport number), 登记类型 reg_type, 网格编码 grid (all
 * required); 联系电话 phone, 地址 address, 房间 room, 户号 household_no, 与户主关系 relation. A row
 * with an address lives in the house of that grid, address and room, registered when missing
 * (person_insert_many); without one the person is registered in the grid.
 */
#ifndef WANGGE_DOMAIN_PERSON_IMPORT_H
#define WANGGE_DOMAIN_PERSON_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"

/* A batch takes about half a second: other writes (a running server's) wait that long. */
#define PERSON_IMPORT_BATCH 20000

struct person_import_result {
	int64_t resumed_after; /* the line the run started after (0: the start of the file) */
	int64_t rows;          /* data rows read in this run (the skipped part not counted) */
	int64_t imported;      /* people committed in this run */
	int64_t bad;           /* rows refused */
	int64_t batches;       /* batches committed in this run */
	int64_t last_line;     /* the last line committed (this run or before) */
	int already_complete;  /* the source was imported completely before: nothing done */
};

struct person_import_opts {
	const char *source; /* the progress key: the file's absolute path; required */
	size_t batch;       /* rows per write; 0: PERSON_IMPORT_BATCH */
	int64_t stop_after; /* tests: stop (as a crash would) after this many batches; 0: never */
	void (*on_error)(void *arg, int64_t line, const char *code, const char *message);
	void (*on_progress)(void *arg, const struct person_import_result *r);
	void *arg;
};

/*
 * Imports the people of the CSV text data[0..len) (borrowed) or of the .xlsx workbook
 * data[0..len). 0 when every row of the file is committed (now or before), filling *r; -1 with
 * e otherwise: 400 import_failed (bad rows, reported through on_error), 400 bad_header /
 * bad_csv / bad_xlsx / empty, 409 file_changed (the committed part differs), 503 stopped
 * (stop_after reached), or a write error. *r tells what was committed in any case.
 */
int person_import_csv(const struct dom_ctx *x, const char *data, size_t len,
                      const struct person_import_opts *o, struct person_import_result *r,
                      struct dom_err *e);
int person_import_xlsx(const struct dom_ctx *x, const char *data, size_t len,
                       const struct person_import_opts *o, struct person_import_result *r,
                       struct dom_err *e);

#include "base/banned.h"
#endif
