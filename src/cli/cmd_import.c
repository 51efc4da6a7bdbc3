/*
 * `wangge import regions --db PATH FILE.csv`: loads the jurisdiction tree from a CSV file
 * (columns code,name[,boundary]). `wangge import workers --db PATH FILE.csv|FILE.xlsx`: registers
 * grid workers from a CSV or the first sheet of an .xlsx workbook with the columns the web
 * export names (domain/worker_import.h). Every bad row is
 * reported on stderr with its line number and nothing is imported unless every row is good.
 * `wangge import people|houses|units --db PATH FILE.csv|FILE.xlsx`: the registry at city size
 * (domain/registry_import.h): the CSV is mapped, not read into memory, and imported in batches of
 * 20,000, each all-or-nothing; a re-run goes on after the last committed batch.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "domain/audit.h"
#include "domain/dom.h"
#include "domain/registry_import.h"
#include "domain/region.h"
#include "domain/sealed.h"
#include "domain/worker_import.h"
#include "base/vault.h"
#include "base/xlsx_read.h"
#include "store/store.h"

#define IMPORT_MAX_FILE (256u * 1024 * 1024)

static void import_usage(FILE *f)
{
	fputs("usage: wangge import regions [--db PATH] FILE.csv\n"
	      "       wangge import workers [--db PATH] FILE.csv|FILE.xlsx\n"
	      "  FILE.csv  UTF-8 (BOM allowed), header row, columns code,name[,boundary]\n"
	      "            code: 6- or 12-digit division code; boundary: GeoJSON Polygon or\n"
	      "            MultiPolygon (WGS84), quoted as CSV requires\n"
	      "  --db PATH database file (WANGGE_DB, default wangge.db)\n"
	      "  workers   header 姓名,身份证号码,用工类型,所属区划代码 and optionally "
	      "国籍,联系电话,\n"
	      "            工作电话,兼职来源,文化程度,上岗证编号,上岗证有效期,到岗日期 (any "
	      "order);\n"
	      "            a CSV or an .xlsx workbook (its first sheet, lines = row numbers)\n"
	      "       wangge import people|houses|units [--db PATH] FILE.csv|FILE.xlsx\n"
	      "  people    header 姓名,身份证号码,登记类型,网格编码 and optionally 联系电话,地址,\n"
	      "            房间,户号,与户主关系\n"
	      "  houses    header 网格编码,地址,房屋类型,房屋用途 and optionally 楼栋,单元,房号\n"
	      "  units     header 单位名称,统一社会信用代码,单位类别,地址,网格编码 and optionally\n"
	      "            联系人,联系电话\n"
	      "            (people, houses, units: batches of 20,000 rows, each all-or-nothing; a\n"
	      "            re-run of the same file goes on after the last committed batch)\n"
	      "Regions and workers: nothing is imported if any row is bad. Every bad row is\n"
	      "listed with its line.\n",
	      f);
}

/* Reads a whole file into b. 0, or -1 with a message printed. */
static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "wangge import: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_append(b, chunk, n) < 0) {
			fprintf(stderr, "wangge import: %s: file larger than %u bytes\n", path,
			        IMPORT_MAX_FILE);
			rc = -1;
			break;
		}
	if (ferror(f)) {
		fprintf(stderr, "wangge import: %s: read error\n", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* The workers of data: the data key seals their ID and phone numbers (created beside the
   database when missing, refused when sealed values exist without it). Bad rows go to report. */
static int import_workers(const struct dom_ctx *x, const char *db, struct store *s,
                          const struct buf *data, struct buf *report)
{
	struct dom_err e = { 0 };
	json_t *errors = NULL, *it;
	int64_t sealed = sealed_count(store_reader(s));
	char err[512];
	size_t i;
	int n;

	if (sealed < 0 || vault_global_load(db, sealed, err, sizeof err) != 0) {
		(void)buf_printf(report, "%s\n",
		                 sealed < 0 ? "cannot count the sealed values" : err);
		return -1;
	}
	/* A workbook is told by its content (a ZIP archive), whatever the file is called. */
	if (xlsx_looks_like_zip(data->data, data->len))
		n = worker_import_xlsx(x, data->data, data->len, &errors, &e);
	else
		n = worker_import_csv(x, data->data, data->len, &errors, &e);
	json_array_foreach(errors, i, it)(void) buf_printf(
	        report, "第 %d 行：%s\n", (int)json_integer_value(json_object_get(it, "line")),
	        json_string_value(json_object_get(it, "message")));
	if (n < 0)
		(void)buf_printf(report, "%s\n", e.message);
	json_decref(errors);
	return n;
}

struct registry_run {
	struct timespec t0;
	int tty;
	int64_t shown;
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void registry_error(void *arg, int64_t line, const char *code, const char *message)
{
	struct registry_run *pr = arg;

	if (pr->tty && pr->shown)
		fputc('\n', stderr);
	pr->shown = 0;
	fprintf(stderr, "第 %" PRId64 " 行：%s（%s）\n", line, message, code);
}

/* One progress line per batch: on a terminal it is rewritten in place. */
static void registry_progress(void *arg, const struct registry_import_result *r)
{
	struct registry_run *pr = arg;
	double s = seconds_since(&pr->t0);

	fprintf(stderr,
	        "%s导入中：已提交 %" PRId64 " 条，已读 %" PRId64 " 行，错误 %" PRId64
	        " 行，%.0f 行/秒，至第 %" PRId64 " 行%s",
	        pr->tty ? "\r" : "", r->imported, r->rows, r->bad,
	        s > 0 ? (double)r->rows / s : 0.0, r->last_line, pr->tty ? "" : "\n");
	pr->shown = 1;
}

/* The people, houses or units (kind) of path: a CSV is mapped (the kernel pages it in as the
   reader walks it and may
   drop what was read), a workbook is read whole (bounded by XLSX_READ_MAX_FILE). */
static int import_registry(const struct dom_ctx *x, const char *db, struct store *s,
                           enum registry_import_kind kind, const char *what, const char *path)
{
	struct registry_import_opts o = { .kind = kind,
		                          .on_error = registry_error,
		                          .on_progress = registry_progress };
	struct registry_import_result r;
	struct registry_run pr = { .tty = isatty(2) };
	struct dom_err e = { 0 };
	char full[PATH_MAX], err[512];
	int64_t sealed = sealed_count(store_reader(s));
	struct stat sb;
	void *map = MAP_FAILED;
	int fd = -1, rc = -1;
	double secs;

	o.arg = &pr;
	if (sealed < 0 || vault_global_load(db, sealed, err, sizeof err) != 0) {
		fprintf(stderr, "wangge import: %s\n",
		        sealed < 0 ? "cannot count the sealed values" : err);
		return -1;
	}
	if (!realpath(path, full) || (fd = open(full, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &sb) < 0) {
		fprintf(stderr, "wangge import: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (sb.st_size == 0) {
		fprintf(stderr, "wangge import: %s: empty file\n", path);
		goto out;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "wangge import: %s: %s\n", path, strerror(errno));
		goto out;
	}
	(void)madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
	o.source = full;
	clock_gettime(CLOCK_MONOTONIC, &pr.t0);
	if (xlsx_looks_like_zip(map, (size_t)sb.st_size))
		rc = registry_import_xlsx(x, map, (size_t)sb.st_size, &o, &r, &e);
	else
		rc = registry_import_csv(x, map, (size_t)sb.st_size, &o, &r, &e);
	secs = seconds_since(&pr.t0);
	if (pr.tty && pr.shown)
		fputc('\n', stderr);
	if (r.resumed_after > 0)
		fprintf(stderr, "续导：第 %" PRId64 " 行及之前已在上次导入\n", r.resumed_after);
	if (rc < 0)
		fprintf(stderr,
		        "wangge import: %s（%s）；本次提交 %" PRId64 " 条，已提交至第 %" PRId64
		        " 行，重新运行将从其后继续\n",
		        e.message, e.code, r.imported, r.last_line);
	else if (r.already_complete)
		printf("%s: %s was imported completely before; nothing to do\n", db, path);
	else
		printf("%s: imported %" PRId64 " %s from %s in %.2f s (%.0f rows/s)\n", db,
		       r.imported, what, path, secs, secs > 0 ? (double)r.imported / secs : 0.0);
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)sb.st_size);
	if (fd >= 0)
		close(fd);
	return rc;
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = cli_env("WANGGE_DB", "wangge.db");
	struct store_options so;
	struct store *s = NULL;
	struct buf data, report;
	struct dom_ctx x;
	unsigned char key[AUDIT_KEY_LEN];
	char err[512];
	int c, n, rc = 1, registry;
	enum registry_import_kind kind = REGISTRY_IMPORT_PEOPLE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': import_usage(stdout); return 0;
		default: import_usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 ||
	    (strcmp(argv[optind], "regions") != 0 && strcmp(argv[optind], "workers") != 0 &&
	     strcmp(argv[optind], "people") != 0 && strcmp(argv[optind], "houses") != 0 &&
	     strcmp(argv[optind], "units") != 0)) {
		import_usage(stderr);
		return 2;
	}
	registry = strcmp(argv[optind], "regions") != 0 && strcmp(argv[optind], "workers") != 0;
	if (strcmp(argv[optind], "houses") == 0)
		kind = REGISTRY_IMPORT_HOUSES;
	else if (strcmp(argv[optind], "units") == 0)
		kind = REGISTRY_IMPORT_UNITS;
	buf_init(&data, IMPORT_MAX_FILE);
	buf_init(&report, 16u * 1024 * 1024);
	if (!registry && read_file(argv[optind + 1], &data) < 0)
		goto out;
	store_options_default(&so, db);
	/* A city's registry: thousands of rows per write (store.h, bulk_load). */
	so.bulk_load = registry;
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "wangge import: %s\n", err);
		goto out;
	}
	/* The import is one write of the system principal, audited as one record (region.import)
	   in its own transaction. */
	if (audit_key_load(db, 1, key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge import: %s\n", err);
		store_close(s);
		goto out;
	}
	dom_ctx_cli(&x, s, key, NULL);
	if (registry) {
		rc = import_registry(&x, db, s, kind, argv[optind], argv[optind + 1]) == 0 ? 0 : 1;
		goto head;
	}
	if (strcmp(argv[optind], "workers") == 0)
		n = import_workers(&x, db, s, &data, &report);
	else
		n = region_import_csv(&x, data.data, data.len, &report);
	fputs(report.data, stderr);
	if (n >= 0) {
		printf("%s: imported %d %s from %s\n", db, n,
		       strcmp(argv[optind], "workers") == 0 ? "worker(s)" : "region(s)",
		       argv[optind + 1]);
		rc = 0;
	} else {
		fprintf(stderr, "wangge import: %s: nothing imported\n", argv[optind + 1]);
	}
head:
	/* The audit head record beside the database (domain/audit.h) covers the import's record. */
	if (audit_head_update(s, db, key, err, sizeof err) != 0)
		fprintf(stderr, "wangge import: warning: %s\n", err);
	store_close(s);
out:
	sodium_memzero(key, sizeof key);
	buf_release(&data);
	buf_release(&report);
	return rc;
}
