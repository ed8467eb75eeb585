/*
 * metadata-sink: writes one record per source object to the pipeline's
 * metadata backend, after the renditions are stored, for ok, failed and
 * skipped jobs alike.  process() does nothing: the work is in finish(), which
 * runs once the job's outcome and rendition keys are known.
 *
 * Record layout (top-level keys, in this order; metadata backends such as
 * metadata-sqlite read them by these names):
 *   pipeline       str   the pipeline's name
 *   source_bucket  str   bucket (or folder) of the source object
 *   source_key     str   key of the source object
 *   source_bytes   int   size of the source object
 *   source_etag    str   "" when the storage has none
 *   content_type   str   "" when unknown
 *   format         str   libvips loader family: "jpeg", "png", ...
 *   width, height  int   source dimensions from the header, before any stage
 *   pages          int   frames / pages in the file
 *   status         str   "ok", "failed" or "skipped"
 *   error          str   why the job failed or was skipped; absent when ok
 *   renditions     list  stored renditions only, each an object
 *                        { name, key, format, width, height, bytes };
 *                        absent when none was stored
 *   timings_ms     obj   step name -> milliseconds (steps that ran twice are
 *                        summed); only with include_timings
 *   processed_at   str   UTC ISO-8601 with milliseconds, "...T...Z"
 *
 * Options:
 *   include_timings (bool, default true)  add the timings_ms object.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <pixpipe/pixpipe.h>

typedef struct sink_config {
    bool include_timings;
} sink_config;

typedef struct sink_state {
    const pix_host *host;
    bool include_timings;
} sink_state;

static const pix_option sink_options[] = {
    { .name = "include_timings", .type = PIX_OPT_BOOL,
      .offset = offsetof(sink_config, include_timings), .def = "true",
      .doc = "Add a timings_ms object with the milliseconds each step of the job took." },
    { .name = NULL },
};

static int sink_create(const pix_host *host, pix_instance *self, const void *config,
                       void **state)
{
    const sink_config *cfg = config;
    sink_state *st = calloc(1, sizeof *st);

    if (!st) {
        host->error(self, "out of memory");
        return -1;
    }
    st->host = host;
    st->include_timings = cfg->include_timings;
    *state = st;
    return 0;
}

static void sink_destroy(void *state)
{
    free(state);
}

static int sink_process(void *state, pix_job *job)
{
    (void)state;
    (void)job;
    return 0;
}

static const char *sink_status_name(pix_status status)
{
    switch (status) {
    case PIX_JOB_OK: return "ok";
    case PIX_JOB_SKIPPED: return "skipped";
    case PIX_JOB_FAILED: return "failed";
    }
    return "failed";
}

/* "2024-05-01T12:34:56.789Z" */
static void sink_now_iso(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ts.tv_nsec / 1000000));
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

static void sink_renditions(const pix_host *host, pix_job *job, pix_record *rec)
{
    size_t n = host->job_rendition_count(job);

    for (size_t i = 0; i < n; i++) {
        const pix_rendition *r = host->job_rendition(job, i);
        if (!r || !r->stored)
            continue;
        pix_record *item = host->rec_append(rec, "renditions");
        host->rec_set_str(item, "name", nz(r->name));
        host->rec_set_str(item, "key", nz(r->key));
        host->rec_set_str(item, "format", nz(r->format));
        host->rec_set_int(item, "width", r->width);
        host->rec_set_int(item, "height", r->height);
        host->rec_set_int(item, "bytes", (int64_t)r->bytes);
    }
}

static void sink_timings(const pix_host *host, pix_job *job, pix_record *rec)
{
    size_t n = host->job_timing_count(job);
    pix_record *obj = host->rec_object(rec, "timings_ms");

    for (size_t i = 0; i < n; i++) {
        const pix_timing *t = host->job_timing(job, i);
        double prev = 0;
        if (!t || !t->step)
            continue;
        if (host->rec_get_num(obj, t->step, &prev) != 0)
            prev = 0;
        host->rec_set_num(obj, t->step, prev + t->ms);
    }
}

static int sink_finish(void *state, pix_job *job, pix_status status)
{
    const sink_state *st = state;
    const pix_host *host = st->host;
    const pix_source *src = host->job_source(job);
    pix_record *rec = host->job_record(job);
    const char *reason = NULL;
    char now[64];

    host->rec_set_str(rec, "pipeline", nz(host->job_pipeline_name(job)));
    host->rec_set_str(rec, "source_bucket", nz(src->bucket));
    host->rec_set_str(rec, "source_key", nz(src->key));
    host->rec_set_int(rec, "source_bytes", (int64_t)src->size);
    host->rec_set_str(rec, "source_etag", nz(src->etag));
    host->rec_set_str(rec, "content_type", nz(src->content_type));
    host->rec_set_str(rec, "format", nz(src->format));
    host->rec_set_int(rec, "width", src->width);
    host->rec_set_int(rec, "height", src->height);
    host->rec_set_int(rec, "pages", src->pages);
    host->rec_set_str(rec, "status", sink_status_name(status));
    if (status != PIX_JOB_OK) {
        host->job_status(job, &reason);
        host->rec_set_str(rec, "error", nz(reason));
    }
    sink_renditions(host, job, rec);
    if (st->include_timings)
        sink_timings(host, job, rec);
    sink_now_iso(now, sizeof now);
    host->rec_set_str(rec, "processed_at", now);
    return host->job_write_record(job);
}

static const pix_plugin metadata_sink = {
    PIX_PLUGIN_HEADER,
    .kind = PIX_KIND_STAGE,
    .name = "metadata-sink",
    .version = "1.0.0",
    .summary = "Writes one record per source object (source, outcome, renditions) to the metadata backend",
    .options = sink_options,
    .config_size = sizeof(sink_config),
    .flags = PIX_PLUGIN_WRITES_RECORDS | PIX_PLUGIN_SCALE_NEUTRAL,
    .create = sink_create,
    .destroy = sink_destroy,
    .ops.stage = { .process = sink_process, .finish = sink_finish },
};

PIX_PLUGIN_EXPORT(metadata_sink)
