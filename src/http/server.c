/*
 * libmicrohttpd glue. The access handler follows the documented two-call pattern: the first call
 * only creates the request context (answering there would silently turn keep-alive off), upload
 * calls fill the bounded body buffer, and the final call dispatches to the route's handler or the
 * static file server and queues the response. The completion callback writes the access log line
 * and frees the context.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "base/clock.h"
#include "base/log.h"
#include "domain/access.h"
#include "http/csp.h"
#include "http/http.h"
#include "http/multipart.h"
#include "http/proxy.h"
#include "http/server.h"

#define MAX_EXTRA_HEADERS 8

struct req {
	struct app *app;
	struct MHD_Connection *conn;
	char id[17];
	char method[16];
	char *path; /* decoded path, owned */
	struct route_match match;
	int is_static;
	int too_large;
	size_t discarded; /* body bytes dropped after too_large */
	int64_t start_us;
	struct buf body;
	json_t *json;
	/* ROUTE_MULTIPART routes sent multipart/form-data: the parsed form (http/multipart.h), and
	   the body bytes it was given (counted against the route's limit). */
	struct multipart *form;
	uint64_t received;
	char client[INET6_ADDRSTRLEN];
	/* response */
	int status;
	struct buf out;
	const char *content_type;
	int fd; /* static file, -1 when none */
	uint64_t fd_size;
	char *hdr_name[MAX_EXTRA_HEADERS];
	char *hdr_value[MAX_EXTRA_HEADERS];
	int nhdr;
	/* caller (set by the authorize hook) */
	const struct principal *principal;
	void *auth;
	void (*auth_release)(void *);
	int audited;
	/* a streamed response (resp_stream), and the body bytes it sent */
	struct http_stream *stream;
	uint64_t streamed;
};

/* A streamed response. Every field but ops and state is guarded by streams_lock; the list of
   open streams lets shutdown end them (a suspended connection must be resumed before the
   daemon stops). */
struct http_stream {
	struct http_stream *prev, *next;
	struct MHD_Connection *conn;
	const struct http_stream_ops *ops;
	void *state;
	int suspended; /* parked by the reader, not yet resumed */
	int woken;     /* a wake arrived while the reader ran */
};

static pthread_mutex_t streams_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_stream *streams_head;
static unsigned streams_open;

static atomic_int http_in_flight;
static atomic_int http_stopping; /* set on SIGTERM/SIGINT: answers then close their connection */

/* ---- accessors for api/ ---- */

struct app *req_app(struct req *r)
{
	return r->app;
}

const char *req_method(struct req *r)
{
	return r->method;
}

const char *req_path(struct req *r)
{
	return r->path;
}

const char *req_id(struct req *r)
{
	return r->id;
}

const char *req_param(struct req *r, const char *name)
{
	size_t len = strlen(name);

	for (int i = 0; i < r->match.nparams; i++)
		if (r->match.name_len[i] == len && memcmp(r->match.names[i], name, len) == 0)
			return r->match.values[i];
	return NULL;
}

const char *req_query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_client_addr(struct req *r)
{
	return r->client;
}

const struct buf *req_body(struct req *r)
{
	return &r->body;
}

const struct multipart *req_multipart(struct req *r)
{
	return r->form;
}

const struct principal *req_principal(struct req *r)
{
	return r->principal ? r->principal : access_anonymous();
}

const char *req_cookie(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const struct route *req_route(struct req *r)
{
	return r->match.route;
}

int req_status(struct req *r)
{
	return r->status;
}

void req_set_principal(struct req *r, const struct principal *p, void *owner,
                       void (*release)(void *))
{
	if (r->auth && r->auth_release)
		r->auth_release(r->auth);
	r->principal = p;
	r->auth = owner;
	r->auth_release = release;
}

void *req_auth(struct req *r)
{
	return r->auth;
}

void req_set_audited(struct req *r)
{
	r->audited = 1;
}

int req_audited(struct req *r)
{
	return r->audited;
}

json_t *req_json_or_respond(struct req *r)
{
	const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	json_error_t jerr;

	if (r->json)
		return r->json;
	/* application/json exactly, maybe with parameters; not application/jsonp. */
	if (ct && (strncasecmp(ct, "application/json", 16) != 0 ||
	           (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ' && ct[16] != '\t'))) {
		resp_error(r, 415, "unsupported_media_type", "请求内容类型必须是 application/json");
		return NULL;
	}
	if (r->body.len == 0) {
		resp_error(r, 400, "empty_body", "请求体为空，需要 JSON 对象");
		return NULL;
	}
	r->json = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->json) {
		char msg[256];
		snprintf(msg, sizeof msg, "JSON 格式错误（第 %d 行第 %d 列）", jerr.line,
		         jerr.column);
		resp_error(r, 400, "malformed_json", msg);
		return NULL;
	}
	if (!json_is_object(r->json)) {
		json_decref(r->json);
		r->json = NULL;
		resp_error(r, 400, "not_an_object", "请求体必须是 JSON 对象");
		return NULL;
	}
	return r->json;
}

/* ---- responses ---- */

void resp_header(struct req *r, const char *name, const char *value)
{
	if (r->nhdr == MAX_EXTRA_HEADERS)
		return;
	r->hdr_name[r->nhdr] = strdup(name);
	r->hdr_value[r->nhdr] = strdup(value);
	if (!r->hdr_name[r->nhdr] || !r->hdr_value[r->nhdr]) {
		free(r->hdr_name[r->nhdr]);
		free(r->hdr_value[r->nhdr]);
		return;
	}
	r->nhdr++;
}

void resp_bytes(struct req *r, int status, const char *content_type, const void *p, size_t n)
{
	buf_reset(&r->out);
	r->status = status;
	r->content_type = content_type;
	if (buf_append(&r->out, p, n) < 0) {
		r->status = 500;
		r->content_type = "application/json; charset=utf-8";
		buf_reset(&r->out);
		buf_puts(&r->out, "{\"error\":{\"code\":\"response_too_large\","
		                  "\"message\":\"响应过大\"}}");
	}
}

void resp_file(struct req *r, int status, const char *content_type, int fd, uint64_t size)
{
	buf_reset(&r->out);
	if (r->fd >= 0)
		close(r->fd);
	r->status = status;
	r->content_type = content_type;
	r->fd = fd;
	r->fd_size = size;
}

void resp_json(struct req *r, int status, json_t *body)
{
	char *text;

	if (!body) {
		resp_error(r, 500, "internal", "服务器内部错误");
		return;
	}
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text) {
		resp_error(r, 500, "internal", "服务器内部错误");
		return;
	}
	resp_bytes(r, status, "application/json; charset=utf-8", text, strlen(text));
	free(text);
}

void resp_error(struct req *r, int status, const char *code, const char *message)
{
	json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);

	if (status >= 500)
		log_error("request.error", "status=%d code=%s", status, code);
	resp_json(r, status, body);
}

/* ---- static files ---- */

/* The only files served: the extensions the web UI has (web/ and web/vendor/ after scripts/setup
   hold .html, .js, .css, .svg and .png). An allow-list, so a --web pointed by mistake at the
   folder of the database serves neither the database, its -wal and -shm, the key files, the head
   record nor DB.accounts.json. Add an extension here when the web UI gets a file of a new type. */
static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
};

/* The one JSON file the UI reads (optional map tiles, web/config.json). Named exactly, at the root
   only: ".json" is not on the allow-list, since DB.accounts.json must never be served. */
#define WEB_CONFIG_FILE "/config.json"

/* The content type of the resolved path (below root, rl bytes long), or NULL when it is not on
   the allow-list. */
static const char *mime_for(const char *path, const char *root, size_t rl)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');

	if (strncmp(path, root, rl) == 0 && strcmp(path + rl, WEB_CONFIG_FILE) == 0)
		return "application/json; charset=utf-8";

	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof mime_types / sizeof mime_types[0]; i++)
			if (strcasecmp(dot, mime_types[i].ext) == 0)
				return mime_types[i].type;
	return NULL;
}

/* Refuses anything that could name a file outside web/: dot-dot segments, backslashes, hidden
   files, control bytes. The realpath prefix check below is the second line of defence. */
static int static_path_ok(const char *p)
{
	if (p[0] != '/')
		return 0;
	for (const char *s = p; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '\\')
			return 0;
		if (c == '/' && s[1] == '.')
			return 0; /* "..", "." and dotfiles */
	}
	return 1;
}

/* What a resolved path must be to be served: inside the root (the '/' after the prefix too:
   "/srv/web-old" starts with "/srv/web"), no dot-file or dot-directory below the root (a symlink
   can lead into one even when the requested path has none), and an allowed extension (judged on
   the file itself, so a link named x.html onto a key file is refused). */
static int static_real_ok(const char *real, const char *root, size_t rl)
{
	return strncmp(real, root, rl) == 0 && real[rl] == '/' && !strstr(real + rl, "/.") &&
	       mime_for(real, root, rl) != NULL;
}

static void serve_static(struct req *r)
{
	char full[PATH_MAX], real[PATH_MAX];
	const char *root = r->app->web_root;
	const char *path = r->path;
	struct stat st;
	size_t rl = strlen(root);
	char etag[48];
	const char *inm;
	int fd = -1;

	if (!root[0] || !static_path_ok(path))
		goto not_found;
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if ((size_t)snprintf(full, sizeof full, "%s%s", root, path) >= sizeof full ||
	    !realpath(full, real))
		goto not_found;
	if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0') ||
		    (size_t)snprintf(full, sizeof full, "%s/index.html", real) >= sizeof full ||
		    !realpath(full, real))
			goto not_found;
	}
	if (!static_real_ok(real, root, rl))
		goto not_found;
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto not_found;
	/* no-cache plus an ETag: browsers revalidate (cheap 304) and never mix library versions. */
	snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_mtime,
	         (unsigned long long)st.st_size);
	resp_header(r, "Cache-Control", "no-cache");
	resp_header(r, "ETag", etag);
	r->content_type = mime_for(real, root, rl);
	inm = req_header(r, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		r->status = 304;
		goto out;
	}
	r->fd = fd; /* closed by libmicrohttpd, or by req_free */
	fd = -1;
	r->fd_size = (uint64_t)st.st_size;
	r->status = 200;
	goto out;
not_found:
	resp_error(r, 404, "not_found", "请求的资源不存在");
out:
	if (fd >= 0)
		close(fd);
}

/* ---- the access handler ---- */

/* A request id is a per-thread random prefix and a counter: unique without a getrandom(2) call per
   request, which cost about 1.5 µs each in the bench. */
static void new_request_id(char out[17])
{
	static const char hex[] = "0123456789abcdef";
	static _Thread_local uint32_t prefix, counter;
	uint64_t v;

	if (!prefix && !counter) {
		randombytes_buf(&prefix, sizeof prefix);
		randombytes_buf(&counter, sizeof counter);
	}
	v = (uint64_t)prefix << 32 | counter++;
	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[16] = '\0';
}

static void client_address(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "-");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          out, (socklen_t)n);
}

static struct req *req_new(struct app *app, struct MHD_Connection *conn, const char *method,
                           const char *url)
{
	struct req *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->app = app;
	r->conn = conn;
	r->fd = -1;
	r->start_us = clock_mono_us();
	snprintf(r->method, sizeof r->method, "%s", method);
	r->path = strdup(url);
	buf_init(&r->out, 64u * 1024 * 1024);
	buf_init(&r->body, app->cfg->max_body ? app->cfg->max_body : HTTP_DEFAULT_MAX_BODY);
	new_request_id(r->id);
	client_address(conn, r->client, sizeof r->client);
	if (app->cfg->trusted_proxies && app->cfg->trusted_proxies->n) {
		char peer[sizeof r->client];

		memcpy(peer, r->client, sizeof peer);
		proxy_client_addr(
		        app->cfg->trusted_proxies, peer,
		        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For"),
		        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Real-IP"), r->client);
	}
	if (!r->path) {
		free(r);
		return NULL;
	}
	return r;
}

static void stream_free(struct http_stream *s)
{
	/* The owner forgets it first (no wake after this), then the list. */
	s->ops->release(s->state);
	pthread_mutex_lock(&streams_lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		streams_head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	streams_open--;
	pthread_mutex_unlock(&streams_lock);
	free(s);
}

static void req_free(struct req *r)
{
	if (r->stream)
		stream_free(r->stream);
	if (r->auth && r->auth_release)
		r->auth_release(r->auth);
	multipart_free(r->form);
	buf_release(&r->body);
	buf_release(&r->out);
	if (r->json)
		json_decref(r->json);
	if (r->fd >= 0)
		close(r->fd);
	for (int i = 0; i < r->nhdr; i++) {
		free(r->hdr_name[i]);
		free(r->hdr_value[i]);
	}
	free(r->path);
	free(r);
}

/* The body limit of JSON requests (routes that set none, and non-multipart bodies of
   ROUTE_MULTIPART routes). */
static size_t app_json_max(const struct app *app)
{
	return app->cfg->max_body ? app->cfg->max_body : HTTP_DEFAULT_MAX_BODY;
}

/* Set once by http_serve before the daemon starts; read by every request thread. */
static const struct http_hooks *http_hooks;

static void route_request(struct req *r)
{
	const struct route *rt;
	unsigned enabled =
	        ~(unsigned)ROUTE_GATING_FLAGS | (r->app->cfg->enable_internal ? ROUTE_INTERNAL : 0);
	size_t limit;

	if (strlen(r->path) > HTTP_MAX_URI) {
		r->status = 414;
		return;
	}
	router_match(http_hooks->routes, http_hooks->nroutes, r->method, r->path, enabled,
	             &r->match);
	rt = r->match.route;
	if (!rt && !r->match.method_mismatch && strncmp(r->path, "/api/", 5) != 0 &&
	    (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)) {
		r->is_static = 1;
		limit = 0;
	} else {
		limit = rt && rt->max_body ? rt->max_body : r->body.max;
	}
	r->body.max = limit;
}

/* 1 when the handler set the response header name (resp_header). */
static int has_header(const struct req *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr_name[i], name) == 0)
			return 1;
	return 0;
}

/* ---- streamed responses ---- */

/* The block a stream's produce fills at a time (MHD's buffer per call). Small: it is allocated
   per response (an idle stream keeps it), and an event is about 200 bytes. */
#define HTTP_STREAM_BLOCK 512

struct http_stream *resp_stream(struct req *r, int status, const char *content_type,
                                const struct http_stream_ops *ops, void *state)
{
	struct http_stream *s = calloc(1, sizeof *s);

	if (!s || r->stream) {
		free(s);
		resp_error(r, 500, "internal", "服务器内部错误");
		return NULL;
	}
	s->conn = r->conn;
	s->ops = ops;
	s->state = state;
	buf_reset(&r->out);
	r->status = status;
	r->content_type = content_type;
	r->stream = s;
	pthread_mutex_lock(&streams_lock);
	s->next = streams_head;
	if (streams_head)
		streams_head->prev = s;
	streams_head = s;
	streams_open++;
	pthread_mutex_unlock(&streams_lock);
	return s;
}

/* Under streams_lock. */
static void stream_wake_locked(struct http_stream *s)
{
	if (s->suspended) {
		s->suspended = 0;
		MHD_resume_connection(s->conn);
	} else {
		s->woken = 1;
	}
}

void http_stream_wake(struct http_stream *s)
{
	pthread_mutex_lock(&streams_lock);
	stream_wake_locked(s);
	pthread_mutex_unlock(&streams_lock);
}

unsigned http_stream_count(void)
{
	unsigned n;

	pthread_mutex_lock(&streams_lock);
	n = streams_open;
	pthread_mutex_unlock(&streams_lock);
	return n;
}

/* Shutdown: every stream ends at its next produce; parked ones are resumed to get there. */
static void streams_end_all(void)
{
	pthread_mutex_lock(&streams_lock);
	for (struct http_stream *s = streams_head; s; s = s->next)
		stream_wake_locked(s);
	pthread_mutex_unlock(&streams_lock);
}

/* MHD's content reader of a stream. Returning 0 is allowed only with the connection suspended
   (else MHD would call again at once: a busy loop), so the reader parks the connection under
   streams_lock unless a wake came in while produce ran; then it asks produce again. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct req *r = cls;
	struct http_stream *s = r->stream;

	(void)pos;
	for (;;) {
		long n;

		if (atomic_load(&http_stopping))
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&streams_lock);
		s->woken = 0;
		pthread_mutex_unlock(&streams_lock);
		n = s->ops->produce(s->state, buf, max);
		if (n < 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (n > 0) {
			r->streamed += (uint64_t)n;
			return (ssize_t)n;
		}
		pthread_mutex_lock(&streams_lock);
		if (!s->woken && !atomic_load(&http_stopping)) {
			s->suspended = 1;
			MHD_suspend_connection(r->conn);
			pthread_mutex_unlock(&streams_lock);
			return 0;
		}
		pthread_mutex_unlock(&streams_lock);
	}
}

static int queue_response(struct req *r)
{
	struct MHD_Response *resp;
	int ret;

	if (r->status == 0)
		resp_error(r, 500, "no_response", "服务器内部错误：处理程序未返回结果");
	if (r->stream) {
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK,
		                                         stream_reader, r, NULL);
	} else if (r->fd >= 0) {
		resp = MHD_create_response_from_fd64(r->fd_size, r->fd);
		if (resp)
			r->fd = -1; /* MHD closes it */
	} else {
		resp = MHD_create_response_from_buffer(r->out.len, r->out.data,
		                                       MHD_RESPMEM_MUST_COPY);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        r->content_type ? r->content_type
	                                        : "application/json; charset=utf-8");
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	/* While shutting down, keep-alive clients must not keep the server busy forever. */
	if (atomic_load(&http_stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	MHD_add_response_header(resp, "Content-Security-Policy", csp_policy());
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (!r->is_static && !has_header(r, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Answers a multipart body the parser refused (http/multipart.h). */
static void form_error(struct req *r, int status)
{
	char msg[160];

	if (status == 413) {
		(void)snprintf(msg, sizeof msg, "上传的文件过大或过多（单个文件不超过 %u MB）",
		               MULTIPART_FILE_MAX / (1024 * 1024));
		resp_error(r, 413, "body_too_large", msg);
	} else if (status == 503) {
		resp_error(r, 503, "upload_failed", "保存上传的文件失败，请稍后重试");
	} else {
		resp_error(r, 400, "malformed_form", "表单格式错误（multipart/form-data）");
	}
}

static void dispatch(struct req *r)
{
	log_set_request_id(r->id);
	if (r->too_large && r->form && r->form->error == 413) {
		form_error(r, 413);
	} else if (r->too_large) {
		char msg[128];
		snprintf(msg, sizeof msg, "请求体超过上限 %zu 字节", r->body.max);
		resp_error(r, 413, "body_too_large", msg);
	} else if (r->form && multipart_finish(r->form) < 0) {
		form_error(r, r->form->error);
	} else if (r->is_static) {
		serve_static(r);
	} else if (r->match.route) {
		if (http_hooks->authorize(r) == 0)
			r->match.route->handler(r);
		http_hooks->after(r);
	} else if (r->match.method_mismatch) {
		resp_header(r, "Allow", r->match.allow);
		resp_error(r, 405, "method_not_allowed", "该地址不支持此请求方法");
	} else {
		resp_error(r, 404, "not_found", "请求的接口不存在");
	}
	log_set_request_id(NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct app *app = cls;
	struct req *r = *con_cls;

	(void)version;
	if (!r) {
		const char *cl;

		r = req_new(app, conn, method, url);
		if (!r)
			return MHD_NO;
		atomic_fetch_add(&http_in_flight, 1);
		*con_cls = r;
		route_request(r);
		if (r->status == 414) {
			resp_error(r, 414, "uri_too_long", "请求地址过长");
			return (enum MHD_Result)queue_response(r);
		}
		if (r->match.route && (r->match.route->flags & ROUTE_MULTIPART)) {
			/* Only a multipart body may be as large as the route allows (it is
			   streamed to files); any other body of the route is JSON, held in
			   memory under the default limit. */
			r->form = multipart_new(conn, app->upload_tmp_dir);
			if (!r->form && r->body.max > app_json_max(app))
				r->body.max = app_json_max(app);
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno || *end || n > r->body.max) {
				/* Refuse before reading the body. Answering in the first call is
				   the one place MHD accepts an early response; it then closes the
				   connection instead of reading what was announced. */
				r->too_large = 1;
				dispatch(r);
				return (enum MHD_Result)queue_response(r);
			}
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->form && !r->too_large) {
			if (__builtin_add_overflow(r->received, *upload_size, &r->received) ||
			    r->received > r->body.max)
				r->too_large = 1;
			else if (!r->form->error)
				(void)multipart_feed(r->form, upload, *upload_size);
			if (r->form->error == 413)
				r->too_large = 1;
		} else if (!r->too_large && buf_append(&r->body, upload, *upload_size) < 0)
			r->too_large = 1;
		if (r->too_large) {
			/* A chunked body that outgrew the limit: drop it, answer 413 at its end,
			   but cut the connection if the sender keeps going far past the limit. */
			if (__builtin_add_overflow(r->discarded, *upload_size, &r->discarded) ||
			    r->discarded > HTTP_MAX_DISCARD)
				return MHD_NO;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->status)
		return MHD_YES; /* answered in the first call */
	dispatch(r);
	return (enum MHD_Result)queue_response(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	char path[256];

	(void)cls;
	(void)conn;
	if (!r)
		return;
	log_set_request_id(r->id);
	/* Buffered per thread (base/log.h): one write(2) per hundred lines instead of one per
	   request; written within LOG_FLUSH_MS, and all of it at shutdown. */
	log_event_buffered(LOG_INFO, "request",
	                   "method=%s path=%s status=%d bytes=%zu dur_us=%lld client=%s%s",
	                   r->method, log_quote(r->path, path, sizeof path), r->status,
	                   r->stream    ? (size_t)r->streamed
	                   : r->fd_size ? (size_t)r->fd_size
	                                : r->out.len,
	                   (long long)(clock_mono_us() - r->start_us), r->client,
	                   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
	log_set_request_id(NULL);
	req_free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&http_in_flight, 1);
}

/* fmt comes from libmicrohttpd; the attribute lets the compiler accept it as a format. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512], q[600];

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("http.mhd", "message=%s", log_quote(msg, q, sizeof q));
}

void http_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Each connection is a descriptor: the soft limit goes up to what the streams need (at most
   the hard limit; a shortfall is logged, and accept then fails beyond it). */
static void raise_fd_limit(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warn("http.fd_limit", "want=%llu have=%llu", (unsigned long long)want,
		         (unsigned long long)rl.rlim_cur);
}

int http_serve(struct app *app, const struct http_hooks *hooks)
{
	const struct app_config *cfg = app->cfg;
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME;
	sigset_t set;
	int sig = 0;
	MHD_socket lsock;
	int64_t deadline;

	http_hooks = hooks;
	memset(&ss, 0, sizeof ss);
	if (strchr(cfg->listen_addr, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)cfg->port);
		if (inet_pton(AF_INET6, cfg->listen_addr, &a6->sin6_addr) != 1)
			goto bad_addr;
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)cfg->port);
		if (inet_pton(AF_INET, cfg->listen_addr, &a4->sin_addr) != 1)
			goto bad_addr;
	}
	csp_init(app->web_root);
	raise_fd_limit((rlim_t)HTTP_MAX_CONNECTIONS + cfg->max_streams + 256);
	if (log_buffer_start(LOG_FLUSH_MS) != 0)
		log_warn("log.unbuffered", "reason=%s", "the log flusher did not start");
	d = MHD_start_daemon(
	        flags, (uint16_t)cfg->port, NULL, NULL, on_request, app, MHD_OPTION_EXTERNAL_LOGGER,
	        on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 4),
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS + cfg->max_streams,
	        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_S,
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MAX_HEADER_BYTES,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!d) {
		log_error("http.start_failed", "addr=%s port=%u error=\"%s\"", cfg->listen_addr,
		          cfg->port, strerror(errno));
		log_buffer_stop();
		return -1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	log_notice("listening", "addr=%s port=%u threads=%u", cfg->listen_addr,
	           info ? (unsigned)info->port : cfg->port, cfg->threads);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	while (sigwait(&set, &sig) != 0)
		;
	atomic_store(&http_stopping, 1);
	log_notice("shutdown", "signal=%d in_flight=%d", sig, atomic_load(&http_in_flight));
	lsock = MHD_quiesce_daemon(d);
	/* Stop listening now: connections queued in the backlog or arriving later are refused at
	   once instead of hanging until exit. shutdown, not close: MHD's threads may still hold
	   the descriptor until MHD_stop_daemon. */
	if (lsock != MHD_INVALID_SOCKET)
		shutdown(lsock, SHUT_RDWR);
	streams_end_all();
	deadline = clock_mono_ms() + HTTP_SHUTDOWN_GRACE_MS;
	while (atomic_load(&http_in_flight) > 0 && clock_mono_ms() < deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(d);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	/* Every access-log line before "stopped": the request threads wrote theirs as they exited
	   and this writes what any other thread still holds. */
	log_buffer_stop();
	log_notice("stopped", "in_flight=%d", atomic_load(&http_in_flight));
	return 0;
bad_addr:
	log_error("http.bad_listen_address", "addr=%s", cfg->listen_addr);
	return -1;
}
