/*
 * GET /api/v1/stream: live updates of the matters in the caller's scope as server-sent events
 * (docs/api-stream.md). Each open stream is a small struct in one list: its caller (borrowed
 * from the request, which lives as long as the connection), its cursor in the change feed
 * (domain/matter_feed.h) and when its next heartbeat is due. The connection holds no thread: when
 * there is nothing to send, the HTTP layer parks it (http/http.h, resp_stream) until a change
 * its caller may see, its heartbeat, or the shutdown wakes it.
 *
 *   - A change noted in the feed runs on_change: streams whose caller may see it are woken;
 *     the others that had read everything step over it, so an idle stream never lags behind.
 *   - A thread wakes each stream every heartbeat (20 s): it sends a comment line (so proxies
 *     keep the connection) after checking that the session (or API token) is still valid
 *     without counting as activity; a stream of an ended session ends there.
 *   - Last-Event-ID resumes after that event while it is in the ring; otherwise the stream
 *     sends "reset" and the client reloads its list.
 *   - At most cfg.max_streams streams, and cfg.max_streams_per_user per user or token: 503
 *     beyond either.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "api/stream.h"
#include "app.h"
#include "base/clock.h"
#include "base/log.h"
#include "domain/caller.h"
#include "domain/matter_feed.h"
#include "domain/session.h"
#include "domain/token.h"

#define STREAM_RETRY_MS 2000 /* the browser's reconnection delay */

struct stream {
	struct stream *prev, *next;
	struct http_stream *h;
	struct app *app;
	/* A copy of the caller's principal (its own grid list, no permissions: the route's
	   permission was checked), so the request's caller is let go at once: an idle stream
	   keeps only this struct. */
	struct principal p;
	int64_t *grids;
	int64_t owner;        /* user id, or -token id: the per-user cap */
	uint64_t cursor;      /* the next seq to look at */
	uint64_t ready_id;    /* the id the "ready" event carries (0: none, a resume) */
	int64_t next_beat_ms; /* monotonic */
	int64_t session_id;   /* 0 for API tokens */
	unsigned char session_hash[32];
	const char *token; /* "wgt_..." of an API token caller (request memory), or NULL */
	unsigned ready_sent : 1, once : 1, ending : 1;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct stream *head;
static unsigned nstreams;
static unsigned max_total = STREAM_DEFAULT_MAX, max_per_user = STREAM_DEFAULT_PER_USER;
static int64_t heartbeat_ms = STREAM_HEARTBEAT_MS;
static pthread_t beat_thread;
static int beat_running;
static pthread_cond_t beat_wake = PTHREAD_COND_INITIALIZER;

/* ---- the feed's listener ---- */

static void on_change(const struct matter_change *ch, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (struct stream *s = head; s; s = s->next) {
		if (!s->h)
			continue; /* still starting: its first read starts at its cursor anyway */
		if (matter_feed_visible(&s->p, &ch->keys))
			http_stream_wake(s->h);
		else if (s->cursor == ch->seq)
			s->cursor = ch->seq + 1;
	}
	pthread_mutex_unlock(&lock);
}

/* ---- heartbeats ---- */

static void *beat_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (beat_running) {
		struct timespec ts;
		int64_t now = clock_mono_ms();

		for (struct stream *s = head; s; s = s->next)
			if (s->h && now >= s->next_beat_ms)
				http_stream_wake(s->h);
		clock_gettime(CLOCK_REALTIME, &ts);
		/* every second, or every heartbeat when it is shorter (tests) */
		ts.tv_nsec += (heartbeat_ms < 1000 ? heartbeat_ms : 1000) * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		(void)pthread_cond_timedwait(&beat_wake, &lock, &ts);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int api_streams_start(const struct app_config *cfg)
{
	if (cfg->max_streams)
		max_total = cfg->max_streams;
	if (cfg->max_streams_per_user)
		max_per_user = cfg->max_streams_per_user;
	if (cfg->stream_heartbeat_ms)
		heartbeat_ms = cfg->stream_heartbeat_ms;
	matter_feed_listen(on_change, NULL);
	pthread_mutex_lock(&lock);
	beat_running = 1;
	pthread_mutex_unlock(&lock);
	if (pthread_create(&beat_thread, NULL, beat_main, NULL) != 0) {
		beat_running = 0;
		matter_feed_listen(NULL, NULL);
		return -1;
	}
	return 0;
}

void api_streams_stop(void)
{
	int joined;

	matter_feed_listen(NULL, NULL);
	pthread_mutex_lock(&lock);
	joined = beat_running;
	beat_running = 0;
	pthread_cond_signal(&beat_wake);
	pthread_mutex_unlock(&lock);
	if (joined)
		pthread_join(beat_thread, NULL);
}

/* ---- one stream ---- */

/* Appends text to buf (max bytes, *n used) when all of it fits. 1 when appended. */
static int put(char *buf, size_t max, size_t *n, const char *text, size_t len)
{
	if (len > max - *n)
		return 0;
	memcpy(buf + *n, text, len);
	*n += len;
	return 1;
}

/* The session or token behind the stream is still valid (checked without counting as
   activity). 1 valid, 0 ended; a database error keeps the stream (checked again next time). */
static int still_valid(struct stream *s)
{
	struct dom_ctx x;
	int rc;

	memset(&x, 0, sizeof x);
	x.store = s->app->store;
	x.caller = access_anonymous();
	x.now = clock_now();
	x.source = "stream";
	x.request_id = "";
	x.security = s->app->security;
	if (s->token) {
		struct caller c;

		caller_init(&c);
		rc = token_authenticate(&x, s->token, &c);
		caller_release(&c);
	} else if (s->session_id && x.security) {
		rc = session_alive(&x, s->session_hash);
	} else {
		rc = 0;
	}
	return rc != 0;
}

static long produce(void *state, char *buf, size_t max)
{
	struct stream *s = state;
	char text[512], data[320];
	size_t n = 0;
	int caught_up = 0, beat, len;
	int64_t now = clock_mono_ms();

	pthread_mutex_lock(&lock);
	if (s->ending) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	if (!s->ready_sent) {
		if (s->ready_id)
			len = snprintf(text, sizeof text,
			               "retry: %d\n\nevent: ready\nid: %" PRIu64 "\ndata: "
			               "{\"seq\":%" PRIu64 "}\n\n",
			               STREAM_RETRY_MS, s->ready_id, s->ready_id);
		else
			len = snprintf(text, sizeof text, "retry: %d\n\nevent: ready\ndata: {}\n\n",
			               STREAM_RETRY_MS);
		if (len > 0 && put(buf, max, &n, text, (size_t)len))
			s->ready_sent = 1;
	}
	while (s->ready_sent) {
		struct matter_change ch;
		uint64_t c = s->cursor;
		int rc = matter_feed_read(&c, &s->p, &ch);

		if (rc == 0) {
			s->cursor = c;
			caught_up = 1;
			break;
		}
		if (rc < 0) {
			/* The ring moved past the cursor (or it is of another run): the client
			   reloads, and goes on from here. */
			uint64_t next = matter_feed_next_seq();

			len = snprintf(text, sizeof text,
			               "event: reset\nid: %" PRIu64 "\ndata: {\"seq\":%" PRIu64
			               "}\n\n",
			               next - 1, next - 1);
			if (len < 0 || !put(buf, max, &n, text, (size_t)len))
				break;
			s->cursor = next;
			continue;
		}
		if (matter_change_json(&ch, data, sizeof data) < 0) {
			s->cursor = c; /* cannot happen with the fields it has; skip it */
			continue;
		}
		len = snprintf(text, sizeof text, "id: %" PRIu64 "\nevent: matter\ndata: %s\n\n",
		               ch.seq, data);
		if (len < 0 || !put(buf, max, &n, text, (size_t)len))
			break; /* sent next time */
		s->cursor = c;
	}
	beat = now >= s->next_beat_ms;
	if (beat)
		s->next_beat_ms = now + heartbeat_ms;
	if (s->once && caught_up)
		s->ending = 1; /* what was written now goes out; the next call ends */
	pthread_mutex_unlock(&lock);
	if (beat && !still_valid(s)) {
		pthread_mutex_lock(&lock);
		s->ending = 1;
		pthread_mutex_unlock(&lock);
		return n ? (long)n : -1;
	}
	if (beat && n == 0)
		put(buf, max, &n, ": keep-alive\n\n", 14);
	return (long)n;
}

static void release(void *state)
{
	struct stream *s = state;

	pthread_mutex_lock(&lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	nstreams--;
	pthread_mutex_unlock(&lock);
	free(s->grids);
	free(s);
}

static const struct http_stream_ops stream_ops = { .produce = produce, .release = release };

/* Parses Last-Event-ID into *seq. 1 when it is a number. */
static int parse_last_id(const char *v, uint64_t *seq)
{
	char *end = NULL;
	unsigned long long n;

	if (!v || !*v || *v == '-' || *v == '+')
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || !end || *end)
		return 0;
	*seq = n;
	return 1;
}

/* Under lock: the streams the owner holds. */
static unsigned owned_by(int64_t owner)
{
	unsigned n = 0;

	for (struct stream *s = head; s; s = s->next)
		n += s->owner == owner;
	return n;
}

void api_stream(struct req *r)
{
	struct caller *c = api_caller(r);
	const char *last = req_header(r, "Last-Event-ID"), *once = req_query(r, "once");
	const char *auth = req_header(r, "Authorization");
	struct http_stream *h;
	struct stream *s;
	uint64_t seq = 0;
	int refused = 0;

	if (once && strcmp(once, "1") != 0 && strcmp(once, "0") != 0) {
		resp_error(r, 400, "bad_param", "参数 once 应为 1 或 0");
		return;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		resp_error(r, 500, "internal", "服务器内部错误");
		return;
	}
	s->app = req_app(r);
	s->p = *req_principal(r);
	s->p.impl = NULL;
	s->p.grid_ids = NULL;
	if (s->p.ngrids) {
		s->grids = calloc(s->p.ngrids, sizeof *s->grids);
		if (!s->grids) {
			free(s);
			resp_error(r, 500, "internal", "服务器内部错误");
			return;
		}
		memcpy(s->grids, req_principal(r)->grid_ids, s->p.ngrids * sizeof *s->grids);
		s->p.grid_ids = s->grids;
	}
	s->owner = s->p.user_id ? s->p.user_id : -s->p.token_id;
	s->once = once && strcmp(once, "1") == 0;
	s->next_beat_ms = clock_mono_ms() + heartbeat_ms;
	if (s->p.token_id && auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		s->token = auth + 7;
	} else if (c && c->session_id && req_cookie(r, SESSION_COOKIE)) {
		s->session_id = c->session_id;
		session_secret_hash(req_cookie(r, SESSION_COOKIE), s->session_hash);
	}
	if (parse_last_id(last, &seq) && seq < UINT64_MAX) {
		s->cursor = seq + 1; /* checked against the ring at the first read */
	} else if (last && *last) {
		s->cursor = 0; /* not an id of ours: reset */
	} else {
		s->cursor = matter_feed_next_seq();
		s->ready_id = s->cursor - 1;
	}
	pthread_mutex_lock(&lock);
	if (nstreams >= max_total)
		refused = 1;
	else if (owned_by(s->owner) >= max_per_user)
		refused = 2;
	if (!refused) {
		s->next = head;
		if (head)
			head->prev = s;
		head = s;
		nstreams++;
	}
	pthread_mutex_unlock(&lock);
	if (refused) {
		free(s->grids);
		free(s);
		resp_header(r, "Retry-After", "30");
		if (refused == 1)
			resp_error(r, 503, "too_many_streams",
			           "实时更新连接已满，请稍后重试（页面仍可手动刷新）");
		else
			resp_error(r, 503, "too_many_streams_for_user",
			           "您打开的实时更新连接过多，请关闭多余的页面后重试");
		return;
	}
	/* The caller is copied: let the request's go now (a GET has no audit record to write). */
	req_set_principal(r, access_anonymous(), NULL, NULL);
	resp_header(r, "X-Accel-Buffering", "no"); /* nginx: pass events on at once */
	h = resp_stream(r, 200, "text/event-stream; charset=utf-8", &stream_ops, s);
	if (!h) {
		release(s); /* resp_stream answered 500 */
		return;
	}
	pthread_mutex_lock(&lock);
	s->h = h;
	pthread_mutex_unlock(&lock);
}

unsigned api_stream_count(void)
{
	unsigned n;

	pthread_mutex_lock(&lock);
	n = nstreams;
	pthread_mutex_unlock(&lock);
	return n;
}
