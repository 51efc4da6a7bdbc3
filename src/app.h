/*
 * What a running server shares with every request: the store, the configuration and start time.
 * Later modules (grid index, sessions) hang their state here. Created by `wangge serve`, borrowed
 * by handlers through req_app().
 */
#ifndef WANGGE_APP_H
#define WANGGE_APP_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct gridindex_holder;
struct proxy_list;
struct ratelimit;

struct app_config {
	const char *db_path;
	const char *listen_addr; /* IPv4 or IPv6 literal */
	unsigned port;           /* 0 picks a free port; the chosen one is logged */
	const char *web_dir;
	unsigned threads;
	size_t max_body;     /* default body limit for routes that do not set their own */
	int enable_internal; /* serve ROUTE_INTERNAL routes (tests only) */
	/* Reverse proxies whose X-Forwarded-For / X-Real-IP are believed (http/proxy.h); NULL or
	   empty: the socket address is the client. */
	const struct proxy_list *trusted_proxies;
	/* Live streams (api/stream.c): at most this many open at once (the server accepts this
	   many connections more), and this many per user or API token. */
	unsigned max_streams;
	unsigned max_streams_per_user;
	unsigned stream_heartbeat_ms; /* 0: STREAM_HEARTBEAT_MS (api/stream.h) */
};

struct security_config;

struct app {
	struct store *store;
	const struct app_config *cfg;
	const struct security_config *security; /* domain/security_config.h */
	unsigned char audit_key[32];            /* PATH.audit.key (domain/audit.h) */
	int64_t started_at;                     /* UTC seconds */
	char web_root[4096]; /* realpath of cfg->web_dir, or "" when there is none */
	/* The folder where multipart uploads are streamed (store/files.h: DB.files/tmp), so an
	   accepted file is committed by rename; NULL: multipart bodies are refused. */
	const char *upload_tmp_dir;
	/* The base URL printed on public notice boards ("https://wangge.example.cn", no trailing
	   slash; --public-url), or NULL: then the request's Host, if it is a plain host name. */
	const char *public_url;
	/* The per-address limit of the public pages (http/ratelimit.h); NULL: no limit. */
	struct ratelimit *public_limit;
	/* The point -> grid index (geo/gridindex.h); NULL when none was built. */
	struct gridindex_holder *grids;
};

#include "base/banned.h"
#endif
