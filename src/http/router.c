/*
 * Route matching over the static table. Patterns are split on '/' and compared segment by segment;
 * a ':name' segment captures any non-empty segment. The table is small (tens of rows), so a linear
 * scan is faster than building a trie and keeps the table the single source of truth.
 */
#include <string.h>

#include "http/http.h"

static int split(char *path, char **segs, int max)
{
	int n = 0;
	char *p = path;

	while (*p == '/')
		p++;
	while (*p) {
		if (n == max)
			return -1;
		segs[n++] = p;
		p = strchr(p, '/');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

/* Appends method to the Allow list unless it is there already or would not fit; 1 when added. */
static int allow_add(struct route_match *m, const char *method)
{
	size_t al = strlen(m->allow), ml = strlen(method);

	if (strstr(m->allow, method) || al + ml + 3 >= sizeof m->allow)
		return 0;
	if (al)
		memcpy(m->allow + al, ", ", 3), al += 2;
	memcpy(m->allow + al, method, ml + 1);
	return 1;
}

void router_match(const struct route *routes, size_t n, const char *method, const char *path,
                  unsigned enabled_flags, struct route_match *m)
{
	char *segs[32];
	int nsegs;
	size_t len = strlen(path);

	m->route = NULL;
	m->nparams = 0;
	m->method_mismatch = 0;
	m->allow[0] = '\0';
	if (len > HTTP_MAX_URI)
		return;
	memcpy(m->scratch, path, len + 1);
	/* A trailing slash names the same resource; "/api/v1/grids/" matches "/api/v1/grids". */
	while (len > 1 && m->scratch[len - 1] == '/')
		m->scratch[--len] = '\0';
	nsegs = split(m->scratch, segs, 32);
	if (nsegs < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct route *rt = &routes[i];
		const char *p = rt->pattern;
		int k = 0, nparams = 0, ok = 1;
		const char *names[HTTP_MAX_PARAMS];
		size_t name_len[HTTP_MAX_PARAMS];
		char *values[HTTP_MAX_PARAMS];

		if ((rt->flags & ~enabled_flags) != 0)
			continue;
		while (*p == '/')
			p++;
		while (ok && *p) {
			const char *end = strchr(p, '/');
			size_t sl = end ? (size_t)(end - p) : strlen(p);

			if (k >= nsegs) {
				ok = 0;
				break;
			}
			if (*p == ':') {
				if (nparams == HTTP_MAX_PARAMS || !*segs[k]) {
					ok = 0;
					break;
				}
				names[nparams] = p + 1;
				name_len[nparams] = sl - 1;
				values[nparams++] = segs[k];
			} else if (strlen(segs[k]) != sl || memcmp(segs[k], p, sl) != 0) {
				ok = 0;
			}
			k++;
			p = end ? end + 1 : p + sl;
		}
		if (!ok || k != nsegs)
			continue;
		if (strcmp(rt->method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
			/* A GET route also answers HEAD, so Allow says so (RFC 9110, 9.3.2). */
			if (allow_add(m, rt->method) && strcmp(rt->method, "GET") == 0)
				(void)allow_add(m, "HEAD");
			m->method_mismatch = 1;
			continue;
		}
		m->route = rt;
		m->nparams = nparams;
		for (int j = 0; j < nparams; j++) {
			m->names[j] = names[j];
			m->name_len[j] = name_len[j];
			m->values[j] = values[j];
		}
		m->method_mismatch = 0;
		return;
	}
}
