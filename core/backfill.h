/* Backfills: every object under a prefix of a bucket, listed page by page
 * through the source storage's list() and run through the pipeline one
 * page at a time, so memory stays flat whatever the bucket holds. */
#ifndef PIX_CORE_BACKFILL_H
#define PIX_CORE_BACKFILL_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "inputs.h"
#include "pipeline.h"
#include "runner.h"

typedef struct pix_backfill_summary {
    size_t listed;      /* objects the listing gave                         */
    size_t passed_over; /* of those: outside the trigger, or our own outputs */
    size_t pages;       /* listing pages read                               */
    double list_ms;     /* time spent in list() itself                      */
    pix_run_summary run; /* the jobs: ok, failed, skipped, up to date       */
} pix_backfill_summary;

/* Runs inputs a page at a time as one run: on_done sees done counted over
 * every page and total as the inputs seen so far (pix_job_done.listing),
 * and sum adds the pages up.  Filled by pix_pager_init(); it must not
 * move while pages run (the page options point at it). */
typedef struct pix_pager {
    const pix_run_opts *outer; /* borrowed */
    pix_run_opts page_opts;
    size_t base;               /* jobs reported in earlier pages          */
    size_t seen;               /* inputs seen so far, the page's included */
    pix_run_summary sum;
} pix_pager;

void pix_pager_init(pix_pager *pg, const pix_run_opts *opts);

/* Runs page (unless opts->stop is set), then empties it; seen is the
 * inputs seen so far. */
void pix_pager_run(pix_pager *pg, const pix_pipeline *p, pix_inputs *page, size_t seen);

/* to += from, field by field. */
void pix_run_summary_add(pix_run_summary *to, const pix_run_summary *from);

/* Whether pix_backfill can list p's source (its storage has list()). */
bool pix_backfill_possible(const pix_pipeline *p);

/* Lists bucket/prefix (both borrowed) with p's source storage and runs
 * every object through opts (as pix_run does: the pool's workers, or
 * threads of this process with p started), page by page.  Keys outside
 * the pipeline's trigger (when bucket is the trigger's) and keys under the
 * destination's own prefix (when bucket is the destination's) are passed
 * over.  The listing needs p's source started in this process (see
 * pix_pipeline_start_source).  on_done sees done counting over the whole
 * backfill and total as the objects listed so far.  sum is overwritten.
 * Returns 0, or -1 with err when the listing failed (the pages before it
 * were run and are in sum). */
int pix_backfill(const pix_pipeline *p, const char *bucket, const char *prefix,
                 const pix_run_opts *opts, pix_backfill_summary *sum, pix_err *err);

#endif
