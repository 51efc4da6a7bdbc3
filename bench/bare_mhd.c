/*
 * The baseline for the HTTP bench: a bare libmicrohttpd program that answers GET /healthz with the
 * bytes wangge sends, and nothing else. It starts the daemon exactly as src/http/server.c does
 * (epoll internal thread pool, ITC, the same limits and thread count) and uses the same two-call
 * pattern so keep-alive stays on; the difference between the two servers is therefore what wangge
 * adds on top of libmicrohttpd: routing, the request context, the database read, JSON, the access
 * log.
 *
 * The response is captured from a running wangge by bench/run (curl -D headers -o body) and passed
 * in two files, so the headers and body length match whatever wangge sends today. The status line
 * and the headers libmicrohttpd writes itself (Date, Content-Length, Connection) are skipped.
 *
 * usage: bare_mhd --headers FILE --body FILE [--threads N] [--port P] [--path P]
 * --path is the one path answered (default /healthz; bench/auth_cost.sh replays /api/v1/session).
 * Prints "port=N" on stdout once listening (port 0 picks a free one); stops on SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "http/http.h"

#define MAX_HEADERS 32

struct canned {
	const char *path;
	unsigned status;
	char *body;
	size_t body_len;
	int nhdr;
	char *name[MAX_HEADERS];
	char *value[MAX_HEADERS];
};

static int marker; /* per-request context of the two-call pattern: its address only */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	data = malloc((size_t)n + 1);
	if (!data)
		goto out;
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
		goto out;
	}
	data[n] = '\0';
	*len = (size_t)n;
out:
	fclose(f);
	return data;
}

/* Parses curl's -D output: a status line, then "Name: value" lines, CRLF-terminated. */
static int parse_headers(char *text, struct canned *c)
{
	char *line = text, *next;
	int first = 1;

	for (; line && *line; line = next) {
		char *colon, *value;
		size_t n = strcspn(line, "\r\n");

		next = line + n;
		next += strspn(next, "\r\n");
		line[n] = '\0';
		if (n == 0)
			continue;
		if (first) {
			char *sp = strchr(line, ' ');
			first = 0;
			if (strncmp(line, "HTTP/", 5) != 0 || !sp)
				return -1;
			c->status = (unsigned)strtoul(sp + 1, NULL, 10);
			continue;
		}
		colon = strchr(line, ':');
		if (!colon)
			return -1;
		*colon = '\0';
		value = colon + 1 + strspn(colon + 1, " \t");
		if (strcasecmp(line, "Date") == 0 || strcasecmp(line, "Content-Length") == 0 ||
		    strcasecmp(line, "Connection") == 0 ||
		    strcasecmp(line, "Transfer-Encoding") == 0)
			continue;
		if (c->nhdr == MAX_HEADERS)
			return -1;
		c->name[c->nhdr] = line;
		c->value[c->nhdr] = value;
		c->nhdr++;
	}
	return c->status >= 100 && c->status < 600 ? 0 : -1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	const struct canned *c = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	static const char not_found[] = "{\"error\":{\"code\":\"not_found\",\"message\":\"-\"}}";

	(void)version;
	(void)upload;
	if (!*con_cls) {
		*con_cls = &marker; /* first call: answering here would turn keep-alive off */
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 || strcmp(url, c->path) != 0) {
		resp = MHD_create_response_from_buffer(sizeof not_found - 1, (void *)not_found,
		                                       MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		ret = MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	/* A response per request, as any server with a per-request header (X-Request-Id) needs. */
	resp = MHD_create_response_from_buffer(c->body_len, c->body, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	for (int i = 0; i < c->nhdr; i++)
		MHD_add_response_header(resp, c->name[i], c->value[i]);
	ret = MHD_queue_response(conn, c->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void usage(void)
{
	fputs("usage: bare_mhd --headers FILE --body FILE [--threads N] [--port P] [--path P]\n",
	      stderr);
}

int main(int argc, char **argv)
{
	struct canned c = { .path = "/healthz" };
	const char *hdr_path = NULL, *body_path = NULL;
	char *hdr_text = NULL;
	size_t hdr_len = 0;
	unsigned long threads = 8, port = 0;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	int sig = 0, rc = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!v) {
			usage();
			return 2;
		}
		i++;
		errno = 0;
		if (strcmp(a, "--headers") == 0) {
			hdr_path = v;
		} else if (strcmp(a, "--body") == 0) {
			body_path = v;
		} else if (strcmp(a, "--threads") == 0) {
			threads = strtoul(v, &end, 10);
			if (errno || *end || threads < 1 || threads > 256) {
				usage();
				return 2;
			}
		} else if (strcmp(a, "--path") == 0) {
			c.path = v;
		} else if (strcmp(a, "--port") == 0) {
			port = strtoul(v, &end, 10);
			if (errno || *end || port > 65535) {
				usage();
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}
	if (!hdr_path || !body_path) {
		usage();
		return 2;
	}
	hdr_text = read_file(hdr_path, &hdr_len);
	c.body = read_file(body_path, &c.body_len);
	if (!hdr_text || !c.body || parse_headers(hdr_text, &c) < 0) {
		fprintf(stderr, "bare_mhd: cannot read the captured response (%s, %s)\n", hdr_path,
		        body_path);
		goto out;
	}

	/* Only sigwait below sees the shutdown signals; MHD's threads inherit this mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG,
	                     (uint16_t)port, NULL, NULL, on_request, &c, MHD_OPTION_SOCK_ADDR,
	                     (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
	                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
	                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_S,
	                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MAX_HEADER_BYTES,
	                     MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "bare_mhd: cannot start the daemon: %s\n", strerror(errno));
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("port=%u threads=%lu headers=%d body_bytes=%zu\n",
	       info ? (unsigned)info->port : (unsigned)port, threads, c.nhdr, c.body_len);
	fflush(stdout);

	sigdelset(&set, SIGPIPE);
	while (sigwait(&set, &sig) != 0)
		;
	MHD_stop_daemon(d);
	rc = 0;
out:
	free(hdr_text);
	free(c.body);
	return rc;
}
