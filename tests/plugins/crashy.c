/* A stage that misbehaves on a marked source: a key containing "segv"
 * dereferences a bad pointer, "abort" aborts, "hang" never returns, "oom"
 * is killed as the kernel kills a process out of memory, "exit" exits.
 * Any other source passes through unchanged, so good jobs can run beside
 * a poison one. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pixpipe/pixpipe.h>

static int crashy_process(const pix_ctx *ctx, pix_job *job)
{
    const char *key = ctx->host->job_source(job)->key;
    if (strstr(key, "segv")) {
        /* an unmapped page, not NULL (UBSan would stop a NULL load
         * first); volatile, so the compiler cannot see it */
        volatile uintptr_t page = 4096;
        return *(volatile int *)page;
    }
    if (strstr(key, "abort"))
        abort();
    if (strstr(key, "hang"))
        for (;;)
            pause();
    if (strstr(key, "oom"))
        raise(SIGKILL);
    if (strstr(key, "exit"))
        _exit(3);
    return 0;
}

PIX_STAGE_PLUGIN("crashy", "1.0.0", "Crashes or hangs on marked sources, for isolation tests",
                 crashy_process, .flags = PIX_PLUGIN_SCALE_NEUTRAL);
