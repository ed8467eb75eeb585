/* pixpipe run */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>

#include "backfill.h"
#include "commands.h"
#include "event.h"
#include "inputs.h"
#include "cmd_report.h"
#include "host.h"
#include "job.h"
#include "log.h"
#include "pipeline_check.h"
#include "pool.h"
#include "runner.h"
#include "setup.h"

static int parse_jobs(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < 1 || v > 256)
        return -1;
    *out = (int)v;
    return 0;
}

#define RUN_USAGE                                                                          \
    "usage: pixpipe run [-p PIPELINE] [-j N] [--dry-run] [-q] [-v] [--log-format text|json]\n" \
    "                   [--only-stale] INPUT...\n"                                            \
    "       pixpipe run [-p PIPELINE] [-j N] [--only-stale] [--prefix P] s3://BUCKET/PREFIX/\n" \
    "       pixpipe run [-p PIPELINE] [-j N] --event S3-EVENT.json\n"                          \
    "INPUT is a file, a folder (recursed) or s3://BUCKET/KEY; s3://BUCKET/PREFIX/ (a trailing\n" \
    "slash, or --prefix) processes every object under the prefix, listed page by page.\n"     \
    "--only-stale skips sources whose record has their ETag and this pipeline's fingerprint."

/* Reads an S3 event notification file into inputs. */
static int add_event(pix_inputs *in, const char *path, bool take_removed, pix_err *err)
{
    size_t len = 0;
    gchar *text = NULL;
    GError *gerr = NULL;
    pix_event_summary sum;

    if (!g_file_get_contents(path, &text, &len, &gerr)) {
        pix_err_set(err, "--event %s: %s", path, gerr->message);
        g_error_free(gerr);
        return -1;
    }
    int rc = pix_event_parse(path, text, len, take_removed, in, &sum, err);
    g_free(text);
    if (rc == 0 && sum.test_event)
        pix_log(PIX_LOG_INFO, NULL, "%s: an s3:TestEvent, nothing to process", path);
    else if (rc == 0 && sum.ignored)
        pix_log(PIX_LOG_INFO, NULL, "%s: %zu record(s) not of ObjectCreated ignored", path,
                sum.ignored);
    for (size_t i = 0; rc == 0 && i < sum.n_bad; i++)
        pix_log(PIX_LOG_WARN, NULL, "%s: SQS message %s not used: %s", path,
                sum.bad[i].message_id, sum.bad[i].reason);
    pix_event_summary_free(&sum);
    return rc;
}

/* "s3://BUCKET/", "s3://BUCKET/PREFIX/" or "s3://BUCKET" (with --prefix):
 * a prefix to backfill.  Sets bucket (caller frees) and prefix (into uri
 * or opt_prefix). */
static bool is_prefix_uri(const char *uri, const char *opt_prefix, char **bucket,
                          const char **prefix)
{
    if (strncmp(uri, "s3://", 5) != 0)
        return false;
    const char *b = uri + 5, *slash = strchr(b, '/');
    size_t n = strlen(uri);
    if (!opt_prefix && slash && uri[n - 1] != '/')
        return false; /* s3://BUCKET/KEY: one object */
    if (!slash)
        slash = b + strlen(b);
    if (slash == b)
        return false;
    *bucket = strndup(b, (size_t)(slash - b));
    *prefix = opt_prefix ? opt_prefix : *slash ? slash + 1 : "";
    return *bucket != NULL;
}

/* The backfill of each prefix argument, one after the other; the summary
 * adds up.  Returns 0, or -1 with err (a listing failed). */
static int run_prefixes(pix_pipeline *p, int argc, char **argv, const char *opt_prefix,
                        const pix_run_opts *opts, pix_backfill_summary *all, pix_err *err)
{
    memset(all, 0, sizeof *all);
    for (int i = 0; i < argc; i++) {
        char *bucket = NULL;
        const char *prefix = NULL;
        pix_backfill_summary one;
        if (!is_prefix_uri(argv[i], opt_prefix, &bucket, &prefix))
            return pix_err_set(err, "%s: a prefix backfill takes prefixes only "
                               "(s3://BUCKET/PREFIX/)", argv[i]);
        int rc = pix_backfill(p, bucket, prefix, opts, &one, err);
        free(bucket);
        all->listed += one.listed;
        all->passed_over += one.passed_over;
        all->pages += one.pages;
        all->list_ms += one.list_ms;
        pix_run_summary_add(&all->run, &one.run);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static bool is_folder(const char *arg)
{
    struct stat st;
    return strncmp(arg, "s3://", 5) != 0 && stat(arg, &st) == 0 && S_ISDIR(st.st_mode);
}

static int add_arg(pix_inputs *in, const char *arg, const char *exclude, pix_err *err)
{
    return strncmp(arg, "s3://", 5) == 0 ? pix_inputs_add_s3_uri(in, arg, err)
                                         : pix_inputs_add(in, arg, exclude, err);
}

/* The most inputs of a folder walk held at once. */
#define RUN_PAGE 1000

typedef struct walked {
    const pix_pipeline *p;
    pix_pager pager;
    size_t seen;
} walked;

static void run_page(pix_inputs *in, void *user)
{
    walked *w = user;
    w->seen += in->n;
    pix_pager_run(&w->pager, w->p, in, w->seen);
}

/* Runs the n arguments in args in their order, folders walked and run a
 * page at a time so that memory stays flat for a folder of any size, then
 * the folder whole when it is not NULL.  in is empty on return; sum is
 * overwritten.  Returns 0, or -1 with err when a folder cannot be read
 * (what came before it was run and is in sum). */
static int run_walked(const pix_pipeline *p, int n, char **args, const char *whole,
                      const char *exclude, pix_inputs *in, const pix_run_opts *opts,
                      pix_run_summary *sum, pix_err *err)
{
    walked w = { .p = p };
    int rc = 0;

    pix_pager_init(&w.pager, opts);
    pix_inputs_truncate(in, 0); /* what was checked is added again, in order */
    in->on_page = run_page;
    in->page_user = &w;
    in->page_size = RUN_PAGE;
    for (int i = 0; i < n && rc == 0; i++)
        rc = add_arg(in, args[i], exclude, err);
    if (rc == 0 && whole)
        rc = pix_inputs_add(in, whole, exclude, err);
    in->on_page = NULL;
    run_page(in, &w); /* the last page */
    *sum = w.pager.sum;
    return rc;
}

/* Every input must suit the pipeline's source: S3 objects need an S3
 * source, local paths a folder source. */
static int check_inputs(const pix_pipeline *p, const pix_inputs *in, pix_err *err)
{
    bool s3_source = !pix_serves(p->source, PIX_SCHEME_FILE);
    for (size_t i = 0; i < in->n; i++) {
        if (in->items[i].s3 && !s3_source)
            return pix_err_set(err, "%s: an S3 object, but the pipeline's source is %s; use a "
                               "pipeline with source: { storage: s3 }", in->items[i].display,
                               p->source->plugin->name);
        if (!in->items[i].s3 && s3_source)
            return pix_err_set(err, "%s: a local path, but the pipeline's source is %s; name "
                               "objects as s3://BUCKET/KEY", in->items[i].display,
                               p->source->plugin->name);
    }
    return 0;
}

int pix_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pipeline", required_argument, NULL, 'p' },
        { "jobs", required_argument, NULL, 'j' },
        { "dry-run", no_argument, NULL, 'n' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "event", required_argument, NULL, 'e' },
        { "log-format", required_argument, NULL, 'l' },
        { "only-stale", no_argument, NULL, 's' },
        { "prefix", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *pipeline_path = NULL;
    const char *event_path = NULL;
    const char *opt_prefix = NULL;
    bool backfill = false;
    size_t folders = 0;      /* folders named, walked page by page */
    const char *whole = NULL; /* the pipeline's source folder, when none is named */
    char dest_real[PATH_MAX];
    const char *exclude = NULL;
    /* One job per core by default: a JPEG decodes on one thread, so images
     * side by side are what fills the machine (at most 4: memory grows
     * with each job). */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    pix_run_opts opts = { .jobs = cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus,
                          .on_done = pix_report_job };
    pix_reporter report = { 0 };
    pix_registry *reg = NULL;
    pix_pipeline *p = NULL;
    pix_inputs in = { 0 };
    pix_err err;
    int status = 2, c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:j:nqvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': pipeline_path = optarg; break;
        case 'j':
            if (parse_jobs(optarg, &opts.jobs) < 0) {
                fprintf(stderr, "pixpipe run: -j takes a number from 1 to 256, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'n': opts.dry_run = true; break;
        case 'q': report.quiet = true; break;
        case 'v': pix_log_set_level(PIX_LOG_DEBUG); break;
        case 'e': event_path = optarg; break;
        case 's': opts.only_stale = true; break;
        case 'P': opt_prefix = optarg; break;
        case 'l':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr, "pixpipe run: --log-format takes text or json, not '%s'\n",
                        optarg);
                return 2;
            }
            report.json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
            puts(RUN_USAGE);
            return 0;
        default:
            fputs(RUN_USAGE "\n", stderr);
            return 2;
        }
    }
    report.progress = !report.quiet && !report.json && isatty(STDERR_FILENO);
    opts.user = &report;

    if (pix_vips_start(argv[0], &err) < 0)
        goto fail;
    reg = pix_registry_new();
    if (!reg) {
        pix_err_set(&err, "out of memory");
        goto fail;
    }
    p = pix_open_pipeline(pipeline_path, reg, &err);
    if (!p)
        goto fail;
    if (optind >= argc && !event_path &&
        (!p->source_bucket || !pix_serves(p->source, PIX_SCHEME_FILE))) {
        pix_err_set(&err, "run: no input given (files or folders), and the pipeline declares "
                    "no source folder (source: { storage: fs, root: DIR })");
        goto fail;
    }
    for (int i = optind; i < argc; i++) {
        char *b = NULL;
        const char *pre = NULL;
        if (is_prefix_uri(argv[i], opt_prefix, &b, &pre))
            backfill = true;
        free(b);
    }
    if (opt_prefix && !backfill) {
        pix_err_set(&err, "run: --prefix needs s3://BUCKET to list");
        goto fail;
    }
    if (backfill && (event_path || !pix_backfill_possible(p))) {
        pix_err_set(&err, event_path ? "run: --event and a prefix to list do not go together"
                                     : "run: the source storage %s cannot list objects",
                    p->source->plugin->name);
        goto fail;
    }
    if (opts.only_stale && (!p->metadata || !p->metadata->metadata->get)) {
        pix_err_set(&err, "run: --only-stale compares each source with its stored record, but "
                    "%s", p->metadata ? "the metadata backend cannot read records back"
                                      : "the pipeline has no metadata: section");
        goto fail;
    }
    if (backfill && !pix_serves(p->source, "s3") && pix_serves(p->source, PIX_SCHEME_FILE)) {
        pix_err_set(&err, "run: an s3:// prefix, but the pipeline's source is %s; use a "
                    "pipeline with source: { storage: s3 }", p->source->plugin->name);
        goto fail;
    }
    if (backfill)
        goto start;
    /* Never read our own outputs back when a folder holding them is named. */
    if (pix_serves(p->dest, PIX_SCHEME_FILE) && realpath(p->dest_bucket, dest_real))
        exclude = dest_real;
    /* With no input named, a folder source declared in the pipeline
     * (source: { storage: fs, root: DIR }) is processed whole. */
    whole = optind >= argc && !event_path ? p->source_bucket : NULL;
    /* Everything named is checked before anything starts; folders are
     * walked only once the pipeline runs, a page at a time. */
    for (int i = optind; i < argc; i++) {
        if (is_folder(argv[i]))
            folders++;
        if (folders && !pix_serves(p->source, PIX_SCHEME_FILE)) {
            pix_err_set(&err, "%s: a local path, but the pipeline's source is %s; name "
                        "objects as s3://BUCKET/KEY", argv[i], p->source->plugin->name);
            goto fail;
        }
        if (!folders && add_arg(&in, argv[i], exclude, &err) < 0)
            goto fail;
    }
    folders += whole != NULL;
    if (event_path &&
        add_event(&in, event_path, p->on_delete == PIX_ON_DELETE_REMOVE, &err) < 0)
        goto fail;
    if (check_inputs(p, &in, &err) < 0)
        goto fail;
start:
    /* started only once the inputs are known good: a mistake on the command
     * line creates no folder, database or connection */
    if (pix_isolation_wanted()) {
        /* each worker process starts its own copy of the pipeline */
        int workers = backfill || folders || (size_t)opts.jobs < in.n ? opts.jobs
                      : in.n ? (int)in.n : 1;
        if (!(opts.pool = pix_pool_new(p, workers, opts.dry_run, &err)))
            goto fail;
    } else if ((opts.dry_run ? pix_pipeline_start_source(p, &pix_host_api, &err)
                             : pix_pipeline_start(p, &pix_host_api, &err)) < 0) {
        goto fail;
    }

    /* the listing runs here: the source only (workers have their own) */
    if (backfill && opts.pool && pix_pipeline_start_source(p, &pix_host_api, &err) < 0)
        goto fail;
    pix_run_summary sum;
    report.t0 = pix_now_ms();
    if (backfill) {
        pix_backfill_summary bf;
        int rc = run_prefixes(p, argc - optind, argv + optind, opt_prefix, &opts, &bf, &err);
        pix_report_end(&report);
        printf("listed %zu (%zu passed over: outputs or outside the trigger): %zu processed, "
               "%zu up to date, %zu failed, %zu skipped\n", bf.listed, bf.passed_over,
               bf.run.ok, bf.run.up_to_date, bf.run.failed, bf.run.skipped - bf.run.up_to_date);
        if (rc < 0)
            goto fail;
        status = bf.run.failed ? 1 : 0;
        goto out;
    }
    if (folders) {
        int rc = run_walked(p, argc - optind, argv + optind, whole, exclude, &in, &opts, &sum,
                            &err);
        if (rc < 0) {
            pix_report_end(&report);
            goto fail;
        }
    } else {
        pix_run(p, &in, &opts, &sum);
    }
    pix_report_end(&report);
    if (opts.only_stale)
        printf("%zu processed, %zu up to date, %zu failed, %zu skipped\n", sum.ok,
               sum.up_to_date, sum.failed, sum.skipped - sum.up_to_date);
    else
        printf("%zu processed, %zu failed, %zu skipped\n", sum.ok, sum.failed, sum.skipped);
    status = sum.failed ? 1 : 0;
    goto out;
fail:
    fprintf(stderr, "pixpipe: %s\n", err.msg);
out:
    pix_pool_free(opts.pool);
    pix_inputs_free(&in);
    pix_pipeline_free(p);
    pix_registry_free(reg);
    pix_vips_stop();
    return status;
}
