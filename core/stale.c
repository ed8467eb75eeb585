/*
 * The staleness check of a backfill.  It runs before anything is fetched,
 * so that re-running over a bucket that nothing changed costs the listing
 * and one metadata read per object.  A record is current only when both
 * what went in (the source's ETag) and what made it (the pipeline's
 * fingerprint) are the same; a failed record is never current, so a
 * re-run retries failures.
 */
#include "stale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pix_job_stored_record(pix_job *job, json_t **rec)
{
    const pix_instance *md = job->pipeline->metadata;
    char *text = NULL;
    int rc = -1;

    *rec = NULL;
    if (!md || !md->metadata->get) {
        pix_job_fail(job, NULL, "the pipeline's metadata backend %s cannot read records back",
                     md ? md->plugin->name : "(none)");
        return -1;
    }
    const pix_instance *saved = job->actor;
    job->actor = md;
    double t0 = pix_now_ms();
    int got = md->metadata->get(&md->ctx, job, job->bucket, job->key, &text);
    pix_job_time(job, "metadata_get", pix_now_ms() - t0);
    job->actor = saved;
    if (got < 0) {
        pix_job_fail(job, md->plugin->name, "cannot read the stored record (no reason given)");
        goto out;
    }
    if (text) {
        json_error_t jerr;
        *rec = json_loads(text, 0, &jerr);
        if (!json_is_object(*rec)) {
            json_decref(*rec);
            *rec = NULL;
            pix_job_fail(job, md->plugin->name, "the stored record is not a JSON object: %s",
                         jerr.text);
            goto out;
        }
    }
    rc = 0;
out:
    free(text);
    return rc;
}

/* The source's ETag without reading it: the listing's, else head()'s. */
static void current_etag(pix_job *job, char *out, size_t size)
{
    const pix_instance *src = job->pipeline->source;
    pix_object_info info = { 0 };

    snprintf(out, size, "%s", job->listed_etag);
    if (*out || !src->storage->head)
        return;
    job->actor = src;
    double t0 = pix_now_ms();
    int rc = src->storage->head(&src->ctx, job, job->bucket, job->key, &info);
    pix_job_time(job, "head", pix_now_ms() - t0);
    job->actor = NULL;
    if (rc == 0)
        snprintf(out, size, "%s", info.etag);
}

void pix_job_check_stale(pix_job *job)
{
    char etag[sizeof job->listed_etag];
    json_t *rec = NULL;

    current_etag(job, etag, sizeof etag);
    if (job->status != PIX_JOB_OK) {
        /* head() failed (a missing object): the job says why */
        return;
    }
    if (!*etag || pix_job_stored_record(job, &rec) < 0 || !rec)
        goto out; /* nothing to compare: process it */
    const char *was = json_string_value(json_object_get(rec, "source_etag"));
    const char *fp = json_string_value(json_object_get(rec, "pipeline_fingerprint"));
    const char *status = json_string_value(json_object_get(rec, "status"));
    if (was && fp && status && strcmp(was, etag) == 0 &&
        strcmp(fp, job->pipeline->fingerprint) == 0 &&
        (strcmp(status, "ok") == 0 || strcmp(status, "skipped") == 0)) {
        job->up_to_date = true;
        pix_job_skip(job, "up to date (its record has ETag %s and pipeline fingerprint %s)",
                     etag, fp);
    }
out:
    json_decref(rec);
}
