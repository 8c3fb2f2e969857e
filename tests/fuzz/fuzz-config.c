/*
 * libFuzzer target: the configuration file reader (config_load_file). The
 * input is written to a memfd and read back through /proc/self/fd/N, so
 * the real fopen/getline path runs and nothing touches the disk. The
 * first line is also given to config_set_option() (the -o form).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	struct config cfg;
	char *error = NULL;
	config_init(&cfg);
	int r = config_load_file(&cfg, path, &error);
	if ((r < 0) != (error != NULL))
		abort();
	if (error != NULL && strchr(error, '\n') != NULL)
		abort();	/* one-line messages, for the log */
	free(error);
	config_free(&cfg);
	close(fd);

	const char *nl = memchr(data, '\n', size);
	size_t first = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	char *line = xstrndup((const char *)data, first);
	error = NULL;
	config_init(&cfg);
	r = config_set_option(&cfg, line, &error);
	if ((r < 0) != (error != NULL))
		abort();
	free(error);
	config_free(&cfg);
	free(line);
	return 0;
}
