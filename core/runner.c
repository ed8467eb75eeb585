/*
 * Worker threads take the next input by index: at most `jobs` images are in
 * memory at once, which is the bounded queue, and one failed job never stops
 * the others.
 */
#include "runner.h"

#include <jansson.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "job.h"
#include "keys.h"
#include "keyset.h"
#include "log.h"

typedef struct run_ctx {
    const pix_pipeline *p;
    const pix_inputs *in;
    const pix_run_opts *opts;
    pix_run_summary *sum;
    pthread_mutex_t lock;
    pix_keyset *claimed;
    size_t next, done;
    double t0;
} run_ctx;

static void human_size(uint64_t n, char *buf, size_t size)
{
    if (n >= 10u * 1024 * 1024)
        snprintf(buf, size, "%.1f MiB", (double)n / (1024.0 * 1024.0));
    else if (n >= 1024)
        snprintf(buf, size, "%.0f KiB", (double)n / 1024.0);
    else
        snprintf(buf, size, "%u B", (unsigned)n);
}

static void print_ok(const run_ctx *c, const pix_input *it, const pix_job *job, double ms)
{
    printf("ok       %s (%s %dx%d, %.0f ms)\n", it->display, job->format, job->src.width,
           job->src.height, ms);
    for (size_t i = 0; i < job->n_rend; i++) {
        const pix_rendition *r = &job->rend[i]->pub;
        char size[32];
        human_size(r->bytes, size, sizeof size);
        printf("         %s: %s/%s %dx%d %s\n", r->name, c->p->dest_bucket, r->key, r->width,
               r->height, size);
    }
}

static void print_plan(const run_ctx *c, const pix_input *it, const pix_job *job)
{
    pix_err err;
    bool alpha = job->header && vips_image_hasalpha(job->header);
    const char *fmt = pix_format_resolve(c->p->output.format, job->format, alpha);
    char *key = pix_template_expand(c->p->key_template, job->key, c->p->output_rendition,
                                    pix_format_ext(fmt), &err);
    if (job->header)
        printf("plan     %s (%s %dx%d) -> %s/%s\n", it->display, job->format, job->src.width,
               job->src.height, c->p->dest_bucket, key ? key : err.msg);
    else /* planned from the storage's head: nothing was downloaded */
        printf("plan     %s (%s, %llu bytes) -> %s/%s\n", it->display,
               job->format[0] ? job->format : job->content_type,
               (unsigned long long)job->src.size, c->p->dest_bucket, key ? key : err.msg);
    free(key);
}

int64_t pix_epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t bytes_out(const pix_job *job)
{
    uint64_t n = 0;
    for (size_t i = 0; i < job->n_rend; i++)
        n += job->rend[i]->pub.stored ? job->rend[i]->pub.bytes : 0;
    return n;
}

/* One JSON line per job, for CloudWatch Logs and log pipelines. */
static void print_json(const run_ctx *c, const pix_input *it, const pix_job *job, double ms)
{
    static const char *const names[] = { "ok", "skipped", "failed" };
    json_t *line = json_object(), *steps = json_object();
    for (size_t i = 0; i < job->n_timings; i++)
        json_object_set_new(steps, job->timings[i].step,
                            json_real(round(job->timings[i].ms * 1000.0) / 1000.0));
    json_object_set_new(line, "level", json_string(job->status == PIX_JOB_FAILED ? "error"
                                                                               : "info"));
    if (c->opts->request_id)
        json_object_set_new(line, "requestId", json_string(c->opts->request_id));
    json_object_set_new(line, "pipeline", json_string(c->p->name));
    json_object_set_new(line, "bucket", json_string(it->bucket));
    json_object_set_new(line, "key", json_string(it->key));
    json_object_set_new(line, "status", json_string(names[job->status]));
    if (job->reason)
        json_object_set_new(line, "reason", json_string(job->reason));
    json_object_set_new(line, "bytes_in", json_integer((json_int_t)job->src.size));
    json_object_set_new(line, "bytes_out", json_integer((json_int_t)bytes_out(job)));
    json_object_set_new(line, "duration_ms", json_real(round(ms * 1000.0) / 1000.0));
    json_object_set_new(line, "steps_ms", steps);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text)
        puts(text);
    free(text);
    json_decref(line);
}

static void report(run_ctx *c, const pix_input *it, const pix_job *job, double ms)
{
    pix_term_lock();
    pix_progress_clear_locked();
    c->sum->bytes_in += job->src.size;
    c->sum->bytes_out += bytes_out(job);
    if (c->opts->json_log) {
        switch (job->status) {
        case PIX_JOB_OK: c->sum->ok++; break;
        case PIX_JOB_SKIPPED: c->sum->skipped++; break;
        case PIX_JOB_FAILED: c->sum->failed++; break;
        }
        print_json(c, it, job, ms);
        fflush(stdout);
        c->done++;
        pix_term_unlock();
        return;
    }
    switch (job->status) {
    case PIX_JOB_OK:
        c->sum->ok++;
        if (!c->opts->quiet) {
            if (c->opts->dry_run)
                print_plan(c, it, job);
            else
                print_ok(c, it, job, ms);
        }
        break;
    case PIX_JOB_SKIPPED:
        c->sum->skipped++;
        if (!c->opts->quiet)
            printf("skipped  %s: %s\n", it->display, job->reason ? job->reason : "");
        break;
    case PIX_JOB_FAILED:
        c->sum->failed++;
        fflush(stdout);
        fprintf(stderr, "pixpipe: failed: %s: %s\n", it->display,
                job->reason ? job->reason : "unknown error");
        break;
    }
    fflush(stdout);
    c->done++;
    if (c->opts->progress) {
        double secs = (pix_now_ms() - c->t0) / 1000.0;
        double rate = secs > 0 ? (double)c->done / secs : 0;
        size_t left = c->in->n - c->done;
        fprintf(stderr, "\r\033[K%zu/%zu  %.1f img/s  %.0f s left", c->done, c->in->n, rate,
                rate > 0 ? (double)left / rate : 0.0);
        fflush(stderr);
        pix_progress_set_showing(1);
    }
    pix_term_unlock();
}

static void run_one(run_ctx *c, const pix_input *it, size_t index)
{
    pix_run_result *res = c->opts->results ? &c->opts->results[index] : NULL;
    /* Too close to the deadline to finish a job: leave it for a retry
     * rather than be killed half-way. */
    if (c->opts->deadline_ms && pix_epoch_ms() > c->opts->deadline_ms - c->opts->margin_ms) {
        pthread_mutex_lock(&c->lock);
        c->sum->not_started++;
        pthread_mutex_unlock(&c->lock);
        return;
    }
    double t0 = pix_now_ms();
    pix_job *job = pix_job_new(c->p, it->bucket, it->key);
    if (!job) {
        pix_log(PIX_LOG_ERROR, NULL, "%s: out of memory", it->display);
        pthread_mutex_lock(&c->lock);
        c->sum->failed++;
        pthread_mutex_unlock(&c->lock);
        if (res) {
            res->started = true;
            res->status = PIX_JOB_FAILED;
            res->reason = strdup("out of memory");
        }
        return;
    }
    job->skip_unknown = it->from_folder;
    job->deadline_ms = c->opts->deadline_ms;
    if (it->sequencer) {
        char *seq = strdup(it->sequencer);
        if (seq) {
            free(job->sequencer);
            job->sequencer = seq;
            job->src.sequencer = seq;
        }
    }
    job->claimed = c->claimed;
    pix_job_run(job, c->opts->dry_run);
    report(c, it, job, pix_now_ms() - t0);
    if (res) {
        res->started = true;
        res->status = job->status;
        res->reason = job->reason ? strdup(job->reason) : NULL;
    }
    pix_job_free(job);
    /* Each image's pixel buffers are freed in an order glibc's heap cannot
     * always coalesce; over thousands of images the free holes add up to
     * a slowly growing RSS.  Handing free pages back after each job keeps
     * RSS flat, for well under a millisecond. */
    malloc_trim(0);
}

static void *worker(void *arg)
{
    run_ctx *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        size_t i = c->next < c->in->n ? c->next++ : c->in->n;
        pthread_mutex_unlock(&c->lock);
        if (i >= c->in->n)
            break;
        run_one(c, &c->in->items[i], i);
    }
    return NULL;
}

void pix_run(const pix_pipeline *p, const pix_inputs *in, const pix_run_opts *opts,
             pix_run_summary *sum)
{
    run_ctx c = { .p = p, .in = in, .opts = opts, .sum = sum, .t0 = pix_now_ms() };
    int n = opts->jobs < 1 ? 1 : opts->jobs;
    if ((size_t)n > in->n)
        n = in->n ? (int)in->n : 1;
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    int started = 0;

    memset(sum, 0, sizeof *sum);
    pthread_mutex_init(&c.lock, NULL);
    c.claimed = pix_keyset_new();
    /* The calling thread is a worker too, so -j 1 spawns nothing. */
    for (int i = 1; threads && i < n; i++)
        if (pthread_create(&threads[started], NULL, worker, &c) == 0)
            started++;
        else
            pix_log(PIX_LOG_WARN, NULL, "could not start worker thread %d; going on with %d",
                    i + 1, started + 1);
    worker(&c);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    pix_keyset_free(c.claimed);
    pthread_mutex_destroy(&c.lock);
    pix_term_lock();
    pix_progress_clear_locked();
    pix_term_unlock();
}
