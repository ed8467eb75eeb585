/* Runs jobs for a list of inputs on N worker threads. */
#ifndef PIX_CORE_RUNNER_H
#define PIX_CORE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include "inputs.h"
#include "pipeline.h"

typedef struct pix_run_opts {
    int jobs;        /* worker threads, >= 1                              */
    bool dry_run;    /* read headers, plan keys, write nothing            */
    bool quiet;      /* no per-job lines on stdout                        */
    bool progress;   /* a progress line on stderr (a terminal)            */
} pix_run_opts;

typedef struct pix_run_summary {
    size_t ok, failed, skipped;
} pix_run_summary;

/* Runs every input through the started pipeline p (borrowed), reporting
 * each job as it ends: failures on stderr with the input and the reason. */
void pix_run(const pix_pipeline *p, const pix_inputs *in, const pix_run_opts *opts,
             pix_run_summary *sum);

#endif
