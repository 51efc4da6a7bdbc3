/*
 * `wangge user add`: creates the first system administrator, security administrator or auditor
 * of a database (only while nobody holds that role yet), with a one-time password that must be
 * changed at first login and a TOTP secret. Everyone else is created through the API by these
 * administrators. A database never has a default password.
 *
 * The host's recovery commands (issue 8, 三员分立), for what no administrator may do through the
 * API or what the API cannot reach any more, each audited as the system from "cli":
 *   `wangge user org-enable --org ID`          re-enables an organisation (a disabled
 *                                             organisation locks out every account in it);
 *   `wangge user totp-reset --username NAME`   clears an account's TOTP (lost device, or the only
 *                                             security administrator) and prints an activation
 *                                             code where the account needs one;
 *   `wangge user password-reset --username NAME` a new one-time password (and an activation code
 *                                             when the account still has to enrol TOTP).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/vault.h"
#include "cli/cli.h"
#include "domain/activation.h"
#include "domain/audit.h"
#include "domain/lockout.h"
#include "domain/org.h"
#include "domain/role.h"
#include "domain/sealed.h"
#include "domain/security_config.h"
#include "domain/user.h"
#include "domain/totp.h"
#include "domain/totp_enrol.h"
#include "store/store.h"

static void user_usage(FILE *f)
{
	fputs("usage: wangge user add [--db PATH] --role sysadmin|secadmin|auditor --username "
	      "NAME\n"
	      "                       [--display-name NAME] [--region CODE]\n"
	      "  Creates the first holder of an administrator role (refused once someone holds\n"
	      "  it) in the center of --region (default: the top region of the database), and\n"
	      "  prints a one-time password (to be changed at first login) and a TOTP secret.\n"
	      "       wangge user lockout-release [--db PATH] (--username NAME | --address ADDR)\n"
	      "  Ends the login lockouts of an account or a client address (audited).\n"
	      "       wangge user org-enable [--db PATH] --org ID\n"
	      "  Re-enables an organisation (its accounts can log in again).\n"
	      "       wangge user totp-reset [--db PATH] --username NAME\n"
	      "  Clears an account's TOTP; prints an activation code when it needs one to enrol.\n"
	      "       wangge user password-reset [--db PATH] --username NAME\n"
	      "  Prints a new one-time password (and an activation code when still needed).\n"
	      "  Each is recorded in the audit trail as the system, source cli.\n",
	      f);
}

/* ---- the host's recovery commands (org-enable, totp-reset, password-reset) ---- */

/* What a recovery command works with: the store, the keys and a system context. */
struct host {
	const char *db;
	struct store *s;
	unsigned char key[AUDIT_KEY_LEN];
	struct security_config cfg;
	struct dom_ctx x;
};

/* Opens the database with its audit key and data key, as `user add` does. 0, or -1 after saying
   why on stderr. */
static int host_open(struct host *h, const char *cmd)
{
	struct store_options so;
	char err[512] = "";
	int64_t sealed;

	security_config_default(&h->cfg);
	if (security_config_from_env(&h->cfg, err, sizeof err) < 0) {
		fprintf(stderr, "wangge user %s: %s\n", cmd, err);
		return -1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "wangge user %s: libsodium failed to initialise\n", cmd);
		return -1;
	}
	if (audit_key_load(h->db, 0, h->key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge user %s: %s\n", cmd,
		        err[0] ? err : "the audit key beside the database is missing");
		return -1;
	}
	store_options_default(&so, h->db);
	if (store_open(&so, &h->s, err, sizeof err) < 0) {
		fprintf(stderr, "wangge user %s: %s\n", cmd, err);
		return -1;
	}
	sealed = sealed_count(store_reader(h->s));
	if (sealed < 0 || vault_global_load(h->db, sealed, err, sizeof err) != 0) {
		fprintf(stderr, "wangge user %s: %s\n", cmd,
		        sealed < 0 ? "cannot count the sealed values" : err);
		return -1;
	}
	dom_ctx_cli(&h->x, h->s, h->key, &h->cfg);
	return 0;
}

/* Closes what host_open opened, after bringing the audit head record up to date. */
static void host_close(struct host *h, const char *cmd)
{
	char err[512];

	if (h->s && audit_head_update(h->s, h->db, h->key, err, sizeof err) != 0)
		fprintf(stderr, "wangge user %s: warning: %s\n", cmd, err);
	store_close(h->s);
	h->s = NULL;
	sodium_memzero(h->key, sizeof h->key);
}

/* Parses --db and one more option (--org or --username) into *value. 0, or 2 after the usage. */
static int host_args(int argc, char **argv, const char *name, struct host *h, const char **value)
{
	const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ name, required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	h->db = cli_env("WANGGE_DB", "wangge.db");
	*value = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': h->db = optarg; break;
		case 'v': *value = optarg; break;
		default: user_usage(stderr); return 2;
		}
	}
	if (optind != argc || !*value) {
		user_usage(stderr);
		return 2;
	}
	return 0;
}

/* Issues and prints an activation code for id when the account needs one. 0, or -1 after
   saying why. */
static int host_activation(struct host *h, const char *cmd, int64_t id)
{
	char code[ACTIVATION_CODE_CHARS], t[32];
	struct dom_err e = { 0 };
	int64_t expires = 0;
	int need = activation_pending(&h->x, id);

	if (need < 0) {
		fprintf(stderr, "wangge user %s: cannot read the database\n", cmd);
		return -1;
	}
	if (!need)
		return 0;
	if (activation_issue(&h->x, id, code, &expires, &e) < 0) {
		fprintf(stderr, "wangge user %s: activation code: %s\n", cmd, e.message);
		return -1;
	}
	printf("activation code:    %s (valid until %s)\n"
	       "The account must enrol TOTP at its next login (两步验证) and confirm it with this\n"
	       "code. Hand the code to the account's owner in person: it is not shown again.\n",
	       code, clock_format_local(expires, t, sizeof t));
	sodium_memzero(code, sizeof code);
	return 0;
}

/* The user called name, or -1 after saying why. */
static int64_t host_user(struct host *h, const char *cmd, const char *name)
{
	int64_t id = user_name_ok(name) ? user_id_by_name(&h->x, name) : 0;

	if (id <= 0)
		fprintf(stderr, "wangge user %s: %s\n", cmd,
		        id < 0 ? "cannot read the database" : "no such user");
	return id > 0 ? id : -1;
}

static int cmd_org_enable(int argc, char **argv)
{
	struct host h = { 0 };
	struct dom_err e = { 0 };
	const char *arg;
	struct org o;
	char *end = NULL;
	long long id;
	int rc;

	if ((rc = host_args(argc, argv, "org", &h, &arg)) != 0)
		return rc;
	id = strtoll(arg, &end, 10);
	if (!end || *end || id <= 0) {
		fprintf(stderr, "wangge user org-enable: --org takes an organisation id\n");
		return 2;
	}
	rc = 1;
	if (host_open(&h, "org-enable") < 0)
		goto out;
	if (org_load(store_reader(h.s), access_system(), id, &o) != 1) {
		fprintf(stderr, "wangge user org-enable: no organisation %lld\n", id);
		goto out;
	}
	if (org_update(&h.x, id, NULL, 0, &e) < 0) {
		fprintf(stderr, "wangge user org-enable: %s\n", e.message);
		goto out;
	}
	printf("organisation:       %s (id %lld) enabled%s\n", o.name, id,
	       o.disabled ? "" : " (it was not disabled)");
	rc = 0;
out:
	host_close(&h, "org-enable");
	return rc;
}

static int cmd_totp_reset(int argc, char **argv)
{
	struct host h = { 0 };
	struct dom_err e = { 0 };
	const char *name;
	int64_t id;
	int rc;

	if ((rc = host_args(argc, argv, "username", &h, &name)) != 0)
		return rc;
	rc = 1;
	if (host_open(&h, "totp-reset") < 0 || (id = host_user(&h, "totp-reset", name)) < 0)
		goto out;
	if (totp_enrol_reset(&h.x, id, &e) < 0) {
		fprintf(stderr, "wangge user totp-reset: %s\n", e.message);
		goto out;
	}
	printf("user:               %s (id %lld): TOTP cleared, sessions ended\n", name,
	       (long long)id);
	if (host_activation(&h, "totp-reset", id) < 0)
		goto out;
	rc = 0;
out:
	host_close(&h, "totp-reset");
	return rc;
}

static int cmd_password_reset(int argc, char **argv)
{
	struct host h = { 0 };
	struct dom_err e = { 0 };
	char password[24];
	const char *name;
	int64_t id;
	int rc;

	if ((rc = host_args(argc, argv, "username", &h, &name)) != 0)
		return rc;
	rc = 1;
	if (host_open(&h, "password-reset") < 0 || (id = host_user(&h, "password-reset", name)) < 0)
		goto out;
	if (user_password_reset(&h.x, id, password, USER_TEMP_PASSWORD_MAX, &e) < 0) {
		fprintf(stderr, "wangge user password-reset: %s\n", e.message);
		goto out;
	}
	printf("user:               %s (id %lld): sessions ended\n"
	       "one-time password:  %s\n"
	       "The password must be changed at first login; it is not shown again.\n",
	       name, (long long)id, password);
	if (host_activation(&h, "password-reset", id) < 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(password, sizeof password);
	host_close(&h, "password-reset");
	return rc;
}

/* The region for the administrators' center: --region, or the top of the tree. */
static int pick_region(struct store *s, const char *want, char code[13], char *name, size_t n,
                       int *level)
{
	struct store_conn *c = store_reader(s);
	struct store_stmt *st;
	int found = 0;

	if (!c)
		return -1;
	st = store_prepare(c, want ? "SELECT code, name, level FROM regions WHERE code = ?"
	                           : "SELECT code, name, level FROM regions ORDER BY length(path), "
	                             "path LIMIT 1");
	if (!st)
		return -1;
	if (want)
		store_bind_text(st, 1, want, -1);
	if (store_step(st) == STORE_ROW) {
		snprintf(code, 13, "%s", store_col_text(st, 0));
		snprintf(name, n, "%s", store_col_text(st, 1));
		*level = (int)store_col_int64(st, 2);
		found = 1;
	}
	store_reset(st);
	return found;
}

/* ---- wangge user lockout-release ---- */

static void lockout_release_usage(FILE *f)
{
	fputs("usage: wangge user lockout-release [--db PATH] (--username NAME | --address ADDR)\n"
	      "  Ends the active login lockouts of an account (or of a client address), forgets\n"
	      "  the failures counted for it and restarts its backoff; audited as lockout.release\n"
	      "  by \"cli\". For the operator on the host when nobody who may release locks in\n"
	      "  the web UI can log in. Runs beside a running server.\n",
	      f);
}

/* Exit 0 released (or only failures forgotten), 1 nothing to release or failure, 2 usage. */
static int user_lockout_release(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "username", required_argument, NULL, 'u' },
		{ "address", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = cli_env("WANGGE_DB", "wangge.db"), *username = NULL, *address = NULL;
	struct security_config cfg;
	struct store_options so;
	struct store *s = NULL;
	unsigned char key[AUDIT_KEY_LEN];
	struct dom_ctx x;
	struct dom_err e = { 0 };
	char err[512];
	int c, rc = 1, released = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'u': username = optarg; break;
		case 'a': address = optarg; break;
		case 'h': lockout_release_usage(stdout); return 0;
		default: lockout_release_usage(stderr); return 2;
		}
	}
	if (optind != argc || !username == !address) {
		lockout_release_usage(stderr);
		return 2;
	}
	/* Locks are kept for any name typed at login, so any well-formed name may be released;
	   an address is what the server recorded (printable, no spaces). */
	if (username && !user_name_ok(username)) {
		fprintf(stderr,
		        "wangge user lockout-release: bad --username (3..32 of a-z 0-9 _ . -)\n");
		return 2;
	}
	if (address) {
		size_t n = strlen(address);
		int ok = n > 0 && n < 128;
		for (size_t i = 0; ok && i < n; i++)
			ok = address[i] > 0x20 && address[i] < 0x7f;
		if (!ok) {
			fprintf(stderr, "wangge user lockout-release: bad --address\n");
			return 2;
		}
	}
	security_config_default(&cfg);
	if (security_config_from_env(&cfg, err, sizeof err) < 0) {
		fprintf(stderr, "wangge user lockout-release: %s\n", err);
		return 2;
	}
	if (sodium_init() < 0) {
		fputs("wangge user lockout-release: libsodium failed to initialise\n", stderr);
		return 1;
	}
	/* An existing database with its audit key: nothing is created here. */
	if (access(db, F_OK) != 0) {
		fprintf(stderr, "wangge user lockout-release: no database at %s\n", db);
		return 1;
	}
	if (audit_key_load(db, 0, key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge user lockout-release: %s\n",
		        err[0] ? err : "the audit key beside the database is missing");
		return 1;
	}
	store_options_default(&so, db);
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "wangge user lockout-release: %s\n", err);
		goto out;
	}
	dom_ctx_cli(&x, s, key, &cfg);
	if (lockout_release_subject(&x, username ? "account" : "address",
	                            username ? username : address, &released, &e) < 0) {
		fprintf(stderr, "wangge user lockout-release: %s\n", e.message);
		goto out;
	}
	printf("%s %s: %d lock(s) released, failures forgotten\n", username ? "account" : "address",
	       username ? username : address, released);
	rc = 0;
out:
	if (s && audit_head_update(s, db, key, err, sizeof err) != 0)
		fprintf(stderr, "wangge user lockout-release: warning: %s\n", err);
	sodium_memzero(key, sizeof key);
	store_close(s);
	return rc;
}

int cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, 'r' },
		{ "username", required_argument, NULL, 'u' },
		{ "display-name", required_argument, NULL, 'n' },
		{ "region", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = cli_env("WANGGE_DB", "wangge.db"), *role = NULL, *username = NULL;
	const char *display = NULL, *region = NULL;
	struct security_config cfg;
	struct store_options so;
	struct store *s = NULL;
	unsigned char key[AUDIT_KEY_LEN];
	struct dom_ctx x;
	struct dom_err e = { 0 };
	char err[512], code[13], rname[REGION_NAME_BYTES], oname[ORG_NAME_BYTES];
	char password[24], secret[TOTP_SECRET_B32], uri[512];
	int c, rc = 1, level = 0;
	int64_t org, id, holders, sealed;

	if (argc >= 2 && strcmp(argv[1], "lockout-release") == 0)
		return user_lockout_release(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "org-enable") == 0)
		return cmd_org_enable(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "totp-reset") == 0)
		return cmd_totp_reset(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "password-reset") == 0)
		return cmd_password_reset(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "add") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			user_usage(stdout);
			return 0;
		}
		user_usage(stderr);
		return 2;
	}
	optind = 1;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'r': role = optarg; break;
		case 'u': username = optarg; break;
		case 'n': display = optarg; break;
		case 'g': region = optarg; break;
		case 'h': user_usage(stdout); return 0;
		default: user_usage(stderr); return 2;
		}
	}
	if (optind != argc || !role || !username) {
		user_usage(stderr);
		return 2;
	}
	if (strcmp(role, "sysadmin") && strcmp(role, "secadmin") && strcmp(role, "auditor")) {
		fprintf(stderr,
		        "wangge user add: --role must be sysadmin, secadmin or auditor; the "
		        "administrators create everyone else\n");
		return 2;
	}
	if (!user_name_ok(username)) {
		fprintf(stderr, "wangge user add: bad --username (3..32 of a-z 0-9 _ . -)\n");
		return 2;
	}
	security_config_default(&cfg);
	if (security_config_from_env(&cfg, err, sizeof err) < 0) {
		fprintf(stderr, "wangge user add: %s\n", err);
		return 2;
	}
	if (sodium_init() < 0) {
		fputs("wangge user add: libsodium failed to initialise\n", stderr);
		return 1;
	}
	if (audit_key_load(db, 1, key, err, sizeof err) != 0) {
		fprintf(stderr, "wangge user add: %s\n", err);
		return 1;
	}
	store_options_default(&so, db);
	if (store_open(&so, &s, err, sizeof err) < 0) {
		fprintf(stderr, "wangge user add: %s\n", err);
		return 1;
	}
	/* The data key seals the TOTP secret (base/vault.h); created beside the database when
	   missing, refused when sealed values exist without it. */
	sealed = sealed_count(store_reader(s));
	if (sealed < 0 || vault_global_load(db, sealed, err, sizeof err) != 0) {
		fprintf(stderr, "wangge user add: %s\n",
		        sealed < 0 ? "cannot count the sealed values" : err);
		goto out;
	}
	dom_ctx_cli(&x, s, key, &cfg);
	holders = role_holder_count(&x, role);
	if (holders != 0) {
		fprintf(stderr,
		        holders < 0 ? "wangge user add: cannot read the database\n"
		                    : "wangge user add: someone already holds %s; administrators "
		                      "create further accounts through the web UI or API\n",
		        role);
		goto out;
	}
	if (pick_region(s, region, code, rname, sizeof rname, &level) != 1) {
		fprintf(stderr, "wangge user add: %s\n",
		        region ? "no such region (give the 12-digit code)"
		               : "the database has no regions yet: import regions first");
		goto out;
	}
	if (level >= 5) {
		fprintf(stderr,
		        "wangge user add: %s is a village/community, not a center's region\n",
		        code);
		goto out;
	}
	snprintf(oname, sizeof oname, "%.90s网格化服务管理中心", rname);
	org = org_ensure(&x, oname, "center",
	                 level <= 2   ? "city"
	                 : level == 3 ? "county"
	                              : "township",
	                 code);
	if (org < 0) {
		fprintf(stderr, "wangge user add: cannot create the organisation %s\n", oname);
		goto out;
	}
	id = user_bootstrap(&x, username, display ? display : username, org, role, 1, password,
	                    sizeof password, secret, &e);
	if (id < 0) {
		fprintf(stderr, "wangge user add: %s\n", e.message);
		goto out;
	}
	totp_uri("wangge", username, secret, uri, sizeof uri);
	printf("user:               %s (id %lld, role %s)\n"
	       "organisation:       %s\n"
	       "one-time password:  %s\n"
	       "TOTP secret:        %s\n"
	       "TOTP URI:           %s\n"
	       "The password must be changed at first login. Add the TOTP secret to an\n"
	       "authenticator app now: neither is shown again.\n",
	       username, (long long)id, role, oname, password, secret, uri);
	rc = 0;
out:
	/* The audit head record beside the database (domain/audit.h) covers what was appended. */
	if (s && audit_head_update(s, db, key, err, sizeof err) != 0)
		fprintf(stderr, "wangge user add: warning: %s\n", err);
	sodium_memzero(password, sizeof password);
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(key, sizeof key);
	store_close(s);
	return rc;
}
