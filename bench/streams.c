/*
 * bench_streams: holds N idle live-update streams (GET /api/v1/stream) open against a running
 * server, then makes one change and measures how long it takes to reach every stream.
 *
 *   bench_streams --port P --cookie 'wg_session=...' --csrf TOKEN --body FILE [--n 10000]
 *                 [--hold SECONDS] [--timeout SECONDS]
 *
 * One thread and one epoll set drive every connection (non-blocking connects, the request
 * written once, the answer read as it comes; each stream only looks for "event: ready" and then
 * "event: matter"). Once all are ready it prints "READY n=..." and sleeps --hold seconds (the
 * driver reads the server's memory then), POSTs FILE to /api/v1/matters with the cookie and
 * CSRF token on a separate connection, and times from just before that request to each stream's
 * "event: matter". Prints the times to connect and to deliver (p50, p99, max) and how many
 * streams got the change. Talks to 127.0.0.1 only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	int sent;      /* request written */
	int ready;     /* saw "event: ready" */
	int got;       /* saw "event: matter" */
	int dead;      /* closed or failed */
	double got_ms; /* when it saw the change, from the trigger */
	char tail[64]; /* the last bytes read, so a marker split across reads is found */
	size_t ntail;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Looks for marker in tail + data (so a marker split across two reads is found), and keeps the
   last bytes in tail. */
static int scan(struct conn *c, const char *data, size_t n, const char *marker)
{
	char buf[64 + 4096];
	size_t m = c->ntail, k;
	int found;

	if (n > 4096)
		n = 4096;
	memcpy(buf, c->tail, m);
	memcpy(buf + m, data, n);
	buf[m + n] = '\0';
	found = strstr(buf, marker) != NULL;
	k = m + n < sizeof c->tail - 1 ? m + n : sizeof c->tail - 1;
	memcpy(c->tail, buf + m + n - k, k);
	c->ntail = k;
	return found;
}

static int connect_local(int port, int nonblock)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* POSTs body to /api/v1/matters on a blocking connection; returns the status or -1. */
static int post_report(int port, const char *cookie, const char *csrf, const char *body)
{
	char head[1024], resp[512];
	int fd = connect_local(port, 0), status = -1;
	ssize_t n;

	if (fd < 0)
		return -1;
	snprintf(head, sizeof head,
	         "POST /api/v1/matters HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: %s\r\n"
	         "X-CSRF-Token: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	         "Connection: close\r\n\r\n",
	         cookie, csrf, strlen(body));
	if (write(fd, head, strlen(head)) < 0 || write(fd, body, strlen(body)) < 0)
		goto out;
	n = read(fd, resp, sizeof resp - 1);
	if (n > 12) {
		resp[n] = '\0';
		status = atoi(resp + 9);
	}
out:
	close(fd);
	return status;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (s = calloc(1, (size_t)n + 1)) && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	if (s)
		s[strcspn(s, "\n")] = '\0';
	return s;
}

int main(int argc, char **argv)
{
	int port = 0, n = 10000, hold = 3, timeout = 60, ep, ready = 0, got = 0, dead = 0, status;
	const char *cookie = NULL, *csrf = NULL, *body_path = NULL;
	char req[1024], *body;
	struct conn *cs;
	struct epoll_event evs[512];
	double t0, t_ready, t_trigger, *lat;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--n") == 0)
			n = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--cookie") == 0)
			cookie = argv[i + 1];
		else if (strcmp(argv[i], "--csrf") == 0)
			csrf = argv[i + 1];
		else if (strcmp(argv[i], "--body") == 0)
			body_path = argv[i + 1];
		else if (strcmp(argv[i], "--hold") == 0)
			hold = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--timeout") == 0)
			timeout = atoi(argv[i + 1]);
	}
	if (!port || !cookie || !csrf || !body_path || n < 1 || !(body = read_file(body_path))) {
		fputs("usage: bench_streams --port P --cookie C --csrf T --body FILE [--n N] "
		      "[--hold S] [--timeout S]\n",
		      stderr);
		return 2;
	}
	cs = calloc((size_t)n, sizeof *cs);
	lat = calloc((size_t)n, sizeof *lat);
	ep = epoll_create1(0);
	if (!cs || !lat || ep < 0)
		return 1;
	snprintf(req, sizeof req,
	         "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
	         "Cookie: %s\r\n\r\n",
	         cookie);
	t0 = now_ms();
	/* Connect in waves of 500, so the listen backlog never overflows. */
	for (int opened = 0; opened < n || (ready + dead < n && now_ms() - t0 < timeout * 1e3);) {
		int k;

		while (opened < n && opened - (ready + dead) < 500) {
			struct conn *c = &cs[opened];
			struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT,
				                  .data.u32 = (uint32_t)opened };

			c->fd = connect_local(port, 1);
			if (c->fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
				fprintf(stderr, "connect %d: %s\n", opened, strerror(errno));
				c->dead = 1;
				dead++;
			}
			opened++;
		}
		k = epoll_wait(ep, evs, 512, 100);
		for (int i = 0; i < k; i++) {
			struct conn *c = &cs[evs[i].data.u32];
			char buf[4096];
			ssize_t r;

			if (c->dead)
				continue;
			if (!c->sent && (evs[i].events & EPOLLOUT)) {
				struct epoll_event ev = { .events = EPOLLIN,
					                  .data.u32 = evs[i].data.u32 };

				if (write(c->fd, req, strlen(req)) != (ssize_t)strlen(req)) {
					c->dead = 1;
					dead++;
					continue;
				}
				c->sent = 1;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			r = read(c->fd, buf, sizeof buf);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				c->dead = 1;
				dead++;
				continue;
			}
			if (!c->ready && scan(c, buf, (size_t)r, "event: ready")) {
				c->ready = 1;
				ready++;
			}
		}
	}
	t_ready = now_ms();
	printf("READY n=%d ready=%d failed=%d connect_s=%.2f\n", n, ready, dead,
	       (t_ready - t0) / 1e3);
	fflush(stdout);
	sleep((unsigned)hold);
	t_trigger = now_ms();
	status = post_report(port, cookie, csrf, body);
	while (got < ready && now_ms() - t_trigger < 10e3) {
		int k = epoll_wait(ep, evs, 512, 100);

		for (int i = 0; i < k; i++) {
			struct conn *c = &cs[evs[i].data.u32];
			char buf[4096];
			ssize_t r;

			if (c->dead || !c->ready)
				continue;
			r = read(c->fd, buf, sizeof buf);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				c->dead = 1;
				continue;
			}
			if (!c->got && scan(c, buf, (size_t)r, "event: matter")) {
				c->got = 1;
				c->got_ms = now_ms() - t_trigger;
				lat[got++] = c->got_ms;
			}
		}
	}
	qsort(lat, (size_t)got, sizeof *lat, cmp_double);
	printf("CHANGE report_status=%d delivered=%d/%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
	       status, got, ready, got ? lat[got / 2] : 0.0, got ? lat[(got * 99) / 100] : 0.0,
	       got ? lat[got - 1] : 0.0);
	for (int i = 0; i < n; i++)
		if (cs[i].fd > 0)
			close(cs[i].fd);
	free(cs);
	free(lat);
	free(body);
	return got == ready && ready == n ? 0 : 1;
}
