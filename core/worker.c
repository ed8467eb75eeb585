/*
 * A worker process.  It is a fork of the supervisor made before any image
 * was opened there, so it starts clean: its own plugin states (database
 * handle, AWS client), its own connections, its own libvips threads.  A
 * job that crashes it takes nothing else with it.
 */
#include "worker.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "http.h"
#include "job.h"
#include "outcome.h"
#include "pipeline_check.h"
#include "runner.h"
#include "setup.h"
#include "wire.h"

/* How long a worker waits for its next job before it hands its free heap
 * pages back to the kernel (see pix_worker_serve). */
#define IDLE_TRIM_MS 50

typedef struct worker {
    int from_sup, to_sup;
} worker;

/* The run's key claims live in the supervisor: ask it. */
static int claim_key(void *arg, const char *key, const char *owner, char *prev, size_t size)
{
    worker *w = arg;
    json_t *ask = json_pack("{s:s, s:s, s:s}", "t", "claim", "key", key, "owner", owner);
    int rc = -1;
    if (!ask || pix_wire_send(w->to_sup, ask) < 0)
        goto out;
    json_t *answer = pix_wire_recv(w->from_sup);
    const char *earlier = NULL;
    if (answer && json_unpack(answer, "{s?s}", "prev", &earlier) == 0) {
        rc = earlier != NULL;
        if (earlier)
            snprintf(prev, size, "%s", earlier);
    }
    json_decref(answer);
out:
    json_decref(ask);
    return rc;
}

static int say(const worker *w, json_t *msg)
{
    int rc = msg ? pix_wire_send(w->to_sup, msg) : -1;
    json_decref(msg);
    return rc;
}

/* Runs the job msg describes; returns 0, or -1 when the supervisor is gone. */
static int run_job(worker *w, const pix_pipeline *p, bool dry_run, const json_t *msg)
{
    pix_job_spec spec;
    pix_outcome out = { 0 };

    if (pix_job_spec_from_json(json_object_get(msg, "spec"), &spec) < 0) {
        pix_outcome_failed(&out, "the supervisor sent a job this worker cannot read");
    } else {
        pix_job *job = pix_run_job_new(p, &spec);
        if (job) {
            job->claim = claim_key;
            job->claim_ctx = w;
            pix_job_run(job, dry_run);
            if (pix_outcome_from_job(&out, job, dry_run) < 0) {
                pix_outcome_clear(&out);
                pix_outcome_failed(&out, "out of memory while reporting the job");
            }
            pix_job_free(job);
        } else {
            pix_outcome_failed(&out, "out of memory");
        }
    }
    int rc = say(w, json_pack("{s:s, s:o}", "t", "done", "outcome", pix_outcome_to_json(&out)));
    pix_heap_after_job((double)out.width * out.height);
    pix_outcome_clear(&out);
    return rc;
}

/* Whether fd has something to read within ms (an error counts as yes: the
 * read that follows sees it). */
static bool readable_within(int fd, int ms)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int r;
    while ((r = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
        ;
    return r != 0;
}

int pix_worker_serve(pix_pipeline *p, bool dry_run, int from_sup, int to_sup)
{
    worker w = { from_sup, to_sup };
    pix_err err = { { 0 } };

    /* The supervisor's connections (the Runtime API's) are its own. */
    pix_http_after_fork();
    if ((dry_run ? pix_pipeline_start_source(p, &pix_host_api, &err)
                 : pix_pipeline_start(p, &pix_host_api, &err)) < 0) {
        say(&w, json_pack("{s:s, s:s}", "t", "failed", "error", err.msg));
        return 1;
    }
    if (say(&w, json_pack("{s:s}", "t", "ready")) < 0)
        return 1;
    /* Free heap pages go back to the kernel only once the worker is idle.
     * In a run the next job comes within microseconds of "done" and
     * allocates the same buffers again: trimming after every job made each
     * image fault all of its pages in afresh, a sixth of the CPU time of a
     * run of 6 MP images on one vCPU.  Between Lambda invocations, or when
     * a queue runs dry, the worker waits here and gives the pages back. */
    bool trimmed = false;
    for (;;) {
        if (!trimmed && !readable_within(from_sup, IDLE_TRIM_MS)) {
            malloc_trim(0);
            trimmed = true;
        }
        json_t *msg = pix_wire_recv(from_sup);
        if (!msg)
            break; /* the supervisor closed the pipe: done */
        int rc = run_job(&w, p, dry_run, msg);
        json_decref(msg);
        trimmed = false;
        if (rc < 0)
            break;
    }
    return 0;
}
