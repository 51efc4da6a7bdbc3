/*
 * Schema migrations: src/store/schema/NNN_name.sql, compiled into the binary in version order by
 * cmake/embed_schema.cmake. A migration is never edited once released; a change is a new file.
 */
#ifndef WANGGE_STORE_MIGRATE_H
#define WANGGE_STORE_MIGRATE_H

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration store_migrations[];
extern const int store_migration_count;

#include "base/banned.h"
#endif
