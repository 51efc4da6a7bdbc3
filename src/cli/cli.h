/*
 * Subcommands of the wangge binary, one file each (cmd_<name>.c), dispatched by main.c. Each takes
 * argc/argv starting at its own name and returns the process exit code: 0 success, 1 failure,
 * 2 usage error (usage printed to stderr).
 */
#ifndef WANGGE_CLI_CLI_H
#define WANGGE_CLI_CLI_H

int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_audit_head(int argc, char **argv); /* cmd_db.c */
int cmd_import(int argc, char **argv);
int cmd_user(int argc, char **argv);   /* cmd_user.c */
int cmd_routes(int argc, char **argv); /* cmd_routes.c */
int cmd_keys(int argc, char **argv);   /* cmd_keys.c */
int cmd_flow(int argc, char **argv);   /* cmd_flow.c */

/* Splits "127.0.0.1:8080", "[::1]:8080" or ":8080" into addr (cap bytes) and port.
   Returns 0, or -1 when malformed. */
int cli_parse_listen(const char *s, char *addr, unsigned cap, unsigned *port);
/* Parses a decimal in [min, max]; -1 when not. */
int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);
/* 0 when s is a base URL for printed links: "http://" or "https://", then a host name (letters,
   digits, '.', '-') or a bracketed IPv6 address, an optional ":PORT", nothing after (no path,
   query, user or trailing slash); -1 otherwise. */
int cli_public_url_valid(const char *s);
/* The value of environment variable name, or fallback when unset or empty. */
const char *cli_env(const char *name, const char *fallback);

#include "base/banned.h"
#endif
