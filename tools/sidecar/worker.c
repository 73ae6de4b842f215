/* A small pool of threads with a bounded queue, handing results back to libevent. */
#include <pthread.h>
#include <stdlib.h>

#include "worker.h"

struct sidecar_worker {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct sidecar_job *queue_head, *queue_tail;
	size_t queued;
	size_t max_queued;
	struct sidecar_job *finished; /* run completed, done pending; a stack */
	bool stopping;
	struct event *finished_event; /* activated from worker threads */
	pthread_t *threads;
	int thread_count;
};

static void *worker_main(void *arg)
{
	struct sidecar_worker *worker = arg;

	pthread_mutex_lock(&worker->lock);
	for (;;) {
		struct sidecar_job *job;

		while (worker->queue_head == NULL && !worker->stopping)
			pthread_cond_wait(&worker->wake, &worker->lock);
		if (worker->queue_head == NULL)
			break;
		job = worker->queue_head;
		worker->queue_head = job->next;
		if (worker->queue_head == NULL)
			worker->queue_tail = NULL;
		worker->queued--;
		pthread_mutex_unlock(&worker->lock);

		job->run(job);

		pthread_mutex_lock(&worker->lock);
		job->next = worker->finished;
		worker->finished = job;
		/* With evthread_use_pthreads, event_active is safe from any thread. */
		event_active(worker->finished_event, EV_READ, 0);
	}
	pthread_mutex_unlock(&worker->lock);
	return NULL;
}

/* Runs the done functions of finished jobs, oldest first. */
static void run_finished(struct sidecar_worker *worker)
{
	struct sidecar_job *list, *reversed = NULL;

	pthread_mutex_lock(&worker->lock);
	list = worker->finished;
	worker->finished = NULL;
	pthread_mutex_unlock(&worker->lock);
	while (list != NULL) {
		struct sidecar_job *next = list->next;

		list->next = reversed;
		reversed = list;
		list = next;
	}
	while (reversed != NULL) {
		struct sidecar_job *next = reversed->next;

		reversed->done(reversed, false);
		reversed = next;
	}
}

static void finished_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_finished(arg);
}

struct sidecar_worker *sidecar_worker_start(struct event_base *base, int thread_count,
					    size_t max_queued)
{
	struct sidecar_worker *worker = calloc(1, sizeof(*worker));

	if (worker == NULL)
		return NULL;
	worker->max_queued = max_queued;
	worker->threads = calloc((size_t)thread_count, sizeof(pthread_t));
	worker->finished_event = event_new(base, -1, 0, finished_cb, worker);
	if (worker->threads == NULL || worker->finished_event == NULL ||
	    pthread_mutex_init(&worker->lock, NULL) != 0) {
		if (worker->finished_event != NULL)
			event_free(worker->finished_event);
		free(worker->threads);
		free(worker);
		return NULL;
	}
	pthread_cond_init(&worker->wake, NULL);
	for (int i = 0; i < thread_count; i++) {
		if (pthread_create(&worker->threads[i], NULL, worker_main, worker) != 0)
			break;
		worker->thread_count++;
	}
	if (worker->thread_count == 0) {
		sidecar_worker_stop(worker);
		return NULL;
	}
	return worker;
}

bool sidecar_worker_submit(struct sidecar_worker *worker, struct sidecar_job *job)
{
	bool accepted = false;

	job->next = NULL;
	pthread_mutex_lock(&worker->lock);
	if (!worker->stopping && worker->queued < worker->max_queued) {
		if (worker->queue_tail != NULL)
			worker->queue_tail->next = job;
		else
			worker->queue_head = job;
		worker->queue_tail = job;
		worker->queued++;
		pthread_cond_signal(&worker->wake);
		accepted = true;
	}
	pthread_mutex_unlock(&worker->lock);
	return accepted;
}

void sidecar_worker_stop(struct sidecar_worker *worker)
{
	struct sidecar_job *pending;

	if (worker == NULL)
		return;
	pthread_mutex_lock(&worker->lock);
	worker->stopping = true;
	pending = worker->queue_head;
	worker->queue_head = worker->queue_tail = NULL;
	worker->queued = 0;
	pthread_cond_broadcast(&worker->wake);
	pthread_mutex_unlock(&worker->lock);

	for (int i = 0; i < worker->thread_count; i++)
		pthread_join(worker->threads[i], NULL);
	run_finished(worker);
	while (pending != NULL) {
		struct sidecar_job *next = pending->next;

		pending->done(pending, true);
		pending = next;
	}
	event_free(worker->finished_event);
	pthread_cond_destroy(&worker->wake);
	pthread_mutex_destroy(&worker->lock);
	free(worker->threads);
	free(worker);
}
