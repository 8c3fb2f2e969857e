/*
 * LD_PRELOAD library that turns fsync and its relatives into no-ops.
 *
 * vs-dovecot.sh loads the benchmark mailboxes (hundreds of thousands of
 * messages) with both servers started under it, because filling them with
 * one fsync per message would take most of the run and measures nothing
 * the benchmark reports. Both servers are then restarted without it, so
 * every measured workload runs with the servers' normal durability.
 */
#define _GNU_SOURCE
#include <sys/types.h>

int fsync(int fd);
int fdatasync(int fd);
int syncfs(int fd);
void sync(void);
int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags);

int fsync(int fd)
{
	(void)fd;
	return 0;
}

int fdatasync(int fd)
{
	(void)fd;
	return 0;
}

int syncfs(int fd)
{
	(void)fd;
	return 0;
}

void sync(void)
{
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
	(void)fd;
	(void)offset;
	(void)nbytes;
	(void)flags;
	return 0;
}
