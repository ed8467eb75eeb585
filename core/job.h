/* One source object going through the pipeline. */
#ifndef PIX_CORE_JOB_H
#define PIX_CORE_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <vips/vips.h>
#include <pixpipe/pixpipe.h>
#include "pipeline.h"

#define PIX_MAX_TIMINGS 64

/* What kind of failure ended a job, for callers that retry (S3 Batch
 * Operations answers TemporaryFailure or PermanentFailure by it). */
typedef enum pix_fail_kind {
    PIX_FAIL_PERMANENT = 0, /* the input: corrupt, too big, refused        */
    PIX_FAIL_TRANSIENT,     /* throttling, 5xx, connections, time limits   */
    PIX_FAIL_MISSING,       /* the source object does not exist            */
} pix_fail_kind;

typedef struct pix_job_rendition {
    pix_rendition pub;      /* what plugins see; strings point below      */
    char *name, *key;
    char format[16];
    VipsImage *image;       /* released once encoded                      */
    pix_encode enc;         /* enc.format points at enc_format            */
    char enc_format[16];
    void *data;             /* encoded bytes (g_free)                     */
    size_t len;
    pix_quality_search search; /* quality auto: what it found; pub.search */
} pix_job_rendition;

/* Claims a destination key for the job's source (owner, "bucket/key"),
 * both borrowed: returns 0 when the key was free or already the owner's,
 * 1 with the earlier owner copied into prev, -1 when it cannot tell.  The
 * run's claims are shared by all its jobs, whichever process runs them. */
typedef int (*pix_claim_fn)(void *ctx, const char *key, const char *owner, char *prev,
                            size_t prev_size);

struct pix_job {
    const pix_pipeline *pipeline;  /* borrowed                            */
    const pix_instance *actor;     /* plugin whose callback runs now      */

    char *bucket, *key;            /* source                              */
    char *sequencer;
    char etag[128], content_type[128], format[32];
    pix_source src;                /* points into the fields above        */
    unsigned char *bytes;          /* source bytes (free)                 */
    size_t len;
    bool skip_unknown;             /* not an image: skip instead of fail  */
    bool only_stale;               /* end as up to date when the record
                                      has this ETag and fingerprint      */
    bool up_to_date;               /* ended so: nothing ran, nothing was
                                      written                            */
    bool removed;                  /* the source was deleted (ObjectRemoved) */
    char listed_etag[128];         /* the ETag a listing gave, "" none    */
    int removed_renditions;        /* a removal: renditions deleted       */
    bool removed_record;           /* a removal: the record became a tombstone */
    pix_claim_fn claim;            /* keys written in this run, or NULL   */
    void *claim_ctx;               /* handed to claim                     */
    int64_t deadline_ms;

    VipsImage *header;             /* the source, header read only        */
    VipsImage *image;              /* working image                       */
    bool image_in_memory;
    double decode_scale;           /* scale the source was decoded at     */
    int decodes;                   /* source decodes (1 by construction)  */
    int materialised;              /* times the working image was copied
                                      to memory for a second reader      */

    char focal_point[128];         /* the object's focal-point metadata   */
    pix_focus focus;               /* read after the header (focus.c)     */
    bool has_focus;

    pix_job_rendition **rend;      /* each allocated alone: never moves   */
    size_t n_rend;

    pix_timing timings[PIX_MAX_TIMINGS];
    char *timing_names[PIX_MAX_TIMINGS];
    size_t n_timings;

    pix_status status;
    char *reason;                  /* "" when ok                          */
    pix_fail_kind fail_kind;       /* set with the first failure          */
    pix_record *record;
};

/* A new job for bucket/key of the pipeline p (borrowed).  Caller frees with
 * pix_job_free(). NULL when out of memory. */
pix_job *pix_job_new(const pix_pipeline *p, const char *bucket, const char *key);
void pix_job_free(pix_job *job);

/* Runs the whole job: fetch, detect, limits, header, decode, stages,
 * encode, store, finish.  The outcome is in job->status and job->reason.
 * dry_run stops after the header and limits checks. */
void pix_job_run(pix_job *job, bool dry_run);

/* Job state changes: the host table's job_* functions are these.  who (a
 * plugin's name, or NULL for the core) prefixes a failure's reason. */

/* Marks the job's coming (first) failure as of kind k: call just before
 * pix_job_fail*(); a job already failed keeps its kind. */
void pix_job_fail_kind(pix_job *job, pix_fail_kind k);

/* Marks the job failed with a reason unless it already has one. */
void pix_job_fail(pix_job *job, const char *who, const char *fmt, ...) PIX_PRINTF(3, 4);
void pix_job_failv(pix_job *job, const char *who, const char *fmt, va_list ap) PIX_PRINTF(3, 0);
/* The same for a failed libvips call: the reason is fmt, ": " and
 * libvips' own, whose buffer is taken and cleared at once. */
void pix_job_fail_vipsv(pix_job *job, const char *who, const char *fmt, va_list ap)
    PIX_PRINTF(3, 0);
/* Ends a job that has not failed as skipped, with a reason. */
void pix_job_skipv(pix_job *job, const char *fmt, va_list ap) PIX_PRINTF(2, 0);
void pix_job_skip(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
/* Adds a note (one line) to the record's "notes". */
void pix_job_notev(pix_job *job, const char *fmt, va_list ap) PIX_PRINTF(2, 0);
void pix_job_note(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);

/* Stores data as the job's rendition name (see host->job_put_object).
 * Returns 0, or -1 with the job failed. */
int pix_job_put_object(pix_job *job, const char *name, const char *ext, const char *content_type,
                       const void *data, size_t len);

/* Replaces the working image; steals img (NULL: nothing changes). */
void pix_job_set_image(pix_job *job, VipsImage *img);
/* The working image held in memory, made so once (see host->job_image_shared).
 * Borrowed; NULL after failing the job. */
VipsImage *pix_job_image_shared(pix_job *job);
/* Hands the record to the pipeline's metadata backend.  Returns 0, or -1
 * with the job failed. */
int pix_job_write_record(pix_job *job);

/* Adds a rendition: steals img (also on failure), copies enc.  Returns 0,
 * or -1 with err (duplicate name, bad format). */
int pix_job_add_rendition(pix_job *job, const char *name, VipsImage *img, const pix_encode *enc,
                          pix_err *err);

/* Adds a timing entry for step (copied). */
void pix_job_time(pix_job *job, const char *step, double ms);

/* Monotonic milliseconds. */
double pix_now_ms(void);
/* Wall-clock milliseconds since the epoch (deadlines). */
int64_t pix_epoch_ms(void);

#endif
