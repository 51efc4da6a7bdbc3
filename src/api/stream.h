/*
 * The live streams' lifetime in the server (api/stream.c, docs/api-stream.md): `wangge serve`
 * starts them after opening the change feed (domain/matter_feed.h) and stops them after the
 * HTTP server returned. The handler itself is api_stream in api.h's route table.
 */
#ifndef WANGGE_API_STREAM_H
#define WANGGE_API_STREAM_H

struct app_config;

#define STREAM_DEFAULT_MAX 10000  /* --max-streams */
#define STREAM_DEFAULT_PER_USER 8 /* --max-streams-per-user */
#define STREAM_HEARTBEAT_MS 20000 /* a comment line this often keeps proxies from closing */

/* Takes the caps from cfg (0: the defaults), listens to the feed and starts the heartbeat
   thread. 0, or -1 when the thread did not start. */
int api_streams_start(const struct app_config *cfg);
/* Stops the heartbeat thread and the listener. Call after http_serve returned. */
void api_streams_stop(void);
/* Streams open now. */
unsigned api_stream_count(void);

#include "base/banned.h"
#endif
