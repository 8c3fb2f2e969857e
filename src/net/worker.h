#ifndef QUIRE_NET_WORKER_H
#define QUIRE_NET_WORKER_H
/*
 * A worker is one thread with its own epoll loop and its own connections
 * (DESIGN.md "Concurrency"). Nothing it owns is touched by another thread;
 * other threads reach it only through worker_post().
 *
 * Each loop iteration: wait for events (the timeout is the nearest timer),
 * dispatch socket events, run due timers, then flush output and free closed
 * conns. Callbacks therefore never run nested inside each other.
 */
#include <stdint.h>

struct worker;
struct worker_timer;
struct server;

typedef void worker_fn(struct worker *worker, void *arg);

/*
 * Runs fn(worker, arg) once on the worker's thread after at least ms
 * milliseconds (monotonic clock). Must be called on the worker's thread.
 * Returns a handle that stays valid until fn starts running or the timer is
 * cancelled: whoever stores the handle must forget it in both cases.
 */
struct worker_timer *worker_timer_add(struct worker *worker, uint64_t ms,
				      worker_fn *fn, void *arg);
/* Cancels a timer that has not fired yet (fn will not run) and frees it.
 * Must be called on the worker's thread; NULL is ignored. */
void worker_timer_cancel(struct worker *worker, struct worker_timer *timer);

/*
 * Runs fn(worker, arg) soon on the worker's thread, in posting order.
 * Thread-safe and async-signal-unsafe (it takes a mutex). Returns 0, or -1
 * if the worker has already stopped (fn will never run; arg stays the
 * caller's). Functions posted before the worker stops always run, possibly
 * during shutdown after every conn is gone.
 */
int worker_post(struct worker *worker, worker_fn *fn, void *arg);

/* 0-based index of the worker within its server. */
unsigned worker_index(const struct worker *worker);
struct server *worker_server(const struct worker *worker);
/* Monotonic milliseconds as seen by the worker loop (cached per iteration). */
uint64_t worker_now_ms(const struct worker *worker);

#endif
