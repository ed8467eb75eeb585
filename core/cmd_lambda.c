/*
 * pixpipe lambda: the AWS Lambda custom runtime.
 *
 * Init once (pipeline, plugins, AWS client); a failure there is posted to
 * /runtime/init/error and the process exits.  Then the loop: GET
 * /invocation/next on a kept-alive connection, turn the event into inputs
 * (the same parser as `run --event`), run them (up to -j records at once),
 * and POST the response: a summary, or for SQS batchItemFailures naming
 * exactly the messages that failed or were not reached.  Records that the
 * deadline leaves no time for are not started; a non-SQS invocation with
 * such records ends in an error so that Lambda delivers the event again
 * (records already done are idempotent: same keys, one metadata item).
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "event.h"
#include "http.h"
#include "cmd_report.h"
#include "host.h"
#include "job.h"
#include "log.h"
#include "pool.h"
#include "runner.h"
#include "setup.h"

#define LAMBDA_USAGE "usage: pixpipe lambda [-p PIPELINE] [-j RECORDS-AT-ONCE] [-v]"

typedef struct runtime {
    char base[512];     /* http://HOST:PORT/2018-06-01/runtime */
} runtime;

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : def;
    return v && *v && *end == '\0' ? n : def;
}

/* POSTs body (JSON) to base + path; the answer's status, or -1. */
static long post(const runtime *rt, const char *path, const char *body, const char *error_type)
{
    char url[1024], hdr[256];
    const char *hdrs[2] = { "Content-Type: application/json", hdr };
    pix_http_result res;

    snprintf(url, sizeof url, "%s%s", rt->base, path);
    snprintf(hdr, sizeof hdr, "Lambda-Runtime-Function-Error-Type: %s",
             error_type ? error_type : "");
    pix_http_req req = { .method = "POST", .url = url, .headers = hdrs,
                         .n_headers = error_type ? 2 : 1, .body = body,
                         .body_len = strlen(body), .connect_timeout_ms = 3000,
                         .timeout_ms = 30000 };
    long status = pix_http_perform(&req, &res) == 0 ? res.status : -1;
    if (status < 0)
        pix_log(PIX_LOG_ERROR, "lambda", "POST %s: %s", path, res.error);
    else if (status >= 300)
        pix_log(PIX_LOG_ERROR, "lambda", "POST %s: HTTP %ld %s", path, status,
                res.body ? (const char *)res.body : "");
    pix_http_result_free(&res);
    return status;
}

static char *error_body(const char *type, const char *message)
{
    json_t *o = json_pack("{s:s, s:s}", "errorType", type, "errorMessage", message);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static void post_error(const runtime *rt, const char *path, const char *type, const char *msg)
{
    char *body = error_body(type, msg);
    if (body)
        post(rt, path, body, type);
    free(body);
}

/* The answer for an SQS batch: the messages to deliver again. */
static json_t *batch_failures(const pix_inputs *in, const pix_run_result *res,
                              const pix_event_summary *sum)
{
    json_t *list = json_array();
    for (size_t i = 0; i < sum->n_bad; i++)
        json_array_append_new(list, json_pack("{s:s}", "itemIdentifier", sum->bad[i].message_id));
    for (size_t i = 0; i < in->n; i++) {
        const char *id = in->items[i].message_id;
        if (!id || (res[i].started && res[i].status != PIX_JOB_FAILED))
            continue;
        bool listed = false;
        size_t k;
        json_t *item;
        json_array_foreach(list, k, item)
            listed |= strcmp(json_string_value(json_object_get(item, "itemIdentifier")), id) == 0;
        if (!listed)
            json_array_append_new(list, json_pack("{s:s}", "itemIdentifier", id));
    }
    return json_pack("{s:o}", "batchItemFailures", list);
}

/* A Batch Operations resultString: at most 1 KiB, cut on a UTF-8
 * boundary. */
static json_t *result_string(const char *fmt, const char *text)
{
    char buf[1025];
    snprintf(buf, sizeof buf, fmt, text ? text : "");
    size_t n = strlen(buf);
    while (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
        n--; /* never end inside a character: drop a cut one */
    if (n > 0 && n == sizeof buf - 1 && ((unsigned char)buf[n - 1] & 0x80))
        n--;
    buf[n] = '\0';
    return json_string(buf);
}

/* The answer for S3 Batch Operations: one result per task.  Throttling,
 * server errors, time limits and tasks the deadline left out are
 * TemporaryFailure (Batch retries them); a corrupt, too big or refused
 * image, or a missing key, is PermanentFailure. */
static json_t *batch_results(const pix_inputs *in, const pix_run_result *res,
                             const pix_event_summary *ev)
{
    json_t *list = json_array();
    for (size_t i = 0; i < ev->n_bad; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "taskId",
                                              ev->bad[i].message_id, "resultCode",
                                              "PermanentFailure", "resultString",
                                              result_string("invalid task: %s",
                                                            ev->bad[i].reason)));
    for (size_t i = 0; i < in->n; i++) {
        const char *code = "Succeeded";
        json_t *why;
        if (!res[i].started) {
            code = "TemporaryFailure";
            why = result_string("%snot started before the invocation's deadline", "");
        } else if (res[i].status == PIX_JOB_FAILED) {
            code = res[i].fail_kind == PIX_FAIL_TRANSIENT ? "TemporaryFailure"
                                                          : "PermanentFailure";
            why = result_string(res[i].fail_kind == PIX_FAIL_MISSING ? "missing: %s" : "%s",
                                res[i].reason);
        } else if (res[i].status == PIX_JOB_SKIPPED) {
            why = result_string("skipped: %s", res[i].reason);
        } else {
            why = result_string("%sprocessed", "");
        }
        json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "taskId",
                                              in->items[i].message_id, "resultCode", code,
                                              "resultString", why));
    }
    return json_pack("{s:s, s:s, s:s, s:o}", "invocationSchemaVersion", ev->batch_schema,
                     "treatMissingKeysAs", "PermanentFailure", "invocationId",
                     ev->batch_invocation, "results", list);
}

/* The answer for the other shapes: what was done, with reasons. */
static json_t *summary(const pix_inputs *in, const pix_run_result *res,
                       const pix_run_summary *sum, const pix_event_summary *ev)
{
    json_t *failed = json_array(), *skipped = json_array(), *not_started = json_array();
    for (size_t i = 0; i < in->n; i++) {
        const pix_input *it = &in->items[i];
        json_t *rec = json_pack("{s:s, s:s}", "bucket", it->bucket, "key", it->key);
        if (!res[i].started)
            json_array_append_new(not_started, rec);
        else if (res[i].status == PIX_JOB_FAILED || res[i].status == PIX_JOB_SKIPPED) {
            json_object_set_new(rec, "reason", json_string(res[i].reason ? res[i].reason : ""));
            json_array_append_new(res[i].status == PIX_JOB_FAILED ? failed : skipped, rec);
        } else
            json_decref(rec);
    }
    /* counts are plain numbers, records with reasons are lists */
    return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "event",
                     pix_event_kind_name(ev->kind), "processed", (json_int_t)sum->ok,
                     "ignored", (json_int_t)ev->ignored, "tests", (json_int_t)ev->tests,
                     "failed", failed, "skipped", skipped, "not_processed", not_started);
}

/* Every input must be an S3 object for an S3 source. */
static int check_source(const pix_pipeline *p, const pix_inputs *in, pix_err *err)
{
    if (in->n && pix_serves(p->source, PIX_SCHEME_FILE))
        return pix_err_set(err, "the event names S3 objects but the pipeline's source is %s; "
                           "use a pipeline with source: { storage: s3 }",
                           p->source->plugin->name);
    return 0;
}

static void invocation(const runtime *rt, const pix_pipeline *p, pix_pool *pool, int jobs,
                       long margin_ms,
                       const char *id, int64_t deadline, const char *body, size_t len)
{
    pix_inputs in = { 0 };
    pix_event_summary ev = { 0 };
    pix_run_result *res = NULL;
    pix_err err = { { 0 } };
    char path[512];
    char *answer = NULL;
    json_t *out = NULL;
    double t0 = pix_now_ms();

    snprintf(path, sizeof path, "/invocation/%s/error", id);
    if (pix_event_parse("event", body, len, p->on_delete == PIX_ON_DELETE_REMOVE, &in, &ev, &err) < 0) {
        post_error(rt, path, "Pixpipe.InvalidEvent", err.msg);
        goto out;
    }
    if (check_source(p, &in, &err) < 0) {
        post_error(rt, path, "Pixpipe.SourceMismatch", err.msg);
        goto out;
    }
    res = calloc(in.n ? in.n : 1, sizeof *res);
    if (!res) {
        post_error(rt, path, "Pixpipe.OutOfMemory", "out of memory");
        goto out;
    }
    pix_reporter report = { .json = true, .request_id = id, .t0 = t0 };
    pix_run_opts opts = { .jobs = jobs, .pool = pool, .on_done = pix_report_job, .user = &report,
                          .deadline_ms = deadline, .margin_ms = margin_ms, .results = res };
    pix_run_summary sum = { 0 };
    if (in.n)
        pix_run(p, &in, &opts, &sum);
    pix_report_metrics(p, &sum, pix_now_ms() - t0);

    if (ev.kind == PIX_EVENT_SQS) {
        out = batch_failures(&in, res, &ev);
    } else if (ev.kind == PIX_EVENT_BATCH) {
        out = batch_results(&in, res, &ev); /* left-out tasks are TemporaryFailure */
    } else if (sum.not_started) {
        snprintf(err.msg, sizeof err.msg, "%zu of %zu records not started before the deadline "
                 "(%ld ms margin); deliver the event again: records already done are "
                 "idempotent", sum.not_started, in.n, margin_ms);
        post_error(rt, path, "Pixpipe.DeadlineExceeded", err.msg);
        goto out;
    } else {
        out = summary(&in, res, &sum, &ev);
    }
    answer = out ? json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    snprintf(path, sizeof path, "/invocation/%s/response", id);
    if (answer)
        post(rt, path, answer, NULL);
out:
    for (size_t i = 0; res && i < in.n; i++)
        free(res[i].reason);
    free(res);
    free(answer);
    json_decref(out);
    pix_event_summary_free(&ev);
    pix_inputs_free(&in);
}

/* Starts the pipeline: in `jobs` worker processes that live as long as the
 * runtime (warm between invocations), or in this process without
 * isolation.  Returns 0, or -1 with err. */
static int start(pix_pipeline *p, int jobs, pix_pool **pool, pix_err *err)
{
    if (!pix_isolation_wanted())
        return pix_pipeline_start(p, &pix_host_api, err);
    *pool = pix_pool_new(p, jobs, false, err);
    return *pool ? 0 : -1;
}

/* Serves invocations until the runtime API goes away (or, for tests and
 * benchmarks, PIXPIPE_LAMBDA_MAX_INVOCATIONS of them: 0 stops right when
 * the first would be asked for). */
static int serve(const runtime *rt, const pix_pipeline *p, pix_pool *pool, int jobs)
{
    long max = env_long("PIXPIPE_LAMBDA_MAX_INVOCATIONS", -1);
    long margin = env_long("PIXPIPE_LAMBDA_MARGIN_MS", 3000);
    char url[1024], id[256], deadline[64], trace[1024];

    snprintf(url, sizeof url, "%s/invocation/next", rt->base);
    for (long n = 0; max < 0 || n < max; n++) {
        pix_http_result res;
        /* no timeout: Lambda freezes the process while it waits */
        pix_http_req req = { .method = "GET", .url = url, .connect_timeout_ms = 3000 };
        if (pix_http_perform(&req, &res) < 0 || res.status != 200) {
            pix_log(PIX_LOG_ERROR, "lambda", "GET %s: %s", url,
                    res.status ? "unexpected answer" : res.error);
            pix_http_result_free(&res);
            return 1;
        }
        if (!pix_http_header_get(res.headers, "Lambda-Runtime-Aws-Request-Id", id, sizeof id)) {
            pix_log(PIX_LOG_ERROR, "lambda", "an invocation without a request id");
            pix_http_result_free(&res);
            return 1;
        }
        int64_t dl = pix_http_header_get(res.headers, "Lambda-Runtime-Deadline-Ms", deadline,
                                         sizeof deadline) ? strtoll(deadline, NULL, 10) : 0;
        if (pix_http_header_get(res.headers, "Lambda-Runtime-Trace-Id", trace, sizeof trace))
            setenv("_X_AMZN_TRACE_ID", trace, 1);
        else
            unsetenv("_X_AMZN_TRACE_ID");
        invocation(rt, p, pool, jobs, margin, id, dl, (const char *)res.body, res.body_len);
        pix_http_result_free(&res);
    }
    return 0;
}

int pix_cmd_lambda(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pipeline", required_argument, NULL, 'p' },
        { "jobs", required_argument, NULL, 'j' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *pipeline_path = NULL;
    long jobs = env_long("PIXPIPE_LAMBDA_CONCURRENCY", 2);
    pix_registry *reg = NULL;
    pix_pipeline *p = NULL;
    pix_pool *pool = NULL;
    runtime rt;
    pix_err err = { { 0 } };
    int status = 1, c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:j:vh", longopts, NULL)) != -1) {
        if (c == 'p')
            pipeline_path = optarg;
        else if (c == 'v')
            pix_log_set_level(PIX_LOG_DEBUG);
        else if (c == 'j')
            jobs = strtol(optarg, NULL, 10);
        else {
            fputs(LAMBDA_USAGE "\n", c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (jobs < 1 || jobs > 64) {
        fputs("pixpipe lambda: -j takes a number from 1 to 64\n", stderr);
        return 2;
    }
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api) {
        fputs("pixpipe lambda: AWS_LAMBDA_RUNTIME_API is not set (Lambda sets it)\n", stderr);
        return 2;
    }
    snprintf(rt.base, sizeof rt.base, "http://%s/2018-06-01/runtime", api);

    double t0 = pix_now_ms(), t_vips = 0, t_pipe = 0;
    if (pix_vips_start(argv[0], &err) < 0 || ((t_vips = pix_now_ms()), 0) ||
        !(reg = pix_registry_new()) || !(p = pix_open_pipeline(pipeline_path, reg, &err)) ||
        ((t_pipe = pix_now_ms()), 0) || start(p, (int)jobs, &pool, &err) < 0) {
        if (!err.msg[0])
            pix_err_set(&err, "out of memory");
        pix_log(PIX_LOG_ERROR, "lambda", "init failed: %s", err.msg);
        post_error(&rt, "/init/error", "Pixpipe.InitError", err.msg);
        goto out;
    }
    /* where a cold start goes, for `-v` and the docs' figures */
    pix_log(PIX_LOG_DEBUG, "lambda", "init %.1f ms: libvips %.1f, pipeline and plugins %.1f, "
            "start %.1f", pix_now_ms() - t0, t_vips - t0, t_pipe - t_vips, pix_now_ms() - t_pipe);
    if (!pix_serves(p->dest, PIX_SCHEME_FILE) && !p->trigger_bucket)
        pix_log(PIX_LOG_WARN, "lambda", "%s declares no trigger: section, so pixpipe cannot "
                "check that its outputs do not trigger it again; they carry pixpipe's marker "
                "and are skipped, at the cost of an invocation each", p->path);
    status = serve(&rt, p, pool, (int)jobs);
out:
    pix_pool_free(pool);
    pix_pipeline_free(p);
    pix_registry_free(reg);
    pix_vips_stop();
    return status;
}
