/*
 * Client address resolution behind trusted reverse proxies (http/proxy.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/proxy.h"

/* Parses one address into family and bytes; IPv4-mapped IPv6 becomes IPv4. 0 or -1. */
static int parse_addr(const char *s, int *family, unsigned char addr[16])
{
	unsigned char v6[16];

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, v6) != 1)
		return -1;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(v6, mapped, sizeof mapped) == 0) {
		memcpy(addr, v6 + 12, 4);
		*family = AF_INET;
	} else {
		memcpy(addr, v6, 16);
		*family = AF_INET6;
	}
	return 0;
}

/* Copies the token [b, e) without surrounding spaces into out (n bytes). 0, or -1 when empty or
   too long. */
static int trimmed(const char *b, const char *e, char *out, size_t n)
{
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (b == e || (size_t)(e - b) >= n)
		return -1;
	memcpy(out, b, (size_t)(e - b));
	out[e - b] = '\0';
	return 0;
}

int proxy_list_parse(const char *spec, struct proxy_list *out, char *err, size_t errlen)
{
	const char *p = spec;

	memset(out, 0, sizeof *out);
	if (!spec || !spec[strspn(spec, " \t")])
		return 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		char tok[PROXY_ADDR_MAX + 8], *slash;
		struct proxy_net *net;
		int max;

		if (trimmed(p, end, tok, sizeof tok) < 0) {
			snprintf(err, errlen, "empty or overlong entry in trusted proxy list");
			return -1;
		}
		if (out->n == PROXY_MAX) {
			snprintf(err, errlen, "more than %d trusted proxies", PROXY_MAX);
			return -1;
		}
		net = &out->net[out->n];
		slash = strchr(tok, '/');
		if (slash)
			*slash = '\0';
		if (parse_addr(tok, &net->family, net->addr) < 0) {
			snprintf(err, errlen, "not an IP address: %s", tok);
			return -1;
		}
		max = net->family == AF_INET ? 32 : 128;
		net->prefix = max;
		if (slash) {
			char *e2 = NULL;
			long v = strtol(slash + 1, &e2, 10);

			if (!slash[1] || *e2 || v < 0 || v > max) {
				snprintf(err, errlen, "bad prefix length in %s/%s", tok, slash + 1);
				return -1;
			}
			net->prefix = (int)v;
		}
		out->n++;
		if (comma && !comma[1 + strspn(comma + 1, " \t")]) {
			snprintf(err, errlen, "empty entry at the end of the trusted proxy list");
			return -1;
		}
		p = comma ? comma + 1 : end;
	}
	return 0;
}

static int net_contains(const struct proxy_net *net, int family, const unsigned char addr[16])
{
	int full = net->prefix / 8, rest = net->prefix % 8;

	if (net->family != family)
		return 0;
	if (memcmp(net->addr, addr, (size_t)full) != 0)
		return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((net->addr[full] & mask) != (addr[full] & mask))
			return 0;
	}
	return 1;
}

int proxy_trusted(const struct proxy_list *l, const char *addr)
{
	unsigned char a[16];
	int family;

	if (!l || !addr || parse_addr(addr, &family, a) < 0)
		return 0;
	for (int i = 0; i < l->n; i++)
		if (net_contains(&l->net[i], family, a))
			return 1;
	return 0;
}

/* Writes the normalized form of addr into out; 0, or -1 when addr is not an address. */
static int normalize(const char *addr, char out[PROXY_ADDR_MAX])
{
	unsigned char a[16];
	int family;

	if (parse_addr(addr, &family, a) < 0 || !inet_ntop(family, a, out, PROXY_ADDR_MAX))
		return -1;
	return 0;
}

void proxy_client_addr(const struct proxy_list *l, const char *peer, const char *forwarded_for,
                       const char *real_ip, char out[PROXY_ADDR_MAX])
{
	char hop[PROXY_ADDR_MAX];

	if (normalize(peer ? peer : "", out) < 0)
		snprintf(out, PROXY_ADDR_MAX, "-");
	if (!l || l->n == 0 || !proxy_trusted(l, peer))
		return;
	if (forwarded_for && *forwarded_for) {
		const char *end = forwarded_for + strlen(forwarded_for);

		/* Right to left: skip our own proxies; the first other hop is the client. A hop
		   that is not an address means the header cannot be trusted from here on: keep the
		   peer. */
		while (end > forwarded_for) {
			const char *b = end;

			while (b > forwarded_for && b[-1] != ',')
				b--;
			if (trimmed(b, end, hop, sizeof hop) < 0 || normalize(hop, hop) < 0)
				return;
			if (!proxy_trusted(l, hop)) {
				snprintf(out, PROXY_ADDR_MAX, "%s", hop);
				return;
			}
			end = b > forwarded_for ? b - 1 : b;
		}
		return;
	}
	if (real_ip && trimmed(real_ip, real_ip + strlen(real_ip), hop, sizeof hop) == 0 &&
	    normalize(hop, hop) == 0)
		snprintf(out, PROXY_ADDR_MAX, "%s", hop);
}
