/*
 * Unit tests of the .xlsx reader (base/xlsx_read.h): a workbook written by our own writer
 * (base/xlsx.h over libxlsxwriter) read back cell for cell; a hand-made workbook with shared
 * strings (rich-text runs, phonetic runs skipped), inline strings, formula strings, booleans,
 * errors, numbers, entities and character references, gaps in rows and columns, an absolute
 * relationship target and the 1904 date system; Excel serial dates; one refusal per rule (not
 * a ZIP, encrypted, ZIP64, unknown method, unsafe or duplicate member names, a zip bomb, a
 * declared size over the cap, a bad CRC, a DOCTYPE, mismatched tags, a bad entity, a shared
 * string index out of range, bad UTF-8, a missing workbook); and a fuzz-ish pass feeding every
 * truncation and thousands of random corruptions of both a deflated and a stored workbook, each
 * of which must be read or refused with a message (run it under ASan: make test-san).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/xlsx.h"
#include "base/xlsx_read.h"

/* ---- a small ZIP writer for crafted archives ---- */

struct member {
	const char *name;
	const char *data; /* NULL: size bytes of zeros */
	size_t size;
	int deflate;
	uint16_t flags;  /* general purpose flags written (bit 0: encrypted) */
	uint16_t method; /* 0: from deflate; else written as is */
	uint32_t usize;  /* 0: the real size; else declared instead */
	int bad_crc;     /* write a wrong CRC */
};

static void put16(struct buf *b, uint16_t v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	assert_int_equal(buf_append(b, c, 2), 0);
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
		               (unsigned char)(v >> 24) };

	assert_int_equal(buf_append(b, c, 4), 0);
}

/* Raw deflate of in[0..n) into a malloc'd buffer. */
static unsigned char *deflate_raw(const unsigned char *in, size_t n, size_t *outn)
{
	z_stream zs = { 0 };
	size_t cap = compressBound((uLong)n) + 64;
	unsigned char *out = malloc(cap);

	assert_non_null(out);
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outn = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* The archive of m[0..n) in b (max 64 MB). */
static void zip_build(struct buf *b, const struct member *m, size_t n)
{
	uint32_t offs[32], crcs[32], cs[32];

	buf_init(b, 64u * 1024 * 1024);
	assert_true(n <= 32);
	for (size_t i = 0; i < n; i++) {
		unsigned char *zeros = NULL, *packed = NULL;
		const unsigned char *raw = (const unsigned char *)m[i].data;
		size_t pn;

		if (!raw)
			raw = zeros = calloc(1, m[i].size ? m[i].size : 1);
		crcs[i] = (uint32_t)crc32(crc32(0, Z_NULL, 0), raw, (uInt)m[i].size) ^
		          (m[i].bad_crc ? 1u : 0u);
		if (m[i].deflate) {
			packed = deflate_raw(raw, m[i].size, &pn);
		} else {
			pn = m[i].size;
		}
		cs[i] = (uint32_t)pn;
		offs[i] = (uint32_t)b->len;
		put32(b, 0x04034b50);
		put16(b, 20);
		put16(b, m[i].flags);
		put16(b, m[i].method ? m[i].method : m[i].deflate ? 8 : 0);
		put16(b, 0);
		put16(b, 0);
		put32(b, crcs[i]);
		put32(b, cs[i]);
		put32(b, m[i].usize ? m[i].usize : (uint32_t)m[i].size);
		put16(b, (uint16_t)strlen(m[i].name));
		put16(b, 0);
		assert_int_equal(buf_append(b, m[i].name, strlen(m[i].name)), 0);
		assert_int_equal(buf_append(b, packed ? packed : raw, pn), 0);
		free(packed);
		free(zeros);
	}
	{
		uint32_t cd = (uint32_t)b->len;

		for (size_t i = 0; i < n; i++) {
			put32(b, 0x02014b50);
			put16(b, 20);
			put16(b, 20);
			put16(b, m[i].flags);
			put16(b, m[i].method ? m[i].method : m[i].deflate ? 8 : 0);
			put16(b, 0);
			put16(b, 0);
			put32(b, crcs[i]);
			put32(b, cs[i]);
			put32(b, m[i].usize ? m[i].usize : (uint32_t)m[i].size);
			put16(b, (uint16_t)strlen(m[i].name));
			put16(b, 0);
			put16(b, 0);
			put16(b, 0);
			put16(b, 0);
			put32(b, 0);
			put32(b, offs[i]);
			assert_int_equal(buf_append(b, m[i].name, strlen(m[i].name)), 0);
		}
		put32(b, 0x06054b50);
		put16(b, 0);
		put16(b, 0);
		put16(b, (uint16_t)n);
		put16(b, (uint16_t)n);
		put32(b, (uint32_t)b->len - cd - 4 - 2 * 4);
		put32(b, cd);
		put16(b, 0);
	}
}

/* ---- a hand-made workbook ---- */

static const char workbook_xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
        "<workbookPr date1904=\"1\"/><sheets><sheet name=\"名单\" sheetId=\"7\" r:id=\"rId3\"/>"
        "<sheet name=\"其他\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";

static const char rels_xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" Type=\"http://x/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
        "<Relationship Id=\"rId9\" Type=\"http://x/hyperlink\" Target=\"../../etc/passwd\" "
        "TargetMode=\"External\"/>"
        "<Relationship Id=\"rId3\" Type=\"http://x/worksheet\" "
        "Target=\"/xl/worksheets/sheet2.xml\"/>"
        "<Relationship Id=\"rId4\" Type=\"http://x/sharedStrings\" Target=\"sharedStrings.xml\"/>"
        "</Relationships>";

static const char sst_xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"3\">"
        "<si><t>姓名</t></si>"
        "<si><r><rPr><b/></rPr><t>王</t></r><r><t xml:space=\"preserve\">建 国</t></r>"
        "<rPh sb=\"0\" eb=\"1\"><t>ワン</t></rPh></si>"
        "<si><t>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#20013;&#x6587;</t></si>"
        "</sst>";

static const char sheet2_xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!-- a comment -->"
        "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<x:sheetData>"
        "<x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>0</x:v></x:c><x:c r=\"C1\" t=\"s\" s=\"1\">"
        "<x:v>2</x:v></x:c></x:row>"
        "<x:row r=\"2\"><x:c r=\"A2\" s=\"4\"/></x:row>"
        "<x:row r=\"5\" spans=\"1:6\"><x:c r=\"A5\" t=\"s\"><x:v>1</x:v></x:c>"
        "<x:c r=\"B5\"><x:v>45658</x:v></x:c>"
        "<x:c r=\"C5\" t=\"inlineStr\"><x:is><x:r><x:t>行内</x:t></x:r><x:r><x:t>文字</x:t></x:r>"
        "</x:is></x:c>"
        "<x:c r=\"D5\" t=\"str\"><x:f>A1&amp;\"x\"</x:f><x:v>姓名x</x:v></x:c>"
        "<x:c t=\"b\"><x:v>1</x:v></x:c>"
        "<x:c r=\"F5\" t=\"e\"><x:v>#N/A</x:v></x:c>"
        "<x:c r=\"G5\"><x:v>-1.5E-3</x:v></x:c>"
        "<x:c r=\"H5\" t=\"inlineStr\"><x:is><x:t><![CDATA[<raw & text>]]></x:t></x:is></x:c>"
        "<x:c r=\"I5\" t=\"s\"><x:v/></x:c><x:c r=\"J5\"><x:v></x:v></x:c>"
        "</x:row>"
        "<x:row><x:c r=\"B6\" t=\"s\"><x:v>0</x:v></x:c></x:row>"
        "</x:sheetData></x:worksheet>";

static const char sheet1_xml[] = "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" "
                                 "t=\"inlineStr\"><is><t>wrong sheet</t></is></c></row>"
                                 "</sheetData></worksheet>";

/* The hand-made workbook with part sheet (NULL: sheet2_xml) and sst (NULL: sst_xml). */
static void handmade(struct buf *b, const char *sheet, const char *sst, int deflate)
{
	struct member m[] = {
		{ .name = "[Content_Types].xml",
		  .data = "<Types/>",
		  .size = 8,
		  .deflate = deflate },
		{ .name = "xl/workbook.xml",
		  .data = workbook_xml,
		  .size = sizeof workbook_xml - 1,
		  .deflate = deflate },
		{ .name = "xl/_rels/workbook.xml.rels",
		  .data = rels_xml,
		  .size = sizeof rels_xml - 1,
		  .deflate = deflate },
		{ .name = "xl/sharedStrings.xml",
		  .data = sst ? sst : sst_xml,
		  .size = strlen(sst ? sst : sst_xml),
		  .deflate = deflate },
		{ .name = "xl/worksheets/sheet1.xml",
		  .data = sheet1_xml,
		  .size = sizeof sheet1_xml - 1,
		  .deflate = deflate },
		{ .name = "xl/worksheets/sheet2.xml",
		  .data = sheet ? sheet : sheet2_xml,
		  .size = strlen(sheet ? sheet : sheet2_xml),
		  .deflate = deflate },
	};

	zip_build(b, m, sizeof m / sizeof m[0]);
}

static const char *cell(const struct xlsx_table *t, size_t row, size_t col)
{
	if (row >= t->n || col >= t->rows[row].n)
		return NULL;
	return t->rows[row].cells[col].text;
}

static void test_handmade(void **state)
{
	struct xlsx_table t;
	struct buf b;
	char err[256];

	(void)state;
	for (int deflate = 0; deflate <= 1; deflate++) {
		handmade(&b, NULL, NULL, deflate);
		assert_int_equal(xlsx_read_first_sheet(b.data, b.len, &t, err, sizeof err), 0);
		assert_int_equal(t.date1904, 1);
		assert_int_equal(t.n, 3); /* row 2 has only a styled empty cell */
		assert_int_equal(t.rows[0].number, 1);
		assert_int_equal(t.rows[0].n, 3);
		assert_string_equal(cell(&t, 0, 0), "姓名");
		assert_null(cell(&t, 0, 1));
		assert_string_equal(cell(&t, 0, 2), "a&b <c> \"d\" 'e' 中文");
		assert_int_equal(t.rows[1].number, 5);
		assert_string_equal(cell(&t, 1, 0), "王建 国");
		assert_string_equal(cell(&t, 1, 1), "45658");
		assert_int_equal(t.rows[1].cells[1].kind, 'n');
		assert_string_equal(cell(&t, 1, 2), "行内文字");
		assert_string_equal(cell(&t, 1, 3), "姓名x");
		assert_string_equal(cell(&t, 1, 4), "TRUE");
		assert_int_equal(t.rows[1].cells[4].kind, 'b');
		assert_string_equal(cell(&t, 1, 5), "#N/A");
		assert_int_equal(t.rows[1].cells[5].kind, 'e');
		assert_string_equal(cell(&t, 1, 6), "-1.5E-3");
		assert_string_equal(cell(&t, 1, 7), "<raw & text>");
		assert_int_equal(t.rows[1].n, 8); /* I5 and J5 hold empty values */
		assert_int_equal(t.rows[2].number, 6);
		assert_null(cell(&t, 2, 0));
		assert_string_equal(cell(&t, 2, 1), "姓名");
		xlsx_table_free(&t);
		buf_release(&b);
	}
}

static void test_own_writer_round_trip(void **state)
{
	static const char *const head[] = { "姓名", "身份证号码", "金额", "备注" };
	const char *r1[] = { "王建国", "37150219850615123X", "12.5", "=SUM(A1)" };
	const char *r2[] = { "李 & <丽>", NULL, "3", "line\nbreak\ttab" };
	struct xlsx *w = xlsx_new();
	struct xlsx_table t;
	char *data, err[256];
	size_t len;

	(void)state;
	assert_non_null(w);
	assert_int_equal(xlsx_sheet(w, "网格员", head, 4), 0);
	assert_int_equal(xlsx_row_mixed(w, r1, 4, 0x4), 0);
	assert_int_equal(xlsx_row_mixed(w, r2, 4, 0x4), 0);
	assert_int_equal(xlsx_finish(w, &data, &len), 0);
	assert_int_equal(xlsx_read_first_sheet(data, len, &t, err, sizeof err), 0);
	assert_int_equal(t.n, 3);
	for (size_t k = 0; k < 4; k++)
		assert_string_equal(cell(&t, 0, k), head[k]);
	assert_int_equal(t.rows[1].number, 2);
	assert_string_equal(cell(&t, 1, 0), "王建国");
	assert_string_equal(cell(&t, 1, 1), "37150219850615123X");
	assert_string_equal(cell(&t, 1, 2), "12.5");
	assert_int_equal(t.rows[1].cells[2].kind, 'n');
	assert_string_equal(cell(&t, 1, 3), "=SUM(A1)");
	assert_int_equal(t.rows[1].cells[3].kind, 's');
	assert_string_equal(cell(&t, 2, 0), "李 & <丽>");
	assert_null(cell(&t, 2, 1));
	assert_string_equal(cell(&t, 2, 3), "line\nbreak\ttab");
	assert_int_equal(t.date1904, 0);
	xlsx_table_free(&t);
	free(data);
}

static void test_serial_dates(void **state)
{
	char d[11];

	(void)state;
	assert_string_equal(xlsx_serial_date("45658", 0, d), "2025-01-01");
	assert_string_equal(xlsx_serial_date("45658.75", 0, d), "2025-01-01");
	assert_string_equal(xlsx_serial_date("1", 0, d), "1900-01-01");
	assert_string_equal(xlsx_serial_date("59", 0, d), "1900-02-28");
	assert_null(xlsx_serial_date("60", 0, d)); /* 1900-02-29 never was */
	assert_string_equal(xlsx_serial_date("61", 0, d), "1900-03-01");
	assert_string_equal(xlsx_serial_date("2958465", 0, d), "9999-12-31");
	assert_string_equal(xlsx_serial_date("44196", 1, d), "2025-01-01");
	assert_null(xlsx_serial_date("0", 0, d));
	assert_null(xlsx_serial_date("-5", 0, d));
	assert_null(xlsx_serial_date("2958466", 0, d));
	assert_null(xlsx_serial_date("2025-01-01", 0, d));
	assert_null(xlsx_serial_date("", 0, d));
	assert_null(xlsx_serial_date("nan", 0, d));
}

/* Reading data must fail with a message containing want. */
static void refused(const void *data, size_t len, const char *want)
{
	struct xlsx_table t;
	char err[256];

	assert_int_equal(xlsx_read_first_sheet(data, len, &t, err, sizeof err), -1);
	if (!strstr(err, want))
		fail_msg("message \"%s\" lacks \"%s\"", err, want);
	assert_int_equal(t.n, 0);
	xlsx_table_free(&t);
}

/* The hand-made workbook with one member changed by edit. */
static void refused_member(void (*edit)(struct member *m), const char *want)
{
	struct member m[] = {
		{ .name = "xl/workbook.xml",
		  .data = workbook_xml,
		  .size = sizeof workbook_xml - 1 },
		{ .name = "xl/_rels/workbook.xml.rels",
		  .data = rels_xml,
		  .size = sizeof rels_xml - 1 },
		{ .name = "xl/sharedStrings.xml", .data = sst_xml, .size = sizeof sst_xml - 1 },
		{ .name = "xl/worksheets/sheet2.xml",
		  .data = sheet2_xml,
		  .size = sizeof sheet2_xml - 1,
		  .deflate = 1 },
	};
	struct buf b;

	edit(m);
	zip_build(&b, m, 4);
	refused(b.data, b.len, want);
	buf_release(&b);
}

static void encrypt(struct member *m)
{
	m[3].flags = 1;
}
static void bzip2(struct member *m)
{
	m[3].method = 12;
}
static void dotdot(struct member *m)
{
	m[2].name = "xl/../sharedStrings.xml";
}
static void absolute(struct member *m)
{
	m[2].name = "/etc/passwd";
}
static void backslash(struct member *m)
{
	m[2].name = "xl\\sharedStrings.xml";
}
static void duplicate(struct member *m)
{
	m[2].name = "XL/WORKBOOK.XML";
}
static void bomb(struct member *m)
{
	m[3].data = NULL; /* 20 MB of zeros deflate to about 20 KB */
	m[3].size = 20u * 1024 * 1024;
}
static void huge(struct member *m)
{
	m[3].usize = 40u * 1024 * 1024;
}
static void lying_size(struct member *m)
{
	m[3].usize = (uint32_t)m[3].size + 10;
}
static void bad_crc(struct member *m)
{
	m[3].bad_crc = 1;
}
static void no_workbook(struct member *m)
{
	m[0].name = "xl/workbook2.xml";
}
static void doctype(struct member *m)
{
	static const char x[] = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><sst/>";

	m[2].data = x;
	m[2].size = sizeof x - 1;
}
static void mismatch(struct member *m)
{
	static const char x[] = "<sst><si><t>a</si></t></sst>";

	m[2].data = x;
	m[2].size = sizeof x - 1;
}
static void bad_entity(struct member *m)
{
	static const char x[] = "<sst><si><t>a&nbsp;b</t></si></sst>";

	m[2].data = x;
	m[2].size = sizeof x - 1;
}
static void nul_ref(struct member *m)
{
	static const char x[] = "<sst><si><t>a&#0;b</t></si></sst>";

	m[2].data = x;
	m[2].size = sizeof x - 1;
}
static void bad_utf8(struct member *m)
{
	static const char x[] = "<sst><si><t>\xc0\xaf"
	                        "ab</t></si></sst>";

	m[2].data = x;
	m[2].size = sizeof x - 1;
}
static void bad_index(struct member *m)
{
	static const char x[] =
	        "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>3</v></c>"
	        "</row></sheetData></worksheet>";

	m[3].data = x;
	m[3].size = sizeof x - 1;
}
static void rows_backwards(struct member *m)
{
	static const char x[] = "<worksheet><sheetData><row r=\"3\"/><row r=\"2\"/></sheetData>"
	                        "</worksheet>";

	m[3].data = x;
	m[3].size = sizeof x - 1;
}
static void bad_number(struct member *m)
{
	static const char x[] = "<worksheet><sheetData><row r=\"1\"><c r=\"A1\"><v>0x10</v></c>"
	                        "</row></sheetData></worksheet>";

	m[3].data = x;
	m[3].size = sizeof x - 1;
}
static void too_wide(struct member *m)
{
	static const char x[] = "<worksheet><sheetData><row r=\"1\"><c r=\"IW1\"><v>1</v></c>"
	                        "</row></sheetData></worksheet>";

	m[3].data = x;
	m[3].size = sizeof x - 1;
}
static void unclosed(struct member *m)
{
	static const char x[] = "<worksheet><sheetData><row r=\"1\">";

	m[3].data = x;
	m[3].size = sizeof x - 1;
}

static void test_refusals(void **state)
{
	static const char text[] = "姓名,身份证号码\n王,1\n";
	struct buf b;

	(void)state;
	refused(text, sizeof text - 1, "不是 ZIP");
	refused("", 0, "不是 ZIP");
	{
		char head[64] = "PK\x03\x04";

		refused(head, sizeof head, "找不到 ZIP 目录");
	}
	refused_member(encrypt, "加密");
	refused_member(bzip2, "压缩方式");
	refused_member(dotdot, "不安全的成员名");
	refused_member(absolute, "不安全的成员名");
	refused_member(backslash, "不安全的成员名");
	refused_member(duplicate, "重名");
	refused_member(bomb, "压缩炸弹");
	refused_member(huge, "解压后过大");
	refused_member(lying_size, "大小与记录不符");
	refused_member(bad_crc, "校验失败");
	refused_member(no_workbook, "缺少 xl/workbook.xml");
	refused_member(doctype, "DOCTYPE");
	refused_member(mismatch, "不匹配");
	refused_member(bad_entity, "字符引用无效");
	refused_member(nul_ref, "字符引用无效");
	refused_member(bad_utf8, "UTF-8");
	refused_member(bad_index, "共享字符串编号无效");
	refused_member(rows_backwards, "行号顺序错误");
	refused_member(bad_number, "数值");
	refused_member(too_wide, "列数过多");
	refused_member(unclosed, "不完整");
	/* ZIP64: the end record's counts at 0xffff. */
	handmade(&b, NULL, NULL, 1);
	b.data[b.len - 12] = b.data[b.len - 11] = b.data[b.len - 14] = b.data[b.len - 13] =
	        (char)0xff;
	refused(b.data, b.len, "ZIP64");
	buf_release(&b);
	/* A sheet target that climbs out of the package. */
	{
		static const char r[] = "<Relationships><Relationship Id=\"rId3\" Type=\"w\" "
		                        "Target=\"../../x.xml\"/></Relationships>";
		struct member m[] = {
			{ .name = "xl/workbook.xml",
			  .data = workbook_xml,
			  .size = sizeof workbook_xml - 1 },
			{ .name = "xl/_rels/workbook.xml.rels", .data = r, .size = sizeof r - 1 },
		};

		zip_build(&b, m, 2);
		refused(b.data, b.len, "路径不安全");
		buf_release(&b);
	}
}

/* ---- fuzz-ish ---- */

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* data[0..len) must be read or refused with a message, never crash. */
static void survives(const char *data, size_t len, int *ok, int *bad)
{
	struct xlsx_table t;
	char err[256];

	if (xlsx_read_first_sheet(data, len, &t, err, sizeof err) == 0) {
		(*ok)++;
	} else {
		assert_true(err[0] != '\0');
		(*bad)++;
	}
	xlsx_table_free(&t);
}

/* Corrupts text[0..len) in place: 1 to 4 bytes, half the time from the XML alphabet (to get
   past the tokenizer's first checks), otherwise any byte. */
static void corrupt(char *text, size_t len)
{
	int flips = 1 + (int)(next_rand() % 4);

	for (int k = 0; k < flips; k++) {
		size_t at = next_rand() % len;

		text[at] =
		        next_rand() % 2 ? "<>/=\"'&;#x0aZ:"[next_rand() % 14] : (char)next_rand();
	}
}

/* The archive's bytes corrupted: mostly the ZIP structure and CRC checks answer. */
static void fuzz_archive(const char *base, size_t len, int rounds)
{
	char *copy = malloc(len);
	int ok = 0, bad = 0;

	assert_non_null(copy);
	for (size_t n = 0; n < len; n++)
		survives(base, n, &ok, &bad); /* every truncation */
	for (int i = 0; i < rounds; i++) {
		memcpy(copy, base, len);
		corrupt(copy, len);
		survives(copy, len, &ok, &bad);
	}
	survives(base, len, &ok, &bad);
	print_message("archive of %zu bytes: %d read, %d refused\n", len, ok, bad);
	assert_true(ok >= 1 && bad >= (int)len);
	free(copy);
}

/* The XML parts corrupted before they are packed (with their right CRC): the tokenizer and
   the walkers answer. */
static void fuzz_xml(int rounds)
{
	size_t ns = sizeof sheet2_xml - 1, nt = sizeof sst_xml - 1;
	char *sheet = malloc(ns + 1), *sst = malloc(nt + 1);
	int ok = 0, bad = 0;
	struct buf b;

	assert_non_null(sheet);
	assert_non_null(sst);
	for (size_t n = 0; n < ns; n++) {
		memcpy(sheet, sheet2_xml, n);
		sheet[n] = '\0';
		handmade(&b, sheet, NULL, 0);
		survives(b.data, b.len, &ok, &bad);
		buf_release(&b);
	}
	for (int i = 0; i < rounds; i++) {
		memcpy(sheet, sheet2_xml, ns + 1);
		memcpy(sst, sst_xml, nt + 1);
		if (i % 2)
			corrupt(sheet, ns);
		else
			corrupt(sst, nt);
		/* A corrupted byte may be a NUL: the part is then shorter, as strlen reads it. */
		handmade(&b, sheet, sst, i % 3 == 0);
		survives(b.data, b.len, &ok, &bad);
		buf_release(&b);
	}
	print_message("corrupted XML parts: %d read, %d refused\n", ok, bad);
	assert_true(ok >= 1 && bad >= 1);
	free(sheet);
	free(sst);
}

static void test_fuzz(void **state)
{
	struct buf b;

	(void)state;
	handmade(&b, NULL, NULL, 0);
	fuzz_archive(b.data, b.len, 3000);
	buf_release(&b);
	handmade(&b, NULL, NULL, 1);
	fuzz_archive(b.data, b.len, 3000);
	buf_release(&b);
	fuzz_xml(6000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handmade),     cmocka_unit_test(test_own_writer_round_trip),
		cmocka_unit_test(test_serial_dates), cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
