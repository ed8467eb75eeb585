/* How one job ended, as a flat value: what the commands report and what a
 * worker process sends back to the supervisor (as JSON, core/pool.c). */
#ifndef PIX_CORE_OUTCOME_H
#define PIX_CORE_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <pixpipe/pixpipe.h>

#include "job.h"

typedef struct pix_outcome_rendition {
    char *name, *key;
    int width, height;
    uint64_t bytes;
    bool stored;
} pix_outcome_rendition;

typedef struct pix_outcome_step {
    char *name;
    double ms;
} pix_outcome_step;

typedef struct pix_outcome {
    pix_status status;
    char *reason;            /* NULL when ok                              */
    char *format;            /* detected source format, "" when unknown   */
    char *content_type;      /* as the source storage said                */
    int width, height;       /* 0 when the header was never read          */
    bool header_read;
    bool up_to_date;         /* skipped: its record was current           */
    pix_fail_kind fail_kind; /* failed: what kind of failure              */
    bool removal;            /* the job answered a deleted source         */
    int removed_renditions;  /* a removal: renditions deleted             */
    bool removed_record;     /* a removal: the record became a tombstone  */
    uint64_t bytes_in, bytes_out;
    char *plan_key;          /* dry run: the main rendition's key, or why not */
    pix_outcome_rendition *rend;
    size_t n_rend;
    pix_outcome_step *steps;
    size_t n_steps;
} pix_outcome;

/* Fills o (zeroed by the caller) from the finished job (borrowed); dry_run
 * also plans the main rendition's key.  Returns 0, or -1 out of memory
 * (o then holds what fitted: clear it). */
int pix_outcome_from_job(pix_outcome *o, const pix_job *job, bool dry_run);

/* An outcome for a job that never reported one (its worker crashed or was
 * stopped): failed, with reason (copied). */
int pix_outcome_failed(pix_outcome *o, const char *reason);
/* The same, of a given kind (a time limit: transient). */
int pix_outcome_failed_kind(pix_outcome *o, const char *reason, pix_fail_kind kind);

/* The outcome as JSON (new reference), and back: pix_outcome_from_json
 * fills o (zeroed) and returns 0, or -1 when the JSON is not an outcome. */
json_t *pix_outcome_to_json(const pix_outcome *o);
int pix_outcome_from_json(pix_outcome *o, const json_t *j);

/* Frees what o holds and zeroes it. */
void pix_outcome_clear(pix_outcome *o);

#endif
