#include "imap/view.h"

#include <stdlib.h>

#include "imap/notify.h"
#include "imap/session.h"

struct mailbox_view {
	int unused;
};

void mailbox_view_sync(struct session *s, bool allow_expunge)
{
	(void)s;
	(void)allow_expunge;
}

void mailbox_view_free(struct mailbox_view **view)
{
	free(*view);
	*view = NULL;
}

void session_mailbox_changed(struct session *s)
{
	(void)s;
}
