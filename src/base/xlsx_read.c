/*
 * The .xlsx reader (xlsx_read.h): the ZIP directory, inflating a part, the XML tokenizer, and the
 * three walkers (workbook and relationships, shared strings, sheet).
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xlsx_read.h"

/* ---- errors ---- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	/* The first reason is kept: later ones are consequences. */
	if (err && errlen && !err[0]) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- the ZIP archive ---- */

#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP_EOCD64_LOC_SIG 0x07064b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_EOCD_LEN 22u
#define ZIP_CENTRAL_LEN 46u
#define ZIP_LOCAL_LEN 30u
#define ZIP_NAME_MAX 255u

struct zip_entry {
	char name[ZIP_NAME_MAX + 1];
	uint32_t crc, csize, usize, local;
	uint16_t method;
};

struct zip {
	const unsigned char *data;
	size_t len;
	size_t cd_off; /* where the central directory starts: member data must end before it */
	size_t n;
	struct zip_entry *e;
	size_t inflated; /* bytes inflated so far, against XLSX_READ_MAX_TOTAL */
};

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A member name is a plain relative path: printable ASCII or UTF-8, '/' separated, no empty,
   "." or ".." segment, no backslash or colon (drive letters). */
static int name_safe(const char *s, size_t n)
{
	size_t seg = 0;

	if (n == 0 || s[0] == '/')
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			size_t len = i - seg;

			if (len == 0 && i < n)
				return 0;
			if ((len == 1 && s[seg] == '.') ||
			    (len == 2 && s[seg] == '.' && s[seg + 1] == '.'))
				return 0;
			seg = i + 1;
			continue;
		}
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\' || s[i] == ':')
			return 0;
	}
	return 1;
}

static int zip_open(struct zip *z, const unsigned char *data, size_t len, char *err, size_t errlen)
{
	size_t eocd = 0, p, scan_from, cd_size;
	uint16_t count;
	int found = 0;

	memset(z, 0, sizeof *z);
	z->data = data;
	z->len = len;
	if (len > XLSX_READ_MAX_FILE)
		return fail(err, errlen, "文件过大（.xlsx 文件最大 %u MB）",
		            XLSX_READ_MAX_FILE / (1024 * 1024));
	if (!xlsx_looks_like_zip(data, len) || len < ZIP_EOCD_LEN)
		return fail(err, errlen, "文件不是 .xlsx 格式（不是 ZIP 压缩包）");
	/* The end record is the last 22 bytes plus a comment of at most 65535 bytes; the comment
	   must run exactly to the end of the file. */
	scan_from = len - ZIP_EOCD_LEN;
	for (p = scan_from + 1; p-- > 0 && scan_from - p <= 0xffffu;) {
		if (le32(data + p) == ZIP_EOCD_SIG &&
		    p + ZIP_EOCD_LEN + le16(data + p + 20) == len) {
			eocd = p;
			found = 1;
			break;
		}
	}
	if (!found)
		return fail(err, errlen, ".xlsx 文件已损坏或不完整（找不到 ZIP 目录）");
	if (eocd >= 20 && le32(data + eocd - 20) == ZIP_EOCD64_LOC_SIG)
		return fail(err, errlen, "不支持 ZIP64 格式的 .xlsx 文件");
	count = le16(data + eocd + 10);
	cd_size = le32(data + eocd + 12);
	z->cd_off = le32(data + eocd + 16);
	if (le16(data + eocd + 4) != 0 || le16(data + eocd + 6) != 0 ||
	    le16(data + eocd + 8) != count)
		return fail(err, errlen, "不支持分卷的 ZIP 压缩包");
	if (count == 0xffffu || cd_size == 0xffffffffu || z->cd_off == 0xffffffffu)
		return fail(err, errlen, "不支持 ZIP64 格式的 .xlsx 文件");
	if (count == 0 || count > XLSX_READ_MAX_ENTRIES)
		return fail(err, errlen, ".xlsx 文件的成员数不合理（%u 个）", (unsigned)count);
	if (z->cd_off > eocd || cd_size > eocd - z->cd_off)
		return fail(err, errlen, ".xlsx 文件已损坏（ZIP 目录越界）");
	if (!(z->e = calloc(count, sizeof *z->e)))
		return fail(err, errlen, "内存不足");
	p = z->cd_off;
	for (size_t i = 0; i < count; i++) {
		const unsigned char *c = data + p;
		struct zip_entry *e = &z->e[i];
		size_t nl, xl, cl;
		uint16_t flags;

		if (cd_size - (p - z->cd_off) < ZIP_CENTRAL_LEN || le32(c) != ZIP_CENTRAL_SIG)
			return fail(err, errlen, ".xlsx 文件已损坏（ZIP 目录项 %zu 无效）", i + 1);
		flags = le16(c + 8);
		e->method = le16(c + 10);
		e->crc = le32(c + 16);
		e->csize = le32(c + 20);
		e->usize = le32(c + 24);
		nl = le16(c + 28);
		xl = le16(c + 30);
		cl = le16(c + 32);
		e->local = le32(c + 42);
		if (cd_size - (p - z->cd_off) - ZIP_CENTRAL_LEN < nl + xl + cl)
			return fail(err, errlen, ".xlsx 文件已损坏（ZIP 目录项 %zu 越界）", i + 1);
		if (flags & (1u | 1u << 6 | 1u << 13))
			return fail(err, errlen, "不支持加密的 .xlsx 文件，请取消密码保护后再导入");
		if (e->csize == 0xffffffffu || e->usize == 0xffffffffu || e->local == 0xffffffffu ||
		    le16(c + 34) != 0)
			return fail(err, errlen, "不支持 ZIP64 或分卷格式的 .xlsx 文件");
		if (e->method != 0 && e->method != 8)
			return fail(err, errlen, "不支持的 ZIP 压缩方式（%u）",
			            (unsigned)e->method);
		if (nl > ZIP_NAME_MAX || !name_safe((const char *)c + ZIP_CENTRAL_LEN, nl))
			return fail(err, errlen, ".xlsx 文件中有不安全的成员名，已拒绝");
		memcpy(e->name, c + ZIP_CENTRAL_LEN, nl);
		e->name[nl] = '\0';
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(z->e[k].name, e->name) == 0)
				return fail(err, errlen, ".xlsx 文件中有重名的成员，已拒绝");
		p += ZIP_CENTRAL_LEN + nl + xl + cl;
		z->n++;
	}
	return 0;
}

static void zip_close(struct zip *z)
{
	free(z->e);
	z->e = NULL;
	z->n = 0;
}

/* The member name (case-insensitive, as OPC part names are), or NULL. */
static const struct zip_entry *zip_find(const struct zip *z, const char *name)
{
	for (size_t i = 0; i < z->n; i++)
		if (strcasecmp(z->e[i].name, name) == 0)
			return &z->e[i];
	return NULL;
}

/* Inflates member e into *out (malloc'd, NUL-terminated, *outlen bytes). 0 or -1. */
static int zip_read(struct zip *z, const struct zip_entry *e, char **out, size_t *outlen, char *err,
                    size_t errlen)
{
	const unsigned char *l;
	size_t data_off, nl, xl;
	char *buf = NULL;
	z_stream zs;
	int rc = -1, zrc;

	*out = NULL;
	*outlen = 0;
	if (e->usize > XLSX_READ_MAX_PART || e->usize > XLSX_READ_MAX_TOTAL - z->inflated)
		return fail(err, errlen, ".xlsx 文件解压后过大（%s），已拒绝", e->name);
	if (e->usize > 1024u * 1024 && e->usize / XLSX_READ_MAX_RATIO > e->csize)
		return fail(err, errlen, ".xlsx 文件的压缩比异常（疑似压缩炸弹：%s），已拒绝",
		            e->name);
	if (e->method == 0 && e->csize != e->usize)
		return fail(err, errlen, ".xlsx 文件已损坏（%s 的大小不一致）", e->name);
	/* The local header repeats the name; the data follows it and must end before the
	   central directory. */
	if (e->local > z->cd_off || z->cd_off - e->local < ZIP_LOCAL_LEN)
		return fail(err, errlen, ".xlsx 文件已损坏（%s 的位置越界）", e->name);
	l = z->data + e->local;
	nl = le16(l + 26);
	xl = le16(l + 28);
	if (le32(l) != ZIP_LOCAL_SIG || (le16(l + 6) & 1u) || le16(l + 8) != e->method ||
	    nl != strlen(e->name) || z->cd_off - e->local - ZIP_LOCAL_LEN < nl + xl ||
	    memcmp(l + ZIP_LOCAL_LEN, e->name, nl) != 0)
		return fail(err, errlen, ".xlsx 文件已损坏（%s 的文件头无效）", e->name);
	data_off = e->local + ZIP_LOCAL_LEN + nl + xl;
	if (z->cd_off - data_off < e->csize)
		return fail(err, errlen, ".xlsx 文件已损坏或不完整（%s 越界）", e->name);
	/* One byte more than declared, so a stream that inflates to more is caught. */
	if (!(buf = malloc((size_t)e->usize + 2)))
		return fail(err, errlen, "内存不足");
	if (e->method == 0) {
		memcpy(buf, z->data + data_off, e->usize);
	} else {
		memset(&zs, 0, sizeof zs);
		if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
			fail(err, errlen, "内存不足");
			goto out;
		}
		zs.next_in = (Bytef *)(uintptr_t)(z->data + data_off);
		zs.avail_in = e->csize;
		zs.next_out = (Bytef *)buf;
		zs.avail_out = e->usize + 1;
		zrc = inflate(&zs, Z_FINISH);
		if (zrc != Z_STREAM_END || zs.total_out != e->usize) {
			(void)inflateEnd(&zs);
			fail(err, errlen,
			     zrc == Z_STREAM_END || zrc == Z_BUF_ERROR
			             ? ".xlsx 文件已损坏（%s 解压后的大小与记录不符）"
			             : ".xlsx 文件已损坏（%s 的压缩数据无效）",
			     e->name);
			goto out;
		}
		(void)inflateEnd(&zs);
	}
	if (crc32(crc32(0L, Z_NULL, 0), (const Bytef *)buf, e->usize) != e->crc) {
		fail(err, errlen, ".xlsx 文件已损坏（%s 校验失败）", e->name);
		goto out;
	}
	buf[e->usize] = '\0';
	z->inflated += e->usize;
	*out = buf;
	*outlen = e->usize;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* ---- UTF-8 ---- */

/* Appends code point cp as UTF-8; -1 when it is not a character XML allows. */
static int put_utf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || (cp < 0x20 && cp != 0x9 && cp != 0xa && cp != 0xd) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff || cp > 0x10ffff)
		return -1;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(b, u, n);
}

/* 1 when s[0..n) is well-formed UTF-8 (shortest forms, no surrogates) without NUL bytes. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t k;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return 0;
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* ---- the XML tokenizer ---- */

#define XML_MAX_DEPTH 64

enum { XML_ERROR = -1, XML_EOF = 0, XML_OPEN, XML_CLOSE, XML_TEXT };

struct span {
	const char *s;
	size_t n;
};

struct xml {
	const char *p, *end;
	const char *part; /* its name, for messages */
	char *err;
	size_t errlen;
	int depth, root_done, pending_close;
	struct span stack[XML_MAX_DEPTH];
	/* The current token: an element's local name and raw attributes, or raw text. */
	struct span name, attrs, text;
	int cdata;
};

static void xml_init(struct xml *x, const char *data, size_t len, const char *part, char *err,
                     size_t errlen)
{
	memset(x, 0, sizeof *x);
	x->p = data;
	x->end = data + len;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		x->p += 3;
	x->part = part;
	x->err = err;
	x->errlen = errlen;
}

static int xml_fail(struct xml *x, const char *what)
{
	fail(x->err, x->errlen, ".xlsx 文件已损坏（%s 的 XML 格式错误：%s）", x->part, what);
	return XML_ERROR;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_name_char(char c)
{
	return !is_space(c) && c != '<' && c != '>' && c != '/' && c != '=' && c != '"' &&
	       c != '\'' && c != '&' && c != '?' && c != '!';
}

/* The text after the last ':' of a qualified name. */
static struct span local_name(const char *s, size_t n)
{
	struct span r = { s, n };

	for (size_t i = n; i-- > 0;)
		if (s[i] == ':') {
			r.s = s + i + 1;
			r.n = n - i - 1;
			break;
		}
	return r;
}

static int span_is(struct span a, const char *lit)
{
	return a.n == strlen(lit) && memcmp(a.s, lit, a.n) == 0;
}

/* Finds lit in [p, end); NULL when absent. */
static const char *find(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	for (; (size_t)(end - p) >= n; p++)
		if (memcmp(p, lit, n) == 0)
			return p;
	return NULL;
}

/* Checks the attribute list a[0..n): name = "value" pairs separated by white space. */
static int attrs_valid(const char *a, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start;
		char q;

		if (is_space(a[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < n && is_name_char(a[i]))
			i++;
		if (i == start)
			return 0;
		while (i < n && is_space(a[i]))
			i++;
		if (i == n || a[i] != '=')
			return 0;
		i++;
		while (i < n && is_space(a[i]))
			i++;
		if (i == n || (a[i] != '"' && a[i] != '\''))
			return 0;
		q = a[i++];
		while (i < n && a[i] != q) {
			if (a[i] == '<')
				return 0;
			i++;
		}
		if (i == n)
			return 0;
		i++;
		if (i < n && !is_space(a[i]))
			return 0;
	}
	return 1;
}

/* Decodes s[0..n) (entities and character references) onto out. 0 or -1. */
static int xml_decode(const char *s, size_t n, struct buf *out)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' }
	};
	size_t i = 0;

	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		const char *semi;
		size_t len;
		int done = 0;

		if (!amp)
			return buf_append(out, s + i, n - i);
		if (buf_append(out, s + i, (size_t)(amp - (s + i))) < 0)
			return -1;
		i = (size_t)(amp - s) + 1;
		semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
		if (!semi)
			return -1;
		len = (size_t)(semi - (s + i));
		if (len >= 2 && s[i] == '#') {
			uint32_t cp = 0;
			int hex = s[i + 1] == 'x';
			size_t j = hex ? 2 : 1;

			if (j == len)
				return -1;
			for (; j < len; j++) {
				char c = s[i + j];
				int d = c >= '0' && c <= '9'          ? c - '0'
				        : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
				        : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
				                                      : -1;

				if (d < 0 || cp > 0x10ffff)
					return -1;
				cp = cp * (hex ? 16u : 10u) + (uint32_t)d;
			}
			if (put_utf8(out, cp) < 0)
				return -1;
			done = 1;
		} else {
			for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++)
				if (len == strlen(ents[k].name) &&
				    memcmp(s + i, ents[k].name, len) == 0) {
					if (buf_putc(out, ents[k].c) < 0)
						return -1;
					done = 1;
				}
		}
		if (!done)
			return -1;
		i += len + 1;
	}
	return 0;
}

/* The decoded value of attribute local (local name, prefix ignored) of the current element
   into out (emptied first). 1 found, 0 absent, -1 undecodable. */
static int xml_attr(const struct xml *x, const char *local, struct buf *out)
{
	const char *a = x->attrs.s;
	size_t n = x->attrs.n, i = 0;

	buf_reset(out);
	while (i < n) {
		size_t ns, vs;
		struct span nm;
		char q;

		while (i < n && is_space(a[i]))
			i++;
		if (i == n)
			break;
		ns = i;
		while (i < n && is_name_char(a[i]))
			i++;
		nm = local_name(a + ns, i - ns);
		while (i < n && a[i] != '"' && a[i] != '\'')
			i++;
		if (i == n)
			break;
		q = a[i++];
		vs = i;
		while (i < n && a[i] != q)
			i++;
		if (span_is(nm, local))
			return xml_decode(a + vs, i - vs, out) < 0 ? -1 : 1;
		i++;
	}
	return 0;
}

/* The next token. Text between elements comes as XML_TEXT (raw; decode with xml_decode unless
   cdata); a self-closing element as XML_OPEN then XML_CLOSE. */
static int xml_next(struct xml *x)
{
	const char *p, *q;

	if (x->pending_close) {
		x->pending_close = 0;
		x->depth--;
		if (x->depth == 0)
			x->root_done = 1;
		return XML_CLOSE;
	}
	for (;;) {
		p = x->p;
		if (p == x->end) {
			if (x->depth > 0 || !x->root_done)
				return xml_fail(x, "内容不完整");
			return XML_EOF;
		}
		if (*p != '<') {
			q = memchr(p, '<', (size_t)(x->end - p));
			if (!q)
				q = x->end;
			x->p = q;
			if (x->depth == 0) {
				for (; p < q; p++)
					if (!is_space(*p))
						return xml_fail(x, "根元素之外有文字");
				continue;
			}
			x->text.s = p;
			x->text.n = (size_t)(q - p);
			x->cdata = 0;
			return XML_TEXT;
		}
		if (x->end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			if (!(q = find(p + 4, x->end, "-->")))
				return xml_fail(x, "注释未结束");
			x->p = q + 3;
			continue;
		}
		if (x->end - p >= 2 && memcmp(p, "<?", 2) == 0) {
			if (!(q = find(p + 2, x->end, "?>")))
				return xml_fail(x, "处理指令未结束");
			x->p = q + 2;
			continue;
		}
		if (x->end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
			if (x->depth == 0)
				return xml_fail(x, "根元素之外有文字");
			if (!(q = find(p + 9, x->end, "]]>")))
				return xml_fail(x, "CDATA 未结束");
			x->text.s = p + 9;
			x->text.n = (size_t)(q - (p + 9));
			x->cdata = 1;
			x->p = q + 3;
			return XML_TEXT;
		}
		if (x->end - p >= 2 && p[1] == '!')
			return xml_fail(x, "不支持 DOCTYPE 或实体声明");
		break;
	}
	/* An element tag: find its '>' outside quoted attribute values. */
	{
		const char *s = p + 1, *e;
		char quote = 0;
		int closing = 0, self = 0;
		struct span nm;

		for (q = s; q < x->end; q++) {
			if (quote) {
				if (*q == quote)
					quote = 0;
			} else if (*q == '"' || *q == '\'') {
				quote = *q;
			} else if (*q == '>') {
				break;
			} else if (*q == '<') {
				return xml_fail(x, "标签中出现“<”");
			}
		}
		if (q == x->end)
			return xml_fail(x, "标签未结束");
		x->p = q + 1;
		e = q;
		if (s < e && *s == '/') {
			closing = 1;
			s++;
		} else if (e > s && e[-1] == '/') {
			self = 1;
			e--;
		}
		nm.s = s;
		while (s < e && is_name_char(*s))
			s++;
		nm.n = (size_t)(s - nm.s);
		if (nm.n == 0)
			return xml_fail(x, "元素名为空");
		if (closing) {
			while (s < e && is_space(*s))
				s++;
			if (s != e)
				return xml_fail(x, "结束标签格式错误");
			if (x->depth == 0 || x->stack[x->depth - 1].n != nm.n ||
			    memcmp(x->stack[x->depth - 1].s, nm.s, nm.n) != 0)
				return xml_fail(x, "开始和结束标签不匹配");
			x->depth--;
			if (x->depth == 0)
				x->root_done = 1;
			x->name = local_name(nm.s, nm.n);
			return XML_CLOSE;
		}
		if (s < e && !is_space(*s))
			return xml_fail(x, "元素名格式错误");
		if (!attrs_valid(s, (size_t)(e - s)))
			return xml_fail(x, "属性格式错误");
		if (x->root_done)
			return xml_fail(x, "有多个根元素");
		if (x->depth == XML_MAX_DEPTH)
			return xml_fail(x, "嵌套过深");
		x->stack[x->depth].s = nm.s;
		x->stack[x->depth].n = nm.n;
		x->depth++;
		x->name = local_name(nm.s, nm.n);
		x->attrs.s = s;
		x->attrs.n = (size_t)(e - s);
		x->pending_close = self;
		return XML_OPEN;
	}
}

/* Appends the current text token (decoded) to out. 0 or -1 (with the reason). */
static int xml_take_text(struct xml *x, struct buf *out)
{
	if (x->cdata ? buf_append(out, x->text.s, x->text.n) < 0
	             : xml_decode(x->text.s, x->text.n, out) < 0) {
		if (out->len + x->text.n > out->max)
			return fail(x->err, x->errlen, "单元格内容过长（%s）", x->part);
		return xml_fail(x, "字符引用无效");
	}
	return 0;
}

/* ---- reading parts ---- */

/* Inflates part name (NULL *data when absent and !required) and checks it is UTF-8. */
static int read_part(struct zip *z, const char *name, int required, char **data, size_t *len,
                     char *err, size_t errlen)
{
	const struct zip_entry *e = zip_find(z, name);

	*data = NULL;
	*len = 0;
	if (!e)
		return required ? fail(err, errlen, ".xlsx 文件缺少 %s，不是有效的工作簿", name)
		                : 0;
	if (zip_read(z, e, data, len, err, errlen) < 0)
		return -1;
	if (!utf8_valid((const unsigned char *)*data, *len)) {
		free(*data);
		*data = NULL;
		return fail(err, errlen, ".xlsx 文件的 %s 不是 UTF-8 编码", name);
	}
	return 0;
}

/* A relationship target of xl/workbook.xml as a member name: relative to xl/, or absolute from
   the package root. */
static int resolve_target(const char *target, char out[ZIP_NAME_MAX + 1])
{
	int n = target[0] == '/' ? snprintf(out, ZIP_NAME_MAX + 1, "%s", target + 1)
	                         : snprintf(out, ZIP_NAME_MAX + 1, "xl/%s", target);

	return n > 0 && n <= (int)ZIP_NAME_MAX && name_safe(out, (size_t)n) ? 0 : -1;
}

/* The first sheet's member name and the shared strings' (empty when none), and date1904. */
static int read_workbook(struct zip *z, char sheet[ZIP_NAME_MAX + 1], char sst[ZIP_NAME_MAX + 1],
                         int *date1904, char *err, size_t errlen)
{
	struct buf rid, v, type, target, mode;
	struct xml x;
	char *data = NULL;
	size_t len;
	int tok, rc = -1, in_sheets = 0, have_sheet = 0;

	sheet[0] = sst[0] = '\0';
	*date1904 = 0;
	buf_init(&rid, 256);
	buf_init(&v, 1024);
	buf_init(&type, 1024);
	buf_init(&target, 1024);
	buf_init(&mode, 64);
	if (read_part(z, "xl/workbook.xml", 1, &data, &len, err, errlen) < 0)
		goto out;
	xml_init(&x, data, len, "xl/workbook.xml", err, errlen);
	while ((tok = xml_next(&x)) > 0) {
		if (tok == XML_OPEN && span_is(x.name, "workbookPr")) {
			if (xml_attr(&x, "date1904", &v) == 1)
				*date1904 = strcmp(v.data, "1") == 0 || strcmp(v.data, "true") == 0;
		} else if (tok == XML_OPEN && span_is(x.name, "sheets")) {
			in_sheets = 1;
		} else if (tok == XML_CLOSE && span_is(x.name, "sheets")) {
			in_sheets = 0;
		} else if (tok == XML_OPEN && in_sheets && !have_sheet &&
		           span_is(x.name, "sheet")) {
			if (xml_attr(&x, "id", &rid) != 1 || rid.len == 0) {
				fail(err, errlen, ".xlsx 文件已损坏（工作表缺少关系编号）");
				goto out;
			}
			have_sheet = 1;
		}
	}
	if (tok < 0)
		goto out;
	if (!have_sheet) {
		fail(err, errlen, ".xlsx 文件中没有工作表");
		goto out;
	}
	free(data);
	data = NULL;
	if (read_part(z, "xl/_rels/workbook.xml.rels", 1, &data, &len, err, errlen) < 0)
		goto out;
	xml_init(&x, data, len, "xl/_rels/workbook.xml.rels", err, errlen);
	while ((tok = xml_next(&x)) > 0) {
		int ext;

		if (tok != XML_OPEN || !span_is(x.name, "Relationship"))
			continue;
		if (xml_attr(&x, "Id", &v) < 0 || xml_attr(&x, "Type", &type) < 0 ||
		    xml_attr(&x, "Target", &target) < 0) {
			xml_fail(&x, "关系属性无效");
			tok = XML_ERROR;
			break;
		}
		/* An external target is never read. */
		ext = xml_attr(&x, "TargetMode", &mode);
		if (ext < 0 || (ext == 1 && strcmp(mode.data, "Internal") != 0))
			continue;
		if (!sheet[0] && strcmp(v.data, rid.data) == 0 &&
		    resolve_target(target.data, sheet) < 0) {
			fail(err, errlen, ".xlsx 文件中工作表的路径不安全，已拒绝");
			tok = XML_ERROR;
			break;
		}
		if (type.len >= 14 && strcmp(type.data + type.len - 14, "/sharedStrings") == 0 &&
		    !sst[0] && resolve_target(target.data, sst) < 0) {
			fail(err, errlen, ".xlsx 文件中共享字符串的路径不安全，已拒绝");
			tok = XML_ERROR;
			break;
		}
	}
	if (tok < 0)
		goto out;
	if (!sheet[0]) {
		fail(err, errlen, ".xlsx 文件已损坏（找不到第一个工作表）");
		goto out;
	}
	rc = 0;
out:
	free(data);
	buf_release(&rid);
	buf_release(&v);
	buf_release(&type);
	buf_release(&target);
	buf_release(&mode);
	return rc;
}

/* The shared strings: one arena of NUL-terminated strings and their offsets. */
struct sst {
	struct buf arena;
	size_t *off, n, cap;
};

static int read_sst(struct zip *z, const char *name, struct sst *s, char *err, size_t errlen)
{
	struct buf cur;
	struct xml x;
	char *data = NULL;
	size_t len;
	int tok, rc = -1, in_si = 0, in_t = 0, phonetic = 0;

	buf_init(&cur, XLSX_READ_MAX_CELL);
	if (!name[0]) {
		rc = 0; /* no shared strings: a sheet of numbers and inline strings */
		goto out;
	}
	if (read_part(z, name, 1, &data, &len, err, errlen) < 0)
		goto out;
	xml_init(&x, data, len, name, err, errlen);
	while ((tok = xml_next(&x)) > 0) {
		if (tok == XML_OPEN) {
			if (span_is(x.name, "si")) {
				if (in_si) {
					tok = xml_fail(&x, "共享字符串嵌套");
					break;
				}
				in_si = 1;
				buf_reset(&cur);
			} else if (span_is(x.name, "rPh")) {
				phonetic++;
			} else if (span_is(x.name, "t")) {
				in_t = in_si && !phonetic;
			}
		} else if (tok == XML_CLOSE) {
			if (span_is(x.name, "t")) {
				in_t = 0;
			} else if (span_is(x.name, "rPh")) {
				phonetic--;
			} else if (span_is(x.name, "si")) {
				in_si = 0;
				if (s->n == XLSX_READ_MAX_STRINGS) {
					fail(err, errlen, ".xlsx 文件中的字符串过多");
					tok = XML_ERROR;
					break;
				}
				if (s->n == s->cap) {
					size_t ncap = s->cap ? s->cap * 2 : 256;
					size_t *no = realloc(s->off, ncap * sizeof *no);

					if (!no) {
						fail(err, errlen, "内存不足");
						tok = XML_ERROR;
						break;
					}
					s->off = no;
					s->cap = ncap;
				}
				s->off[s->n++] = s->arena.len;
				if (buf_append(&s->arena, cur.data, cur.len + 1) < 0) {
					fail(err, errlen, ".xlsx 文件中的字符串过多");
					tok = XML_ERROR;
					break;
				}
			}
		} else if (tok == XML_TEXT && in_t) {
			if (xml_take_text(&x, &cur) < 0) {
				tok = XML_ERROR;
				break;
			}
		}
	}
	if (tok < 0)
		goto out;
	rc = 0;
out:
	free(data);
	buf_release(&cur);
	return rc;
}

/* ---- the sheet ---- */

struct sheet_state {
	struct xlsx_table *t;
	const struct sst *sst;
	struct buf value; /* <v> or the inline string */
	struct buf attr;
	uint32_t row, last_row, col, last_col;
	char type[16];
	int in_data, in_row, in_cell, in_v, in_is, in_t, phonetic, has_value;
	struct xlsx_row cur; /* the row being read */
	size_t cur_cap, rows_cap;
};

/* "B3" into column 2 and row 3; -1 when malformed or beyond XFD1048576. */
static int parse_ref(const char *s, uint32_t *col, uint32_t *row)
{
	uint32_t c = 0, r = 0;
	size_t i = 0;

	while (s[i] >= 'A' && s[i] <= 'Z' && i < 3)
		c = c * 26 + (uint32_t)(s[i++] - 'A' + 1);
	if (i == 0 || c > 16384)
		return -1;
	if (s[i] < '1' || s[i] > '9')
		return -1;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		r = r * 10 + (uint32_t)(s[i] - '0');
		if (r > 1048576)
			return -1;
	}
	if (s[i])
		return -1;
	*col = c;
	*row = r;
	return 0;
}

/* A decimal number as Excel writes it: optional sign, digits, fraction, exponent. */
static int is_number(const char *s)
{
	char *end;
	double d;

	if (!*s || is_space(*s))
		return 0;
	d = strtod(s, &end);
	return *end == '\0' && isfinite(d) && strchr("+-.0123456789", *s) &&
	       !strpbrk(s, "xXpPnNiI");
}

static int cell_end(struct sheet_state *st, char *err, size_t errlen)
{
	const char *v = st->value.data, *text = NULL;
	char kind = 's';
	struct xlsx_cell *c;

	/* No value, or an empty one as some writers leave (<v/>): an empty cell, whatever its
	   type says. */
	if (!st->has_value || st->value.len == 0)
		return 0;
	if (strcmp(st->type, "s") == 0) {
		char *end;
		unsigned long long i = strtoull(v, &end, 10);

		if (!*v || *end || v[0] == '-' || v[0] == '+' || i >= st->sst->n)
			return fail(err, errlen, ".xlsx 文件已损坏（第 %u 行的共享字符串编号无效）",
			            st->row);
		text = st->sst->arena.data + st->sst->off[i];
	} else if (strcmp(st->type, "inlineStr") == 0 || strcmp(st->type, "str") == 0) {
		text = v;
	} else if (strcmp(st->type, "b") == 0) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return fail(err, errlen, ".xlsx 文件已损坏（第 %u 行的布尔值无效）",
			            st->row);
		text = v[0] == '1' ? "TRUE" : "FALSE";
		kind = 'b';
	} else if (strcmp(st->type, "e") == 0 || strcmp(st->type, "d") == 0) {
		text = v;
		kind = st->type[0];
	} else if (strcmp(st->type, "n") == 0 || st->type[0] == '\0') {
		if (!is_number(v))
			return fail(err, errlen, ".xlsx 文件已损坏（第 %u 行的数值“%.40s”无效）",
			            st->row, v);
		text = v;
		kind = 'n';
	} else {
		return fail(err, errlen, ".xlsx 文件已损坏（第 %u 行的单元格类型“%.16s”未知）",
		            st->row, st->type);
	}
	if (!*text)
		return 0;
	if (st->col > XLSX_READ_MAX_COLS)
		return fail(err, errlen, "表格列数过多（第 %u 行有值的列超过 %d 列）", st->row,
		            XLSX_READ_MAX_COLS);
	if (st->col > st->cur_cap) {
		size_t ncap = st->cur_cap ? st->cur_cap : 16;
		struct xlsx_cell *nc;

		while (ncap < st->col)
			ncap *= 2;
		if (!(nc = realloc(st->cur.cells, ncap * sizeof *nc)))
			return fail(err, errlen, "内存不足");
		memset(nc + st->cur_cap, 0, (ncap - st->cur_cap) * sizeof *nc);
		st->cur.cells = nc;
		st->cur_cap = ncap;
	}
	c = &st->cur.cells[st->col - 1];
	if (!(c->text = strdup(text)))
		return fail(err, errlen, "内存不足");
	c->kind = kind;
	if (st->col > st->cur.n)
		st->cur.n = st->col;
	return 0;
}

static int row_end(struct sheet_state *st, char *err, size_t errlen)
{
	struct xlsx_table *t = st->t;
	struct xlsx_row *nr;

	if (st->cur.n == 0)
		return 0;
	if (t->n == XLSX_READ_MAX_ROWS)
		return fail(err, errlen, "表格行数过多（最多 %d 行）", XLSX_READ_MAX_ROWS);
	if (t->n == st->rows_cap) {
		size_t ncap = st->rows_cap ? st->rows_cap * 2 : 64;

		if (!(nr = realloc(t->rows, ncap * sizeof *nr)))
			return fail(err, errlen, "内存不足");
		t->rows = nr;
		st->rows_cap = ncap;
	}
	st->cur.number = st->row;
	t->rows[t->n++] = st->cur;
	memset(&st->cur, 0, sizeof st->cur);
	st->cur_cap = 0;
	return 0;
}

static int sheet_open(struct sheet_state *st, struct xml *x, char *err, size_t errlen)
{
	if (span_is(x->name, "sheetData")) {
		st->in_data = 1;
	} else if (st->in_data && !st->in_row && span_is(x->name, "row")) {
		int r = xml_attr(x, "r", &st->attr);
		uint32_t n = st->last_row + 1;

		if (r == 1) {
			char *end;
			unsigned long v = strtoul(st->attr.data, &end, 10);

			if (!st->attr.data[0] || *end || st->attr.data[0] == '-' || v > 1048576)
				return fail(err, errlen, ".xlsx 文件已损坏（行号“%.16s”无效）",
				            st->attr.data);
			n = (uint32_t)v;
		}
		if (r < 0 || n <= st->last_row || n > 1048576)
			return fail(err, errlen, ".xlsx 文件已损坏（第 %u 行的行号顺序错误）", n);
		st->row = st->last_row = n;
		st->last_col = 0;
		st->in_row = 1;
	} else if (st->in_row && !st->in_cell && span_is(x->name, "c")) {
		int r = xml_attr(x, "r", &st->attr);
		uint32_t col = st->last_col + 1, row = st->row;

		if (r < 0 || (r == 1 && parse_ref(st->attr.data, &col, &row) < 0) ||
		    row != st->row || col <= st->last_col || col > 16384)
			return fail(err, errlen, ".xlsx 文件已损坏（第 %u 行的单元格位置无效）",
			            st->row);
		st->col = st->last_col = col;
		r = xml_attr(x, "t", &st->attr);
		if (r < 0 || st->attr.len >= sizeof st->type)
			return fail(err, errlen, ".xlsx 文件已损坏（第 %u 行的单元格类型无效）",
			            st->row);
		memcpy(st->type, r == 1 ? st->attr.data : "", r == 1 ? st->attr.len + 1 : 1);
		buf_reset(&st->value);
		st->has_value = 0;
		st->in_cell = 1;
	} else if (st->in_cell && span_is(x->name, "v")) {
		st->in_v = 1;
		st->has_value = 1;
	} else if (st->in_cell && span_is(x->name, "is")) {
		st->in_is = 1;
		st->has_value = 1;
	} else if (st->in_is && span_is(x->name, "rPh")) {
		st->phonetic++;
	} else if (st->in_is && span_is(x->name, "t")) {
		st->in_t = !st->phonetic;
	}
	return 0;
}

static int sheet_close(struct sheet_state *st, struct xml *x, char *err, size_t errlen)
{
	if (span_is(x->name, "sheetData")) {
		st->in_data = 0;
	} else if (st->in_row && !st->in_cell && span_is(x->name, "row")) {
		st->in_row = 0;
		return row_end(st, err, errlen);
	} else if (st->in_cell && !st->in_is && span_is(x->name, "c")) {
		st->in_cell = 0;
		return cell_end(st, err, errlen);
	} else if (span_is(x->name, "v")) {
		st->in_v = 0;
	} else if (span_is(x->name, "is")) {
		st->in_is = 0;
	} else if (span_is(x->name, "rPh")) {
		st->phonetic--;
	} else if (span_is(x->name, "t")) {
		st->in_t = 0;
	}
	return 0;
}

static int read_sheet(struct zip *z, const char *name, const struct sst *sst, struct xlsx_table *t,
                      char *err, size_t errlen)
{
	struct sheet_state st = { .t = t, .sst = sst };
	struct xml x;
	char *data = NULL;
	size_t len;
	int tok, rc = -1;

	buf_init(&st.value, XLSX_READ_MAX_CELL);
	buf_init(&st.attr, 64);
	if (read_part(z, name, 1, &data, &len, err, errlen) < 0)
		goto out;
	xml_init(&x, data, len, name, err, errlen);
	while ((tok = xml_next(&x)) > 0) {
		int r = 0;

		if (tok == XML_OPEN)
			r = sheet_open(&st, &x, err, errlen);
		else if (tok == XML_CLOSE)
			r = sheet_close(&st, &x, err, errlen);
		else if (st.in_v || st.in_t)
			r = xml_take_text(&x, &st.value);
		if (r < 0) {
			tok = XML_ERROR;
			break;
		}
	}
	if (tok < 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < st.cur.n; i++)
		free(st.cur.cells[i].text);
	free(st.cur.cells);
	free(data);
	buf_release(&st.value);
	buf_release(&st.attr);
	return rc;
}

/* ---- the interface ---- */

int xlsx_looks_like_zip(const void *data, size_t len)
{
	return len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0;
}

void xlsx_table_free(struct xlsx_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->rows[i].n; k++)
			free(t->rows[i].cells[k].text);
		free(t->rows[i].cells);
	}
	free(t->rows);
	memset(t, 0, sizeof *t);
}

int xlsx_read_first_sheet(const void *data, size_t len, struct xlsx_table *t, char *err,
                          size_t errlen)
{
	char sheet[ZIP_NAME_MAX + 1], sstname[ZIP_NAME_MAX + 1];
	struct sst sst = { .n = 0 };
	struct zip z;
	int rc = -1;

	memset(t, 0, sizeof *t);
	if (err && errlen)
		err[0] = '\0';
	buf_init(&sst.arena, XLSX_READ_MAX_PART);
	if (zip_open(&z, data, len, err, errlen) < 0 ||
	    read_workbook(&z, sheet, sstname, &t->date1904, err, errlen) < 0 ||
	    read_sst(&z, sstname, &sst, err, errlen) < 0 ||
	    read_sheet(&z, sheet, &sst, t, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		int d = t->date1904;

		xlsx_table_free(t);
		t->date1904 = d;
		if (err && errlen && !err[0])
			(void)snprintf(err, errlen, "无法读取 .xlsx 文件");
	}
	zip_close(&z);
	buf_release(&sst.arena);
	free(sst.off);
	return rc;
}

const char *xlsx_serial_date(const char *num, int date1904, char out[11])
{
	char *end;
	double d;
	int64_t day, days;
	int y, m, dd;

	if (!num || !*num || is_space(*num))
		return NULL;
	d = strtod(num, &end);
	if (*end || !isfinite(d) || d < 1 || d >= 2958466)
		return NULL;
	day = (int64_t)floor(d);
	if (date1904) {
		days = clock_days_from_civil(1904, 1, 1) + day;
	} else {
		/* Excel counts a 1900-02-29 that never was (day 60): days before it are one off. */
		if (day == 60)
			return NULL;
		days = clock_days_from_civil(1899, 12, 30) + (day < 60 ? day + 1 : day);
	}
	clock_civil_from_days(days, &y, &m, &dd);
	if (y < 1900 || y > 9999)
		return NULL;
	(void)snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	               (unsigned)dd % 100u);
	return out;
}
