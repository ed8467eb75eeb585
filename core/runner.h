/* Runs jobs for a list of inputs on N worker threads. */
#ifndef PIX_CORE_RUNNER_H
#define PIX_CORE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include "inputs.h"
#include "pipeline.h"
#include "job.h"

#include <stdint.h>
#include <pixpipe/pixpipe.h>

/* How one input ended. */
typedef struct pix_run_result {
    bool started;      /* false: left out, the deadline being too close   */
    pix_status status;
    char *reason;      /* malloc'd; NULL when ok                          */
} pix_run_result;

/* One finished job, as the runner hands it to the command.  Everything is
 * borrowed for the call. */
typedef struct pix_job_done {
    const pix_pipeline *pipeline;
    const pix_input *input;
    const pix_job *job;
    double ms;                 /* the job's wall time                      */
    size_t done, total;        /* jobs reported so far (this one too), inputs */
    bool dry_run;
} pix_job_done;

/* Called once per finished job, one call at a time (never two at once),
 * in the order jobs end. */
typedef void (*pix_job_done_fn)(const pix_job_done *done, void *user);

typedef struct pix_run_opts {
    int jobs;        /* worker threads, >= 1                              */
    bool dry_run;    /* read headers, plan keys, write nothing            */
    pix_job_done_fn on_done;  /* how the command reports a job, or NULL   */
    void *user;               /* handed to on_done                        */
    int64_t deadline_ms;      /* epoch ms; 0: none                        */
    int64_t margin_ms;        /* start no job closer than this to it      */
    pix_run_result *results;  /* in->n entries to fill, or NULL           */
} pix_run_opts;

typedef struct pix_run_summary {
    size_t ok, failed, skipped;
    size_t not_started;        /* left out for the deadline              */
    uint64_t bytes_in, bytes_out;
} pix_run_summary;

/* Bytes of a job's renditions written to the destination. */
uint64_t pix_job_bytes_out(const pix_job *job);

/* Runs every input through the started pipeline p (borrowed), handing each
 * job to opts->on_done as it ends. */
void pix_run(const pix_pipeline *p, const pix_inputs *in, const pix_run_opts *opts,
             pix_run_summary *sum);

#endif
