/*
 * `wangge serve`: opens the database (migrating it), serves HTTP until SIGTERM/SIGINT, then closes
 * the store, which lets the writer finish every queued write before the process exits.
 */
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/vault.h"
#include "cli/cli.h"
#include "geo/gridindex.h"
#include "domain/caller_cache.h"
#include "domain/matter_scheduler.h"
#include "domain/audit.h"
#include "domain/sealed.h"
#include "domain/security_config.h"
#include "domain/totp_enrol.h"
#include "domain/upload.h"
#include "api/api.h"
#include "api/stream.h"
#include "domain/matter_feed.h"
#include "http/http.h"
#include "http/proxy.h"
#include "http/ratelimit.h"
#include "http/server.h"
#include "store/files.h"
#include "store/store.h"

static void serve_usage(void)
{
	fputs("usage: wangge serve [--db PATH] [--listen ADDR:PORT] [--web DIR] [--threads N]\n"
	      "                    [--max-body BYTES] [--enable-internal] [--secure-cookies]\n"
	      "                    [--trusted-proxy ADDR[/BITS][,ADDR[/BITS]...]]\n"
	      "                    [--public-url URL] [--public-rate N]\n"
	      "                    [--max-streams N] [--max-streams-per-user N]\n"
	      "  --db PATH          database file (WANGGE_DB, default wangge.db)\n"
	      "  --listen ADDR:PORT address to listen on (WANGGE_LISTEN, default 127.0.0.1:8080;\n"
	      "                     port 0 picks a free port, logged as event=listening)\n"
	      "  --web DIR          web UI folder (WANGGE_WEB, default web)\n"
	      "  --threads N        HTTP worker threads (WANGGE_THREADS, default 8)\n"
	      "  --max-body BYTES   default request body limit (WANGGE_MAX_BODY, default 65536)\n"
	      "  --enable-internal  serve test-only internal routes (WANGGE_ENABLE_INTERNAL=1)\n"
	      "  --secure-cookies   mark session cookies Secure, for serving behind TLS\n"
	      "                     (WANGGE_SECURE_COOKIES=1)\n"
	      "  --trusted-proxy L  reverse proxies whose X-Forwarded-For / X-Real-IP name the\n"
	      "                     client (WANGGE_TRUSTED_PROXY; default none: the socket "
	      "address)\n"
	      "  --public-url URL   base URL printed on public notice boards, e.g.\n"
	      "                     https://wangge.example.cn (WANGGE_PUBLIC_URL; default: the\n"
	      "                     request's Host when it is a plain host name)\n"
	      "  --public-rate N    requests a minute per client address to the public pages\n"
	      "                     (WANGGE_PUBLIC_RATE, default 60; also the burst)\n"
	      "  --max-streams N    live update streams open at once (WANGGE_MAX_STREAMS,\n"
	      "                     default 10000; the server accepts this many connections more)\n"
	      "  --max-streams-per-user N   of them per user or API token\n"
	      "                     (WANGGE_MAX_STREAMS_PER_USER, default 8)\n"
	      "Security parameters (sessions, lockout, Argon2 cost) come from WANGGE_* variables;\n"
	      "see docs/security.md.\n",
	      stderr);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "web", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "enable-internal", no_argument, NULL, 'i' },
		{ "secure-cookies", no_argument, NULL, 's' },
		{ "trusted-proxy", required_argument, NULL, 'p' },
		{ "public-url", required_argument, NULL, 'u' },
		{ "public-rate", required_argument, NULL, 'r' },
		{ "max-streams", required_argument, NULL, 'm' },
		{ "max-streams-per-user", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct app_config cfg = { 0 };
	struct app app = { 0 };
	struct security_config idcfg;
	struct proxy_list proxies;
	const char *trusted = cli_env("WANGGE_TRUSTED_PROXY", "");
	int secure_cookies = 0;
	struct store_options so;
	char addr[64], err[512];
	const char *listen = cli_env("WANGGE_LISTEN", "127.0.0.1:8080");
	const char *threads = cli_env("WANGGE_THREADS", "8");
	const char *max_body = cli_env("WANGGE_MAX_BODY", "65536");
	const char *public_url = cli_env("WANGGE_PUBLIC_URL", "");
	const char *public_rate = cli_env("WANGGE_PUBLIC_RATE", "60");
	const char *max_streams = cli_env("WANGGE_MAX_STREAMS", "10000");
	const char *max_streams_user = cli_env("WANGGE_MAX_STREAMS_PER_USER", "8");
	unsigned rate;
	struct files *files = NULL;
	unsigned n;
	int64_t sealed;
	int c, rc = 1;

	cfg.db_path = cli_env("WANGGE_DB", "wangge.db");
	cfg.web_dir = cli_env("WANGGE_WEB", "web");
	cfg.enable_internal = strcmp(cli_env("WANGGE_ENABLE_INTERNAL", "0"), "1") == 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.db_path = optarg; break;
		case 'l': listen = optarg; break;
		case 'w': cfg.web_dir = optarg; break;
		case 't': threads = optarg; break;
		case 'b': max_body = optarg; break;
		case 'i': cfg.enable_internal = 1; break;
		case 's': secure_cookies = 1; break;
		case 'p': trusted = optarg; break;
		case 'u': public_url = optarg; break;
		case 'r': public_rate = optarg; break;
		case 'm': max_streams = optarg; break;
		case 'M': max_streams_user = optarg; break;
		case 'h': serve_usage(); return 0;
		default: serve_usage(); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "wangge serve: unexpected argument '%s'\n", argv[optind]);
		serve_usage();
		return 2;
	}
	if (cli_parse_listen(listen, addr, sizeof addr, &cfg.port) < 0) {
		fprintf(stderr, "wangge serve: bad --listen '%s' (want ADDR:PORT)\n", listen);
		return 2;
	}
	cfg.listen_addr = addr;
	if (cli_parse_uint(threads, 1, 256, &cfg.threads) < 0) {
		fprintf(stderr, "wangge serve: bad --threads '%s' (want 1..256)\n", threads);
		return 2;
	}
	if (cli_parse_uint(max_body, 1024, 64u * 1024 * 1024, &n) < 0) {
		fprintf(stderr, "wangge serve: bad --max-body '%s' (want 1024..67108864)\n",
		        max_body);
		return 2;
	}
	cfg.max_body = n;
	if (proxy_list_parse(trusted, &proxies, err, sizeof err) < 0) {
		fprintf(stderr, "wangge serve: bad --trusted-proxy '%s': %s\n", trusted, err);
		return 2;
	}
	cfg.trusted_proxies = &proxies;
	if (*public_url && cli_public_url_valid(public_url) < 0) {
		fprintf(stderr,
		        "wangge serve: bad --public-url '%s' (want http[s]://HOST[:PORT], no "
		        "path)\n",
		        public_url);
		return 2;
	}
	if (cli_parse_uint(public_rate, 1, 100000, &rate) < 0) {
		fprintf(stderr, "wangge serve: bad --public-rate '%s' (want 1..100000)\n",
		        public_rate);
		return 2;
	}
	if (cli_parse_uint(max_streams, 1, 1000000, &cfg.max_streams) < 0 ||
	    cli_parse_uint(max_streams_user, 1, 1000000, &cfg.max_streams_per_user) < 0) {
		fprintf(stderr, "wangge serve: bad --max-streams or --max-streams-per-user (want "
		                "1..1000000)\n");
		return 2;
	}
	app.public_url = *public_url ? public_url : NULL;
	security_config_default(&idcfg);
	if (security_config_from_env(&idcfg, err, sizeof err) < 0) {
		fprintf(stderr, "wangge serve: %s\n", err);
		return 2;
	}
	if (secure_cookies)
		idcfg.secure_cookies = 1;
	app.security = &idcfg;
	if (sodium_init() < 0) {
		fputs("wangge serve: libsodium failed to initialise\n", stderr);
		return 1;
	}
	/* Before any thread exists, so the writer and HTTP threads inherit the mask. */
	http_block_signals();
	app.cfg = &cfg;
	app.started_at = clock_now();
	if (!realpath(cfg.web_dir, app.web_root)) {
		log_warn("web.missing", "dir=%s", cfg.web_dir);
		app.web_root[0] = '\0';
	}
	store_options_default(&so, cfg.db_path);
	if (store_open(&so, &app.store, err, sizeof err) < 0) {
		log_error("store.open_failed", "db=%s error=\"%s\"", cfg.db_path, err);
		return 1;
	}
	log_info("store.open", "db=%s schema=%d", cfg.db_path, store_schema_latest());
	/* The audit key and the head record beside the database (domain/audit.h); refuses to make a
	   new key over an existing trail, and to serve a chain that lost its tail or was rolled
	   back behind the head record. */
	if (audit_open(app.store, cfg.db_path, app.audit_key, err, sizeof err) != 0) {
		log_error("audit.open_failed", "db=%s error=\"%s\"", cfg.db_path, err);
		fprintf(stderr, "wangge serve: %s\n", err);
		store_close(app.store);
		return 1;
	}
	/* Recovery codes are hashed with a key derived from the audit key (domain/totp_enrol.h);
	   codes stored before that (migration 008) are re-hashed once, keeping them valid. */
	totp_recovery_key_install(app.audit_key);
	{
		struct dom_ctx x;
		struct dom_err e = { 0 };
		int64_t rows = 0;

		dom_ctx_cli(&x, app.store, app.audit_key, app.security);
		if (totp_recovery_rekey(&x, &rows, &e) < 0) {
			log_error("totp.rekey_failed", "error=\"%s\"", e.message);
			goto out;
		}
		if (rows)
			log_notice("totp.rekeyed", "rows=%lld", (long long)rows);
	}
	/* The data key of the sealed personal fields (base/vault.h); refuses to make a new one when
	   the database already holds values sealed with a lost key (counted over every registered
	   column, domain/sealed.h), and refuses while a key rotation is unfinished. */
	sealed = sealed_count(store_reader(app.store));
	if (sealed < 0 || vault_global_load(cfg.db_path, sealed, err, sizeof err) != 0) {
		log_error("vault.key_failed", "db=%s error=\"%s\"", cfg.db_path,
		          sealed < 0 ? "cannot count the sealed values" : err);
		goto out;
	}
	/* Uploaded files beside the database (store/files.h): the domain commits into it, the
	   HTTP layer streams multipart files into its tmp folder. */
	if (files_open(cfg.db_path, &files, err, sizeof err) < 0) {
		log_error("files.open_failed", "db=%s error=\"%s\"", cfg.db_path, err);
		goto out;
	}
	upload_store_install(files);
	app.upload_tmp_dir = files_tmp_dir(files);
	/* The public pages' limit per client address (http/ratelimit.h). */
	app.public_limit = ratelimit_new(16384, rate, rate);
	if (!app.public_limit) {
		log_error("ratelimit.failed", "reason=%s", "out of memory");
		goto out;
	}
	/* The point -> grid index, built before serving so the first locate finds it. */
	app.grids = gridindex_holder_new();
	if (!app.grids || gridindex_rebuild(app.grids, app.store) < 0) {
		log_error("gridindex.build_failed", "db=%s", cfg.db_path);
		goto out;
	}
	/* Callers cached per session for a few seconds (domain/caller_cache.h). */
	if (caller_cache_open(app.store) < 0)
		log_warn("caller_cache.off", "reason=\"cannot start\"");
	/* The change feed of matters and the live streams that read it (api/stream.h); event ids
	   start above the start time in microseconds, so an id of an earlier run is never ours. */
	{
		/* Tests shrink the ring and the heartbeat (docs/api-stream.md). */
		const char *ring = getenv("WANGGE_FEED_RING"),
		           *beat = getenv("WANGGE_STREAM_HEARTBEAT_MS");
		unsigned long r = ring ? strtoul(ring, NULL, 10) : MATTER_FEED_DEFAULT_CAPACITY;
		unsigned long b = beat ? strtoul(beat, NULL, 10) : 0;

		if (r < 2 || r > 1000000)
			r = MATTER_FEED_DEFAULT_CAPACITY;
		cfg.stream_heartbeat_ms = b >= 100 && b <= 3600000 ? (unsigned)b : 0;
		if (matter_feed_open(r, (uint64_t)clock_now() * 1000000u) < 0 ||
		    api_streams_start(&cfg) < 0)
			log_warn("stream.off", "reason=\"cannot start\"");
	}
	/* Deadline colours (yellow / red) move with time, not with requests. Started after the
	   change feed it writes to, and stopped before it closes. */
	{
		const char *every = getenv("WANGGE_TICK_SECONDS");
		long interval = every ? strtol(every, NULL, 10) : 30;

		if (interval < 1 || interval > 3600)
			interval = 30;

		if (matter_scheduler_start(app.store, app.audit_key, app.security, (int)interval) <
		    0)
			log_warn("matter.scheduler_off", "reason=\"cannot start\"");
	}
	if (http_serve(&app, &api_http_hooks) == 0)
		rc = 0;
out:
	matter_scheduler_stop();
	api_streams_stop();
	matter_feed_close();
	caller_cache_close();
	gridindex_holder_free(app.grids);
	ratelimit_free(app.public_limit);
	upload_store_install(NULL);
	files_close(files);
	/* Every request has finished: the last update of the head record, then the store. */
	audit_head_close();
	store_close(app.store);
	sodium_memzero(app.audit_key, sizeof app.audit_key);
	log_notice("exit", "code=%d", rc);
	return rc;
}
