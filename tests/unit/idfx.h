/*
 * The fixture the identity unit tests share (test_identity, test_separation, test_caller_cache,
 * test_login_parallel): a store on a temporary file, its audit key beside it, a security
 * configuration with the cheapest Argon2 cost, a system context with a client address, a process
 * vault with a random data key (TOTP secrets, phones and ID numbers are sealed), and the city
 * region 371500000000. Header-only, since each unit test is a program of its own; static inline
 * so that a test need not use every function.
 */
#ifndef WANGGE_TESTS_IDFX_H
#define WANGGE_TESTS_IDFX_H

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/vault.h"
#include "domain/audit.h"
#include "domain/dom.h"
#include "domain/security_config.h"
#include "store/store.h"

struct idfx {
	char dir[64];
	struct store *s;
	unsigned char key[AUDIT_KEY_LEN];
	struct security_config cfg; /* f->x.security points here: change it after idfx_open */
	struct dom_ctx x;
};

static inline int idfx_exec_fn(struct store_conn *c, void *arg)
{
	return store_exec(c, arg);
}

/* Runs SQL (no rows, no parameters) through the writer. 0 or the store's error. */
static inline int idfx_exec(struct idfx *f, const char *sql)
{
	return store_write(f->s, idfx_exec_fn, (void *)sql);
}

/* The first column of the first row of q, or -1. */
static inline int64_t idfx_count(struct idfx *f, const char *q)
{
	struct store_stmt *st = store_prepare(store_reader(f->s), q);
	int64_t n = -1;

	if (st && store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	if (st)
		store_reset(st);
	return n;
}

/* Opens the fixture in a new /tmp/wangge-<name>-XXXXXX. 0, or -1 when anything failed. */
static inline int idfx_open(struct idfx *f, const char *name)
{
	struct store_options o;
	char db[128], err[256];
	unsigned char dk[VAULT_KEY_LEN];
	struct vault v;

	snprintf(f->dir, sizeof f->dir, "/tmp/wangge-%s-XXXXXX", name);
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(db, sizeof db, "%s/t.db", f->dir);
	store_options_default(&o, db);
	if (store_open(&o, &f->s, err, sizeof err) < 0 ||
	    audit_key_load(db, 1, f->key, err, sizeof err) != 0)
		return -1;
	security_config_default(&f->cfg);
	f->cfg.argon2_opslimit = 1;
	f->cfg.argon2_memlimit = 1024 * 1024;
	dom_ctx_cli(&f->x, f->s, f->key, &f->cfg);
	f->x.source = "10.0.0.1";
	f->x.request_id = "t";
	randombytes_buf(dk, sizeof dk);
	vault_init(&v, dk);
	vault_global_set(&v);
	vault_wipe(&v);
	sodium_memzero(dk, sizeof dk);
	return idfx_exec(f,
	                 "INSERT INTO regions (code, name, level, parent_code, path, created_at, "
	                 "updated_at) VALUES ('371500000000', '聊城市', 2, NULL, "
	                 "'371500000000/', 0, 0)") == 0
	               ? 0
	               : -1;
}

/* Closes the store, removes the process vault and the folder. 0 or -1. */
static inline int idfx_close(struct idfx *f)
{
	char cmd[128];

	store_close(f->s);
	vault_global_set(NULL);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	return system(cmd) == 0 ? 0 : -1;
}

#include "base/banned.h"
#endif
