/* quire sample-config: prints a quire.conf with every key, its default and
 * its help text, generated from the settings table (`make install` uses it
 * for /etc/quire/quire.conf.sample). */
#include <stdio.h>

#include "cli/cli.h"

int cli_sample_config(int argc, char **argv)
{
	if (argc > 1) {
		fputs("usage: quire sample-config > quire.conf\n", argc > 1 &&
		      (argv[1][0] == '-' && argv[1][1] == 'h') ? stdout : stderr);
		return argv[1][0] == '-' && argv[1][1] == 'h' ? CLI_EX_OK
							       : CLI_EX_USAGE;
	}
	config_write_sample(stdout);
	return CLI_EX_OK;
}
