#ifndef QUIRE_METRICS_HTTP_H
#define QUIRE_METRICS_HTTP_H
/*
 * The metrics endpoint: a minimal HTTP/1.0-style responder on its own
 * listener (server_add_listener(srv, "metrics", cfg->metrics_listen,
 * &metrics_http_ops, ...)). `GET /metrics` (or `/`) gets the Prometheus
 * text of metrics_render(); anything else gets 404 or 405. One request per
 * connection: the response ends with the close, as Prometheus expects of a
 * "Connection: close" reply. Requests are bounded (8 KiB of headers).
 */
#include "net/conn.h"

extern const struct conn_ops metrics_http_ops;

#endif
