/*
 * store/sqlite: telling sessions that a mailbox changed. In-process through
 * a hook (IDLE sessions on any worker thread), across processes (`quire
 * deliver`) through datagrams to data_dir/notify.sock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "store/sqlite/internal.h"

/* Set when this process bound notify.sock: its hook covers every change
 * made here, so datagrams to itself would only wake sessions twice. */
static int socket_owned;

static int socket_address(const char *data_dir, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	int n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/notify.sock",
			 data_dir);
	return n < 0 || (size_t)n >= sizeof(sun->sun_path) ? -1 : 0;
}

static void send_datagram(struct store *s, int64_t mailbox_id)
{
	struct sockaddr_un sun;

	if (socket_address(s->data_dir, &sun) < 0)
		return;
	if (s->notify_fd < 0)
		s->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
				      SOCK_NONBLOCK, 0);
	if (s->notify_fd < 0)
		return;
	/* No server (ENOENT, ECONNREFUSED) or a full queue (EAGAIN): the
	 * mail is stored either way; sessions see it at their next sync. */
	(void)sendto(s->notify_fd, &mailbox_id, sizeof(mailbox_id), MSG_NOSIGNAL,
		     (const struct sockaddr *)&sun, sizeof(sun));
}

void store_notify_changed(struct store *s, int64_t mailbox_id)
{
	store_hook_run(mailbox_id);
	if (!__atomic_load_n(&socket_owned, __ATOMIC_ACQUIRE))
		send_datagram(s, mailbox_id);
}

int store_notify_socket_open(const char *data_dir, int *fd_r, char **error_r)
{
	struct sockaddr_un sun;
	struct buf e = BUF_INIT;

	*fd_r = -1;
	*error_r = NULL;
	if (socket_address(data_dir, &sun) < 0) {
		buf_printf(&e, "%s/notify.sock: path too long", data_dir);
		*error_r = buf_steal(&e);
		return STORE_EINVALID;
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0) {
		/* A socket file left by a previous run refuses bind. */
		unlink(sun.sun_path);
		if (bind(fd, (const struct sockaddr *)&sun, sizeof(sun)) < 0) {
			int saved = errno;
			close(fd);
			fd = -1;
			errno = saved;
		}
	}
	if (fd < 0) {
		buf_printf(&e, "bind %s: %s", sun.sun_path, strerror(errno));
		*error_r = buf_steal(&e);
		return STORE_EUNAVAILABLE;
	}
	__atomic_store_n(&socket_owned, 1, __ATOMIC_RELEASE);
	*fd_r = fd;
	return STORE_OK;
}

int store_notify_socket_read(int fd, int64_t *mailbox_id_r)
{
	int64_t id;

	for (;;) {
		ssize_t n = recv(fd, &id, sizeof(id), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -1;
		if (n == (ssize_t)sizeof(id)) {
			*mailbox_id_r = id;
			return 1;
		}
		/* Anyone who can write to the socket can send junk: skip it. */
	}
}
