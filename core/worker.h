/* The worker side of a pool (core/pool.c): a forked process that starts
 * its own copy of the pipeline and runs the jobs the supervisor sends. */
#ifndef PIX_CORE_WORKER_H
#define PIX_CORE_WORKER_H

#include <stdbool.h>
#include "pipeline.h"

/* Starts p (dry_run: its source only), says "ready" or why not on to_sup,
 * then runs each job read from from_sup until that pipe closes.  Returns
 * the process's exit status. */
int pix_worker_serve(pix_pipeline *p, bool dry_run, int from_sup, int to_sup);

#endif
