/*
 * pixpipe watch DIR: the local twin of the S3 trigger.  A file is
 * processed once it is completely written: when the writer closes it
 * (IN_CLOSE_WRITE) or it is moved in whole (IN_MOVED_TO, how editors and
 * `cp` to a temporary name then `mv` deliver).  A removed file, or one
 * moved away, follows on_delete.  Events are gathered until the folder has
 * been quiet for a moment, so a file written in many closes, or a copy of
 * a thousand files, is processed once per file.
 *
 * Hidden names (".x", where editors and rsync write first), editors'
 * temporary and backup names ("x~", "x.swp", "x.tmp", "x.part",
 * "x.crdownload") and the destination folder are ignored.  On start, the
 * folder is first caught up with the records: every file whose record has
 * another ETag (for files: modification time and size) or another
 * pipeline fingerprint is processed, so a restart misses nothing that
 * changed while it was down.  Ctrl-C (SIGINT) or SIGTERM drains: the
 * started jobs finish, and pixpipe ends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_report.h"
#include "commands.h"
#include "host.h"
#include "inputs.h"
#include "job.h"
#include "log.h"
#include "pipeline_check.h"
#include "pool.h"
#include "runner.h"
#include "setup.h"

#define WATCH_USAGE "usage: pixpipe watch [-p PIPELINE] [-j N] [-q] [-v] [DIR]"
#define WATCH_MAX_DIRS 8192   /* folders watched at most                   */
#define WATCH_QUIET_MS 300    /* a folder this quiet has finished a write  */
#define WATCH_MAX_PENDING 1000

static volatile sig_atomic_t watch_stop;

static void on_watch_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

typedef struct watcher {
    int fd;
    char root[PATH_MAX];      /* realpath of DIR: the bucket of its files  */
    const char *exclude;      /* the destination folder, if inside, or NULL */
    char *dirs[WATCH_MAX_DIRS]; /* key prefix ("" or "a/b/") by watch descriptor */
    pix_inputs pending;
} watcher;

/* Whether a file name is one to leave alone: hidden, or an editor's or a
 * download's temporary. */
static bool ignored_name(const char *name)
{
    static const char *const suffixes[] = { "~", ".swp", ".swx", ".tmp", ".part",
                                            ".crdownload", ".partial", NULL };
    size_t n = strlen(name);
    if (name[0] == '.' || name[0] == '#')
        return true;
    for (size_t i = 0; suffixes[i]; i++) {
        size_t m = strlen(suffixes[i]);
        if (n > m && strcmp(name + n - m, suffixes[i]) == 0)
            return true;
    }
    return false;
}

/* Watches root/prefix and every folder below it (prefix "" or ending in
 * '/'); with queue, also queues the files already there (a folder moved
 * or made with files in it).  Returns 0, or -1 with err. */
static int watch_tree(watcher *w, const char *prefix, bool queue, int depth, pix_err *err)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", w->root, prefix) >= sizeof path)
        return pix_err_set(err, "%s/%.64s...: the path is too long", w->root, prefix);
    if (w->exclude && strncmp(path, w->exclude, strlen(w->exclude)) == 0 &&
        (path[strlen(w->exclude)] == '/' || path[strlen(w->exclude)] == '\0'))
        return 0;
    if (depth > 64)
        return pix_err_set(err, "%s: more than 64 levels of folders", path);
    int wd = inotify_add_watch(w->fd, path, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                               IN_DELETE | IN_CREATE | IN_ONLYDIR | IN_DONT_FOLLOW);
    if (wd < 0)
        return pix_err_set(err, "cannot watch %s: %s%s", path, strerror(errno),
                           errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
    if (wd >= WATCH_MAX_DIRS)
        return pix_err_set(err, "%s: more than %d folders to watch", path, WATCH_MAX_DIRS);
    free(w->dirs[wd]);
    if (!(w->dirs[wd] = strdup(prefix)))
        return pix_err_set(err, "out of memory");
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return 0; /* gone meanwhile: its removal event says so */
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (ignored_name(e->d_name))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        char sub[PATH_MAX];
        if (S_ISDIR(st.st_mode)) {
            snprintf(sub, sizeof sub, "%s%s/", prefix, e->d_name);
            rc = watch_tree(w, sub, queue, depth + 1, err);
        } else if (S_ISREG(st.st_mode) && queue) {
            snprintf(sub, sizeof sub, "%s%s", prefix, e->d_name);
            rc = pix_inputs_add_listed(&w->pending, w->root, sub, NULL, false, err);
        }
    }
    closedir(d);
    return rc;
}

/* Queues key (a file, or a removal), replacing what was queued for it:
 * the last event of a path says what it is now. */
static int queue_key(watcher *w, const char *key, bool removed, pix_err *err)
{
    for (size_t i = 0; i < w->pending.n; i++)
        if (strcmp(w->pending.items[i].key, key) == 0) {
            w->pending.items[i].removed = removed;
            return 0;
        }
    if (pix_inputs_add_listed(&w->pending, w->root, key, NULL, false, err) < 0)
        return -1;
    w->pending.items[w->pending.n - 1].removed = removed;
    return 0;
}

/* Reads what inotify has and queues it.  Returns 0, or -1 with err. */
static int read_events(watcher *w, pix_err *err)
{
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t len = read(w->fd, buf, sizeof buf);
    if (len < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : pix_err_set(err, "inotify: %s",
                                                                   strerror(errno));
    for (char *p = buf; p < buf + len;) {
        const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
        p += sizeof *ev + ev->len;
        if (ev->mask & IN_Q_OVERFLOW) {
            pix_log(PIX_LOG_WARN, "watch", "too many changes at once: some were missed; "
                    "restart pixpipe watch to catch up");
            continue;
        }
        if (ev->wd < 0 || ev->wd >= WATCH_MAX_DIRS || !w->dirs[ev->wd] || !ev->len ||
            ignored_name(ev->name))
            continue;
        char key[PATH_MAX];
        snprintf(key, sizeof key, "%s%s", w->dirs[ev->wd], ev->name);
        if (ev->mask & IN_ISDIR) {
            if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
                char sub[PATH_MAX + 1];
                snprintf(sub, sizeof sub, "%s/", key);
                if (watch_tree(w, sub, true, 1, err) < 0)
                    return -1;
            }
            continue;
        }
        if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
            if (queue_key(w, key, false, err) < 0)
                return -1;
        } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
            if (queue_key(w, key, true, err) < 0)
                return -1;
        }
    }
    return 0;
}

int pix_cmd_watch(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pipeline", required_argument, NULL, 'p' },
        { "jobs", required_argument, NULL, 'j' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *pipeline_path = NULL;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    pix_run_opts opts = { .jobs = cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus,
                          .on_done = pix_report_job, .stop = &watch_stop };
    pix_reporter report = { 0 };
    pix_registry *reg = NULL;
    pix_pipeline *p = NULL;
    watcher w = { .fd = -1 };
    pix_err err = { { 0 } };
    char dest_real[PATH_MAX], *end;
    int status = 2, c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:j:qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': pipeline_path = optarg; break;
        case 'j':
            opts.jobs = (int)strtol(optarg, &end, 10);
            if (*end || opts.jobs < 1 || opts.jobs > 256) {
                fprintf(stderr, "pixpipe watch: -j takes a number from 1 to 256, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'q': report.quiet = true; break;
        case 'v': pix_log_set_level(PIX_LOG_DEBUG); break;
        case 'h': puts(WATCH_USAGE); return 0;
        default: fputs(WATCH_USAGE "\n", stderr); return 2;
        }
    }
    opts.user = &report;
    struct sigaction sa = { .sa_handler = on_watch_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    if (pix_vips_start(argv[0], &err) < 0 || !(reg = pix_registry_new()) ||
        !(p = pix_open_pipeline(pipeline_path, reg, &err)))
        goto fail;
    const char *dir = optind < argc ? argv[optind] : p->source_bucket;
    if (!dir || optind + 1 < argc || !pix_serves(p->source, PIX_SCHEME_FILE)) {
        pix_err_set(&err, "watch: %s", !pix_serves(p->source, PIX_SCHEME_FILE)
                    ? "the pipeline's source is not a folder (source: { storage: fs })"
                    : "name one folder to watch");
        goto fail;
    }
    if (!realpath(dir, w.root)) {
        pix_err_set(&err, "watch: %s: %s", dir, strerror(errno));
        goto fail;
    }
    w.exclude = pix_serves(p->dest, PIX_SCHEME_FILE) && realpath(p->dest_bucket, dest_real)
                    ? dest_real : NULL;
    /* catching up needs the records read back; without, only new changes */
    opts.only_stale = p->metadata && p->metadata->metadata->get;
    if (pix_isolation_wanted() ? !(opts.pool = pix_pool_new(p, opts.jobs, false, &err))
                               : pix_pipeline_start(p, &pix_host_api, &err) < 0)
        goto fail;
    if ((w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
        pix_err_set(&err, "watch: inotify: %s", strerror(errno));
        goto fail;
    }
    /* watches first, then the catch-up: a file written in between is seen
     * by both, and processed twice at worst, never missed */
    if (watch_tree(&w, "", false, 0, &err) < 0)
        goto fail;
    pix_inputs catchup = { 0 };
    if (pix_inputs_add(&catchup, w.root, w.exclude, &err) < 0) {
        pix_inputs_free(&catchup);
        goto fail;
    }
    pix_run_summary sum;
    report.t0 = pix_now_ms();
    pix_run(p, &catchup, &opts, &sum);
    pix_log(PIX_LOG_INFO, "watch", "%s: caught up (%zu processed, %zu up to date, %zu failed); "
            "watching", w.root, sum.ok, sum.up_to_date, sum.failed);
    pix_inputs_free(&catchup);
    /* from here on each event is a change: processed whatever the record */
    opts.only_stale = false;
    status = 0;
    while (!watch_stop) {
        struct pollfd pfd = { .fd = w.fd, .events = POLLIN };
        int r = poll(&pfd, 1, w.pending.n ? WATCH_QUIET_MS : 1000);
        if (r < 0 && errno != EINTR) {
            pix_err_set(&err, "watch: poll: %s", strerror(errno));
            goto fail;
        }
        if (r > 0 && read_events(&w, &err) < 0)
            goto fail;
        if (w.pending.n && (r == 0 || w.pending.n >= WATCH_MAX_PENDING)) {
            pix_run(p, &w.pending, &opts, &sum);
            status = sum.failed ? 1 : status;
            pix_inputs_truncate(&w.pending, 0);
        }
    }
    pix_report_end(&report);
    pix_log(PIX_LOG_INFO, "watch", "stopped");
    goto out;
fail:
    fprintf(stderr, "pixpipe: %s\n", err.msg[0] ? err.msg : "out of memory");
    status = 2;
out:
    if (w.fd >= 0)
        close(w.fd);
    for (int i = 0; i < WATCH_MAX_DIRS; i++)
        free(w.dirs[i]);
    pix_inputs_free(&w.pending);
    pix_pool_free(opts.pool);
    pix_pipeline_free(p);
    pix_registry_free(reg);
    pix_vips_stop();
    return status;
}
