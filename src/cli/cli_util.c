/*
 * Parsing helpers shared by the subcommands.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

const char *cli_env(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	/* Digits only: strtoul would also skip leading white space and take a sign. */
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int cli_parse_listen(const char *s, char *addr, unsigned cap, unsigned *port)
{
	const char *colon;
	size_t alen;

	if (!s || !*s)
		return -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		alen = (size_t)(close - s - 1);
		if (alen == 0 || alen >= cap)
			return -1;
		memcpy(addr, s + 1, alen);
		addr[alen] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		alen = (size_t)(colon - s);
		if (alen >= cap)
			return -1;
		if (alen == 0) {
			if (cap < 8)
				return -1;
			memcpy(addr, "0.0.0.0", 8);
		} else {
			memcpy(addr, s, alen);
			addr[alen] = '\0';
		}
	}
	return cli_parse_uint(colon + 1, 0, 65535, port);
}

int cli_public_url_valid(const char *s)
{
	const char *h;
	size_t n = 0;
	int bracket = 0, port = 0;

	if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else
		return -1;
	for (; h[n]; n++) {
		char c = h[n];

		if (c == '[' && n == 0)
			bracket = 1;
		else if (c == ']' && bracket == 1)
			bracket = 2;
		else if (c == ':' && bracket == 1)
			continue;
		else if (c == ':' && bracket != 1 && !port)
			port = 1;
		else if ((c >= '0' && c <= '9') ||
		         (!port && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
		                    c == '-')))
			continue;
		else
			return -1;
	}
	return n > 0 && n < 256 && bracket != 1 && h[n - 1] != ':' ? 0 : -1;
}
