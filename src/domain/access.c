/*
 * Access decisions. The system principal holds everything; any other principal holds the
 * permissions in its perm_set (impl, filled by domain/caller.c from its roles or by domain/token.c
 * from its API token), sees the region subtree of its organisation, and, when grid-bound (a grid
 * worker), only its own grids inside it.
 */
#include <stdio.h>
#include <string.h>

#include "domain/access.h"
#include "domain/permissions.h"

static const struct principal system_principal = {
	.username = "system",
	.is_system = 1,
};

const struct principal *access_system(void)
{
	return &system_principal;
}

static const struct principal anonymous_principal = {
	.username = "-",
};

const struct principal *access_anonymous(void)
{
	return &anonymous_principal;
}

int access_authenticated(const struct principal *p)
{
	return p && (p->is_system || p->user_id > 0 || p->token_id > 0);
}

int access_can(const struct principal *p, const char *permission)
{
	if (!p || !permission)
		return 0;
	if (p->is_system || strcmp(permission, "public") == 0)
		return 1;
	if (strcmp(permission, "authenticated") == 0)
		return access_authenticated(p);
	if (!p->impl)
		return 0;
	return perm_set_has_name(p->impl, permission);
}

void access_scope_range(const struct principal *p, char *lo, char *hi)
{
	size_t n;

	if (!p || p->is_system || !p->region_path[0]) {
		/* No scope set: system sees everything; anyone else sees nothing. */
		if (p && p->is_system) {
			lo[0] = '\0';
			hi[0] = '\x7f';
			hi[1] = '\0';
		} else {
			lo[0] = hi[0] = '\0';
		}
		return;
	}
	n = strlen(p->region_path);
	memcpy(lo, p->region_path, n + 1);
	memcpy(hi, p->region_path, n + 1);
	/* Paths end with '/'; the next character up ('0') bounds the subtree. */
	hi[n - 1] = (char)(hi[n - 1] + 1);
}

int access_sees_region(const struct principal *p, const char *path)
{
	char lo[ACCESS_PATH_MAX], hi[ACCESS_PATH_MAX];

	if (!p || !path)
		return 0;
	access_scope_range(p, lo, hi);
	return strcmp(path, lo) >= 0 && strcmp(path, hi) < 0;
}

int access_sees_grid(const struct principal *p, int64_t grid_id, const char *path)
{
	if (!access_sees_region(p, path))
		return 0;
	if (p->is_system || !p->grid_bound)
		return 1;
	for (size_t i = 0; i < p->ngrids; i++)
		if (p->grid_ids[i] == grid_id)
			return 1;
	return 0;
}
