/*
 * The FTS5 tokenizer "wg_cjk" for Chinese names and addresses (see fts_cjk.h).
 *
 * FTS5's own tokenizers do not serve Chinese names: unicode61 keeps a run of Han characters as
 * one token (so 张三 is not found inside 张三丰), and trigram cannot match a two-character name,
 * the most common length. wg_cjk emits every Han character as a token and, at the same position
 * (FTS5_TOKEN_COLOCATED), the bigram it starts; a query is tokenized the same way, so 张三 asks
 * for 张, 三 and the bigram 张三 — which only text with 张三 in a row has. Letters and digits form
 * lower-cased ASCII words; everything else separates tokens.
 */
#include "store/fts_cjk.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* One UTF-8 code point at p (of at most n bytes): its value and length, or length 1 with value
   0xFFFD for a malformed byte (never read past n). */
static unsigned decode(const unsigned char *p, int n, int *len)
{
	unsigned c = p[0];

	*len = 1;
	if (c < 0x80)
		return c;
	if ((c & 0xE0) == 0xC0 && n >= 2 && (p[1] & 0xC0) == 0x80) {
		*len = 2;
		return ((c & 0x1F) << 6) | (p[1] & 0x3F);
	}
	if ((c & 0xF0) == 0xE0 && n >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
		*len = 3;
		return ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
	}
	if ((c & 0xF8) == 0xF0 && n >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
	    (p[3] & 0xC0) == 0x80) {
		*len = 4;
		return ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) |
		       (p[3] & 0x3F);
	}
	return 0xFFFD;
}

static int is_han(unsigned c)
{
	return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x323AF) || c == 0x3007;
}

static int is_word(unsigned c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

struct tok {
	int unused;
};

static int tok_create(void *ctx, const char **args, int nargs, Fts5Tokenizer **out)
{
	static struct tok one;

	(void)ctx;
	(void)args;
	if (nargs != 0)
		return SQLITE_ERROR;
	*out = (Fts5Tokenizer *)&one;
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
	(void)t;
}

#define WORD_MAX 64

static int tok_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n,
                        int (*emit)(void *, int, const char *, int, int, int))
{
	const unsigned char *p = (const unsigned char *)text;
	int i = 0, rc = SQLITE_OK;

	(void)t;
	(void)flags;
	while (i < n && rc == SQLITE_OK) {
		int len;
		unsigned c = decode(p + i, n - i, &len);

		if (is_han(c)) {
			int len2;
			unsigned c2 = i + len < n ? decode(p + i + len, n - i - len, &len2) : 0;

			rc = emit(ctx, 0, text + i, len, i, i + len);
			if (rc == SQLITE_OK && c2 && is_han(c2))
				rc = emit(ctx, FTS5_TOKEN_COLOCATED, text + i, len + len2, i,
				          i + len + len2);
			i += len;
		} else if (is_word(c)) {
			char word[WORD_MAX];
			int start = i, k = 0;

			while (i < n && is_word(p[i])) {
				if (k < WORD_MAX)
					word[k++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32
					                                              : p[i]);
				i++;
			}
			rc = emit(ctx, 0, word, k, start, i);
		} else {
			i += len;
		}
	}
	return rc;
}

int fts_cjk_register(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	static fts5_tokenizer tokenizer = { tok_create, tok_delete, tok_tokenize };
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2)
		return -1;
	rc = api->xCreateTokenizer(api, "wg_cjk", NULL, &tokenizer, NULL);
	return rc == SQLITE_OK ? 0 : -1;
}

int fts_cjk_query(const char *text, char *out, size_t n)
{
	/* Every token of the text, each quoted (so no FTS5 operator can be injected), joined
	   with spaces: FTS5 reads that as AND. */
	const unsigned char *p = (const unsigned char *)text;
	size_t len = text ? strlen(text) : 0, used = 0, i = 0;
	int tokens = 0;

	if (!out || n == 0)
		return -1;
	out[0] = '\0';
	while (i < len) {
		int l;
		unsigned c = decode(p + i, (int)(len - i), &l);
		size_t start = i, end;

		if (is_han(c)) {
			end = i + (size_t)l;
		} else if (is_word(c)) {
			end = i;
			while (end < len && is_word(p[end]))
				end++;
		} else {
			i += (size_t)l;
			continue;
		}
		if (used + (end - start) + 4 >= n)
			return -1;
		used += (size_t)snprintf(out + used, n - used, "%s\"%.*s\"", tokens ? " " : "",
		                         (int)(end - start), text + start);
		tokens++;
		i = end;
	}
	/* Adjacent Han characters must also be adjacent in the text: their bigrams. */
	for (i = 0; i < len;) {
		int l, l2;
		unsigned c = decode(p + i, (int)(len - i), &l);

		if (is_han(c) && i + (size_t)l < len &&
		    is_han(decode(p + i + l, (int)(len - i - (size_t)l), &l2))) {
			if (used + (size_t)(l + l2) + 4 >= n)
				return -1;
			used += (size_t)snprintf(out + used, n - used, " \"%.*s\"", l + l2,
			                         text + i);
		}
		i += (size_t)l;
	}
	return tokens;
}
