/* The pipeline: parsed and validated once from YAML, then started (each
 * plugin instance created) and shared read-only by every job. */
#ifndef PIX_CORE_PIPELINE_H
#define PIX_CORE_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <pixpipe/pixpipe.h>
#include "err.h"
#include "registry.h"

/* One configured plugin: a stage of the list, or a storage / metadata
 * backend.  Defined here, opaque to plugins. */
typedef struct pix_instance {
    pix_ctx ctx;              /* first: what its callbacks receive; config,
                                 state, name and label point at the fields
                                 below and at the plugin                   */
    const pix_plugin *plugin; /* borrowed from the registry               */
    const pix_stage_plugin *stage;     /* the kind's view of plugin, or NULL */
    const pix_storage_plugin *storage;
    const pix_metadata_plugin *metadata;
    char *label;              /* "stages[2] resize", "destination storage-s3" */
    char *where;              /* "file:line:col" of its entry, for errors  */
    void *config;             /* config_size bytes filled from options     */
    bool created;             /* create() succeeded; destroy() is due      */
    char *error;              /* message recorded by host->error()         */
} pix_instance;

/* The scheme of local paths: the default storage serves it, and a folder
 * named on the command line is walked through it. */
#define PIX_SCHEME_FILE "file"

/* Whether the storage instance in serves scheme. */
static inline bool pix_serves(const pix_instance *in, const char *scheme)
{
    return in && in->storage && strcmp(in->storage->scheme, scheme) == 0;
}

/* The instance whose context ctx is (ctx is its first field). */
static inline pix_instance *pix_instance_of(const pix_ctx *ctx)
{
    return (pix_instance *)(void *)ctx;
}

/* What an ObjectRemoved does (`on_delete:`). */
typedef enum pix_on_delete {
    PIX_ON_DELETE_KEEP = 0, /* renditions and record stay (the default)    */
    PIX_ON_DELETE_REMOVE,   /* the record's renditions, then the record, go */
} pix_on_delete;

/* Hex digits of a pipeline fingerprint, its NUL excluded. */
#define PIX_FINGERPRINT_HEX 16

typedef enum pix_fail_on {
    PIX_FAIL_ON_NONE = 0, PIX_FAIL_ON_TRUNCATED, PIX_FAIL_ON_ERROR, PIX_FAIL_ON_WARNING,
} pix_fail_on;

/* The most formats limits.formats can hold (it holds each once). */
#define PIX_MAX_FORMATS 16

typedef struct pix_pipeline {
    char *path;                /* file it came from ("<embedded>/default.yaml") */
    char *name;                /* `name:`; defaults to the file's stem        */

    pix_instance *source;      /* storage; never NULL (default storage-fs)   */
    char *source_bucket;       /* `bucket:`/`root:` of source; NULL when unset */
    pix_instance *dest;        /* storage; never NULL (default storage-fs)   */
    char *dest_bucket;         /* `bucket:`/`root:`; default "./out" for fs  */
    char *key_template;        /* default "{dir}/{name}-{rendition}.{ext}"   */
    pix_instance *metadata;    /* NULL when the pipeline has no `metadata:`  */

    uint64_t max_input_bytes;  /* limits.max_input_bytes, default 50MB; 0 = none */
    uint64_t max_pixels;       /* limits.max_pixels, default 100M; 0 = none */
    pix_fail_on fail_on;       /* limits.fail_on, default error              */
    int64_t job_timeout_ms;    /* limits.job_timeout, default 30 s: a job's
                                  worker is killed past it (core/pool.c)     */
    uint64_t max_pages;        /* limits.max_pages, default 500; 0 = none    */
    uint64_t max_memory;       /* limits.max_memory, default 1GiB: estimated
                                  decoded bytes; 0 = none                    */
    /* limits.formats: the format families a source may be in (the names of
     * pix_format_info, static strings), in the pipeline's order, NULL after
     * the last */
    const char *formats[PIX_MAX_FORMATS + 1];
    size_t n_formats;

    char *output_rendition;    /* output.rendition, default "main"           */
    pix_encode output;         /* output.*; output.format is static           */

    pix_instance **stages;     /* in order                                   */

    /* `trigger:` (optional): the S3 notification filter that starts the
     * pipeline; NULL bucket when not declared. */
    char *trigger_bucket, *trigger_prefix, *trigger_suffix;
    char *trigger_where;       /* "file:line:col" of the section             */
    size_t n_stages;

    pix_on_delete on_delete;   /* `on_delete:`, default keep                 */
    /* What the renditions depend on, hashed (core/fingerprint.c): kept in
     * every record, so a record whose fingerprint differs is stale. */
    char fingerprint[PIX_FINGERPRINT_HEX + 1];
} pix_pipeline;

/* Parses and validates YAML text (path is used in messages only), resolving
 * plugins through reg and filling each instance's config from its options.
 * Creates no plugin state.  Every error cites path:line:column and what was
 * expected.  Caller frees with pix_pipeline_free(); NULL with err on error. */
pix_pipeline *pix_pipeline_parse(const char *path, const char *text, size_t len,
                                 pix_registry *reg, pix_err *err);
/* Reads the file, then pix_pipeline_parse(). */
pix_pipeline *pix_pipeline_load(const char *path, pix_registry *reg, pix_err *err);

/* Calls create() of every instance: source, destination, metadata, stages.
 * On failure, err names the instance and where it is declared. */
int pix_pipeline_start(pix_pipeline *p, const pix_host *host, pix_err *err);

/* Destroys created instances, frees configs and everything else. NULL ok. */
void pix_pipeline_free(pix_pipeline *p);

#endif
