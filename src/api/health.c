/*
 * GET /healthz: status, version, database reachability and schema version, uptime and server time.
 * Answers 503 when the database cannot be read, so a load balancer takes the node out.
 */
#include "api/api.h"
#include "app.h"
#include "base/clock.h"
#include "domain/health.h"

void api_healthz(struct req *r)
{
	struct app *app = req_app(r);
	struct health h;
	char now[32];
	int64_t t = clock_now();
	int ok;

	health_read(app->store, &h);
	ok = h.database_ok && h.schema_version == h.schema_latest;
	resp_json(r, ok ? 200 : 503,
	          json_pack("{s:s,s:s,s:s,s:i,s:I,s:s}", "status", ok ? "ok" : "degraded",
	                    "version", WANGGE_VERSION, "database",
	                    h.database_ok ? "ok" : "unavailable", "schema_version",
	                    h.schema_version, "uptime_s", (json_int_t)(t - app->started_at), "time",
	                    clock_format_local(t, now, sizeof now)));
}
