/* Accepted: a stage with process() only, no create() and no state, that
 * reads its option from ctx->config, the config the host filled from the
 * option table.  It leaves the image alone and notes the option's value
 * on the job's record, for the tests to find. */
#include <stddef.h>
#include <pixpipe/pixpipe.h>

typedef struct nocreate_config {
    double gain;
} nocreate_config;

static const pix_option nocreate_options[] = {
    {.name = "gain", .type = PIX_OPT_NUMBER, .offset = offsetof(nocreate_config, gain),
     .def = "1", .min = 0, .max = 100, .doc = "A number, noted on every job."},
    {NULL},
};

static int nocreate_process(const pix_ctx *ctx, pix_job *job)
{
    const nocreate_config *cfg = ctx->config;
    ctx->host->job_note(job, "nocreate gain %g", cfg->gain);
    return 0;
}

PIX_STAGE_PLUGIN("nocreate", "1.0.0", "Test stage without create(): notes its gain option",
                 nocreate_process, .options = nocreate_options,
                 .config_size = sizeof(nocreate_config), .flags = PIX_PLUGIN_SCALE_NEUTRAL);
