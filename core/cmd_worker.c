/*
 * pixpipe worker: the SQS consumer for fleets outside Lambda (ECS,
 * Kubernetes, plain machines).  It long-polls the queue (20 s waits, up to
 * 10 messages), reads the messages as Lambda would read the same batch
 * (core/event.c: S3 notifications, SNS envelopes, EventBridge events),
 * runs them through the pipeline with the same workers, logs and metrics,
 * and deletes a message only once every object it announced was
 * processed and recorded.  A failed message is left to come back after
 * its visibility timeout, and to the queue's redrive policy after
 * maxReceiveCount; while a batch runs its visibility is extended, so a
 * slow image is never handed to a second worker.
 *
 * SIGTERM or SIGINT drains: no new batch is received, jobs not yet
 * started are handed back at once (visibility 0), started ones finish
 * (each bounded by limits.job_timeout), and their messages are deleted.
 */
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_report.h"
#include "commands.h"
#include "event.h"
#include "host.h"
#include "job.h"
#include "log.h"
#include "pool.h"
#include "runner.h"
#include "setup.h"
#include "sqs.h"

#define WORKER_USAGE                                                                          \
    "usage: pixpipe worker --queue URL [-p PIPELINE] [-j N] [--visibility SECONDS]\n"          \
    "                      [--until-empty] [--log-format json|text] [-v]"

static volatile sig_atomic_t stop_asked;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_asked = 1;
}

/* One received batch, while it runs. */
typedef struct batch {
    pix_sqs *q;
    pix_sqs_message *msgs;
    size_t n;
    int visibility_s;
    pix_reporter *report;
    pthread_mutex_t lock; /* the tick and the reports may run at once */
} batch;

/* Keeps the batch's messages invisible while its jobs run. */
static void extend_visibility(void *user)
{
    batch *b = user;
    const char *receipts[PIX_SQS_MAX_BATCH];
    pix_err err = { { 0 } };
    size_t failed = 0;

    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->n; i++)
        receipts[i] = b->msgs[i].receipt_handle;
    if (pix_sqs_change_visibility_batch(b->q, receipts, b->n, b->visibility_s, NULL, &failed,
                                        &err) < 0 || failed)
        pix_log(PIX_LOG_WARN, "worker", "cannot extend the visibility of %zu message(s): %s",
                failed ? failed : b->n, err.msg[0] ? err.msg : "refused by SQS");
    pthread_mutex_unlock(&b->lock);
}

static void report_job(const pix_job_done *d, void *user)
{
    batch *b = user;
    pthread_mutex_lock(&b->lock);
    pix_report_job(d, b->report);
    pthread_mutex_unlock(&b->lock);
}

/* The batch as the SQS event Lambda would have been given. */
static char *as_lambda_event(const batch *b)
{
    json_t *records = json_array();
    for (size_t i = 0; records && i < b->n; i++)
        json_array_append_new(records, json_pack("{s:s, s:s, s:s, s:s%}", "eventSource",
                                                 "aws:sqs", "messageId", b->msgs[i].message_id,
                                                 "receiptHandle", b->msgs[i].receipt_handle,
                                                 "body", b->msgs[i].body,
                                                 b->msgs[i].body_len));
    json_t *ev = json_pack("{s:o}", "Records", records);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    return text;
}

/* Whether message id is done with: none of its objects failed or was left
 * out, and its body was usable. */
static bool message_done(const char *id, const pix_inputs *in, const pix_run_result *res,
                         const pix_event_summary *ev, bool *left_out)
{
    *left_out = false;
    for (size_t i = 0; i < ev->n_bad; i++)
        if (strcmp(ev->bad[i].message_id, id) == 0)
            return false;
    bool done = true;
    for (size_t i = 0; i < in->n; i++) {
        if (!in->items[i].message_id || strcmp(in->items[i].message_id, id) != 0)
            continue;
        if (!res[i].started)
            *left_out = true, done = false;
        else if (res[i].status == PIX_JOB_FAILED)
            done = false;
    }
    return done;
}

/* Deletes what is done, hands back what was left out; the rest (failed)
 * comes back by itself after its visibility timeout. */
static void settle(batch *b, const pix_inputs *in, const pix_run_result *res,
                   const pix_event_summary *ev)
{
    const char *done[PIX_SQS_MAX_BATCH], *back[PIX_SQS_MAX_BATCH];
    size_t n_done = 0, n_back = 0, failed = 0;
    pix_err err = { { 0 } };

    for (size_t i = 0; i < b->n; i++) {
        bool left_out;
        if (message_done(b->msgs[i].message_id, in, res, ev, &left_out))
            done[n_done++] = b->msgs[i].receipt_handle;
        else if (left_out)
            back[n_back++] = b->msgs[i].receipt_handle;
    }
    if (n_done && (pix_sqs_delete_batch(b->q, done, n_done, NULL, &failed, &err) < 0 || failed))
        pix_log(PIX_LOG_WARN, "worker", "cannot delete %zu processed message(s) (they will be "
                "processed again): %s", failed ? failed : n_done,
                err.msg[0] ? err.msg : "refused by SQS");
    err.msg[0] = '\0';
    failed = 0;
    if (n_back && (pix_sqs_change_visibility_batch(b->q, back, n_back, 0, NULL, &failed,
                                                   &err) < 0 || failed))
        pix_log(PIX_LOG_WARN, "worker", "cannot hand back %zu message(s): %s",
                failed ? failed : n_back, err.msg[0] ? err.msg : "refused by SQS");
}

/* Runs one received batch. */
static void run_batch(const pix_pipeline *p, pix_pool *pool, int jobs, batch *b)
{
    pix_inputs in = { 0 };
    pix_event_summary ev = { 0 };
    pix_run_result *res = NULL;
    pix_err err = { { 0 } };
    double t0 = pix_now_ms();
    char *text = as_lambda_event(b);

    if (!text || pix_event_parse("batch", text, strlen(text),
                                 p->on_delete == PIX_ON_DELETE_REMOVE, &in, &ev, &err) < 0) {
        pix_log(PIX_LOG_ERROR, "worker", "%zu message(s) left for redelivery: %s", b->n,
                text ? err.msg : "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ev.n_bad; i++)
        pix_log(PIX_LOG_ERROR, "worker", "SQS message %s not used (left for the queue's "
                "redrive policy): %s", ev.bad[i].message_id, ev.bad[i].reason);
    if (!(res = calloc(in.n ? in.n : 1, sizeof *res))) {
        pix_log(PIX_LOG_ERROR, "worker", "out of memory");
        goto out;
    }
    int tick_ms = b->visibility_s * 1000 / 3;
    pix_run_opts opts = { .jobs = jobs, .pool = pool, .on_done = report_job, .user = b,
                          .results = res, .stop = &stop_asked, .tick = extend_visibility,
                          .tick_ms = tick_ms < 1000 ? 1000 : tick_ms };
    pix_run_summary sum = { 0 };
    if (in.n)
        pix_run(p, &in, &opts, &sum);
    settle(b, &in, res, &ev);
    pix_report_metrics(p, &sum, pix_now_ms() - t0);
out:
    for (size_t i = 0; res && i < in.n; i++)
        free(res[i].reason);
    free(res);
    free(text);
    pix_event_summary_free(&ev);
    pix_inputs_free(&in);
}

int pix_cmd_worker(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "queue", required_argument, NULL, 'Q' },
        { "pipeline", required_argument, NULL, 'p' },
        { "jobs", required_argument, NULL, 'j' },
        { "visibility", required_argument, NULL, 'V' },
        { "until-empty", no_argument, NULL, 'E' },
        { "log-format", required_argument, NULL, 'l' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *queue = NULL, *pipeline_path = NULL;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = cpus < 1 ? 1 : cpus > 10 ? 10 : (int)cpus, visibility = 60, c, status = 2;
    bool until_empty = false;
    pix_reporter report = { .json = true };
    pix_registry *reg = NULL;
    pix_pipeline *p = NULL;
    pix_pool *pool = NULL;
    pix_sqs *q = NULL;
    pix_err err = { { 0 } };
    char *end;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:j:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'Q': queue = optarg; break;
        case 'p': pipeline_path = optarg; break;
        case 'j':
            jobs = (int)strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > 64) {
                fprintf(stderr, "pixpipe worker: -j takes a number from 1 to 64, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'V':
            visibility = (int)strtol(optarg, &end, 10);
            if (*end || visibility < 10 || visibility > PIX_SQS_MAX_VISIBILITY_S) {
                fprintf(stderr, "pixpipe worker: --visibility takes seconds from 10 to %d, not "
                        "'%s'\n", PIX_SQS_MAX_VISIBILITY_S, optarg);
                return 2;
            }
            break;
        case 'E': until_empty = true; break;
        case 'l':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr, "pixpipe worker: --log-format takes json or text, not '%s'\n",
                        optarg);
                return 2;
            }
            report.json = strcmp(optarg, "json") == 0;
            break;
        case 'v': pix_log_set_level(PIX_LOG_DEBUG); break;
        case 'h': puts(WORKER_USAGE); return 0;
        default: fputs(WORKER_USAGE "\n", stderr); return 2;
        }
    }
    if (!queue || optind < argc) {
        fputs(WORKER_USAGE "\n", stderr);
        return 2;
    }
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    if (pix_vips_start(argv[0], &err) < 0 || !(reg = pix_registry_new()) ||
        !(p = pix_open_pipeline(pipeline_path, reg, &err)))
        goto fail;
    if (pix_serves(p->source, PIX_SCHEME_FILE)) {
        pix_err_set(&err, "worker: the queue announces S3 objects, but the pipeline's source is "
                    "%s; use a pipeline with source: { storage: s3 }", p->source->plugin->name);
        goto fail;
    }
    if (pix_sqs_open(queue, &q, &err) < 0)
        goto fail;
    pix_sqs_set_stop(q, &stop_asked);
    /* workers first, forked from a process that has opened nothing else */
    if (pix_isolation_wanted() ? !(pool = pix_pool_new(p, jobs, false, &err))
                               : pix_pipeline_start(p, &pix_host_api, &err) < 0)
        goto fail;
    pix_log(PIX_LOG_INFO, "worker", "polling %s with %d job(s) at once", pix_sqs_url(q), jobs);
    status = 0;
    while (!stop_asked) {
        batch b = { .q = q, .visibility_s = visibility, .report = &report };
        if (pix_sqs_receive(q, PIX_SQS_MAX_BATCH, PIX_SQS_MAX_WAIT_S, visibility, &b.msgs, &b.n, &err) < 0) {
            pix_log(PIX_LOG_ERROR, "worker", "%s; trying again in 5 s", err.msg);
            for (int i = 0; i < 50 && !stop_asked; i++)
                usleep(100 * 1000);
            continue;
        }
        if (b.n == 0) {
            if (until_empty)
                break;
            continue;
        }
        pthread_mutex_init(&b.lock, NULL);
        run_batch(p, pool, jobs, &b);
        pthread_mutex_destroy(&b.lock);
        pix_sqs_messages_free(b.msgs, b.n);
    }
    if (stop_asked)
        pix_log(PIX_LOG_INFO, "worker", "stopped: started jobs finished, the rest handed back");
    goto out;
fail:
    fprintf(stderr, "pixpipe: %s\n", err.msg[0] ? err.msg : "out of memory");
    status = 2;
out:
    pix_pool_free(pool);
    pix_sqs_close(q);
    pix_pipeline_free(p);
    pix_registry_free(reg);
    pix_vips_stop();
    return status;
}
