/* pixpipe validate: parse the pipeline, load its plugins, check it; start
 * nothing (no file, table or connection is created). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "host.h"
#include "job.h"
#include "pipeline_check.h"
#include "setup.h"

static void describe(const pix_pipeline *p)
{
    printf("%s: ok\n", p->path);
    printf("  name:        %s\n", p->name);
    printf("  source:      %s%s%s\n", p->source->plugin->name, p->source_bucket ? " " : "",
           p->source_bucket ? p->source_bucket : "");
    printf("  destination: %s %s key %s\n", p->dest->plugin->name, p->dest_bucket,
           p->key_template);
    printf("  metadata:    %s\n", p->metadata ? p->metadata->plugin->name : "none");
    printf("  output:      %s as %s\n", p->output_rendition,
           p->output.format);
    printf("  stages:     ");
    for (size_t i = 0; i < p->n_stages; i++)
        printf(" %s%s", p->stages[i]->plugin->name, i + 1 < p->n_stages ? "," : "");
    printf("%s\n", p->n_stages ? "" : " none");
    printf("  on_delete:   %s\n", p->on_delete == PIX_ON_DELETE_REMOVE ? "remove" : "keep");
    printf("  fingerprint: %s\n", p->fingerprint);
}

int pix_cmd_validate(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pipeline", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = NULL;
    pix_registry *reg = NULL;
    pix_pipeline *p = NULL;
    pix_err err;
    int status = 2, c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
        if (c == 'p')
            path = optarg;
        else {
            fputs("usage: pixpipe validate [-p PIPELINE]\n", c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind < argc && !path)
        path = argv[optind];
    if (pix_vips_start(argv[0], &err) < 0)
        goto fail;
    if (!(reg = pix_registry_new())) {
        pix_err_set(&err, "out of memory");
        goto fail;
    }
    p = pix_open_pipeline(path, reg, &err);
    if (!p || pix_pipeline_check(p, &pix_host_api, &err) < 0)
        goto fail;
    describe(p);
    status = 0;
    goto out;
fail:
    fprintf(stderr, "pixpipe: %s\n", err.msg);
out:
    pix_pipeline_free(p);
    pix_registry_free(reg);
    pix_vips_stop();
    return status;
}
