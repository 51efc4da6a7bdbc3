/*
 * Database subcommands: `wangge migrate`, `wangge check` and `wangge demo`.
 */
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/vault.h"
#include "base/clock.h"
#include "cli/cli.h"
#include "domain/access.h"
#include "domain/audit.h"
#include "domain/demo.h"
#include "domain/demo_accounts.h"
#include "domain/demo_workers.h"
#include "domain/demo_notice.h"
#include "domain/demo_matter_items.h"
#include "domain/demo_matters.h"
#include "domain/demo_city_people.h"
#include "domain/demo_people.h"
#include "domain/registry.h"
#include "domain/matter.h"
#include "domain/dom.h"
#include "domain/sealed.h"
#include "domain/security_config.h"
#include "store/store.h"

/* Parses the --db option these commands share, and --reset when reset is not NULL. Returns 0, or
   the exit code to use (-2: help was asked for, exit 0). */
static int parse_db_opts(int argc, char **argv, const char *usage, const char **db, int *reset)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "reset", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*db = cli_env("WANGGE_DB", "wangge.db");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd') {
			*db = optarg;
		} else if (c == 'r' && reset) {
			*reset = 1;
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

static int parse_db_only(int argc, char **argv, const char *usage, const char **db)
{
	return parse_db_opts(argc, argv, usage, db, NULL);
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

/* The audit trail: key, hash chain and head record (domain/audit.h). Returns findings, or -1 when
   it cannot run. */
static int check_audit(struct store *s, const char *db, struct buf *report)
{
	return audit_check(store_reader(s), db, report);
}

/* Sensitive personal fields (base/vault.h, domain/sealed.h): values stored in clear, values that
   do not decrypt, stale blind indexes, a missing data key, an unfinished key rotation and values
   still needing the replaced key. Returns findings, or -1 when it cannot run. */
static int check_sealed(struct store *s, const char *db, struct buf *report)
{
	struct store_conn *c = store_reader(s);
	struct vault v = { 0 };
	char err[512] = "";
	int64_t sealed;
	int rc, created, findings = 0;

	if (!c || store_schema_version(c) < 4)
		return 0;
	rc = vault_key_file_exists(db, VAULT_KEY_NEW, err, sizeof err);
	if (rc == 1) {
		/* Mid-rotation: values open with the new key or the current one. */
		buf_printf(report,
		           "sensitive: a data key rotation is unfinished (%s.data.key.new exists): "
		           "run `wangge keys rotate --db %s` again to finish it\n",
		           db, db);
		findings++;
		rc = vault_rotation_load(&v, db, 0, &created, err, sizeof err) == 0 ? 0 : -1;
	} else if (rc == 0) {
		rc = vault_load_with_old(&v, db, err, sizeof err);
	}
	if (rc < 0) {
		buf_printf(report, "sensitive: %s\n", err);
		return findings + 1;
	}
	if (rc == 1) {
		sealed = sealed_count(c);
		if (sealed < 0)
			return -1;
		if (sealed > 0) {
			buf_printf(report,
			           "sensitive: the data key file %s.data.key is missing: %lld "
			           "encrypted values cannot be read\n",
			           db, (long long)sealed);
			findings++;
		}
	}
	rc = sealed_check(c, rc == 0 ? &v : NULL, report);
	vault_wipe(&v);
	return rc < 0 ? -1 : findings + rc;
}

/* Matters: the projection folded again from the events, and the counters against a count. */
static int check_matters(struct store *s, struct buf *report)
{
	struct store_conn *c = store_reader(s);

	return c ? matter_check_projection(c, report) : -1;
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
	if (findings >= 0) {
		int a = check_audit(s, db, &report);
		findings = a < 0 ? -1 : findings + a;
	}
	if (findings >= 0) {
		int a = check_sealed(s, db, &report);
		findings = a < 0 ? -1 : findings + a;
	}
	if (findings >= 0) {
		int a = check_matters(s, &report);
		findings = a < 0 ? -1 : findings + a;
	}
	if (findings >= 0) {
		struct store_conn *c = store_reader(s);
		int a = c ? registry_check_counters(c, &report) : -1;

		findings = a < 0 ? -1 : findings + a;
	}
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

static void demo_usage(FILE *f)
{
	fputs("usage: wangge demo [--db PATH] [--scale test|city] [--seed N] [--people] "
	      "[--matters N]\n"
	      "  --db PATH      database file (WANGGE_DB, default wangge.db)\n"
	      "  --scale SCALE  test: a few dozen grids (default); city: about 6,000 grids\n"
	      "  --seed N       random seed of the generated townships, names and grids (default "
	      "1)\n"
	      "  --people       with --scale city: every grid filled up to its declared residents\n"
	      "                 (about 6,000,000 people; a few minutes; a re-run finishes an\n"
	      "                 interrupted one)\n"
	      "  --matters N    also N matters over the last year with their event histories\n",
	      f);
}

/* Builds the demo city as the system principal; the build is audited as one demo.build record
   (domain/demo.c), so the trail starts with how the data came. 0 or -1 (message printed). */
static int demo_city(struct store *s, const char *db, enum demo_scale scale, unsigned seed,
                     struct demo_summary *sum)
{
	unsigned char key[AUDIT_KEY_LEN];
	struct dom_ctx x;
	char err[512];
	int rc = -1;

	if (audit_key_load(db, 1, key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge demo: %s\n", err);
		return -1;
	}
	dom_ctx_cli(&x, s, key, NULL);
	if (demo_city_build(&x, scale, seed, sum, err, sizeof err) < 0)
		fprintf(stderr, "wangge demo: %s\n", err);
	else
		rc = 0;
	sodium_memzero(key, sizeof key);
	return rc;
}

/* Creates the demo organisations and one account per built-in role, prints them and writes
   them to DB.accounts.json (mode 0600). Returns 0 or -1. */
static int demo_accounts(struct store *s, const char *db)
{
	struct security_config cfg;
	struct demo_account acc[DEMO_ACCOUNT_MAX];
	unsigned char key[AUDIT_KEY_LEN];
	struct dom_ctx x;
	char err[512], path[4096];
	struct dom_err pe = { 0 };
	int64_t sealed;
	int n, rc = -1;

	security_config_default(&cfg);
	if (security_config_from_env(&cfg, err, sizeof err) < 0 || sodium_init() < 0 ||
	    audit_key_load(db, 1, key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge demo: %s\n", err);
		return -1;
	}
	/* The data key seals the accounts' phone, ID numbers and TOTP secrets (base/vault.h). */
	sealed = sealed_count(store_reader(s));
	if (sealed < 0 || vault_global_load(db, sealed, err, sizeof err) != 0) {
		fprintf(stderr, "wangge demo: %s\n",
		        sealed < 0 ? "cannot count the sealed values" : err);
		sodium_memzero(key, sizeof key);
		return -1;
	}
	dom_ctx_cli(&x, s, key, &cfg);
	n = demo_accounts_create(&x, acc, err, sizeof err);
	if (n < 0) {
		fprintf(stderr, "wangge demo: accounts: %s\n", err);
		goto out;
	}
	snprintf(path, sizeof path, "%s.accounts.json", db);
	if (n == 0) {
		printf("%s: the demo accounts are already there (see %s)\n", db, path);
		rc = 0;
		goto out;
	}
	/* Grid workers staff the city once the accounts exist: the grid-worker account gets its
	   own worker record (domain/demo_workers.h). */
	{
		struct demo_staffing staff;
		int64_t gw = 0, op = 0;

		for (int i = 0; i < n; i++) {
			if (strcmp(acc[i].role, "grid_worker") == 0)
				gw = acc[i].user_id;
			if (strcmp(acc[i].role, "center_operator") == 0 && !op)
				op = acc[i].user_id;
		}
		if (demo_workers_staff(&x, gw, op, &staff, err, sizeof err) < 0) {
			fprintf(stderr, "wangge demo: workers: %s\n", err);
			goto out;
		}
		printf("%s: %" PRId64 " grid workers for %" PRId64 " grids (%" PRId64
		       " staffing exceptions, %" PRId64 " grids without a full-time worker)\n",
		       db, staff.workers, staff.grids, staff.exceptions, staff.failing);
	}
	if (demo_supervision_phones(&x, &pe) < 0) {
		fprintf(stderr, "wangge demo: supervision phones: %s\n", pe.message);
		goto out;
	}
	if (demo_accounts_write(path, acc, (size_t)n, err, sizeof err) < 0) {
		fprintf(stderr, "wangge demo: %s\n", err);
		goto out;
	}
	printf("%s: demo accounts (also in %s, mode 0600):\n", db, path);
	for (int i = 0; i < n; i++)
		printf("  %-16s %-10s %-18s %s%s%s\n", acc[i].role, acc[i].username,
		       acc[i].password, acc[i].organisation, acc[i].totp_secret[0] ? "  TOTP " : "",
		       acc[i].totp_secret);
	rc = 0;
out:
	sodium_memzero(acc, sizeof acc);
	sodium_memzero(key, sizeof key);
	return rc;
}

/* The demo population of the test city (domain/demo_people.h), after the accounts (which load
   the data key that seals ID and phone numbers). 0 or -1 (message printed). */
static int demo_population(struct store *s, const char *db)
{
	unsigned char key[AUDIT_KEY_LEN];
	struct demo_population pop;
	struct dom_ctx x;
	char err[512];
	int64_t t0 = clock_mono_ms();
	int rc = -1;

	if (audit_key_load(db, 1, key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge demo: %s\n", err);
		return -1;
	}
	dom_ctx_cli(&x, s, key, NULL);
	if (demo_people_fill(&x, &pop, err, sizeof err) < 0) {
		fprintf(stderr, "wangge demo: people: %s\n", err);
	} else {
		rc = 0;
		if (!pop.already)
			printf("%s: registry: %" PRId64 " people (%" PRId64 " floating, %" PRId64
			       " key people) in %" PRId64 " houses over %" PRId64
			       " grids, in %lld ms\n",
			       db, pop.people, pop.floating, pop.key_people, pop.houses, pop.grids,
			       (long long)(clock_mono_ms() - t0));
	}
	sodium_memzero(key, sizeof key);
	return rc;
}

static void city_progress(void *arg, const struct demo_city_population *p, int64_t grids_total)
{
	const int64_t *t0 = arg;
	double s = (double)(clock_mono_ms() - *t0) / 1000.0;

	fprintf(stderr, "%s人口：%" PRId64 " / %" PRId64 " 个网格，%" PRId64 " 人，%.0f 人/秒%s",
	        isatty(2) ? "\r" : "", p->grids, grids_total, p->people,
	        s > 0 ? (double)p->people / s : 0.0, isatty(2) ? "" : "\n");
}

/* `--people` at the city scale (domain/demo_city_people.h). 0 or -1 (message printed). */
static int demo_city_population(struct store *s, const char *db, unsigned seed)
{
	unsigned char key[AUDIT_KEY_LEN];
	struct demo_city_population pop;
	struct dom_ctx x;
	char err[512];
	int64_t t0 = clock_mono_ms();
	int rc = -1;

	if (audit_key_load(db, 1, key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge demo: %s\n", err);
		return -1;
	}
	dom_ctx_cli(&x, s, key, NULL);
	if (demo_city_people_fill(&x, seed, city_progress, &t0, &pop, err, sizeof err) < 0) {
		fprintf(stderr, "%swangge demo: people: %s\n", isatty(2) ? "\n" : "", err);
	} else {
		rc = 0;
		if (isatty(2) && !pop.already)
			fputc('\n', stderr);
		if (pop.already)
			printf("%s: the city's population is already there; nothing added\n", db);
		else
			printf("%s: registry: %" PRId64 " people (%" PRId64 " floating, %" PRId64
			       " foreigners, %" PRId64 " aged 60 or over, %" PRId64
			       " under 15) in %" PRId64 " houses, and %" PRId64
			       " units, over %" PRId64 " grids, in %.1f s\n",
			       db, pop.people, pop.floating, pop.foreigners, pop.elderly,
			       pop.children, pop.houses, pop.units, pop.grids,
			       (double)(clock_mono_ms() - t0) / 1000.0);
	}
	sodium_memzero(key, sizeof key);
	return rc;
}

/* `--matters N`: N matters over the last year with their event histories (domain/demo_matters.h).
   0 or -1 (message printed). */
static int demo_matters(struct store *s, const char *db, unsigned n, unsigned seed)
{
	unsigned char key[AUDIT_KEY_LEN];
	struct dom_ctx x;
	char err[512];
	int64_t written = 0, t0 = clock_mono_ms();
	int rc = -1;

	if (audit_key_load(db, 0, key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge demo: %s\n", err);
		return -1;
	}
	dom_ctx_cli(&x, s, key, NULL);
	if (demo_matters_create(&x, n, seed, &written, err, sizeof err) < 0) {
		fprintf(stderr, "wangge demo: matters: %s\n", err);
	} else {
		printf("%s: %lld matters with their histories, made in %lld ms\n", db,
		       (long long)written, (long long)(clock_mono_ms() - t0));
		rc = 0;
	}
	sodium_memzero(key, sizeof key);
	return rc;
}

/* The demo's departments and published matter list (domain/demo_matter_items.c), as the system
   principal, after the accounts so that their organisations keep the ids tests know. 0 or -1. */
static int demo_matter_list(struct store *s, const char *db)
{
	unsigned char key[AUDIT_KEY_LEN];
	struct dom_ctx x;
	char err[512];
	int n = -1;

	if (audit_key_load(db, 1, key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge demo: %s\n", err);
		return -1;
	}
	dom_ctx_cli(&x, s, key, NULL);
	n = demo_matter_items_load(&x, err, sizeof err);
	if (n < 0)
		fprintf(stderr, "wangge demo: %s\n", err);
	else if (n > 0)
		printf("%s: demo matter list: %d items published\n", db, n);
	sodium_memzero(key, sizeof key);
	return n < 0 ? -1 : 0;
}

/* Moves the audit head record (domain/audit.h) up to the records the demo appended. 0 or -1. */
static int demo_head(struct store *s, const char *db)
{
	unsigned char key[AUDIT_KEY_LEN];
	char err[1024];
	int rc = -1;

	if (audit_key_load(db, 0, key, err, sizeof err) != 0 ||
	    audit_head_update(s, db, key, err, sizeof err) != 0)
		fprintf(stderr, "wangge demo: %s\n", err);
	else
		rc = 0;
	sodium_memzero(key, sizeof key);
	return rc;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "scale", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'r' },
		{ "matters", required_argument, NULL, 'm' },
		{ "people", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_options so;
	struct store *s = NULL;
	struct demo_summary sum;
	const char *db = cli_env("WANGGE_DB", "wangge.db");
	int scale = DEMO_TEST, c, rc = 1, people = 0;
	unsigned seed = 1, matters = 0;
	char err[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 's':
			scale = demo_scale_parse(optarg);
			if (scale < 0) {
				fprintf(stderr,
				        "wangge demo: bad --scale '%s' (want test or city)\n",
				        optarg);
				return 2;
			}
			break;
		case 'r':
			if (cli_parse_uint(optarg, 0, 4000000000u, &seed) < 0) {
				fprintf(stderr, "wangge demo: bad --seed '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm':
			if (cli_parse_uint(optarg, 0, 100000000u, &matters) < 0) {
				fprintf(stderr, "wangge demo: bad --matters '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p': people = 1; break;
		case 'h': demo_usage(stdout); return 0;
		default: demo_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "wangge demo: unexpected argument '%s'\n", argv[optind]);
		demo_usage(stderr);
		return 2;
	}
	if (people && scale != DEMO_CITY) {
		fprintf(stderr,
		        "wangge demo: --people goes with --scale city (the test scale always "
		        "has its small population)\n");
		return 2;
	}
	store_options_default(&so, db);
	so.bulk_load = people;
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "wangge demo: %s\n", err);
		return 1;
	}
	/* 1. The demo city: regions and grids (domain/demo.c). */
	if (demo_city(s, db, (enum demo_scale)scale, seed, &sum) < 0)
		goto out;
	if (sum.already)
		printf("%s: the demo city is already there; nothing added\n", db);
	else
		printf("%s: demo city 聊城市 (scale %s, seed %u): %d counties, %d townships, "
		       "%d communities, %d villages, %d grids (%d dedicated), %lld residents, "
		       "%lld households, built in %lld ms\n",
		       db, scale == DEMO_CITY ? "city" : "test", seed, sum.counties, sum.townships,
		       sum.communities, sum.villages, sum.grids, sum.dedicated,
		       (long long)sum.residents, (long long)sum.households,
		       (long long)sum.build_ms);

	/* 2. Demo accounts (identity module), after the city exists. */
	if (demo_accounts(s, db) < 0)
		goto out;
	/* 2b. The published matter list (issue 10), with its departments. */
	if (demo_matter_list(s, db) < 0)
		goto out;
	/* 2c. The registry's population (issue 12 part 9), at the test scale only. */
	if (scale == DEMO_TEST && demo_population(s, db) < 0)
		goto out;
	/* 2d. The city's population, when asked (issue 12 part 9). */
	if (people && demo_city_population(s, db, seed) < 0)
		goto out;
	/* 3. Matters with their histories, when asked (benchmarks, a lively dashboard). */
	if (matters && demo_matters(s, db, matters, seed) < 0)
		goto out;
	/* 4. The head record outside the database covers what was just audited. */
	if (demo_head(s, db) < 0)
		goto out;

	rc = 0;
out:
	store_close(s);
	if (rc == 0)
		printf("%s: demo database ready\n", db);
	return rc;
}

/* `wangge audit-head`: shows the head record beside the database against the chain in it; with
   --reset, accepts the chain as it is (a database restored from an older backup on purpose, or one
   made before head records existed) and records that it did (domain/audit.h). */
int cmd_audit_head(int argc, char **argv)
{
	static const char usage[] = "wangge audit-head [--db PATH] [--reset]";
	struct store_options so;
	struct store *s = NULL;
	struct buf out;
	const char *db;
	char err[1024];
	int reset = 0, rc = parse_db_opts(argc, argv, usage, &db, &reset);

	if (rc)
		return rc == -2 ? 0 : rc;
	buf_init(&out, 64u * 1024);
	rc = 1;
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "wangge audit-head: %s: no such database\n", db);
		goto out;
	}
	store_options_default(&so, db);
	so.readonly = !reset;
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "wangge audit-head: %s\n", err);
		goto out;
	}
	if (reset) {
		if (audit_head_reset(s, db, err, sizeof err) == 0) {
			printf("%s\n", err);
			rc = 0;
		} else {
			fprintf(stderr, "wangge audit-head: %s\n", err);
		}
		goto out;
	}
	switch (audit_head_describe(store_reader(s), db, &out)) {
	case 1: rc = 0; break;
	case 0: break;
	default: fprintf(stderr, "wangge audit-head: %s: cannot read the audit trail\n", db);
	}
	fputs(out.data ? out.data : "", stdout);
out:
	store_close(s);
	buf_release(&out);
	return rc;
}
