/*
 * One job: the path of one source object through the pipeline, and every
 * change of a job's state (the host table's job_* functions adapt these).
 *
 *   fetch -> limits (bytes) -> detect -> header -> limits (pixels)
 *     -> decode -> stages in order (deadline checked before each)
 *     -> output rendition -> encode -> store -> finish
 *
 * The first error recorded ends the job as failed; the finish callbacks
 * still run so that a metadata sink can record the failure.  pix_job_run()
 * at the end of this file reads as that list.
 */
#include "job.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pixpipe/stage.h>

#include "err.h"
#include "focus.h"
#include "decode.h"
#include "encode.h"
#include "keys.h"
#include "quality.h"
#include "record.h"
#include "remove.h"
#include "stale.h"
#include "tiffdirs.h"

double pix_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int64_t pix_epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pix_job *pix_job_new(const pix_pipeline *p, const char *bucket, const char *key)
{
    pix_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->pipeline = p;
    job->bucket = strdup(bucket ? bucket : "");
    job->key = strdup(key ? key : "");
    job->sequencer = strdup("");
    job->record = pix_record_new();
    if (!job->bucket || !job->key || !job->sequencer || !job->record) {
        pix_job_free(job);
        return NULL;
    }
    job->src.bucket = job->bucket;
    job->src.key = job->key;
    job->src.etag = job->etag;
    job->src.content_type = job->content_type;
    job->src.format = job->format;
    job->src.sequencer = job->sequencer;
    job->src.orientation = 1;
    /* in every record, failed ones too: a backfill re-renders a record
     * made by another pipeline */
    pix_rec_set_str(job->record, "pipeline_fingerprint", p->fingerprint);
    return job;
}

void pix_job_free(pix_job *job)
{
    if (!job)
        return;
    for (size_t i = 0; i < job->n_rend; i++) {
        pix_job_rendition *r = job->rend[i];
        if (r->image)
            g_object_unref(r->image);
        g_free(r->data);
        free(r->name);
        free(r->key);
        free(r);
    }
    for (size_t i = 0; i < job->n_timings; i++)
        free(job->timing_names[i]);
    if (job->image)
        g_object_unref(job->image);
    if (job->header)
        g_object_unref(job->header);
    pix_record_free(job->record);
    void *owned[] = { job->rend, job->bytes, job->bucket, job->key, job->sequencer,
                      job->reason, job };
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        free(owned[i]);
}

void pix_job_fail_kind(pix_job *job, pix_fail_kind k)
{
    if (job->status != PIX_JOB_FAILED)
        job->fail_kind = k;
}

void pix_job_failv(pix_job *job, const char *who, const char *fmt, va_list ap)
{
    char raw[2048], msg[2048];
    if (job->status == PIX_JOB_FAILED)
        return; /* the first error is the one that explains the failure */
    vsnprintf(raw, sizeof raw, fmt, ap);
    pix_one_line(raw, msg, sizeof msg);
    free(job->reason);
    job->reason = NULL;
    if (asprintf(&job->reason, "%s%s%s", who ? who : "", who ? ": " : "", msg) < 0)
        job->reason = NULL;
    job->status = PIX_JOB_FAILED;
}

void pix_job_fail(pix_job *job, const char *who, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_job_failv(job, who, fmt, ap));
}

void pix_job_fail_vipsv(pix_job *job, const char *who, const char *fmt, va_list ap)
{
    char what[1024], why[1024];
    vsnprintf(what, sizeof what, fmt, ap);
    /* Taken even when the job has failed already: what is left in libvips'
     * buffer would be reported by the next job that fails. */
    pix_vips_error(why, sizeof why);
    pix_job_fail(job, who, "%s: %s", what, why);
}

static void pix_job_fail_vips(pix_job *job, const char *who, const char *fmt, ...)
    PIX_PRINTF(3, 4);
static void pix_job_fail_vips(pix_job *job, const char *who, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_job_fail_vipsv(job, who, fmt, ap));
}

void pix_job_skipv(pix_job *job, const char *fmt, va_list ap)
{
    char raw[2048], msg[2048];
    if (job->status != PIX_JOB_OK)
        return;
    vsnprintf(raw, sizeof raw, fmt, ap);
    pix_one_line(raw, msg, sizeof msg);
    free(job->reason);
    job->reason = strdup(msg[0] ? msg : "skipped");
    job->status = PIX_JOB_SKIPPED;
}

void pix_job_skip(pix_job *job, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_job_skipv(job, fmt, ap));
}

void pix_job_notev(pix_job *job, const char *fmt, va_list ap)
{
    char raw[1024], note[1024];
    vsnprintf(raw, sizeof raw, fmt, ap);
    pix_rec_append_str(job->record, "notes", pix_one_line(raw, note, sizeof note));
}

void pix_job_note(pix_job *job, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_job_notev(job, fmt, ap));
}

static const char *actor_name(const pix_job *job)
{
    return job->actor ? job->actor->plugin->name : NULL;
}

void pix_job_set_image(pix_job *job, VipsImage *img)
{
    if (!img)
        return;
    if (job->image)
        g_object_unref(job->image);
    job->image = img;
    job->image_in_memory = false;
}

VipsImage *pix_job_image_shared(pix_job *job)
{
    if (!job->image || job->image_in_memory)
        return job->image;
    double t0 = pix_now_ms();
    VipsImage *mem = vips_image_copy_memory(job->image);
    if (!mem) {
        pix_job_fail_vips(job, actor_name(job), "cannot decode the image");
        return NULL;
    }
    g_object_unref(job->image);
    pix_decode_read_through(job); /* the decode's buffers are free now */
    job->image = mem;
    job->image_in_memory = true;
    job->materialised++;
    pix_job_time(job, "materialise", pix_now_ms() - t0);
    return job->image;
}

int pix_job_write_record(pix_job *job)
{
    const pix_instance *md = job->pipeline->metadata;
    if (!md) {
        pix_job_fail(job, actor_name(job), "the pipeline has no metadata backend "
                     "(add a metadata: section to %s)", job->pipeline->path);
        return -1;
    }
    const pix_instance *saved = job->actor;
    job->actor = md;
    double t0 = pix_now_ms();
    int rc = md->metadata->put(&md->ctx, job, job->record);
    if (rc < 0 && job->status == PIX_JOB_OK)
        pix_job_fail(job, md->plugin->name, "metadata write failed without a reason");
    pix_job_time(job, "metadata", pix_now_ms() - t0);
    job->actor = saved;
    if (rc == 0)
        pix_job_undo_if_deleted(job);
    return rc < 0 ? -1 : 0;
}

void pix_job_time(pix_job *job, const char *step, double ms)
{
    ms = round(ms * 1000.0) / 1000.0; /* microseconds are all a clock here tells */
    for (size_t i = 0; i < job->n_timings; i++)
        if (strcmp(job->timing_names[i], step) == 0) {
            job->timings[i].ms += ms;
            return;
        }
    if (job->n_timings == PIX_MAX_TIMINGS)
        return;
    char *name = strdup(step);
    if (!name)
        return;
    job->timing_names[job->n_timings] = name;
    job->timings[job->n_timings].step = name;
    job->timings[job->n_timings].ms = ms;
    job->n_timings++;
}

/* A new, empty rendition appended to the job's list, its name checked
 * (valid, not taken).  Borrowed from the job; NULL with err. */
static pix_job_rendition *append_rendition(pix_job *job, const char *name, pix_err *err)
{
    /* Every rendition's name becomes {rendition} in its key, whichever
     * stage named it: checked here once for all of them. */
    const char *why = NULL;
    if (pix_rendition_check(name, &why) < 0) {
        pix_err_set(err, "invalid rendition name '%s': %s", name ? name : "", why);
        return NULL;
    }
    for (size_t i = 0; i < job->n_rend; i++)
        if (strcmp(job->rend[i]->name, name) == 0) {
            pix_err_set(err, "two renditions are named '%s'", name);
            return NULL;
        }
    /* Each rendition is allocated on its own: its public view points into
     * itself, so it must never move when the list grows. */
    pix_job_rendition **grown = realloc(job->rend, (job->n_rend + 1) * sizeof *grown);
    if (!grown) {
        pix_err_set(err, "out of memory");
        return NULL;
    }
    job->rend = grown;
    pix_job_rendition *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(name))) {
        free(r);
        pix_err_set(err, "out of memory");
        return NULL;
    }
    r->pub.name = r->name;
    r->pub.key = "";
    r->pub.format = r->format;
    job->rend[job->n_rend++] = r;
    return r;
}

int pix_job_add_rendition(pix_job *job, const char *name, VipsImage *img, const pix_encode *enc,
                          pix_err *err)
{
    pix_job_rendition *r;
    int rc = -1;

    if (!img) {
        pix_err_set(err, "rendition '%s' has no image", name ? name : "");
        return -1;
    }
    const char *format = enc && enc->format ? enc->format : "source";
    if (strlen(format) >= sizeof ((pix_job_rendition *)0)->enc_format) {
        pix_err_set(err, "rendition '%s': unknown format '%s'", name, format);
        goto out;
    }
    if (!(r = append_rendition(job, name, err)))
        goto out;
    if (enc)
        r->enc = *enc;
    else
        r->enc.effort = -1;
    snprintf(r->enc_format, sizeof r->enc_format, "%s", format);
    r->enc.format = r->enc_format;
    r->image = img;
    img = NULL;
    rc = 0;
out:
    if (img)
        g_object_unref(img);
    return rc;
}

static void fetch(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    const pix_instance *src = p->source;
    pix_bytes b = { 0 };
    pix_object_info info = { 0 };

    job->actor = src;
    double t0 = pix_now_ms();
    int rc = src->storage->get(&src->ctx, job, job->bucket, job->key, p->max_input_bytes, &b,
                               &info);
    pix_job_time(job, "fetch", pix_now_ms() - t0);
    job->actor = NULL;
    if (rc < 0) {
        free(b.data);
        pix_job_fail(job, src->plugin->name, "cannot read '%s' (no reason given)", job->key);
        return;
    }
    job->bytes = b.data;
    job->len = b.len;
    job->src.size = b.len;
    snprintf(job->etag, sizeof job->etag, "%s", info.etag);
    snprintf(job->content_type, sizeof job->content_type, "%s", info.content_type);
    if (info.etag[0])
        pix_rec_set_str(job->record, "source_etag", info.etag);
    if (info.user_meta[0]) {
        pix_record *m = pix_rec_object(job->record, "source_metadata");
        for (char *line = info.user_meta, *nl; line && *line; line = nl) {
            nl = strchr(line, '\n');
            if (nl)
                *nl++ = '\0';
            char *colon = strchr(line, ':');
            if (!colon)
                continue;
            *colon = '\0';
            const char *value = colon[1] == ' ' ? colon + 2 : colon + 1;
            pix_rec_set_str(m, line, value);
            if (strcmp(line, "focal-point") == 0)
                snprintf(job->focal_point, sizeof job->focal_point, "%s", value);
        }
    }
    if (p->max_input_bytes && b.len > p->max_input_bytes)
        pix_job_fail(job, NULL, "is %zu bytes, over limits.max_input_bytes (%" PRIu64 " bytes)",
                     b.len, p->max_input_bytes);
    else if (info.written_by_pixpipe)
        pix_job_skip(job, "written by pixpipe itself (an output, not an original)");
}

/* Whether limits.formats lists family. */
static bool format_accepted(const pix_pipeline *p, const char *family)
{
    for (size_t i = 0; i < p->n_formats; i++)
        if (strcmp(p->formats[i], family) == 0)
            return true;
    return false;
}

/* The format, from the bytes, never the name: a PDF renamed .jpg is a PDF.
 * A file no loader knows fails (or, found in a folder walk, is skipped as
 * not an image).  A format the pipeline does not accept fails here, before
 * its loader runs: the header read below already parses the file. */
static void detect(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    bool held = pix_vips_open_begin();
    const char *what = NULL;
    const char *family = pix_format_detect(job->bytes, job->len, &what);
    pix_vips_open_end(held);
    if (!family) {
        if (job->skip_unknown)
            pix_job_skip(job, "not an image format libvips can read");
        else
            pix_job_fail(job, NULL, "not an image format libvips can read (%zu bytes)", job->len);
        return;
    }
    snprintf(job->format, sizeof job->format, "%s", family);
    if (!format_accepted(p, family)) {
        char list[256] = "";
        for (size_t i = 0, n = 0; i < p->n_formats && n < sizeof list; i++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", p->formats[i]);
        pix_job_fail(job, NULL, "is %s (format %s), which this pipeline does not accept "
                     "(limits.formats: %s)", what ? what : "a file", family, list);
    }
}

/* libtiff reads every directory whole to count them when the header is
 * opened, seconds for a small file of 1x1 pages: the count is taken from
 * the chain of directory offsets first, so limits.max_pages refuses such
 * a file before libtiff sees it. */
static void count_tiff_pages(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    if (!p->max_pages || strcmp(job->format, "tiff") != 0)
        return;
    int64_t dirs = pix_tiff_directories(job->bytes, job->len);
    if (dirs > 0 && (uint64_t)dirs > p->max_pages)
        pix_job_fail(job, NULL, "has %" PRId64 " pages (TIFF directories), over "
                     "limits.max_pages (%" PRIu64 ")", dirs, p->max_pages);
}

/* Reads the header only (sequential access, nothing decoded yet). */
static void read_header(pix_job *job)
{
    double t0 = pix_now_ms();
    bool held = pix_vips_open_begin(); /* see err.h */
    VipsImage *im = vips_image_new_from_buffer(job->bytes, job->len, "", "access",
                                               VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                               (VipsFailOn)job->pipeline->fail_on, NULL);
    if (!im)
        pix_job_fail_vips(job, NULL, "cannot read the %s header", job->format);
    pix_vips_open_end(held);
    if (!im)
        return;
    /* the raw field: vips_image_get_n_pages() says 1 for 10000 pages or
     * more, which would hide the very files limits.max_pages is for */
    int pages = 1;
    if (vips_image_get_typeof(im, VIPS_META_N_PAGES) != G_TYPE_INT ||
        vips_image_get_int(im, VIPS_META_N_PAGES, &pages) < 0)
        pages = 1; /* an int checked first: no libvips message to take */
    const char *compression = NULL;
    if (strcmp(job->format, "heif") == 0 && vips_image_get_typeof(im, "heif-compression") &&
        vips_image_get_string(im, "heif-compression", &compression) == 0 && compression &&
        strcmp(compression, "av1") == 0)
        snprintf(job->format, sizeof job->format, "avif");
    job->src.width = vips_image_get_width(im);
    job->src.height = vips_image_get_height(im);
    job->src.pages = pages < 1 ? 1 : pages;
    job->header = im;
    pix_job_time(job, "header", pix_now_ms() - t0);
}

/* "3.2 GiB", "512 MiB", "1 GiB": a byte count as the limit messages say it. */
static const char *human_bytes(double bytes, char *buf, size_t size)
{
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    size_t u = 0;
    while (bytes >= 1024 && u + 1 < sizeof units / sizeof *units) {
        bytes /= 1024;
        u++;
    }
    if (u == 0 || bytes == floor(bytes))
        snprintf(buf, size, "%.0f %s", bytes, units[u]);
    else
        snprintf(buf, size, "%.1f %s", bytes, units[u]);
    return buf;
}

/* The limits that bound the cost of a decode, from the header alone and so
 * before any pixel is decoded: pages, pixels, then the memory estimate. */
static void check_pixels(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    int w = job->src.width, h = job->src.height, pages = job->src.pages;
    bool frames = strcmp(job->format, "gif") == 0 || strcmp(job->format, "webp") == 0;
    const char *unit = frames ? "frame" : "page";

    /* a TIFF of 1x1 directories is tiny in pixels yet costs an open and a
     * libvips image per page: the count has a bound of its own */
    if (p->max_pages && (uint64_t)pages > p->max_pages) {
        pix_job_fail(job, NULL, "has %d %ss%s, over limits.max_pages (%" PRIu64 ")", pages, unit,
                     strcmp(job->format, "tiff") == 0 ? " (TIFF directories)" : "",
                     p->max_pages);
        return;
    }
    uint64_t pixels = (uint64_t)w * (uint64_t)h * (uint64_t)pages;
    if (p->max_pixels && pixels > p->max_pixels) {
        pix_job_fail(job, NULL, "is %dx%d%s = %" PRIu64 " pixels, over limits.max_pixels "
                     "(%" PRIu64 ")", w, h, pages > 1 ? " x pages" : "", pixels,
                     p->max_pixels);
        return;
    }
    if (!p->max_memory || !job->header)
        return;
    /* The decode holds one page unless it keeps an animation's frames
     * (decode.c), at the loader's own band count and depth: a 16-bit RGBA
     * TIFF takes 8 bytes a pixel before it is brought to 8 bits. */
    int bands = vips_image_get_bands(job->header);
    VipsBandFormat bf = vips_image_get_format(job->header);
    int bpb = (int)vips_format_sizeof(bf);
    int decoded = pix_decode_keeps_animation(job) ? pages : 1;
    double bytes = (double)w * h * bands * bpb * decoded;
    if (bytes <= (double)p->max_memory)
        return;
    bool is_float = bf == VIPS_FORMAT_FLOAT || bf == VIPS_FORMAT_DOUBLE;
    bool is_complex = bf == VIPS_FORMAT_COMPLEX || bf == VIPS_FORMAT_DPCOMPLEX;
    char est[32], lim[32];
    pix_job_fail(job, NULL, "would take about %s decoded (%dx%d x %d band%s x %d-bit%s x %d "
                 "%s%s), over limits.max_memory (%s)", human_bytes(bytes, est, sizeof est), w, h,
                 bands, bands == 1 ? "" : "s", bpb * 8,
                 is_float ? " float" : is_complex ? " complex" : "", decoded, unit,
                 decoded == 1 ? "" : "s", human_bytes((double)p->max_memory, lim, sizeof lim));
}

/* The stages in order.  Before each, the deadline: a job that cannot end
 * in time fails now, with its reason and record written, rather than be
 * cut off mid-write when the runtime is killed. */
static void run_stages(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    for (size_t i = 0; i < p->n_stages && job->status == PIX_JOB_OK; i++) {
        const pix_instance *st = p->stages[i];
        if (job->deadline_ms && pix_epoch_ms() >= job->deadline_ms) {
            pix_job_fail(job, NULL, "deadline reached before %s (stage %zu of %zu)",
                         st->plugin->name, i + 1, p->n_stages);
            break;
        }
        job->actor = st;
        double t0 = pix_now_ms();
        int rc = st->stage->process(&st->ctx, job);
        pix_job_time(job, st->plugin->name, pix_now_ms() - t0);
        job->actor = NULL;
        if (rc < 0)
            pix_job_fail(job, st->plugin->name, "failed without giving a reason");
    }
}

static void encode_all(pix_job *job)
{
    pix_err err;
    double t0 = pix_now_ms();

    for (size_t i = 0; i < job->n_rend && job->status == PIX_JOB_OK; i++) {
        pix_job_rendition *r = job->rend[i];
        const char *format = pix_format_resolve(r->enc.format, job->format,
                                                vips_image_hasalpha(r->image));
        snprintf(r->format, sizeof r->format, "%s", format);
        /* auto on a format: source that came out lossless (a PNG source)
         * has nothing to search: the encoder's default applies */
        bool search = r->enc.quality == PIX_QUALITY_AUTO && !r->enc.lossless &&
                      pix_encode_lossy(format);
        if (!search && r->enc.quality == PIX_QUALITY_AUTO)
            r->enc.quality = 0;
        int rc = search ? pix_encode_auto(r->image, format, &r->enc, &r->data, &r->len,
                                          &r->search, &err)
                        : pix_encode_image(r->image, format, &r->enc, &r->data, &r->len, &err);
        if (rc < 0) {
            pix_job_fail(job, NULL, "rendition '%s': %s", r->name, err.msg);
            break;
        }
        r->pub.quality = search ? r->search.quality : r->enc.quality > 0 ? r->enc.quality : 0;
        r->pub.search = search ? &r->search : NULL;
        r->pub.width = vips_image_get_width(r->image);
        r->pub.height = vips_image_get_page_height(r->image); /* one frame */
        r->pub.bytes = r->len;
        /* release pixels as soon as they are encoded: memory stays flat */
        g_object_unref(r->image);
        r->image = NULL;
    }
    if (job->image) {
        g_object_unref(job->image);
        job->image = NULL;
    }
    pix_job_time(job, "encode", pix_now_ms() - t0);
}

/* Stores r's encoded bytes under the key the template gives it, with
 * pixpipe's marker and the content type mime.  Returns 0, or -1 with the
 * job failed. */
static int store_one(pix_job *job, pix_job_rendition *r, const char *ext, const char *mime)
{
    const pix_pipeline *p = job->pipeline;
    const pix_instance *dst = p->dest;
    pix_err err;
    char owner[4096], prev[4096];

    r->key = pix_template_expand(p->key_template, job->key, r->name, ext, &err);
    if (!r->key) {
        pix_job_fail(job, NULL, "rendition '%s': %s", r->name, err.msg);
        return -1;
    }
    r->pub.key = r->key;
    snprintf(owner, sizeof owner, "%s/%s", job->bucket, job->key);
    int taken = job->claim ? job->claim(job->claim_ctx, r->key, owner, prev, sizeof prev) : 0;
    if (taken < 0) {
        pix_job_fail(job, NULL, "rendition '%s': cannot check that no other source of this "
                     "run wrote %s/%s", r->name, p->dest_bucket, r->key);
        return -1;
    }
    if (taken) {
        pix_job_fail(job, NULL, "rendition '%s' would overwrite %s/%s, written in this run "
                     "from %s; make the destination key template tell them apart (e.g. "
                     "with {key})", r->name, p->dest_bucket, r->key, prev);
        return -1;
    }
    const pix_kv meta[] = {
        { "pixpipe-pipeline", p->name },
        { "pixpipe-source-key", job->key },
        { "pixpipe-rendition", r->name },
    };
    const pix_put_info put = { mime, meta, sizeof meta / sizeof *meta };
    const pix_instance *saved = job->actor;
    job->actor = dst;
    int rc = dst->storage->put(&dst->ctx, job, p->dest_bucket, r->key, r->data, r->len, &put);
    job->actor = saved;
    if (rc < 0) {
        pix_job_fail(job, dst->plugin->name, "cannot write '%s' (no reason given)", r->key);
        return -1;
    }
    r->pub.stored = true;
    g_free(r->data);
    r->data = NULL;
    return 0;
}

static void store_all(pix_job *job)
{
    double t0 = pix_now_ms();

    for (size_t i = 0; i < job->n_rend && job->status == PIX_JOB_OK; i++) {
        pix_job_rendition *r = job->rend[i];
        if (store_one(job, r, pix_format_ext(r->format), pix_format_mime(r->format)) < 0)
            break;
    }
    pix_job_time(job, "store", pix_now_ms() - t0);
}

int pix_job_put_object(pix_job *job, const char *name, const char *ext, const char *content_type,
                       const void *data, size_t len)
{
    pix_err err;
    double t0 = pix_now_ms();
    int rc = -1;

    if (job->status != PIX_JOB_OK || job->n_rend == 0 || !job->rend[0]->pub.stored) {
        pix_job_fail(job, NULL, "object '%s': stored only from finish() of a job whose "
                     "renditions are stored", name ? name : "");
        return -1;
    }
    if (!ext || !*ext || strlen(ext) >= sizeof ((pix_job_rendition *)0)->format ||
        strspn(ext, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(ext)) {
        pix_job_fail(job, NULL, "object '%s': extension '%s' is not lower-case letters and "
                     "digits", name ? name : "", ext ? ext : "");
        return -1;
    }
    pix_job_rendition *r = append_rendition(job, name, &err);
    if (!r) {
        pix_job_fail(job, NULL, "%s", err.msg);
        goto out;
    }
    snprintf(r->format, sizeof r->format, "%s", ext);
    if (!(r->data = g_try_malloc(len ? len : 1))) {
        pix_job_fail(job, NULL, "object '%s': out of memory", name);
        goto out;
    }
    memcpy(r->data, data, len);
    r->len = len;
    r->pub.bytes = len;
    rc = store_one(job, r, ext, content_type ? content_type : "application/octet-stream");
out:
    pix_job_time(job, "store", pix_now_ms() - t0);
    return rc;
}

static void finish_stages(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;

    /* How the source was decoded, for the record: once, at this scale, and
     * how many times the working image had to be held in memory. */
    if (job->decodes) {
        pix_record *d = pix_rec_object(job->record, "decode");
        pix_rec_set_int(d, "decodes", job->decodes);
        pix_rec_set_num(d, "scale", round(job->decode_scale * 1e4) / 1e4);
        pix_rec_set_int(d, "materialised", job->materialised);
    }
    for (size_t i = 0; i < p->n_stages; i++) {
        const pix_instance *st = p->stages[i];
        if (!st->stage->finish)
            continue;
        job->actor = st;
        pix_status before = job->status;
        int rc = st->stage->finish(&st->ctx, job, before);
        job->actor = NULL;
        if (rc < 0)
            pix_job_fail(job, st->plugin->name, "finish failed without giving a reason");
    }
}

/* --dry-run with a storage that can answer without sending the object (S3
 * HeadObject): size, type, marker and the byte limit, nothing downloaded. */
static void plan_from_head(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    const pix_instance *src = p->source;
    pix_object_info info = { 0 };

    job->actor = src;
    int rc = src->storage->head(&src->ctx, job, job->bucket, job->key, &info);
    job->actor = NULL;
    if (rc < 0) {
        pix_job_fail(job, src->plugin->name, "cannot look up '%s' (no reason given)", job->key);
        return;
    }
    job->src.size = info.size;
    snprintf(job->etag, sizeof job->etag, "%s", info.etag);
    snprintf(job->content_type, sizeof job->content_type, "%s", info.content_type);
    const char *family = pix_format_from_mime(info.content_type);
    if (!family)
        family = pix_format_from_name(job->key);
    snprintf(job->format, sizeof job->format, "%s", family ? family : "");
    if (p->max_input_bytes && info.size > p->max_input_bytes)
        pix_job_fail(job, NULL, "is %" PRIu64 " bytes, over limits.max_input_bytes (%" PRIu64
                     " bytes)", info.size, p->max_input_bytes);
    else if (info.written_by_pixpipe)
        pix_job_skip(job, "written by pixpipe itself (an output, not an original)");
}

/* The working image becomes the pipeline's main rendition. */
static void add_output(pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    pix_err err;

    if (!job->image)
        return;
    g_object_ref(job->image);
    if (pix_job_add_rendition(job, p->output_rendition, job->image, &p->output, &err) < 0)
        pix_job_fail(job, NULL, "%s", err.msg);
}

static void decode(pix_job *job)
{
    pix_job_decode(job); /* the job records why it failed */
}

/* Runs step unless the job has already ended. */
static void then(pix_job *job, void (*step)(pix_job *))
{
    if (job->status == PIX_JOB_OK)
        step(job);
}

void pix_job_run(pix_job *job, bool dry_run)
{
    /* A local file's header is read (it costs no download and gives the
     * size in pixels); a remote object is planned from head() alone. */
    const pix_instance *src = job->pipeline->source;
    if (dry_run && src->storage->head && !pix_serves(src, PIX_SCHEME_FILE)) {
        plan_from_head(job); /* nothing downloaded */
        return;
    }
    if (job->removed) {
        pix_job_remove(job); /* no fetch: the object is gone */
        return;
    }
    if (job->only_stale) {
        pix_job_check_stale(job); /* one metadata read, nothing fetched yet */
        if (job->status != PIX_JOB_OK)
            return; /* up to date, or the record cannot be read: nothing written */
    }
    then(job, fetch);        /* bytes and object facts; byte limit; own outputs */
    then(job, detect);       /* the format, from the bytes                      */
    then(job, count_tiff_pages); /* before libtiff walks them all               */
    then(job, read_header);  /* size and pages, no pixel decoded                */
    then(job, check_pixels); /* the pixel limit                                 */
    then(job, pix_job_read_focus); /* user metadata, then XMP regions           */
    if (dry_run)
        return;
    then(job, decode);       /* once, upright, at the scale the stages need     */
    then(job, run_stages);   /* in order, the deadline checked before each      */
    then(job, add_output);   /* the working image as the main rendition         */
    then(job, encode_all);
    then(job, store_all);
    finish_stages(job);      /* always: a metadata sink records failures too    */
}
