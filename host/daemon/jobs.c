/* jobs.c: the handler threads (see jobs.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "daemon/jobs.h"

struct job {
	void (*fn)(void *arg);
	void *arg;
	struct job *next;
};

struct jobs {
	pthread_mutex_t lock; /* guards head, tail, stop */
	pthread_cond_t work;  /* a job, or stop */
	struct job *head, *tail;
	bool stop;
	unsigned n;
	pthread_t *threads;
};

static void *
jobs_main(void *arg)
{
	struct jobs *j = arg;
	struct job *job;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		while (!j->head && !j->stop)
			pthread_cond_wait(&j->work, &j->lock);
		job = j->head;
		if (!job)
			break; /* stopped, and nothing is left */
		j->head = job->next;
		if (!j->head)
			j->tail = NULL;
		pthread_mutex_unlock(&j->lock);
		job->fn(job->arg);
		free(job);
		pthread_mutex_lock(&j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

struct jobs *
jobs_new(unsigned nthreads)
{
	struct jobs *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->threads = calloc(nthreads, sizeof(*j->threads));
	if (!j->threads) {
		free(j);
		return NULL;
	}
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->work, NULL);
	for (j->n = 0; j->n < nthreads; j->n++)
		if (pthread_create(&j->threads[j->n], NULL, jobs_main, j) != 0)
			break;
	if (j->n < nthreads) {
		jobs_free(j);
		return NULL;
	}
	return j;
}

void
jobs_add(struct jobs *j, void (*fn)(void *arg), void *arg)
{
	struct job *job = malloc(sizeof(*job));

	if (!job) {
		fn(arg); /* no memory to queue it: run it here, late but run */
		return;
	}
	/* (a job added while jobs_free() runs is run by its caller) */
	job->fn = fn;
	job->arg = arg;
	job->next = NULL;
	pthread_mutex_lock(&j->lock);
	if (j->stop) {
		/* stopping: no thread may be left to take it */
		pthread_mutex_unlock(&j->lock);
		free(job);
		fn(arg);
		return;
	}
	if (j->tail)
		j->tail->next = job;
	else
		j->head = job;
	j->tail = job;
	pthread_cond_signal(&j->work);
	pthread_mutex_unlock(&j->lock);
}

void
jobs_free(struct jobs *j)
{
	unsigned i;

	if (!j)
		return;
	pthread_mutex_lock(&j->lock);
	j->stop = true;
	pthread_cond_broadcast(&j->work);
	pthread_mutex_unlock(&j->lock);
	for (i = 0; i < j->n; i++)
		pthread_join(j->threads[i], NULL);
	pthread_cond_destroy(&j->work);
	pthread_mutex_destroy(&j->lock);
	free(j->threads);
	free(j);
}
