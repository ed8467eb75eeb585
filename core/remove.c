/*
 * Deletes.  The order is: read the record, delete the renditions it lists,
 * then replace the record with a tombstone.  A removal that fails half-way
 * (a rendition that cannot be deleted) leaves the record as it was, so a
 * retry finds every key again; a tombstone written first would lose them.
 * The tombstone keeps the delete's sequencer, so that an older create
 * arriving after it is refused by the backend's ordered put (and its
 * renditions undone, pix_job_undo_if_deleted), and a repeated delete finds
 * nothing left to do.
 */
#include "remove.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "stale.h"

int pix_sequencer_cmp(const char *a, const char *b)
{
    while (*a == '0')
        a++;
    while (*b == '0')
        b++;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    for (; *a; a++, b++) {
        int ca = toupper((unsigned char)*a), cb = toupper((unsigned char)*b);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return 0;
}

int pix_sequencer_pad(const char *seq, char *out, size_t width)
{
    while (*seq == '0')
        seq++;
    size_t n = strlen(seq);
    if (n > width)
        return -1;
    memset(out, '0', width - n);
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)seq[i]))
            return -1;
        out[width - n + i] = (char)toupper((unsigned char)seq[i]);
    }
    out[width] = '\0';
    return 0;
}

/* Deletes the renditions rec lists from the destination.  Returns how many,
 * or -1 with the job failed. */
static int remove_renditions(pix_job *job, const json_t *rec)
{
    const pix_pipeline *p = job->pipeline;
    const pix_instance *dest = p->dest;
    json_t *list = json_object_get(rec, "renditions");
    size_t i;
    json_t *r;
    int n = 0;

    job->actor = dest;
    double t0 = pix_now_ms();
    json_array_foreach(list, i, r) {
        const char *key = json_string_value(json_object_get(r, "key"));
        if (!key || !*key)
            continue;
        if (dest->storage->remove(&dest->ctx, job, p->dest_bucket, key) < 0) {
            pix_job_fail(job, dest->plugin->name, "cannot delete rendition '%s' (no reason "
                         "given)", key);
            n = -1;
            break;
        }
        n++;
    }
    pix_job_time(job, "remove", pix_now_ms() - t0);
    job->actor = NULL;
    return n;
}

void pix_job_remove(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    const pix_instance *md = p->metadata;
    json_t *rec = NULL;
    char *old = NULL;

    if (p->on_delete != PIX_ON_DELETE_REMOVE) {
        pix_job_skip(job, "deleted; renditions and record kept (on_delete: keep)");
        return;
    }
    if (pix_job_stored_record(job, &rec) < 0)
        return;
    const char *seq = json_string_value(json_object_get(rec, "sequencer"));
    bool tomb = json_is_true(json_object_get(rec, "deleted"));
    if (seq && *seq && *job->sequencer && pix_sequencer_cmp(seq, job->sequencer) > 0) {
        pix_job_skip(job, "deleted, but the record is of a later upload (sequencer %s after "
                     "%s): kept", seq, job->sequencer);
        goto out;
    }
    int n = rec && !tomb ? remove_renditions(job, rec) : 0;
    if (n < 0)
        goto out;
    job->actor = md;
    double t0 = pix_now_ms();
    int rc = md->metadata->remove(&md->ctx, job, job->bucket, job->key, job->sequencer, &old);
    pix_job_time(job, "metadata_remove", pix_now_ms() - t0);
    job->actor = NULL;
    if (rc < 0) {
        pix_job_fail(job, md->plugin->name, "cannot remove the record (no reason given)");
    } else if (rc == 1) {
        /* a newer upload's record landed between the read and now */
        pix_job_note(job, "a later upload's record arrived during the delete and is kept; "
                     "its renditions may need rendering again");
    }
    job->removed_renditions = n;
    job->removed_record = rc == 0 && rec && !tomb;
out:
    free(old);
    json_decref(rec);
}

void pix_job_undo_if_deleted(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    const pix_instance *dest = p->dest;
    json_t *rec = NULL;

    if (p->on_delete != PIX_ON_DELETE_REMOVE || !*job->sequencer || job->status != PIX_JOB_OK ||
        !p->metadata->metadata->get || !dest->storage->remove)
        return;
    if (pix_job_stored_record(job, &rec) < 0 || !rec)
        goto out;
    const char *seq = json_string_value(json_object_get(rec, "sequencer"));
    if (!json_is_true(json_object_get(rec, "deleted")) || !seq ||
        pix_sequencer_cmp(seq, job->sequencer) <= 0)
        goto out;
    job->actor = dest;
    for (size_t i = 0; i < job->n_rend; i++) {
        pix_job_rendition *r = job->rend[i];
        if (r->pub.stored && r->key &&
            dest->storage->remove(&dest->ctx, job, p->dest_bucket, r->key) == 0)
            r->pub.stored = false;
    }
    job->actor = NULL;
    pix_job_skip(job, "the source was deleted after this upload (sequencer %s): its "
                 "renditions were removed again", seq);
out:
    json_decref(rec);
}
