/* pixpipe run */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "inputs.h"
#include "job.h"
#include "log.h"
#include "pipeline_check.h"
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

int pix_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pipeline", required_argument, NULL, 'p' },
        { "jobs", required_argument, NULL, 'j' },
        { "dry-run", no_argument, NULL, 'n' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *pipeline_path = NULL;
    pix_run_opts opts = { .jobs = 1 };
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
        case 'q': opts.quiet = true; break;
        case 'v': pix_log_set_level(PIX_LOG_DEBUG); break;
        case 'h':
            puts("usage: pixpipe run [-p PIPELINE] [-j N] [--dry-run] [-q] [-v] INPUT...");
            return 0;
        default:
            fputs("usage: pixpipe run [-p PIPELINE] [-j N] [--dry-run] [-q] [-v] INPUT...\n", stderr);
            return 2;
        }
    }
    opts.progress = !opts.quiet && isatty(STDERR_FILENO);

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
    if (optind >= argc &&
        (!p->source_bucket || strcmp(p->source->plugin->name, "storage-fs") != 0)) {
        pix_err_set(&err, "run: no input given (files or folders), and the pipeline declares "
                    "no source folder (source: { storage: fs, root: DIR })");
        goto fail;
    }
    if ((opts.dry_run ? pix_pipeline_start_source(p, &pix_host_api, &err)
                      : pix_pipeline_start(p, &pix_host_api, &err)) < 0)
        goto fail;

    /* Never read our own outputs back when a folder holding them is named. */
    char dest_real[PATH_MAX];
    const char *exclude = strcmp(p->dest->plugin->name, "storage-fs") == 0 &&
                          realpath(p->dest_bucket, dest_real) ? dest_real : NULL;
    for (int i = optind; i < argc; i++)
        if (pix_inputs_add(&in, argv[i], exclude, &err) < 0)
            goto fail;
    /* With no input named, a folder source declared in the pipeline
     * (source: { storage: fs, root: DIR }) is processed whole. */
    if (optind >= argc && pix_inputs_add(&in, p->source_bucket, exclude, &err) < 0)
        goto fail;

    pix_run_summary sum;
    pix_run(p, &in, &opts, &sum);
    printf("%zu processed, %zu failed, %zu skipped\n", sum.ok, sum.failed, sum.skipped);
    status = sum.failed ? 1 : 0;
    goto out;
fail:
    fprintf(stderr, "pixpipe: %s\n", err.msg);
out:
    pix_inputs_free(&in);
    pix_pipeline_free(p);
    pix_registry_free(reg);
    pix_vips_stop();
    return status;
}
