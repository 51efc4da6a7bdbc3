/*
 * The permission catalog and the built-in roles. Add a permission here first, then name it in the
 * route table; the authorization matrix test fails on a route whose permission is not listed here.
 * Keep docs/permissions.md in step (its tables are made from the JSON of `wangge routes`).
 */
#include <string.h>

#include "domain/permissions.h"

const struct permission_def permission_catalog[] = {
	{ "public", "公开（无需登录）", PERM_PSEUDO, 0 },
	{ "authenticated", "任何已登录用户", PERM_PSEUDO, 0 },
	{ "internal.probe", "内部探针（仅测试）", PERM_INTERNAL, 0 },
	/* Business: regions and grids (R1). */
	{ "region.read", "查看行政区划", PERM_BUSINESS, PERM_TOKEN_GRANTABLE },
	{ "region.write", "维护行政区划", PERM_BUSINESS, 0 },
	{ "grid.read", "查看网格", PERM_BUSINESS, PERM_TOKEN_GRANTABLE },
	{ "grid.write", "划分和调整网格", PERM_BUSINESS, 0 },
	{ "grid.check", "网格检查", PERM_BUSINESS, PERM_TOKEN_GRANTABLE },
	/* Business: grid workers (R2; docs/api-workers.md). */
	{ "worker.read", "查看网格员", PERM_BUSINESS, 0 },
	{ "worker.write", "管理网格员（登记、调整、离岗、记录）", PERM_BUSINESS, 0 },
	{ "worker.export", "导出网格员名册和配备报表", PERM_BUSINESS, 0 },
	/* Business: the basic-information registry (issue 12; docs/api-registry.md). Key-people
	   categories are sensitive personal data: person.key_read is held by the leader only among
	   the built-in roles (custom roles may carry it), never by department handlers. */
	{ "registry.read", "查看房屋、单位和网格统计", PERM_BUSINESS, 0 },
	{ "registry.write", "登记和维护房屋、单位", PERM_BUSINESS, 0 },
	{ "person.read", "查看实有人口", PERM_BUSINESS, 0 },
	{ "person.write", "登记和变更实有人口", PERM_BUSINESS, 0 },
	{ "person.key_read", "查看和维护重点人员信息（须说明理由）", PERM_BUSINESS, 0 },
	{ "person.export", "导出实有人口（脱敏）", PERM_BUSINESS, 0 },
	{ "registry.export", "导出房屋和单位", PERM_BUSINESS, 0 },
	/* Business: duty records of grid workers (Art. 13). */
	{ "duty.read", "查看网格员履职记录", PERM_BUSINESS, 0 },
	{ "duty.write", "登记履职记录", PERM_BUSINESS, 0 },
	/* Business: the working-day calendar (reads are "authenticated") and the matter list
	   (R6): departments propose items, the center approves, publishes and withdraws them. */
	{ "calendar.write", "维护工作日历（节假日、调休、办公时间）", PERM_BUSINESS, 0 },
	{ "matter_item.read", "查看事项清单（含草案和历史版本）", PERM_BUSINESS,
	  PERM_TOKEN_GRANTABLE },
	{ "matter_item.propose", "提出事项清单条目或修订", PERM_BUSINESS, 0 },
	{ "matter_item.approve", "审核、发布和撤销事项清单条目", PERM_BUSINESS, 0 },
	/* Business: matters and their flow (R7-R9; the state table in domain/flow.c names the
	   permission of each action). */
	{ "matter.read", "查看事项", PERM_BUSINESS, PERM_TOKEN_GRANTABLE },
	{ "matter.report", "上报事项", PERM_BUSINESS, PERM_TOKEN_GRANTABLE },
	{ "matter.act", "办理事项（具体操作另须流程表所列权限）", PERM_BUSINESS,
	  PERM_TOKEN_GRANTABLE },
	{ "matter.stats", "查看事项统计", PERM_BUSINESS, PERM_TOKEN_GRANTABLE },
	{ "matter.self_handle", "网格员自行处置清单内事项", PERM_BUSINESS, 0 },
	{ "matter.accept", "受理、不予受理、上报上级", PERM_BUSINESS, 0 },
	{ "matter.dispatch", "本级处置、交办、分流、审批延期", PERM_BUSINESS, 0 },
	{ "matter.handle", "承办：签收、退回、反馈进展、申请延期、超期说明、提交结果",
	  PERM_BUSINESS, PERM_TOKEN_GRANTABLE },
	{ "matter.verify", "核查、返工、结案", PERM_BUSINESS, 0 },
	{ "matter.feedback", "答复上报人", PERM_BUSINESS, 0 },
	{ "matter.supervise", "督办、催办下级持有的事项", PERM_BUSINESS, 0 },
	{ "matter.schedule", "时限预警调度（系统内部）", PERM_INTERNAL, 0 },
	/* Business: reading organisations and users (names of who does what). */
	{ "org.read", "查看组织机构", PERM_BUSINESS, PERM_TOKEN_GRANTABLE },
	{ "user.read", "查看用户", PERM_BUSINESS, 0 },
	{ "sensitive.unmask", "查看敏感个人信息原文（须说明理由）", PERM_BUSINESS, 0 },
	/* System administrator: accounts and organisations. */
	{ "org.write", "管理组织机构", PERM_SYSTEM, 0 },
	{ "user.write", "管理用户账号", PERM_SYSTEM, 0 },
	/* Security administrator. */
	{ "role.read", "查看角色和权限", PERM_SECURITY, 0 },
	{ "role.write", "管理自定义角色", PERM_SECURITY, 0 },
	{ "role.assign", "为用户授予角色", PERM_SECURITY, 0 },
	{ "lockout.read", "查看登录锁定", PERM_SECURITY, 0 },
	{ "lockout.write", "解除登录锁定", PERM_SECURITY, 0 },
	{ "token.read", "查看接口令牌", PERM_SECURITY, 0 },
	{ "token.write", "签发和吊销接口令牌", PERM_SECURITY, 0 },
	{ "security.read", "查看安全设置", PERM_SECURITY, 0 },
	{ "user.totp_reset", "重置用户的双因素认证", PERM_SECURITY, 0 },
	{ "user.activate", "签发账号激活码（持有管理或查看原文权限的账号启用双因素认证时使用）",
	  PERM_SECURITY, 0 },
	{ "user.admin_write", "管理安全管理员和审计员的账号（重置密码、停用）", PERM_SECURITY, 0 },
	/* Auditor. */
	{ "audit.read", "查询审计日志", PERM_AUDIT, 0 },
	{ "audit.export", "导出审计日志", PERM_AUDIT, 0 },
};

const size_t permission_count = sizeof permission_catalog / sizeof permission_catalog[0];

_Static_assert(sizeof permission_catalog / sizeof permission_catalog[0] <= PERM_SET_WORDS * 64,
               "perm_set too small for the catalog");

static const char *const p_center_operator[] = {
	"region.read",
	"region.write",
	"grid.read",
	"grid.write",
	"grid.check",
	"org.read",
	"user.read",
	"worker.read",
	"worker.write",
	"worker.export",
	"duty.read",
	"matter_item.read",
	"matter_item.propose",
	"matter.read",
	"matter.report",
	"matter.act",
	"matter.stats",
	"matter.accept",
	"matter.dispatch",
	"matter.handle",
	"matter.verify",
	"matter.feedback",
	"matter.supervise",
	"registry.read",
	"registry.write",
	"person.read",
	"person.write",
	"person.export",
	"registry.export", /* houses and units as .xlsx */
	NULL,
};
static const char *const p_center_leader[] = {
	"region.read",
	"grid.read",
	"grid.check",
	"org.read",
	"user.read",
	"worker.read",
	"worker.export",
	"sensitive.unmask",
	"duty.read",
	"calendar.write",
	"matter_item.read",
	"matter_item.approve",
	"matter.read",
	"matter.stats",
	"matter.act",
	"matter.supervise",
	"registry.read",
	"person.read",
	"person.key_read",
	"person.export",
	"registry.export", /* houses and units */
	NULL,
};
static const char *const p_dept_handler[] = {
	"region.read",         "grid.read",     "org.read",      "matter_item.read",
	"matter_item.propose", "matter.read",   "matter.report", "matter.act",
	"matter.handle",       "registry.read", "person.read",   NULL,
};
static const char *const p_grid_worker[] = {
	"region.read",   "grid.read",      "duty.read",   "duty.write",         "matter_item.read",
	"matter.read",   "matter.report",  "matter.act",  "matter.self_handle", "matter.handle",
	"registry.read", "registry.write", "person.read", "person.write",       NULL,
};
static const char *const p_sysadmin[] = {
	"org.read",    "org.write", "user.read",      "user.write",
	"region.read", "grid.read", "calendar.write", NULL,
};
/* The security administrator also holds the token-grantable read permissions: a token carries
   only permissions its issuer holds (domain/token.c), and issuing tokens is its job. */
static const char *const p_secadmin[] = {
	"role.read",        "role.write",  "role.assign",   "lockout.read",    "lockout.write",
	"token.read",       "token.write", "security.read", "user.totp_reset", "user.activate",
	"user.admin_write", "user.read",   "org.read",      "region.read",     "grid.read",
	"grid.check",       NULL,
};
static const char *const p_auditor[] = { "audit.read", "audit.export", NULL };

const struct builtin_role builtin_roles[] = {
	{ "center_operator", "中心操作员", p_center_operator },
	{ "center_leader", "中心领导", p_center_leader },
	{ "dept_handler", "部门处置人员", p_dept_handler },
	{ "grid_worker", "网格员", p_grid_worker },
	{ "sysadmin", "系统管理员", p_sysadmin },
	{ "secadmin", "安全管理员", p_secadmin },
	{ "auditor", "审计员", p_auditor },
};

const size_t builtin_role_count = sizeof builtin_roles / sizeof builtin_roles[0];

int permission_index(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < permission_count; i++)
		if (strcmp(permission_catalog[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct permission_def *permission_find(const char *name)
{
	int i = permission_index(name);

	return i < 0 ? NULL : &permission_catalog[i];
}

int permission_grantable(const char *name)
{
	const struct permission_def *d = permission_find(name);

	return d && d->family != PERM_PSEUDO && d->family != PERM_INTERNAL;
}

const char *permission_family_name(enum perm_family f)
{
	switch (f) {
	case PERM_PSEUDO: return "路由标记";
	case PERM_INTERNAL: return "内部";
	case PERM_BUSINESS: return "业务";
	case PERM_SYSTEM: return "系统管理";
	case PERM_SECURITY: return "安全管理";
	case PERM_AUDIT: return "安全审计";
	}
	return "";
}

void perm_set_add(struct perm_set *s, int idx)
{
	if (idx >= 0 && idx < PERM_SET_WORDS * 64)
		s->bits[idx / 64] |= UINT64_C(1) << (idx % 64);
}

int perm_set_has(const struct perm_set *s, int idx)
{
	if (idx < 0 || idx >= PERM_SET_WORDS * 64)
		return 0;
	return (s->bits[idx / 64] >> (idx % 64)) & 1;
}

int perm_set_add_name(struct perm_set *s, const char *name)
{
	int i = permission_index(name);

	if (i < 0)
		return -1;
	perm_set_add(s, i);
	return 0;
}

int perm_set_has_name(const struct perm_set *s, const char *name)
{
	return perm_set_has(s, permission_index(name));
}

void perm_set_union(struct perm_set *dst, const struct perm_set *src)
{
	for (int i = 0; i < PERM_SET_WORDS; i++)
		dst->bits[i] |= src->bits[i];
}

int perm_set_subset(const struct perm_set *a, const struct perm_set *b)
{
	for (int i = 0; i < PERM_SET_WORDS; i++)
		if (a->bits[i] & ~b->bits[i])
			return 0;
	return 1;
}

unsigned perm_set_families(const struct perm_set *s)
{
	unsigned f = 0;

	for (size_t i = 0; i < permission_count; i++)
		if (perm_set_has(s, (int)i))
			f |= 1u << permission_catalog[i].family;
	return f;
}

int perm_set_separated(const struct perm_set *s)
{
	unsigned f = perm_set_families(s);
	int n = !!(f & (1u << PERM_SYSTEM)) + !!(f & (1u << PERM_SECURITY)) +
	        !!(f & (1u << PERM_AUDIT));

	return n <= 1;
}

int perm_set_is_admin(const struct perm_set *s)
{
	unsigned f = perm_set_families(s);

	return (f & PERM_ADMIN_FAMILIES) != 0;
}

int perm_set_needs_totp(const struct perm_set *s)
{
	return perm_set_is_admin(s) || perm_set_has_name(s, "sensitive.unmask");
}

const struct builtin_role *builtin_role_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < builtin_role_count; i++)
		if (strcmp(builtin_roles[i].name, name) == 0)
			return &builtin_roles[i];
	return NULL;
}

void builtin_role_perms(const struct builtin_role *r, struct perm_set *s)
{
	memset(s, 0, sizeof *s);
	for (const char *const *p = r->permissions; *p; p++)
		perm_set_add_name(s, *p);
}
