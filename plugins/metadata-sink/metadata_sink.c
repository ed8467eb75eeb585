/*
 * metadata-sink: writes one record per source object to the pipeline's
 * metadata backend, after the renditions are stored, for ok, failed and
 * skipped jobs alike.  process() does nothing: the work is in finish(), which
 * runs once the job's outcome and rendition keys are known.  Everything
 * about the source is read from its header (host->job_source_image), never
 * from decoded pixels, so the sink costs no decode and is scale-neutral.
 *
 * Record layout.  Top-level keys in the order written, after the "decode"
 * and "notes" keys the core may have put there first (left alone).  A value
 * that is not known is left out: a job that failed before its header was
 * read has no format, width or height, rather than zeros.  metadata-sqlite
 * fills its columns from source_bucket, source_key, pipeline, status, error,
 * format, width, height, source_bytes and the renditions list.
 *
 *   key            type  present                     meaning
 *   pipeline       str   always                      the pipeline's name
 *   source_bucket  str   always                      bucket (or folder) of the source
 *   source_key     str   always                      key of the source object
 *   source_bytes   int   once the object was read    its size in bytes
 *   source_etag    str   when the storage gives one  the object's ETag
 *   content_type   str   when the storage gives one  the object's content type
 *   sha256         str   once the object was read,   SHA-256 of its bytes, 64
 *                        with sha256: true           lower-case hex digits
 *   format         str   once the header was read    libvips loader family: "jpeg",
 *                                                    "png", "webp", "gif", "tiff",
 *                                                    "heif", "avif", ...
 *   width, height  int   header read                 the upright size: the stored
 *                                                    size with its sides swapped for
 *                                                    EXIF orientation 5..8; one frame
 *                                                    of an animation
 *   pages          int   header read                 frames or pages in the file (1)
 *   orientation    int   header read                 the file's EXIF orientation 1..8
 *                                                    (1 when it has none)
 *   alpha          bool  header read                 the source has an alpha band as
 *                                                    libvips reads it (GIF: always)
 *   colour_space   str   header read                 libvips' reading of the source:
 *                                                    "srgb", "grey", "cmyk", "lab",
 *                                                    "scrgb", "xyz", "multiband", ...
 *                                                    (16-bit variants folded in)
 *   icc_profile    obj   when the file embeds an     bytes (int, always), and when
 *                        ICC profile                 the blob has an ICC header:
 *                                                    colour_space ("RGB", "CMYK",
 *                                                    "GRAY"), device_class ("mntr"),
 *                                                    version ("2.1", "4.3"), and
 *                                                    description (str, the 'desc'
 *                                                    tag; absent when unreadable,
 *                                                    then a note says why)
 *   exif           obj   when the file carries one   make, model, lens (str),
 *                        of the chosen fields        date_taken (str, ISO 8601
 *                                                    "2008-10-22T16:28:39", with
 *                                                    "+02:00" when the file gives
 *                                                    the offset), exposure_time (num,
 *                                                    seconds), f_number (num), iso
 *                                                    (int); each only when present
 *   gps            obj   include_gps: true and the   latitude, longitude (num,
 *                        file has a position         decimal degrees, S and W
 *                                                    negative), altitude (num,
 *                                                    metres, below sea level
 *                                                    negative); each when present
 *   status         str   always                      "ok", "failed" or "skipped"
 *   error          str   when not ok                 why the job failed or was skipped
 *   renditions     list  when one was stored         stored renditions, each
 *                                                    { name, key, format, width,
 *                                                    height, bytes }
 *   timings_ms     obj   include_timings: true       step name -> milliseconds
 *                                                    ("fetch", "header", "decode",
 *                                                    a stage's name, "encode", "store")
 *   processed_at   str   always                      UTC ISO-8601 with milliseconds
 *
 * Options:
 *   include_gps     (bool, default false)  add the gps object.
 *   include_timings (bool, default true)   add the timings_ms object.
 *   exif            (list, default all)    which exif fields to record: make,
 *                   model, lens, date_taken, exposure_time, f_number, iso; []
 *                   records none.
 *   sha256          (bool, default true)   add the sha256 of the source bytes.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <pixpipe/stage.h>

#include "sink.h"

typedef struct sink_config {
    bool include_gps;
    bool include_timings;
    pix_strlist exif;
    bool sha256;
} sink_config;

static const pix_option sink_options[] = {
    { .name = "include_gps", .type = PIX_OPT_BOOL,
      .offset = offsetof(sink_config, include_gps), .def = "false",
      .doc = "Add a gps object with the latitude, longitude and altitude the file carries." },
    { .name = "include_timings", .type = PIX_OPT_BOOL,
      .offset = offsetof(sink_config, include_timings), .def = "true",
      .doc = "Add a timings_ms object with the milliseconds each step of the job took." },
    { .name = "exif", .type = PIX_OPT_STRLIST, .offset = offsetof(sink_config, exif),
      .def = "[make, model, lens, date_taken, exposure_time, f_number, iso]",
      .doc = "EXIF fields recorded under exif: make, model, lens, date_taken, exposure_time, "
             "f_number, iso." },
    { .name = "sha256", .type = PIX_OPT_BOOL, .offset = offsetof(sink_config, sha256),
      .def = "true",
      .doc = "Add the SHA-256 of the source object's bytes as sha256." },
    { .name = NULL },
};

static int sink_check(const pix_ctx *ctx)
{
    const sink_config *cfg = ctx->config;

    for (size_t i = 0; i < cfg->exif.count; i++)
        if (!ms_exif_field(cfg->exif.items[i]))
            return ctx->host->error(ctx, "exif: unknown field '%s' (known: make, model, lens, "
                                    "date_taken, exposure_time, f_number, iso)",
                                    cfg->exif.items[i]);
    return 0;
}

/* The record is written in finish(), once the renditions are stored. */
static int sink_process(const pix_ctx *ctx, pix_job *job)
{
    (void)ctx;
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

/* Sets key only when value is a non-empty string: "" means unknown here. */
static void sink_set_known(const pix_host *host, pix_record *rec, const char *key,
                           const char *value)
{
    if (value && *value)
        host->rec_set_str(rec, key, value);
}

/* The source object as the storage gave it: size, ETag, content type, and
 * the SHA-256 of its bytes. */
static void sink_object(const pix_ctx *ctx, pix_job *job, pix_record *rec)
{
    const sink_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    const pix_source *src = host->job_source(job);
    size_t len = 0;
    const unsigned char *bytes = host->job_source_bytes(job, &len);

    if (bytes)
        host->rec_set_int(rec, "source_bytes", (int64_t)len);
    sink_set_known(host, rec, "source_etag", src->etag);
    sink_set_known(host, rec, "content_type", src->content_type);
    if (!bytes || !cfg->sha256)
        return;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    if (!EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        host->log(ctx, PIX_LOG_WARN, "%s: cannot hash the source; sha256 left out",
                  nz(src->key));
        return;
    }
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    host->rec_set_str(rec, "sha256", hex);
}

/* libvips' interpretation in a few words a user knows. */
static const char *sink_colour_space(VipsImage *im)
{
    VipsInterpretation in = vips_image_get_interpretation(im);
    switch (in) {
    case VIPS_INTERPRETATION_B_W:
    case VIPS_INTERPRETATION_GREY16: return "grey";
    case VIPS_INTERPRETATION_sRGB:
    case VIPS_INTERPRETATION_RGB:
    case VIPS_INTERPRETATION_RGB16: return "srgb";
    case VIPS_INTERPRETATION_LAB:
    case VIPS_INTERPRETATION_LABQ:
    case VIPS_INTERPRETATION_LABS: return "lab";
    default: break;
    }
    const char *nick = vips_enum_nick(VIPS_TYPE_INTERPRETATION, in);
    return nick ? nick : "multiband";
}

/* The embedded ICC profile: its size, header facts and description. */
static void sink_icc(const pix_host *host, pix_job *job, pix_record *rec, VipsImage *im)
{
    const void *data = NULL;
    size_t len = 0;
    const char *why = NULL;
    ms_icc icc;
    char version[16];

    if (!vips_image_get_typeof(im, VIPS_META_ICC_NAME))
        return;
    if (vips_image_get_blob(im, VIPS_META_ICC_NAME, &data, &len) != 0 || !data) {
        vips_error_clear();
        return;
    }
    pix_record *obj = host->rec_object(rec, "icc_profile");
    host->rec_set_int(obj, "bytes", (int64_t)len);
    if (ms_icc_read(data, len, &icc, &why) != 0) {
        host->job_note(job, "the embedded ICC profile (%zu bytes) is not readable: %s", len, why);
        return;
    }
    sink_set_known(host, obj, "description", icc.description);
    sink_set_known(host, obj, "colour_space", icc.colour_space);
    sink_set_known(host, obj, "device_class", icc.device_class);
    snprintf(version, sizeof version, "%d.%d", icc.version_major, icc.version_minor);
    host->rec_set_str(obj, "version", version);
    if (icc.desc_problem)
        host->job_note(job, "the embedded ICC profile has no readable description: %s",
                       icc.desc_problem);
}

/* What the header says; nothing when it was never read. */
static void sink_header(const pix_ctx *ctx, pix_job *job, pix_record *rec)
{
    const sink_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    const pix_source *src = host->job_source(job);
    VipsImage *im = host->job_source_image(job);

    if (!im)
        return;
    int orientation = pix_image_orientation(im);
    bool swap = orientation >= 5; /* a quarter turn swaps the sides */
    sink_set_known(host, rec, "format", src->format);
    host->rec_set_int(rec, "width", swap ? src->height : src->width);
    host->rec_set_int(rec, "height", swap ? src->width : src->height);
    host->rec_set_int(rec, "pages", src->pages > 0 ? src->pages : 1);
    host->rec_set_int(rec, "orientation", orientation);
    host->rec_set_bool(rec, "alpha", vips_image_hasalpha(im));
    host->rec_set_str(rec, "colour_space", sink_colour_space(im));
    sink_icc(host, job, rec, im);
    unsigned fields = 0;
    for (size_t i = 0; i < cfg->exif.count; i++)
        fields |= ms_exif_field(cfg->exif.items[i]);
    ms_exif_record(host, rec, im, fields);
    if (cfg->include_gps)
        ms_gps_record(host, rec, im);
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
        if (r->quality > 0)
            host->rec_set_int(item, "quality", r->quality);
        if (r->search) {
            const pix_quality_search *q = r->search;
            pix_record *qs = host->rec_object(item, "quality_search");
            host->rec_set_str(qs, "metric", nz(q->metric));
            host->rec_set_num(qs, "target", q->target);
            if (!isnan(q->score))
                host->rec_set_num(qs, "score", round(q->score * 1e5) / 1e5);
            host->rec_set_num(qs, "sample", round(q->sample * 1e3) / 1e3);
            host->rec_set_int(qs, "encodes", q->encodes);
            host->rec_set_bool(qs, "reached", q->reached);
        }
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

static int sink_finish(const pix_ctx *ctx, pix_job *job, pix_status status)
{
    const sink_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    const pix_source *src = host->job_source(job);
    pix_record *rec = host->job_record(job);
    const char *reason = NULL;
    char now[64];

    host->rec_set_str(rec, "pipeline", nz(host->job_pipeline_name(job)));
    host->rec_set_str(rec, "source_bucket", nz(src->bucket));
    host->rec_set_str(rec, "source_key", nz(src->key));
    sink_object(ctx, job, rec);
    sink_header(ctx, job, rec);
    host->rec_set_str(rec, "status", sink_status_name(status));
    if (status != PIX_JOB_OK) {
        host->job_status(job, &reason);
        host->rec_set_str(rec, "error", nz(reason));
    }
    sink_renditions(host, job, rec);
    if (cfg->include_timings)
        sink_timings(host, job, rec);
    sink_now_iso(now, sizeof now);
    host->rec_set_str(rec, "processed_at", now);
    return host->job_write_record(job);
}

PIX_STAGE_PLUGIN("metadata-sink", "2.0.0",
                 "Writes one record per source object (source, header facts, EXIF, outcome, "
                 "renditions) to the metadata backend",
                 sink_process, .finish = sink_finish, .options = sink_options,
                 .config_size = sizeof(sink_config), .check = sink_check,
                 .flags = PIX_PLUGIN_WRITES_RECORDS | PIX_PLUGIN_SCALE_NEUTRAL);
