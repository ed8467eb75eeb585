/* A minimal stage for the loader-refusal tests; each test plugin changes
 * one thing about it. */
#include <stddef.h>
#include <pixpipe/pixpipe.h>

static int noop_process(void *state, pix_job *job)
{
    (void)state;
    (void)job;
    return 0;
}
