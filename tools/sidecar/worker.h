/*
 * Worker threads for the blocking steps of the sidecar: quotes (which may
 * take a second on real hardware), libpq queries, pg_controldata and
 * certificate issuing. A job's run function executes on a worker thread;
 * its done function then executes on the event loop's thread, where it may reply to an HTTP request or swap a certificate.
 */
#ifndef SIDECAR_WORKER_H
#define SIDECAR_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

struct sidecar_job {
	/* Runs on a worker thread. */
	void (*run)(struct sidecar_job *job);
	/* Runs on the loop thread after run, or with cancelled set when the pool stopped first. */
	void (*done)(struct sidecar_job *job, bool cancelled);
	struct sidecar_job *next;
};

struct sidecar_worker;

/*
 * Starts thread_count threads that take jobs from a queue of at most
 * max_queued jobs. base must have been created after
 * evthread_use_pthreads(). Returns NULL on failure.
 */
struct sidecar_worker *sidecar_worker_start(struct event_base *base, int thread_count,
					    size_t max_queued);

/* Queues job. Returns false when the queue is full or the pool is stopping. */
bool sidecar_worker_submit(struct sidecar_worker *worker, struct sidecar_job *job);

/*
 * Stops the pool: jobs not yet started are finished with cancelled set,
 * running jobs are waited for, and every done function has run when this
 * returns. Call it on the loop thread. worker may be NULL.
 */
void sidecar_worker_stop(struct sidecar_worker *worker);

#endif
