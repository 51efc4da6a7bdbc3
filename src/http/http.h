/*
 * The HTTP layer's contract with api/: a request as handlers see it, the response helpers, and the
 * route table. Handlers never see libmicrohttpd; they read parameters and the JSON body through
 * these functions and answer with resp_json or resp_error. Every error leaves the server as
 * {"error":{"code":"...","message":"..."}} with a Chinese message, and every response carries the
 * request id in X-Request-Id.
 */
#ifndef WANGGE_HTTP_HTTP_H
#define WANGGE_HTTP_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct app;
struct req;

/* Named limits. Each can be overridden by configuration where the server is started. */
#define HTTP_DEFAULT_MAX_BODY (64 * 1024) /* JSON bodies of ordinary routes */
#define HTTP_MAX_URI 2048                 /* longer request targets are refused with 414 */
#define HTTP_MAX_HEADER_BYTES (32 * 1024) /* per-connection memory for headers */
#define HTTP_MAX_CONNECTIONS 1024
#define HTTP_CONNECTION_TIMEOUT_S 30
#define HTTP_MAX_PARAMS 8
#define HTTP_MAX_DISCARD (1024 * 1024) /* over-limit chunked bytes read before closing */
#define HTTP_SHUTDOWN_GRACE_MS 10000   /* how long in-flight requests may finish */

typedef void (*route_handler)(struct req *r);

/* One row of the route table. pattern segments starting with ':' capture a parameter. */
struct route {
	const char *method;
	const char *pattern;
	route_handler handler;
	const char *permission; /* "public" for routes open to anyone; see docs/api.md */
	size_t max_body;        /* 0 means HTTP_DEFAULT_MAX_BODY; bodies above it get 413 */
	unsigned flags;
};

/* Route flags. */
#define ROUTE_INTERNAL 1u /* test-only routes, served only with --enable-internal */
#define ROUTE_SELF 2u /* allowed for a caller who must first change the password or enrol TOTP */
/* The route takes multipart/form-data (fields and files, http/multipart.h) up to max_body bytes,
   streamed to temporary files; its other bodies (JSON) keep the default limit. */
#define ROUTE_MULTIPART 4u
/* Flags that hide a route unless enabled (the others only describe it). */
#define ROUTE_GATING_FLAGS ROUTE_INTERNAL

/* Matching. Returns the route for method+path and fills params (values point into a copy owned
   by the caller's scratch space); *method_mismatch is set when the path exists with other methods
   only. allow receives those methods ("GET, POST"). */
struct route_match {
	const struct route *route;
	int nparams;
	const char *names[HTTP_MAX_PARAMS]; /* point into the pattern: compare name_len bytes */
	size_t name_len[HTTP_MAX_PARAMS];
	char *values[HTTP_MAX_PARAMS];
	char scratch[HTTP_MAX_URI + 1];
	int method_mismatch;
	char allow[64];
};
void router_match(const struct route *routes, size_t n, const char *method, const char *path,
                  unsigned enabled_flags, struct route_match *m);

/* Request accessors. Strings are borrowed and live as long as the request. */
struct app *req_app(struct req *r);
const char *req_method(struct req *r);
const char *req_path(struct req *r);
const char *req_id(struct req *r);
const char *req_param(struct req *r, const char *name); /* path parameter */
const char *req_query(struct req *r, const char *name); /* query string argument */
const char *req_header(struct req *r, const char *name);
const char *req_client_addr(struct req *r); /* textual peer address */
const struct buf *req_body(struct req *r);
/* The parsed multipart/form-data body of a ROUTE_MULTIPART route (http/multipart.h), or NULL
   when the request is not multipart. Borrowed: lives as long as the request. */
struct multipart;
const struct multipart *req_multipart(struct req *r);
/* The caller's principal (who is asking). Borrowed: lives as long as the request. Before the
   authentication step, and for anonymous callers, the anonymous principal (no rights, no scope). */
struct principal;
const struct principal *req_principal(struct req *r);
/* A cookie of the request, or NULL. */
const char *req_cookie(struct req *r, const char *name);
/* The matched route (NULL for static files and unmatched paths). */
const struct route *req_route(struct req *r);
/* Status of the response set so far (0 before any). */
int req_status(struct req *r);
/* Sets the caller: p stays valid until the request ends; owner (may be NULL) is passed to release
   when the request is freed. */
void req_set_principal(struct req *r, const struct principal *p, void *owner,
                       void (*release)(void *));
/* The owner given to req_set_principal (the identity layer's struct caller), or NULL. */
void *req_auth(struct req *r);
/* Marks that this request's audit entry was recorded (so the automatic one is skipped). */
void req_set_audited(struct req *r);
int req_audited(struct req *r);

/* What the layer above plugs into the server at start-up (http_serve), so http/ depends on
   nothing above it: the route table, the authentication and authorization step run before every
   route's handler (returns 0 to run the handler, or -1 after answering 401, 403, 503), and the
   step run after it (the audit record of state-changing requests the domain did not record). */
struct http_hooks {
	const struct route *routes;
	size_t nroutes;
	int (*authorize)(struct req *r);
	void (*after)(struct req *r);
};
/* Parses the body as a JSON object. On failure answers 400 (or 415 for a wrong content type) and
   returns NULL. The returned object is borrowed: it lives until the request ends. */
json_t *req_json_or_respond(struct req *r);

/* Responses. resp_json steals the reference to body. */
void resp_json(struct req *r, int status, json_t *body);
void resp_error(struct req *r, int status, const char *code, const char *message);
/* Sets an extra response header (copied). At most a few per response. */
void resp_header(struct req *r, const char *name, const char *value);
/* Raw bytes with a content type (copied). */
void resp_bytes(struct req *r, int status, const char *content_type, const void *p, size_t n);
/* The open file fd (size bytes) as the body; the response owns fd from here on. content_type is
   borrowed and must be static. A handler that sets Cache-Control (resp_header) replaces the
   default "no-store" of API answers. */
void resp_file(struct req *r, int status, const char *content_type, int fd, uint64_t size);

/* ---- streamed responses (server-sent events, api/stream.c) ----
 *
 * A response whose body is produced as it goes and may stay open for hours. It holds no thread:
 * when produce has nothing to send, the connection is suspended (libmicrohttpd's
 * MHD_suspend_connection) until http_stream_wake resumes it, from any thread. */
struct http_stream;
struct http_stream_ops {
	/* On the connection's thread: writes up to max bytes of the body into buf and returns how
	   many (> 0); 0 when there is nothing to send now (the connection is parked until
	   http_stream_wake); -1 to end the body. */
	long (*produce)(void *state, char *buf, size_t max);
	/* The connection ended: state is never used again. Called once, also when the response
	   never started. */
	void (*release)(void *state);
};
/* Answers r with a streamed body of content_type (static) through ops and state. Returns the
   stream's handle (valid until ops->release returns), or NULL when out of memory: then r
   answers 500 and ops->release is NOT called (the caller still owns state). */
struct http_stream *resp_stream(struct req *r, int status, const char *content_type,
                                const struct http_stream_ops *ops, void *state);
/* Makes produce run again soon (it may find nothing). Any thread; s must be valid. */
void http_stream_wake(struct http_stream *s);
/* Open streamed responses (for /healthz and the benchmarks). */
unsigned http_stream_count(void);
#include "base/banned.h"
#endif
