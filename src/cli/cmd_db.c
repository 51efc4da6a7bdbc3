/*
 * Database subcommands: `wangge migrate`, `wangge check` and `wangge demo`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "store/store.h"

/* Parses the single --db option these commands share. Returns 0, or the exit code to use. */
static int parse_db_only(int argc, char **argv, const char *usage, const char **db)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*db = cli_env("WANGGE_DB", "wangge.db");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd') {
			*db = optarg;
		} else {
			fprintf(stderr, "usage: %s\n", usage);
			return c == 'h' ? -2 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\nusage: %s\n", argv[0], argv[optind],
		        usage);
		return 2;
	}
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	struct store_options so;
	struct store *s = NULL;
	const char *db;
	char err[512];
	int rc = parse_db_only(argc, argv, "wangge migrate [--db PATH]", &db);

	if (rc)
		return rc == -2 ? 0 : rc;
	store_options_default(&so, db);
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "wangge migrate: %s\n", err);
		return 1;
	}
	printf("%s: schema version %d\n", db, store_schema_latest());
	store_close(s);
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct store_options so;
	struct store *s = NULL;
	struct buf report;
	const char *db;
	char err[512];
	int findings, rc = parse_db_only(argc, argv, "wangge check [--db PATH]", &db);

	if (rc)
		return rc == -2 ? 0 : rc;
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "wangge check: %s: no such database\n", db);
		return 1;
	}
	store_options_default(&so, db);
	so.readonly = 1;
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "wangge check: %s\n", err);
		return 1;
	}
	buf_init(&report, 16u * 1024 * 1024);
	findings = store_check(s, &report);
	store_close(s);
	if (findings < 0) {
		fprintf(stderr,
		        "wangge check: %s: the check could not run (is it a wangge database?)\n",
		        db);
		buf_release(&report);
		return 1;
	}
	fputs(report.data, stdout);
	buf_release(&report);
	if (findings) {
		printf("%s: %d finding(s)\n", db, findings);
		return 1;
	}
	printf("%s: healthy\n", db);
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	struct store_options so;
	struct store *s = NULL;
	const char *db;
	char err[512];
	int rc = parse_db_only(argc, argv, "wangge demo [--db PATH]", &db);

	if (rc)
		return rc == -2 ? 0 : rc;
	store_options_default(&so, db);
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "wangge demo: %s\n", err);
		return 1;
	}
	store_close(s);
	printf("%s: demo database ready\n", db);
	return 0;
}
