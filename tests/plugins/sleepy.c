/* A stage that takes its time: sleeps `ms` milliseconds and changes
 * nothing, so a test can run a job past a deadline between two stages. */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pixpipe/pixpipe.h>

typedef struct sleepy_config {
    int64_t ms;
} sleepy_config;

static const pix_option sleepy_options[] = {
    { .name = "ms", .type = PIX_OPT_INT, .offset = offsetof(sleepy_config, ms), .def = "100",
      .min = 0, .max = 60000, .doc = "How long each job sleeps here, in milliseconds." },
    { .name = NULL },
};

static int sleepy_process(const pix_ctx *ctx, pix_job *job)
{
    const sleepy_config *cfg = ctx->config;
    struct timespec ts = { (time_t)(cfg->ms / 1000), (long)(cfg->ms % 1000) * 1000000L };
    (void)job;
    while (nanosleep(&ts, &ts) != 0)
        ;
    return 0;
}

PIX_STAGE_PLUGIN("sleepy", "1.0.0", "Sleeps, for deadline tests", sleepy_process,
                 .options = sleepy_options, .config_size = sizeof(sleepy_config),
                 .flags = PIX_PLUGIN_SCALE_NEUTRAL);
