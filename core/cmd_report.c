/* Reporting finished jobs for `pixpipe run` and `pixpipe lambda`. */
#include "cmd_report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void human_size(uint64_t n, char *buf, size_t size)
{
    if (n >= 10u * 1024 * 1024)
        snprintf(buf, size, "%.1f MiB", (double)n / (1024.0 * 1024.0));
    else if (n >= 1024)
        snprintf(buf, size, "%.0f KiB", (double)n / 1024.0);
    else
        snprintf(buf, size, "%u B", (unsigned)n);
}

/* s escaped for a text line (pix_log_escape): a key or reason holding a
 * line break cannot forge a line of the report.  malloc'd; NULL out of
 * memory, which the callers print as "". */
static char *esc(const char *s)
{
    size_t size = 4 * strlen(s ? s : "") + 1;
    char *out = malloc(size);
    if (out)
        pix_log_escape(s, out, size);
    return out;
}

static void print_ok(const pix_job_done *d)
{
    const pix_outcome *o = d->out;
    if (o->removal) {
        printf("removed  %s: %d rendition%s%s (%.0f ms)\n", d->input->display,
               o->removed_renditions, o->removed_renditions == 1 ? "" : "s",
               o->removed_record ? " and its record" : ", no record left", d->ms);
        return;
    }
    printf("ok       %s (%s %dx%d, %.0f ms)\n", d->input->display, o->format, o->width,
           o->height, d->ms);
    for (size_t i = 0; i < o->n_rend; i++) {
        const pix_outcome_rendition *r = &o->rend[i];
        char size[32];
        char *name = esc(r->name), *key = esc(r->key);
        human_size(r->bytes, size, sizeof size);
        printf("         %s: %s/%s %dx%d %s\n", name ? name : "", d->pipeline->dest_bucket,
               key ? key : "", r->width, r->height, size);
        free(name), free(key);
    }
}

static void print_plan(const pix_job_done *d)
{
    const pix_pipeline *p = d->pipeline;
    const pix_outcome *o = d->out;
    char *key = esc(o->plan_key);
    if (!key)
        return;
    if (o->header_read)
        printf("plan     %s (%s %dx%d) -> %s/%s\n", d->input->display, o->format, o->width,
               o->height, p->dest_bucket, key);
    else /* planned from the storage's head: nothing was downloaded */
        printf("plan     %s (%s, %llu bytes) -> %s/%s\n", d->input->display,
               o->format[0] ? o->format : o->content_type, (unsigned long long)o->bytes_in,
               p->dest_bucket, key);
    free(key);
}

/* One JSON line per job, for CloudWatch Logs and log pipelines. */
static void print_json(const pix_job_done *d, const pix_reporter *r)
{
    static const char *const names[] = { "ok", "skipped", "failed" };
    const pix_outcome *o = d->out;
    json_t *line = json_object(), *steps = json_object();
    for (size_t i = 0; i < o->n_steps; i++)
        json_object_set_new(steps, o->steps[i].name,
                            json_real(round(o->steps[i].ms * 1000.0) / 1000.0));
    json_object_set_new(line, "level", json_string(o->status == PIX_JOB_FAILED ? "error"
                                                                             : "info"));
    if (r->request_id)
        json_object_set_new(line, "requestId", json_string(r->request_id));
    json_object_set_new(line, "pipeline", json_string(d->pipeline->name));
    json_object_set_new(line, "bucket", json_string(d->input->bucket));
    json_object_set_new(line, "key", json_string(d->input->key));
    json_object_set_new(line, "status", json_string(names[o->status]));
    if (o->up_to_date)
        json_object_set_new(line, "up_to_date", json_true());
    if (o->removal) {
        json_object_set_new(line, "removed_renditions", json_integer(o->removed_renditions));
        json_object_set_new(line, "removed_record", json_boolean(o->removed_record));
    }
    if (o->reason)
        json_object_set_new(line, "reason", json_string(o->reason));
    json_object_set_new(line, "bytes_in", json_integer((json_int_t)o->bytes_in));
    json_object_set_new(line, "bytes_out", json_integer((json_int_t)o->bytes_out));
    json_object_set_new(line, "duration_ms", json_real(round(d->ms * 1000.0) / 1000.0));
    json_object_set_new(line, "steps_ms", steps);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text)
        puts(text);
    free(text);
    json_decref(line);
}

static void print_text(const pix_job_done *d, const pix_reporter *r)
{
    const pix_outcome *o = d->out;
    char *reason = esc(o->reason ? o->reason : o->status == PIX_JOB_FAILED
                                                   ? "failed without giving a reason" : "");
    switch (o->status) {
    case PIX_JOB_OK:
        if (r->quiet)
            break;
        if (d->dry_run)
            print_plan(d);
        else
            print_ok(d);
        break;
    case PIX_JOB_SKIPPED:
        /* a re-run over a bucket is mostly these: counted, not listed */
        if (!r->quiet && !o->up_to_date)
            printf("skipped  %s: %s\n", d->input->display, reason ? reason : "");
        break;
    case PIX_JOB_FAILED:
        fflush(stdout);
        fprintf(stderr, "pixpipe: failed: %s: %s\n", d->input->display,
                reason ? reason : "");
        break;
    }
    free(reason);
    fflush(stdout);
    if (r->progress) {
        double secs = (pix_now_ms() - r->t0) / 1000.0;
        double rate = secs > 0 ? (double)d->done / secs : 0;
        size_t left = d->total - d->done;
        if (d->listing)
            fprintf(stderr, "\r\033[Klisted %zu  done %zu  %.1f objects/s", d->total, d->done,
                    rate);
        else
            fprintf(stderr, "\r\033[K%zu/%zu  %.1f img/s  %.0f s left", d->done, d->total,
                    rate, rate > 0 ? (double)left / rate : 0.0);
        fflush(stderr);
        pix_progress_set_showing(1);
    }
}

void pix_report_job(const pix_job_done *d, void *user)
{
    const pix_reporter *r = user;
    pix_term_lock();
    pix_progress_clear_locked();
    if (r->json) {
        print_json(d, r);
        fflush(stdout);
    } else {
        print_text(d, r);
    }
    pix_term_unlock();
}

void pix_report_end(const pix_reporter *r)
{
    (void)r;
    pix_term_lock();
    pix_progress_clear_locked();
    pix_term_unlock();
}

/* One CloudWatch Embedded Metric Format line: metrics without an agent. */
void pix_report_metrics(const pix_pipeline *p, const pix_run_summary *sum, double ms)
{
    json_t *metric_defs = json_pack(
        "[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]",
        "Name", "ImagesProcessed", "Unit", "Count", "Name", "ImagesFailed", "Unit", "Count",
        "Name", "ImagesSkipped", "Unit", "Count", "Name", "ImagesNotStarted", "Unit", "Count",
        "Name", "BytesIn", "Unit", "Bytes", "Name", "BytesOut", "Unit", "Bytes", "Name",
        "Duration", "Unit", "Milliseconds");
    json_t *line = json_pack("{s:{s:I, s:[{s:s, s:[[s]], s:o}]}, s:s, s:I, s:I, s:I, s:I, s:I, "
                             "s:I, s:f}",
                             "_aws", "Timestamp", (json_int_t)pix_epoch_ms(), "CloudWatchMetrics",
                             "Namespace", "pixpipe", "Dimensions", "Pipeline", "Metrics",
                             metric_defs, "Pipeline", p->name, "ImagesProcessed",
                             (json_int_t)sum->ok, "ImagesFailed", (json_int_t)sum->failed,
                             "ImagesSkipped", (json_int_t)sum->skipped, "ImagesNotStarted",
                             (json_int_t)sum->not_started, "BytesIn", (json_int_t)sum->bytes_in,
                             "BytesOut", (json_int_t)sum->bytes_out, "Duration",
                             round(ms * 1000.0) / 1000.0);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text)
        puts(text);
    fflush(stdout);
    free(text);
    json_decref(line);
}
