/*
 * The wangge binary: one executable with subcommands, like git.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "cli/cli.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} commands[] = {
	{ "serve", cmd_serve, "serve the HTTP API and web UI" },
	{ "demo", cmd_demo, "create a demo database" },
	{ "migrate", cmd_migrate, "apply pending schema migrations" },
	{ "check", cmd_check, "check the integrity of a database" },
	{ "audit-head", cmd_audit_head,
	  "show, or --reset, the audit head record beside a database" },
	{ "import", cmd_import,
	  "import regions from CSV, workers from CSV or .xlsx (import regions|workers FILE)" },
	{ "user", cmd_user, "first administrators; host recovery (org-enable, totp-reset, ...)" },
	{ "keys", cmd_keys, "rotate the data key (keys rotate | keys retire-old)" },
	{ "flow", cmd_flow, "print the state table of a matter (JSON, or --markdown)" },
	{ "routes", cmd_routes, "print the route table and permission catalog as JSON" },
};

static void usage(FILE *f)
{
	fputs("usage: wangge <command> [options]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("  version    print the version\n  help       show this help\n\n"
	      "Run 'wangge <command> --help' for a command's options.\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	/* Before any file is made: the database, its -wal and -shm, journals and anything else the
	   binary or SQLite creates are then readable by the service account only. Key files and the
	   head record also ask for 0600 themselves. */
	umask(077);
	log_set_level(log_level_from_name(cli_env("WANGGE_LOG_LEVEL", NULL), LOG_INFO));
	if (!cmd) {
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("wangge %s\n", WANGGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "wangge: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}
