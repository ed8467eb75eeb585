/* Runs jobs for a list of inputs on N worker threads. */
#ifndef PIX_CORE_RUNNER_H
#define PIX_CORE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include "inputs.h"
#include "pipeline.h"

#include <stdint.h>
#include <pixpipe/pixpipe.h>

/* How one input ended. */
typedef struct pix_run_result {
    bool started;      /* false: left out, the deadline being too close   */
    pix_status status;
    char *reason;      /* malloc'd; NULL when ok                          */
} pix_run_result;

typedef struct pix_run_opts {
    int jobs;        /* worker threads, >= 1                              */
    bool dry_run;    /* read headers, plan keys, write nothing            */
    bool quiet;      /* no per-job lines on stdout                        */
    bool progress;   /* a progress line on stderr (a terminal)            */
    bool json_log;   /* one JSON line per job on stdout instead of text   */
    const char *request_id;   /* for JSON lines (Lambda), or NULL         */
    int64_t deadline_ms;      /* epoch ms; 0: none                        */
    int64_t margin_ms;        /* start no job closer than this to it      */
    pix_run_result *results;  /* in->n entries to fill, or NULL           */
} pix_run_opts;

typedef struct pix_run_summary {
    size_t ok, failed, skipped;
    size_t not_started;        /* left out for the deadline              */
    uint64_t bytes_in, bytes_out;
} pix_run_summary;

/* Wall-clock milliseconds since the epoch. */
int64_t pix_epoch_ms(void);

/* Runs every input through the started pipeline p (borrowed), reporting
 * each job as it ends: failures on stderr with the input and the reason. */
void pix_run(const pix_pipeline *p, const pix_inputs *in, const pix_run_opts *opts,
             pix_run_summary *sum);

#endif
