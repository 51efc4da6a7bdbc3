/*
 * Content-Security-Policy: see csp.h. The import map's hash is computed from the index.html the
 * server publishes, so the policy and the page cannot drift apart (as a hash copied into the
 * source would).
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "http/csp.h"

/* The policy in parts; csp_build puts the hashes after SCRIPT and the tile origin after IMG. */
#define CSP_SCRIPT "default-src 'self'; script-src 'self'"
/* 'unsafe-inline' for styles only: Element Plus and Leaflet set style attributes (positions,
   sizes, z-index of popups) on the elements they create. Scripts never get it. */
#define CSP_STYLE "; style-src 'self' 'unsafe-inline'"
#define CSP_IMG "; img-src 'self' data: blob:"
#define CSP_REST                                                                                   \
	"; connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; " \
	"base-uri 'none'; form-action 'self'"

#define CSP_MAX_HTML (1u << 20)
#define CSP_MAX_HASHES 8

static char csp_text[CSP_MAX];

const char *csp_policy(void)
{
	return csp_text[0] ? csp_text : CSP_SCRIPT CSP_STYLE CSP_IMG CSP_REST;
}

/* ---- index.html ---- */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether [p, end) starts with the lower-case ASCII word w, in any case. */
static int starts_ci(const char *p, const char *end, const char *w)
{
	for (; *w; p++, w++)
		if (p >= end || lower(*p) != *w)
			return 0;
	return 1;
}

static int eq_ci(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && starts_ci(p, p + n, w);
}

/* Reads the attributes of a <script> start tag from p (just after "<script") up to its '>':
   whether it has src, and whether its type is importmap. Returns a pointer after the '>', or
   NULL if the tag does not end. */
static const char *script_tag(const char *p, const char *end, int *has_src, int *importmap)
{
	*has_src = *importmap = 0;
	for (;;) {
		const char *name, *val = NULL;
		size_t nlen, vlen = 0;

		while (p < end && (is_space(*p) || *p == '/'))
			p++;
		if (p >= end)
			return NULL;
		if (*p == '>')
			return p + 1;
		name = p;
		while (p < end && !is_space(*p) && *p != '=' && *p != '>' && *p != '/')
			p++;
		nlen = (size_t)(p - name);
		while (p < end && is_space(*p))
			p++;
		if (p < end && *p == '=') {
			p++;
			while (p < end && is_space(*p))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;
				val = p;
				while (p < end && *p != q)
					p++;
				if (p >= end)
					return NULL;
				vlen = (size_t)(p - val);
				p++;
			} else {
				val = p;
				while (p < end && !is_space(*p) && *p != '>')
					p++;
				vlen = (size_t)(p - val);
			}
		}
		if (eq_ci(name, nlen, "src"))
			*has_src = 1;
		else if (eq_ci(name, nlen, "type") && val) {
			while (vlen && is_space(*val))
				val++, vlen--;
			while (vlen && is_space(val[vlen - 1]))
				vlen--;
			*importmap = eq_ci(val, vlen, "importmap");
		}
	}
}

/* Finds the inline scripts of html: the SHA-256 of each import map's text, as CSP sources, go
   into hashes (at most CSP_MAX_HASHES); other inline scripts are counted in *refused. */
static int scan_scripts(const char *html, size_t len, char hashes[][64], int *refused)
{
	const char *p = html, *end = html + len;
	int n = 0;

	*refused = 0;
	while (p < end) {
		const char *body, *stop;
		int has_src, importmap;

		p = memchr(p, '<', (size_t)(end - p));
		if (!p)
			break;
		if (starts_ci(p, end, "<!--")) {
			const char *c;
			for (c = p + 4; c < end && !starts_ci(c, end, "-->"); c++)
				;
			if (c >= end)
				break;
			p = c + 3;
			continue;
		}
		if (!starts_ci(p, end, "<script") || p + 7 >= end ||
		    !(is_space(p[7]) || p[7] == '>' || p[7] == '/')) {
			p++;
			continue;
		}
		body = script_tag(p + 7, end, &has_src, &importmap);
		if (!body)
			break;
		for (stop = body; stop < end && !starts_ci(stop, end, "</script"); stop++)
			;
		if (!has_src) {
			if (importmap && n < CSP_MAX_HASHES) {
				unsigned char h[crypto_hash_sha256_BYTES];
				char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
				                                   sodium_base64_VARIANT_ORIGINAL)];

				crypto_hash_sha256(h, (const unsigned char *)body,
				                   (size_t)(stop - body));
				sodium_bin2base64(b64, sizeof b64, h, sizeof h,
				                  sodium_base64_VARIANT_ORIGINAL);
				snprintf(hashes[n++], 64, "'sha256-%s'", b64);
			} else {
				(*refused)++;
			}
		}
		p = stop;
	}
	return n;
}

/* ---- tile origin ---- */

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

int csp_tile_origin(const char *url, char *out, size_t n)
{
	const char *p, *label;
	size_t slen, len = 0;
	int labels = 0, wildcard = 0;
	char buf[300];

	if (n)
		out[0] = '\0';
	if (!url)
		return -1;
	if (strncmp(url, "https://", 8) == 0)
		slen = 8;
	else if (strncmp(url, "http://", 7) == 0)
		slen = 7;
	else
		return -1;
	memcpy(buf, url, slen);
	len = slen;
	/* The host, label by label. */
	for (p = label = url + slen;; p++) {
		if (*p == '.' || *p == ':' || *p == '/' || *p == '?' || *p == '#' || *p == '\0') {
			size_t ll = (size_t)(p - label);
			int placeholder = memchr(label, '{', ll) != NULL;

			if (ll == 0 || (placeholder && labels > 0))
				return -1;
			for (const char *c = label; c < p; c++)
				if (!host_char(*c) && !(placeholder && (*c == '{' || *c == '}')))
					return -1;
			if (placeholder) {
				wildcard = 1;
				ll = 1;
				label = "*";
			}
			if (len + ll + 2 > sizeof buf)
				return -1;
			memcpy(buf + len, label, ll);
			len += ll;
			labels++;
			if (*p != '.')
				break;
			buf[len++] = '.';
			label = p + 1;
		}
	}
	if (wildcard && labels < 2)
		return -1;
	if (*p == ':') {
		const char *d = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == d || p - d > 5 || len + (size_t)(p - d) + 2 > sizeof buf)
			return -1;
		buf[len++] = ':';
		memcpy(buf + len, d, (size_t)(p - d));
		len += (size_t)(p - d);
	}
	if (*p != '/' && *p != '?' && *p != '#' && *p != '\0')
		return -1;
	if (len + 1 > n)
		return -1;
	memcpy(out, buf, len);
	out[len] = '\0';
	return 0;
}

/* ---- the policy ---- */

int csp_build(const char *html, size_t len, const char *tile_url, char *out, size_t n, int *refused)
{
	char hashes[CSP_MAX_HASHES][64], origin[300] = "";
	int nh = 0, unused, w;
	size_t at = 0;

	if (!refused)
		refused = &unused;
	*refused = 0;
	if (html)
		nh = scan_scripts(html, len, hashes, refused);
	if (tile_url && tile_url[0])
		csp_tile_origin(tile_url, origin, sizeof origin);

#define PUT(...)                                                                                   \
	do {                                                                                       \
		w = snprintf(out + at, n - at, __VA_ARGS__);                                       \
		if (w < 0 || (size_t)w >= n - at)                                                  \
			return -1;                                                                 \
		at += (size_t)w;                                                                   \
	} while (0)

	if (n == 0)
		return -1;
	PUT("%s", CSP_SCRIPT);
	for (int i = 0; i < nh; i++)
		PUT(" %s", hashes[i]);
	PUT("%s%s", CSP_STYLE, CSP_IMG);
	if (origin[0])
		PUT(" %s", origin);
	PUT("%s", CSP_REST);
#undef PUT
	return nh;
}

/* Reads a whole file of at most max bytes; NULL (errno set) on failure. */
static char *read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	struct stat st;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		fclose(f);
		errno = EFBIG;
		return NULL;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		fclose(f);
		return NULL;
	}
	*len = fread(data, 1, (size_t)st.st_size, f);
	data[*len] = '\0';
	fclose(f);
	return data;
}

void csp_init(const char *web_root)
{
	char path[PATH_MAX], tile[1024] = "", origin[300] = "", q[600], e[300];
	char *html = NULL;
	size_t len = 0;
	int nh, refused = 0;

	if (web_root && web_root[0]) {
		snprintf(path, sizeof path, "%s/index.html", web_root);
		html = read_file(path, CSP_MAX_HTML, &len);
		if (!html)
			log_warn("csp.no_index", "path=%s error=%s", log_quote(path, q, sizeof q),
			         strerror(errno));

		snprintf(path, sizeof path, "%s/config.json", web_root);
		if (access(path, F_OK) == 0) {
			json_error_t jerr;
			json_t *cfg = json_load_file(path, 0, &jerr);
			const char *url =
			        cfg ? json_string_value(json_object_get(cfg, "tileUrl")) : NULL;

			if (!cfg)
				log_warn("csp.bad_config", "path=%s line=%d error=%s",
				         log_quote(path, q, sizeof q), jerr.line,
				         log_quote(jerr.text, e, sizeof e));
			if (url)
				snprintf(tile, sizeof tile, "%s", url);
			json_decref(cfg);
		}
		/* A path on this server ("/tiles/{z}/{x}/{y}.png") needs nothing more than 'self'.
		 */
		if (tile[0] == '/' && tile[1] != '/')
			tile[0] = '\0';
		if (tile[0] && csp_tile_origin(tile, origin, sizeof origin) != 0)
			log_warn("csp.bad_tile_url", "url=%s reason=not_http_origin",
			         log_quote(tile, q, sizeof q));
	}
	nh = csp_build(html, len, tile, csp_text, sizeof csp_text, &refused);
	free(html);
	if (nh < 0) {
		csp_text[0] = '\0';
		log_error("csp.too_long", "max=%d", CSP_MAX);
		return;
	}
	if (refused)
		log_warn("csp.inline_script_refused", "count=%d", refused);
	log_info("csp.ready", "import_maps=%d tile_origin=%s", nh, origin[0] ? origin : "-");
}
