/*
 * The Content-Security-Policy sent with every response. Scripts come only from the server's own
 * files, plus the import map inline in index.html, allowed by its SHA-256 hash; no inline script
 * otherwise, no eval (the UI's Vue templates are precompiled, see scripts/web-build.mjs), no
 * plugins, no framing, no <base>. Images may also come from the origin of the map tiles
 * configured in web/config.json ("tileUrl").
 *
 * csp_init reads index.html and config.json once, at start-up, before the server's threads run;
 * csp_policy is then read-only and safe from any thread. Editing index.html's import map needs a
 * restart of the server.
 */
#ifndef WANGGE_HTTP_CSP_H
#define WANGGE_HTTP_CSP_H

#include <stddef.h>

#define CSP_MAX 2048

/* The policy for web_root (a directory holding index.html and optionally config.json; "" for
   none). Logs what it found; a missing or unreadable file leaves its part out of the policy (the
   browser then refuses the import map, or the tiles, and says so on its console). */
void csp_init(const char *web_root);

/* The current policy: the one csp_init built, else the policy without hashes or tile origin. */
const char *csp_policy(void);

/* Building blocks, for the tests. */

/* Writes into out the policy for an index.html of len bytes (NULL: none) and a tile URL template
   (NULL or "": none). Returns the number of import maps hashed, or -1 if out is too small.
   Inline scripts that are not import maps get no hash; *refused (if not NULL) counts them. */
int csp_build(const char *html, size_t len, const char *tile_url, char *out, size_t n,
              int *refused);

/* The CSP source expression for the origin of a tile URL template: scheme, host and port, with
   a placeholder in the first host label turned into a wildcard, so that the template
   "https://{s}.tile.example.org/{z}/{x}/{y}.png" gives https, then "*.tile.example.org". Only
   http and https, a host of letters, digits, dots and hyphens and an optional port. Returns 0, or
   -1 for anything else (out is then ""). A relative URL is refused too: its tiles are the
   server's own ('self'). */
int csp_tile_origin(const char *url, char *out, size_t n);

#include "base/banned.h"
#endif
