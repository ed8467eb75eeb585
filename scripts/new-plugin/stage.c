/* @NAME@: a pixpipe stage.  Say here what it does to the image and why.
 *
 * Built from `make new-plugin KIND=stage`; see docs/plugins.md.
 */
#include <pixpipe/stage.h>

/* What the pipeline file sets: the host fills it from the option table and
 * hands it to every callback as ctx->config.  Read-only: jobs run on
 * several threads at once with the same config. */
typedef struct @SYM@_config {
    int64_t strength;
} @SYM@_config;

static const pix_option @SYM@_options[] = {
    { .name = "strength", .type = PIX_OPT_INT, .offset = offsetof(@SYM@_config, strength),
      .def = "1", .min = 0, .max = 100, .doc = "An example option: replace it with yours." },
    { .name = NULL },
};

/* Replaces the job's working image (borrowed from the job) with a new one,
 * which the job takes over. */
static int @SYM@_process(const pix_ctx *ctx, pix_job *job)
{
    const @SYM@_config *cfg = ctx->config;
    VipsImage *in = ctx->host->job_image(job); /* borrowed from the job */
    if (!in)
        return -1; /* the host has recorded why */
    VipsImage *out = NULL;

    ctx->host->log(ctx, PIX_LOG_DEBUG, "strength %lld", (long long)cfg->strength);
    /* Your work goes here: make `out` from `in` with libvips operations. */
    if (vips_copy(in, &out, NULL))
        return ctx->host->job_vips_error(job, "cannot make the new image");
    ctx->host->job_set_image(job, out); /* steals out */
    return 0;
}

/* A stage that needs state of its own (a loaded font, a lookup table) adds
 * .create and .destroy here; one that only reads its options needs neither. */
PIX_STAGE_PLUGIN("@NAME@", "0.1.0", "@NAME@: one line saying what it does", @SYM@_process,
                 .options = @SYM@_options, .config_size = sizeof(@SYM@_config));
