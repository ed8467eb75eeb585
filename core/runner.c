/*
 * The in-process runner: worker threads take the next input by index, so
 * at most `jobs` images are in memory at once, and one failed job never
 * stops the others.  It runs when there is no pool of worker processes
 * (PIXPIPE_ISOLATION=off: a debugger, or the side-by-side bench); the
 * pool's runner is core/pool.c.  How a finished job is reported is the
 * command's business (opts->on_done; cmd_report.c).
 */
#include "runner.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "job.h"
#include "keyset.h"
#include "log.h"
#include "setup.h"

typedef struct run_ctx {
    const pix_pipeline *p;
    const pix_inputs *in;
    const pix_run_opts *opts;
    pix_run_summary *sum;
    pthread_mutex_t lock;
    pix_keyset *claimed;
    size_t next, done;
    pthread_cond_t tick_cond; /* wakes the ticker when the run ends */
    bool ticking;
} run_ctx;

uint64_t pix_job_bytes_out(const pix_job *job)
{
    uint64_t n = 0;
    for (size_t i = 0; i < job->n_rend; i++)
        n += job->rend[i]->pub.stored ? job->rend[i]->pub.bytes : 0;
    return n;
}

void pix_run_account(const pix_pipeline *p, const pix_inputs *in, size_t index,
                     const pix_run_opts *opts, const pix_outcome *out, double ms,
                     pix_run_summary *sum, size_t *done)
{
    sum->bytes_in += out->bytes_in;
    sum->bytes_out += out->bytes_out;
    switch (out->status) {
    case PIX_JOB_OK: sum->ok++; break;
    case PIX_JOB_SKIPPED: sum->skipped++; sum->up_to_date += out->up_to_date; break;
    case PIX_JOB_FAILED: sum->failed++; break;
    }
    (*done)++;
    if (opts->results) {
        pix_run_result *res = &opts->results[index];
        res->started = true;
        res->status = out->status;
        res->reason = out->reason ? strdup(out->reason) : NULL;
        res->fail_kind = out->fail_kind;
    }
    pix_job_done d = { .pipeline = p, .input = &in->items[index], .out = out, .ms = ms,
                       .done = *done, .total = in->n, .dry_run = opts->dry_run };
    if (opts->on_done)
        opts->on_done(&d, opts->user);
}

pix_job_spec pix_run_spec(const pix_input *it, const pix_run_opts *opts)
{
    return (pix_job_spec){ .bucket = it->bucket, .key = it->key, .sequencer = it->sequencer,
                           .etag = it->etag, .skip_unknown = it->from_folder,
                           .only_stale = opts->only_stale, .removed = it->removed,
                           .deadline_ms = pix_run_job_deadline(opts) };
}

json_t *pix_job_spec_to_json(const pix_job_spec *s)
{
    return json_pack("{s:s, s:s, s:s*, s:s*, s:b, s:b, s:b, s:I}", "bucket", s->bucket, "key",
                     s->key, "sequencer", s->sequencer, "etag", s->etag, "skip_unknown",
                     s->skip_unknown, "only_stale", s->only_stale, "removed", s->removed,
                     "deadline_ms", (json_int_t)s->deadline_ms);
}

int pix_job_spec_from_json(const json_t *j, pix_job_spec *s)
{
    int skip = 0, stale = 0, removed = 0;
    json_int_t deadline = 0;
    *s = (pix_job_spec){ 0 };
    if (json_unpack((json_t *)j, "{s:s, s:s, s?s, s?s, s?b, s?b, s?b, s?I}", "bucket", &s->bucket,
                    "key", &s->key, "sequencer", &s->sequencer, "etag", &s->etag,
                    "skip_unknown", &skip, "only_stale", &stale, "removed", &removed,
                    "deadline_ms", &deadline) < 0)
        return -1;
    s->skip_unknown = skip;
    s->only_stale = stale;
    s->removed = removed;
    s->deadline_ms = deadline;
    return 0;
}

pix_job *pix_run_job_new(const pix_pipeline *p, const pix_job_spec *spec)
{
    pix_job *job = pix_job_new(p, spec->bucket, spec->key);
    if (!job)
        return NULL;
    job->skip_unknown = spec->skip_unknown;
    job->only_stale = spec->only_stale;
    job->removed = spec->removed;
    job->deadline_ms = spec->deadline_ms;
    snprintf(job->listed_etag, sizeof job->listed_etag, "%s", spec->etag ? spec->etag : "");
    if (spec->sequencer) {
        char *seq = strdup(spec->sequencer);
        if (!seq) {
            pix_job_free(job);
            return NULL;
        }
        free(job->sequencer);
        job->sequencer = seq;
        job->src.sequencer = seq;
    }
    return job;
}

int64_t pix_run_job_deadline(const pix_run_opts *opts)
{
    /* A job that is still in its stages half a margin before the deadline
     * fails there (job.c), leaving the other half to store what it has,
     * write its record and answer. */
    return opts->deadline_ms ? opts->deadline_ms - opts->margin_ms / 2 : 0;
}

static int claim_key(void *ks, const char *key, const char *owner, char *prev, size_t size)
{
    const char *earlier = pix_keyset_claim(ks, key, owner);
    if (earlier)
        snprintf(prev, size, "%s", earlier);
    return earlier != NULL;
}

static void finish(run_ctx *c, size_t index, const pix_job *job, double ms)
{
    pix_outcome out = { 0 };
    if (pix_outcome_from_job(&out, job, c->opts->dry_run) < 0) {
        pix_outcome_clear(&out);
        pix_outcome_failed(&out, "out of memory while reporting the job");
    }
    pthread_mutex_lock(&c->lock);
    pix_run_account(c->p, c->in, index, c->opts, &out, ms, c->sum, &c->done);
    pthread_mutex_unlock(&c->lock);
    pix_outcome_clear(&out);
}

static void run_one(run_ctx *c, const pix_input *it, size_t index)
{
    if (c->opts->stop && *c->opts->stop) {
        pthread_mutex_lock(&c->lock);
        c->sum->not_started++;
        pthread_mutex_unlock(&c->lock);
        return;
    }
    /* Too close to the deadline to finish a job: leave it for a retry
     * rather than be killed half-way. */
    if (c->opts->deadline_ms && pix_epoch_ms() > c->opts->deadline_ms - c->opts->margin_ms) {
        pthread_mutex_lock(&c->lock);
        c->sum->not_started++;
        pthread_mutex_unlock(&c->lock);
        return;
    }
    double t0 = pix_now_ms();
    pix_job_spec spec = pix_run_spec(it, c->opts);
    pix_job *job = pix_run_job_new(c->p, &spec);
    if (!job) {
        pix_outcome out = { 0 };
        pix_outcome_failed(&out, "out of memory");
        pthread_mutex_lock(&c->lock);
        pix_run_account(c->p, c->in, index, c->opts, &out, pix_now_ms() - t0, c->sum, &c->done);
        pthread_mutex_unlock(&c->lock);
        pix_outcome_clear(&out);
        return;
    }
    job->claim = claim_key;
    job->claim_ctx = c->claimed;
    pix_job_run(job, c->opts->dry_run);
    double pixels = (double)job->src.width * job->src.height;
    finish(c, index, job, pix_now_ms() - t0);
    pix_job_free(job);
    pix_heap_after_job(pixels);
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

/* Calls opts->tick every tick_ms until the run ends (c->ticking false). */
static void *ticker(void *arg)
{
    run_ctx *c = arg;
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += c->opts->tick_ms / 1000;
        ts.tv_nsec += (long)(c->opts->tick_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_mutex_lock(&c->lock);
        while (c->ticking && pthread_cond_timedwait(&c->tick_cond, &c->lock, &ts) == 0)
            ;
        bool go = c->ticking;
        pthread_mutex_unlock(&c->lock);
        if (!go)
            return NULL;
        c->opts->tick(c->opts->user);
    }
}

static void run_threads(const pix_pipeline *p, const pix_inputs *in, const pix_run_opts *opts,
                        pix_run_summary *sum)
{
    run_ctx c = { .p = p, .in = in, .opts = opts, .sum = sum };
    int n = opts->jobs < 1 ? 1 : opts->jobs;
    if ((size_t)n > in->n)
        n = in->n ? (int)in->n : 1;
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    int started = 0;

    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.tick_cond, NULL);
    c.claimed = pix_keyset_new();
    pthread_t tick_thread;
    c.ticking = opts->tick && opts->tick_ms > 0 &&
                pthread_create(&tick_thread, NULL, ticker, &c) == 0;
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
    if (c.ticking) {
        pthread_mutex_lock(&c.lock);
        c.ticking = false;
        pthread_cond_signal(&c.tick_cond);
        pthread_mutex_unlock(&c.lock);
        pthread_join(tick_thread, NULL);
    }
    pthread_cond_destroy(&c.tick_cond);
    free(threads);
    pix_keyset_free(c.claimed);
    pthread_mutex_destroy(&c.lock);
    /* Free heap pages go back when the run (or the page of a folder walk)
     * ends, not after each job: the next job would fault them all in again
     * (as a worker process, core/worker.c). */
    malloc_trim(0);
}

void pix_run(const pix_pipeline *p, const pix_inputs *in, const pix_run_opts *opts,
             pix_run_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    if (opts->pool)
        pix_pool_run(opts->pool, in, opts, sum);
    else
        run_threads(p, in, opts, sum);
}
