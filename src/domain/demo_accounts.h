/*
 * Demo accounts: after the demo city exists, one organisation per need and one account per
 * built-in role, so the demo and the tests can log in as anyone:
 *   聊城市网格化服务管理中心 (city)        sysadmin, secadmin, auditor (with TOTP secrets)
 *   东昌府区网格化服务管理中心 (county)    operator, leader (with a TOTP secret: may unmask)
 *   东昌府区公安分局 (department)          handler
 *   <community>网格员队伍 (grid_team)      worker, bound to two grids of that community
 * plus 阳谷县网格化服务管理中心 and a township center without accounts, as objects of other scopes.
 * Demo passwords are random and satisfy the policy; demo accounts do not have to change them.
 */
#ifndef WANGGE_DOMAIN_DEMO_ACCOUNTS_H
#define WANGGE_DOMAIN_DEMO_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "domain/dom.h"
#include "domain/org.h"
#include "domain/user.h"
#include "domain/totp.h"

struct demo_account {
	char role[32];
	char username[USERNAME_MAX + 1];
	char display_name[64];
	char password[24];
	char organisation[ORG_NAME_BYTES];
	char region_code[13];
	char totp_secret[TOTP_SECRET_B32]; /* "" when none */
	int64_t user_id, org_id;
};

#define DEMO_ACCOUNT_MAX 10

/* Creates the demo organisations and accounts in x->store. Returns the number of accounts
   created (0 when they already exist), or -1 with a reason in err. */
int demo_accounts_create(const struct dom_ctx *x, struct demo_account out[DEMO_ACCOUNT_MAX],
                         char *err, size_t errlen);

/* Writes the accounts to path as [{"role","username","password","organisation","totp_secret"?,
   "display_name","user_id","org_id","region_code"}], mode 0600. Returns 0 or -1. */
int demo_accounts_write(const char *path, const struct demo_account *a, size_t n, char *err,
                        size_t errlen);

#include "base/banned.h"
#endif
