/* A minimal stage for the loader-refusal tests; each test plugin changes
 * one thing about it.  Their descriptors are written out by hand (the
 * PIX_*_PLUGIN macros would not let them be wrong) and exported with
 * PIX_PLUGIN_EXPORT. */
#include <stddef.h>
#include <pixpipe/pixpipe.h>

/* inline: a plugin that sets no process() includes it too, unwarned. */
static inline int noop_process(const pix_ctx *ctx, pix_job *job)
{
    (void)ctx;
    (void)job;
    return 0;
}

/* A stage descriptor's version fields with the values given, for the
 * plugins that lie about them: PIX_PLUGIN_HEADER writes the true ones. */
#define STAGE_VERSION_FIELDS(MAJOR, MINOR, SIZE)                                \
    .abi_major = (MAJOR), .abi_minor = (MINOR), .struct_size = (SIZE),          \
    .kind = PIX_KIND_STAGE
