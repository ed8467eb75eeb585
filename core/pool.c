/*
 * The supervisor's side of the worker pool.
 *
 * The supervisor loads and checks the pipeline (so a mistake in it is said
 * once), then forks the workers before any image is opened: the fork is a
 * copy of a process that never decoded anything, so it costs a fraction of
 * a millisecond and needs no exec, and a worker started later in place of
 * a dead one starts from the same clean state.  The supervisor itself runs
 * no libvips operation, reads no upload and holds no connection a worker
 * needs, so nothing a job does can take it down.
 *
 * Each worker runs one job at a time; the supervisor hands out the next
 * input when a worker says "done", answers its key claims, and watches the
 * time: a job past its limit is killed with its process.  A worker that
 * dies (a signal, an exit, the kernel's OOM killer) fails only its job; a
 * new worker takes its place for the jobs left.
 */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job.h"
#include "keyset.h"
#include "log.h"
#include "outcome.h"
#include "runner.h"
#include "wire.h"
#include "worker.h"

/* How long a worker may take to start its pipeline (open a database,
 * make an AWS client) before the supervisor gives up on it. */
#define START_TIMEOUT_MS 60000

typedef struct slot {
    pid_t pid;           /* 0: no worker in this slot                       */
    int to, from;        /* the supervisor's ends of the two pipes          */
    bool busy;
    size_t index;        /* the input being run                             */
    double t0;           /* pix_now_ms() when it was handed out            */
    int64_t kill_at;     /* epoch ms past which the job is killed           */
    bool by_deadline;    /* kill_at is the invocation's, not job_timeout's  */
} slot;

struct pix_pool {
    pix_pipeline *p;
    bool dry_run;
    int n;
    slot *s;
    pix_keyset *claimed; /* this run's, NULL between runs                   */
};

static void close_slot_fds(slot *s)
{
    if (s->to >= 0)
        close(s->to);
    if (s->from >= 0)
        close(s->from);
    s->to = s->from = -1;
}

/* Why a worker ended, in words, from its wait status. */
static void describe_end(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(buf, size, "crashed (signal %d, %s)%s", sig, strsignal(sig),
                 sig == SIGKILL ? ": killed from outside, most often by the kernel when "
                                  "memory ran out" : "");
    } else if (WIFEXITED(status)) {
        snprintf(buf, size, "its worker process exited (status %d) in the middle of the job",
                 WEXITSTATUS(status));
    } else {
        snprintf(buf, size, "its worker process ended in the middle of the job");
    }
}

/* Waits for the slot's worker to end and empties the slot; the reason it
 * ended in buf. */
static void reap(slot *s, char *buf, size_t size)
{
    int status = 0;
    close_slot_fds(s);
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    describe_end(status, buf, size);
    s->pid = 0;
    s->busy = false;
}

/* Waits up to ms for fd to be readable: 1 readable, 0 not yet, -1 error. */
static int wait_readable(int fd, int ms)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    for (;;) {
        int r = poll(&pfd, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -1 : r;
    }
}

/* The child's side of a fork: never returns. */
static void become_worker(pix_pool *pool, int self, int from_sup, int to_sup)
{
    /* Only this worker's own ends stay open: another worker's pipe held
     * open here would hide that worker's end from the supervisor. */
    for (int i = 0; i < pool->n; i++)
        if (i != self)
            close_slot_fds(&pool->s[i]);
    /* A worker outlives no supervisor (killed, or crashed itself). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(1);
    signal(SIGPIPE, SIG_IGN);
    int rc = pix_worker_serve(pool->p, pool->dry_run, from_sup, to_sup);
    pix_pipeline_free(pool->p); /* the plugins' destroy: close databases */
    fflush(NULL);
    _exit(rc);
}

/* Forks a worker into slot i.  Returns 0, or -1 with err. */
static int fork_worker(pix_pool *pool, int i, pix_err *err)
{
    int down[2], up[2];
    slot *s = &pool->s[i];

    if (pipe2(down, O_CLOEXEC) < 0)
        return pix_err_set(err, "cannot start a worker process: pipe: %s", strerror(errno));
    if (pipe2(up, O_CLOEXEC) < 0) {
        close(down[0]);
        close(down[1]);
        return pix_err_set(err, "cannot start a worker process: pipe: %s", strerror(errno));
    }
    fflush(NULL); /* or the child would write the supervisor's buffers again */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(down[0]), close(down[1]), close(up[0]), close(up[1]);
        return pix_err_set(err, "cannot start a worker process: fork: %s", strerror(e));
    }
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        become_worker(pool, i, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    *s = (slot){ .pid = pid, .to = down[1], .from = up[0] };
    return 0;
}

/* Waits for slot i's worker to say it is ready.  Returns 0, or -1 with err
 * and the slot emptied. */
static int await_ready(pix_pool *pool, int i, pix_err *err)
{
    slot *s = &pool->s[i];
    char why[256];
    int r = wait_readable(s->from, START_TIMEOUT_MS);
    json_t *msg = r > 0 ? pix_wire_recv(s->from) : NULL;
    const char *t = msg ? json_string_value(json_object_get(msg, "t")) : NULL;
    if (t && strcmp(t, "ready") == 0) {
        json_decref(msg);
        return 0;
    }
    if (t && strcmp(t, "failed") == 0)
        pix_err_set(err, "%s", json_string_value(json_object_get(msg, "error")));
    json_decref(msg);
    if (r == 0) {
        kill(s->pid, SIGKILL);
        reap(s, why, sizeof why);
        return err->msg[0] ? -1 : pix_err_set(err, "a worker process did not start its "
                                              "pipeline within %d s", START_TIMEOUT_MS / 1000);
    }
    reap(s, why, sizeof why);
    return err->msg[0] ? -1 : pix_err_set(err, "a worker process ended while starting the "
                                          "pipeline: %s", why);
}

pix_pool *pix_pool_new(pix_pipeline *p, int workers, bool dry_run, pix_err *err)
{
    pix_pool *pool = calloc(1, sizeof *pool);
    int rc = -1;
    err->msg[0] = '\0';
    if (!pool || !(pool->s = calloc((size_t)(workers < 1 ? 1 : workers), sizeof *pool->s))) {
        pix_err_set(err, "out of memory");
        goto out;
    }
    pool->p = p;
    pool->dry_run = dry_run;
    pool->n = workers < 1 ? 1 : workers;
    for (int i = 0; i < pool->n; i++)
        pool->s[i].to = pool->s[i].from = -1;
    /* all forked first, so that they start their pipelines side by side */
    for (int i = 0; i < pool->n; i++)
        if (fork_worker(pool, i, err) < 0)
            goto out;
    for (int i = 0; i < pool->n; i++)
        if (await_ready(pool, i, err) < 0)
            goto out;
    rc = 0;
out:
    if (rc < 0) {
        pix_pool_free(pool);
        return NULL;
    }
    return pool;
}

void pix_pool_free(pix_pool *pool)
{
    if (!pool)
        return;
    char why[256];
    /* A closed job pipe is a worker's sign to end (after its job, if it
     * has one: a pool is freed only between runs). */
    for (int i = 0; pool->s && i < pool->n; i++)
        if (pool->s[i].pid)
            close(pool->s[i].to), pool->s[i].to = -1;
    for (int i = 0; pool->s && i < pool->n; i++)
        if (pool->s[i].pid)
            reap(&pool->s[i], why, sizeof why);
    pix_keyset_free(pool->claimed);
    free(pool->s);
    free(pool);
}

int pix_pool_size(const pix_pool *pool)
{
    return pool->n;
}

bool pix_isolation_wanted(void)
{
    const char *v = getenv("PIXPIPE_ISOLATION");
    return !v || strcmp(v, "off") != 0;
}

/* ------------------------------------------------------------- one run */

typedef struct run {
    pix_pool *pool;
    const pix_inputs *in;
    const pix_run_opts *opts;
    pix_run_summary *sum;
    size_t next, done;
    pix_err start_error;    /* why no worker could be started, if so  */
} run;

static void account(run *r, size_t index, const pix_outcome *out, double ms)
{
    pix_run_account(r->pool->p, r->in, index, r->opts, out, ms, r->sum, &r->done);
}

static void account_failed_kind(run *r, size_t index, const char *reason, double ms,
                                pix_fail_kind kind)
{
    pix_outcome out = { 0 };
    pix_outcome_failed_kind(&out, reason, kind);
    account(r, index, &out, ms);
    pix_outcome_clear(&out);
}

static void account_failed(run *r, size_t index, const char *reason, double ms)
{
    account_failed_kind(r, index, reason, ms, PIX_FAIL_PERMANENT);
}

static void format_ms(int64_t ms, char *buf, size_t size)
{
    if (ms % 1000 == 0)
        snprintf(buf, size, "%lld s", (long long)(ms / 1000));
    else
        snprintf(buf, size, "%lld ms", (long long)ms);
}

/* Puts a new worker in slot i, which is empty.  0, or -1 (said once in
 * r->start_error). */
static int respawn(run *r, int i)
{
    pix_err err = { { 0 } };
    /* a pipeline that could not start once will not start on a retry */
    if (r->start_error.msg[0])
        return -1;
    if (fork_worker(r->pool, i, &err) == 0 && await_ready(r->pool, i, &err) == 0)
        return 0;
    if (!r->start_error.msg[0]) {
        r->start_error = err;
        pix_log(PIX_LOG_ERROR, NULL, "cannot start a new worker process: %s", err.msg);
    }
    return -1;
}

/* Hands the next input to slot i.  Returns 1 when handed, 0 when there is
 * nothing (left) to hand, -1 when the worker is gone (slot emptied). */
static int hand_out(run *r, int i)
{
    slot *s = &r->pool->s[i];
    const pix_run_opts *o = r->opts;
    const pix_pipeline *p = r->pool->p;
    char why[256];

    if (r->next >= r->in->n)
        return 0;
    /* asked to stop: the rest is left out, for the caller to hand back */
    if (o->stop && *o->stop) {
        r->sum->not_started += r->in->n - r->next;
        r->next = r->in->n;
        return 0;
    }
    int64_t now = pix_epoch_ms();
    /* Too close to the deadline to finish a job: leave the rest for a
     * retry rather than be killed half-way. */
    if (o->deadline_ms && now > o->deadline_ms - o->margin_ms) {
        r->sum->not_started += r->in->n - r->next;
        r->next = r->in->n;
        return 0;
    }
    const pix_input *it = &r->in->items[r->next];
    pix_job_spec spec = pix_run_spec(it, o);
    json_t *msg = json_pack("{s:s, s:o}", "t", "job", "spec", pix_job_spec_to_json(&spec));
    int rc = msg ? pix_wire_send(s->to, msg) : -1;
    json_decref(msg);
    if (rc < 0) {
        /* died between jobs: its job is not lost, only not yet started */
        reap(s, why, sizeof why);
        pix_log(PIX_LOG_WARN, NULL, "a worker process ended between jobs (%s); starting "
                "another", why);
        return -1;
    }
    s->busy = true;
    s->index = r->next++;
    s->t0 = pix_now_ms();
    /* limits.job_timeout: 0 for none */
    s->kill_at = p->job_timeout_ms > 0 ? now + p->job_timeout_ms : INT64_MAX;
    s->by_deadline = false;
    /* Killed a quarter margin before the deadline at the latest, so that
     * the invocation can still answer for every record. */
    if (o->deadline_ms && o->deadline_ms - o->margin_ms / 4 < s->kill_at) {
        s->kill_at = o->deadline_ms - o->margin_ms / 4;
        s->by_deadline = true;
    }
    return 1;
}

/* Reads one message from slot i's busy worker and acts on it. */
static void on_message(run *r, int i)
{
    slot *s = &r->pool->s[i];
    char why[256];
    json_t *msg = pix_wire_recv(s->from);
    const char *t = msg ? json_string_value(json_object_get(msg, "t")) : NULL;

    if (t && strcmp(t, "claim") == 0) {
        const char *key = json_string_value(json_object_get(msg, "key"));
        const char *owner = json_string_value(json_object_get(msg, "owner"));
        const char *prev = key && owner ? pix_keyset_claim(r->pool->claimed, key, owner) : NULL;
        json_t *answer = json_pack("{s:s, s:s*}", "t", "claimed", "prev", prev);
        if (!answer || pix_wire_send(s->to, answer) < 0)
            kill(s->pid, SIGKILL); /* seen as its end on the next read */
        json_decref(answer);
    } else if (t && strcmp(t, "done") == 0) {
        pix_outcome out = { 0 };
        s->busy = false;
        if (pix_outcome_from_json(&out, json_object_get(msg, "outcome")) == 0) {
            account(r, s->index, &out, pix_now_ms() - s->t0);
        } else {
            account_failed(r, s->index, "its worker sent an outcome that cannot be read",
                           pix_now_ms() - s->t0);
        }
        pix_outcome_clear(&out);
    } else {
        /* end of file: the worker died with the job */
        size_t index = s->index;
        double ms = pix_now_ms() - s->t0;
        if (s->pid)
            kill(s->pid, SIGKILL);
        reap(s, why, sizeof why);
        account_failed(r, index, why, ms);
    }
    json_decref(msg);
}

/* Kills slot i's job, over its time limit. */
static void on_timeout(run *r, int i)
{
    slot *s = &r->pool->s[i];
    const pix_pipeline *p = r->pool->p;
    char why[256], limit[64], reason[512];
    size_t index = s->index;
    double ms = pix_now_ms() - s->t0;

    kill(s->pid, SIGKILL);
    reap(s, why, sizeof why);
    format_ms(p->job_timeout_ms, limit, sizeof limit);
    if (s->by_deadline)
        snprintf(reason, sizeof reason, "exceeded its time limit: stopped after %.0f ms, "
                 "%lld ms before the invocation's deadline, to answer in time",
                 ms, (long long)(r->opts->margin_ms / 4));
    else
        snprintf(reason, sizeof reason, "exceeded its time limit (limits.job_timeout: %s) "
                 "and was stopped", limit);
    /* a time limit may pass on a busy machine: worth another try */
    account_failed_kind(r, index, reason, ms, PIX_FAIL_TRANSIENT);
}

void pix_pool_run(pix_pool *pool, const pix_inputs *in, const pix_run_opts *opts,
                  pix_run_summary *sum)
{
    run r = { .pool = pool, .in = in, .opts = opts, .sum = sum };
    struct pollfd *pfd = calloc((size_t)pool->n, sizeof *pfd);
    int *who = calloc((size_t)pool->n, sizeof *who);

    double next_tick = opts->tick ? pix_now_ms() + opts->tick_ms : 0;
    pool->claimed = pix_keyset_new();
    if (!pfd || !who || !pool->claimed) {
        for (size_t i = 0; i < in->n; i++)
            account_failed(&r, i, "out of memory", 0);
        goto out;
    }
    for (;;) {
        /* every idle worker gets the next input; an empty slot a worker */
        for (int i = 0; i < pool->n && r.next < in->n; i++) {
            slot *s = &pool->s[i];
            if (s->busy)
                continue;
            if (!s->pid && respawn(&r, i) < 0)
                continue;
            while (!s->busy && s->pid && hand_out(&r, i) < 0 && respawn(&r, i) == 0)
                ;
        }
        int n = 0;
        int64_t now = pix_epoch_ms(), first_kill = INT64_MAX;
        for (int i = 0; i < pool->n; i++)
            if (pool->s[i].busy) {
                pfd[n] = (struct pollfd){ .fd = pool->s[i].from, .events = POLLIN };
                who[n++] = i;
                if (pool->s[i].kill_at < first_kill)
                    first_kill = pool->s[i].kill_at;
            }
        if (n == 0) {
            /* no job running: all done, or no worker could be started */
            for (; r.next < in->n; r.next++)
                account_failed(&r, r.next, r.start_error.msg[0] ? r.start_error.msg
                                                            : "no worker process to run it",
                               0);
            break;
        }
        int64_t wait = first_kill - now;
        if (opts->tick) {
            double to_tick = next_tick - pix_now_ms();
            if (to_tick <= 0) {
                opts->tick(opts->user);
                next_tick = pix_now_ms() + opts->tick_ms;
                to_tick = opts->tick_ms;
            }
            if (wait > (int64_t)to_tick)
                wait = (int64_t)to_tick + 1;
        }
        int rc = poll(pfd, (nfds_t)n, wait < 0 ? 0 : wait > 60000 ? 60000 : (int)wait);
        if (rc < 0 && errno != EINTR) {
            pix_log(PIX_LOG_ERROR, NULL, "poll: %s", strerror(errno));
            break;
        }
        for (int k = 0; rc > 0 && k < n; k++)
            if (pfd[k].revents)
                on_message(&r, who[k]);
        now = pix_epoch_ms();
        for (int k = 0; k < n; k++) {
            slot *s = &pool->s[who[k]];
            if (s->busy && now >= s->kill_at)
                on_timeout(&r, who[k]);
        }
    }
out:
    free(pfd);
    free(who);
    pix_keyset_free(pool->claimed);
    pool->claimed = NULL;
}
