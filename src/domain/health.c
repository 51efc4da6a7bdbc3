/*
 * Health: one cheap read proves the database file is reachable and readable from this thread.
 */
#include "domain/health.h"
#include "store/store.h"

void health_read(struct store *s, struct health *out)
{
	struct store_conn *c = store_reader(s);

	out->schema_latest = store_schema_latest();
	out->schema_version = c ? store_schema_version(c) : -1;
	out->database_ok = out->schema_version >= 0;
}
