/* Runs jobs for a list of inputs: in worker processes (core/pool.c), or on
 * worker threads of this process when no pool is given. */
#ifndef PIX_CORE_RUNNER_H
#define PIX_CORE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include "inputs.h"
#include "pipeline.h"
#include "job.h"
#include "outcome.h"
#include "pool.h"

#include <signal.h>
#include <stdint.h>
#include <jansson.h>
#include <pixpipe/pixpipe.h>

/* How one input ended. */
typedef struct pix_run_result {
    bool started;      /* false: left out, the deadline being too close   */
    pix_status status;
    char *reason;      /* malloc'd; NULL when ok                          */
    pix_fail_kind fail_kind; /* when failed                               */
} pix_run_result;

/* One finished job, as the runner hands it to the command.  Everything is
 * borrowed for the call. */
typedef struct pix_job_done {
    const pix_pipeline *pipeline;
    const pix_input *input;
    const pix_outcome *out;
    double ms;                 /* the job's wall time                      */
    size_t done, total;        /* jobs reported so far (this one too), inputs */
    bool dry_run;
    bool listing;              /* part of a backfill: total is the objects
                                  listed so far, more may come            */
} pix_job_done;

/* Called once per finished job, one call at a time (never two at once),
 * in the order jobs end. */
typedef void (*pix_job_done_fn)(const pix_job_done *done, void *user);

typedef struct pix_run_opts {
    int jobs;        /* worker threads without a pool, >= 1               */
    pix_pool *pool;  /* worker processes, or NULL: threads of this process */
    bool dry_run;    /* read headers, plan keys, write nothing            */
    pix_job_done_fn on_done;  /* how the command reports a job, or NULL   */
    void *user;               /* handed to on_done                        */
    int64_t deadline_ms;      /* epoch ms; 0: none                        */
    int64_t margin_ms;        /* start no job closer than this to it      */
    pix_run_result *results;  /* in->n entries to fill, or NULL           */
    bool only_stale;          /* skip sources whose record is up to date   */
    /* Set (by a signal handler) to stop handing out jobs: the jobs running
     * finish, the rest are left out as not started.  NULL: never. */
    volatile sig_atomic_t *stop;
    /* Called about every tick_ms while jobs run, between them (an SQS
     * worker extends its messages' visibility); NULL: none. */
    void (*tick)(void *user);
    int tick_ms;
} pix_run_opts;

typedef struct pix_run_summary {
    size_t ok, failed, skipped;
    size_t up_to_date;         /* of skipped: the record was current       */
    size_t not_started;        /* left out for the deadline              */
    uint64_t bytes_in, bytes_out;
} pix_run_summary;

/* Bytes of a job's renditions written to the destination. */
uint64_t pix_job_bytes_out(const pix_job *job);

/* Runs every input through the pipeline p (borrowed), handing each job to
 * opts->on_done as it ends.  With opts->pool the pool's workers run the
 * jobs (p is then the pipeline the pool was made with, not started here);
 * without, p must be started and -j threads of this process run them. */
void pix_run(const pix_pipeline *p, const pix_inputs *in, const pix_run_opts *opts,
             pix_run_summary *sum);

/* For the runners: counts a finished job into sum and opts->results[index],
 * and hands it to opts->on_done; *done counts the jobs reported.  The
 * caller serialises calls. */
void pix_run_account(const pix_pipeline *p, const pix_inputs *in, size_t index,
                     const pix_run_opts *opts, const pix_outcome *out, double ms,
                     pix_run_summary *sum, size_t *done);

/* What a job is asked to do: the runner's input and options, as a worker
 * process receives them.  Strings are borrowed. */
typedef struct pix_job_spec {
    const char *bucket, *key;
    const char *sequencer;  /* the S3 event's, or NULL                      */
    const char *etag;       /* the source's ETag as listed, or NULL         */
    bool skip_unknown;      /* a file met in a folder walk that is no image
                               is skipped, not failed                       */
    bool only_stale;        /* end as up to date when the record matches   */
    bool removed;           /* the source was deleted: on_delete applies   */
    int64_t deadline_ms;    /* the job's, epoch ms; 0: none                */
} pix_job_spec;

/* The spec of input it under opts (borrowed: the spec points into both). */
pix_job_spec pix_run_spec(const pix_input *it, const pix_run_opts *opts);
/* The spec as JSON (new reference, NULL out of memory), and back:
 * pix_job_spec_from_json points into j and returns 0, or -1 when j is not
 * a spec. */
json_t *pix_job_spec_to_json(const pix_job_spec *spec);
int pix_job_spec_from_json(const json_t *j, pix_job_spec *spec);

/* A job as spec (borrowed; its strings are copied) says.  NULL when out of
 * memory. */
pix_job *pix_run_job_new(const pix_pipeline *p, const pix_job_spec *spec);
/* The deadline a job of this run checks between its stages (0: none). */
int64_t pix_run_job_deadline(const pix_run_opts *opts);

/* The pool's runner (core/pool.c), called by pix_run. */
void pix_pool_run(pix_pool *pool, const pix_inputs *in, const pix_run_opts *opts,
                  pix_run_summary *sum);

#endif
