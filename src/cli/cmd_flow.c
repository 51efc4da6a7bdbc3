/*
 * `wangge flow`: prints the state table of a matter (domain/flow.c) as JSON, or with --markdown
 * as docs/matter-flow.md, which is generated from it (a test compares the committed file).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/flow.h"

int cmd_flow(int argc, char **argv)
{
	int markdown = 0;
	char *text;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--markdown") == 0) {
			markdown = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			puts("usage: wangge flow [--markdown]\n"
			     "  prints the state table of a matter as JSON, or as the Markdown of\n"
			     "  docs/matter-flow.md");
			return 0;
		} else {
			fprintf(stderr, "wangge flow: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (markdown) {
		text = flow_table_markdown();
	} else {
		json_t *o = flow_table_json();

		text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
		json_decref(o);
	}
	if (!text) {
		fputs("wangge flow: out of memory\n", stderr);
		return 1;
	}
	fputs(text, stdout);
	if (!markdown)
		fputc('\n', stdout);
	free(text);
	return 0;
}
