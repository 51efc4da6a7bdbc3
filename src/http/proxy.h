/*
 * The client's address behind a reverse proxy. Lockouts per address, the audit trail's source and
 * sessions all key on the client address, so it must not be forgeable: X-Forwarded-For and
 * X-Real-IP are believed only when the connection comes from a proxy the operator named
 * (--trusted-proxy / WANGGE_TRUSTED_PROXY). Then the client is the right-most hop of
 * X-Forwarded-For that is not itself a trusted proxy (every hop to its left was written by
 * whoever sent the request, so it proves nothing), or X-Real-IP when there is no such header.
 * From anyone else the socket address is the client, whatever the headers say.
 */
#ifndef WANGGE_HTTP_PROXY_H
#define WANGGE_HTTP_PROXY_H

#include <stddef.h>

#define PROXY_MAX 16
#define PROXY_ADDR_MAX 46 /* INET6_ADDRSTRLEN */

struct proxy_net {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order; 4 bytes used for AF_INET */
	int prefix;             /* bits that must match */
};

struct proxy_list {
	int n;
	struct proxy_net net[PROXY_MAX];
};

/* Parses "ADDR[/PREFIX][,ADDR[/PREFIX]...]" (IPv4 or IPv6, spaces allowed around commas; ""
   or NULL gives an empty list). Returns 0, or -1 with a reason in err. */
int proxy_list_parse(const char *spec, struct proxy_list *out, char *err, size_t errlen);

/* 1 when the textual address addr lies in one of the list's networks. IPv4-mapped IPv6
   addresses (::ffff:a.b.c.d) count as their IPv4 address. */
int proxy_trusted(const struct proxy_list *l, const char *addr);

/* The client address of a request from peer with the given header values (NULL when absent),
   normalized (inet_ntop form), into out (PROXY_ADDR_MAX bytes). */
void proxy_client_addr(const struct proxy_list *l, const char *peer, const char *forwarded_for,
                       const char *real_ip, char out[PROXY_ADDR_MAX]);

#include "base/banned.h"
#endif
