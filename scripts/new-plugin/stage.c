/* @NAME@: a pixpipe stage.  Say here what it does to the image and why.
 *
 * Built from `make new-plugin KIND=stage`; see docs/plugins.md.
 */
#include <pixpipe/pixpipe.h>
#include <stdlib.h>
#include <vips/vips.h>

/* What the pipeline file sets: the host fills it from the option table. */
typedef struct @SYM@_config {
    int64_t strength;
} @SYM@_config;

/* What create() keeps for process(); read-only afterwards, because jobs
 * run on several threads at once with the same state. */
typedef struct @SYM@_state {
    const pix_host *host;
    int64_t strength;
} @SYM@_state;

static const pix_option @SYM@_options[] = {
    { .name = "strength", .type = PIX_OPT_INT, .offset = offsetof(@SYM@_config, strength),
      .def = "1", .min = 0, .max = 100, .doc = "An example option: replace it with yours." },
    { .name = NULL },
};

static int @SYM@_create(const pix_host *host, pix_instance *self, const void *config,
                        void **state)
{
    @SYM@_state *st = malloc(sizeof *st);
    if (!st) {
        host->error(self, "out of memory");
        return -1;
    }
    st->host = host;
    st->strength = ((const @SYM@_config *)config)->strength;
    *state = st;
    return 0;
}

static void @SYM@_destroy(void *state)
{
    free(state);
}

static int @SYM@_process(void *state, pix_job *job)
{
    const @SYM@_state *st = state;
    VipsImage *in = st->host->job_image(job); /* borrowed from the job */
    if (!in)
        return -1; /* the host has recorded why */
    VipsImage *out = NULL;

    /* Your work goes here: make `out` from `in` with libvips operations. */
    if (vips_copy(in, &out, NULL)) {
        st->host->job_error(job, "@NAME@ failed: %s", vips_error_buffer());
        vips_error_clear();
        return -1;
    }
    st->host->job_set_image(job, out); /* steals out */
    return 0;
}

PIX_STAGE_PLUGIN("@NAME@", "0.1.0", "@NAME@: one line saying what it does",
                 .options = @SYM@_options, .config_size = sizeof(@SYM@_config),
                 .create = @SYM@_create, .destroy = @SYM@_destroy,
                 .ops.stage.process = @SYM@_process);
