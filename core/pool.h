/*
 * Worker processes for jobs: a job that crashes, hangs or runs out of
 * memory takes only its own process with it.  The supervisor (the
 * process that made the pool) never runs a job; it hands jobs out over
 * pipes, shares the run's key claims, stops a job that passes its time
 * limit, and starts a new worker in place of one that died.
 */
#ifndef PIX_CORE_POOL_H
#define PIX_CORE_POOL_H

#include <stdbool.h>
#include "err.h"
#include "pipeline.h"

typedef struct pix_pool pix_pool;

/* Forks `workers` processes, each starting its own copy of p (borrowed: it
 * must outlive the pool); dry_run starts only the source.  Waits until all
 * are ready.  Returns the pool (caller frees with pix_pool_free()), or NULL
 * with err: the first worker's start failure, said once. */
pix_pool *pix_pool_new(pix_pipeline *p, int workers, bool dry_run, pix_err *err);

/* Ends the workers (they finish no job: the pool is idle between runs)
 * and waits for them. */
void pix_pool_free(pix_pool *pool);

/* Number of workers the pool keeps. */
int pix_pool_size(const pix_pool *pool);

/* Whether jobs run in worker processes: yes, unless PIXPIPE_ISOLATION=off
 * (threads of one process: for a debugger, or to measure what isolation
 * costs).  Without it a crashing job takes the run with it and job_timeout
 * is checked only between stages. */
bool pix_isolation_wanted(void);

#endif
