/* quire: argument parsing and subcommand dispatch; nothing else. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		printf("usage: quire serve|user|deliver ... (see quire CMD --help)\n");
		return argc < 2 ? 64 : 0;
	}
	fprintf(stderr, "quire: unknown command '%s'\n", argv[1]);
	return 64;
}
