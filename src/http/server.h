/*
 * The HTTP server: libmicrohttpd with its internal epoll thread pool. http_serve runs until SIGTERM
 * or SIGINT, then stops accepting, lets in-flight requests finish (up to HTTP_SHUTDOWN_GRACE_MS),
 * and returns so the caller can close the store, which flushes the writer.
 */
#ifndef WANGGE_HTTP_SERVER_H
#define WANGGE_HTTP_SERVER_H

struct app;
struct http_hooks;

/* Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread; call before any thread is created so
   every thread inherits the mask and only http_serve's sigwait sees the signals. */
void http_block_signals(void);
/* Serves until a shutdown signal with the routes and steps in hooks (borrowed; must outlive the
   call). Returns 0 after a clean shutdown, -1 if it could not start. */
int http_serve(struct app *app, const struct http_hooks *hooks);

#include "base/banned.h"
#endif
