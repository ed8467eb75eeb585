/* Test stage without options. */
#include <pixpipe/pixpipe.h>

static int nopts_process(const pix_ctx *ctx, pix_job *job)
{
    (void)ctx;
    (void)job;
    return 0;
}

PIX_STAGE_PLUGIN("nopts", "1.0.0", "Test stage without options.", nopts_process);
