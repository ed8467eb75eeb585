/* Whether a source's stored record is current: same source ETag, same
 * pipeline fingerprint (pixpipe run --only-stale). */
#ifndef PIX_CORE_STALE_H
#define PIX_CORE_STALE_H

#include <jansson.h>
#include "job.h"

/* Reads the job's stored record through the metadata backend's get().
 * Returns 0 with *rec (new reference, NULL when there is none), or -1 with
 * the job failed. */
int pix_job_stored_record(pix_job *job, json_t **rec);

/* Ends the job as up to date (skipped, job->up_to_date) when its stored
 * record was made by this pipeline's fingerprint from a source with the
 * ETag the listing gave (or the source storage's head() tells), and ended
 * ok or skipped.  Otherwise leaves the job as it is, to be processed; fails
 * it when the record cannot be read.  One metadata read, and one head()
 * when no ETag was listed. */
void pix_job_check_stale(pix_job *job);

#endif
