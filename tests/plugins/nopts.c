/* Test stage without options. */
#include <pixpipe/pixpipe.h>

static int nopts_process(void *state, pix_job *job)
{
    (void)state;
    (void)job;
    return 0;
}

static const pix_plugin nopts_plugin = {
    PIX_PLUGIN_HEADER,
    .kind = PIX_KIND_STAGE,
    .name = "nopts",
    .version = "1.0.0",
    .summary = "Test stage without options.",
    .ops.stage = {.process = nopts_process},
};

PIX_PLUGIN_EXPORT(nopts_plugin)
