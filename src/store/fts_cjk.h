/*
 * Full-text search of Chinese names and addresses: the FTS5 tokenizer "wg_cjk", registered on
 * every connection the store opens, and the query builder that goes with it. A table declared
 * `USING fts5(name, tokenize = 'wg_cjk')` then finds 张三 in 张三丰 and in 李张三, and a
 * two-character name exactly (characters and their bigrams; see fts_cjk.c).
 *
 * This is the store's side of name search, so the backend-specific part (FTS5 here; tsvector
 * on PostgreSQL) stays behind these two functions.
 */
#ifndef WANGGE_STORE_FTS_CJK_H
#define WANGGE_STORE_FTS_CJK_H

#include <stddef.h>

typedef struct sqlite3 sqlite3;

/* Registers the tokenizer on a connection. 0, or -1 (FTS5 missing). */
int fts_cjk_register(sqlite3 *db);

/* The MATCH expression for what a person typed: each of its tokens quoted (no FTS5 syntax can
   be injected) and the bigrams of adjacent Han characters, all required. Returns the number of
   tokens (0: nothing to search for), or -1 when out is too small. */
int fts_cjk_query(const char *text, char *out, size_t n);

#endif
