#ifndef QUIRE_CLI_SD_NOTIFY_H
#define QUIRE_CLI_SD_NOTIFY_H
/*
 * The systemd notification protocol (sd_notify(3)), written by hand so
 * Quire needs no libsystemd: one datagram with "KEY=VALUE" lines to the
 * AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace). Used for Type=notify units: READY=1 once the
 * listeners are bound, STOPPING=1 when shutting down.
 */

/* Sends state. Returns 1 if sent, 0 if NOTIFY_SOCKET is unset (not run by
 * systemd: nothing to do), -1 on error (errno set). */
int cli_sd_notify(const char *state);

#endif
