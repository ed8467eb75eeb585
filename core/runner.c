/*
 * Worker threads take the next input by index: at most `jobs` images are in
 * memory at once, which is the bounded queue, and one failed job never stops
 * the others.  How a finished job is reported is the command's business
 * (opts->on_done; cmd_report.c).
 */
#include "runner.h"

#include <malloc.h>
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
} run_ctx;

uint64_t pix_job_bytes_out(const pix_job *job)
{
    uint64_t n = 0;
    for (size_t i = 0; i < job->n_rend; i++)
        n += job->rend[i]->pub.stored ? job->rend[i]->pub.bytes : 0;
    return n;
}

static int claim_key(void *ks, const char *key, const char *owner, char *prev, size_t size)
{
    const char *earlier = pix_keyset_claim(ks, key, owner);
    if (earlier)
        snprintf(prev, size, "%s", earlier);
    return earlier != NULL;
}

static void report(run_ctx *c, const pix_input *it, const pix_job *job, double ms)
{
    pthread_mutex_lock(&c->lock);
    c->sum->bytes_in += job->src.size;
    c->sum->bytes_out += pix_job_bytes_out(job);
    switch (job->status) {
    case PIX_JOB_OK: c->sum->ok++; break;
    case PIX_JOB_SKIPPED: c->sum->skipped++; break;
    case PIX_JOB_FAILED: c->sum->failed++; break;
    }
    c->done++;
    pix_job_done d = { .pipeline = c->p, .input = it, .job = job, .ms = ms, .done = c->done,
                       .total = c->in->n, .dry_run = c->opts->dry_run };
    if (c->opts->on_done)
        c->opts->on_done(&d, c->opts->user);
    pthread_mutex_unlock(&c->lock);
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
    /* A job that is still in its stages half a margin before the deadline
     * fails there (job.c), leaving the other half to store what it has,
     * write its record and answer. */
    job->deadline_ms = c->opts->deadline_ms ? c->opts->deadline_ms - c->opts->margin_ms / 2 : 0;
    if (it->sequencer) {
        char *seq = strdup(it->sequencer);
        if (seq) {
            free(job->sequencer);
            job->sequencer = seq;
            job->src.sequencer = seq;
        }
    }
    job->claim = claim_key;
    job->claim_ctx = c->claimed;
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
    run_ctx c = { .p = p, .in = in, .opts = opts, .sum = sum };
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
}
