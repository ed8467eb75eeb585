/* @NAME@: a pixpipe metadata backend.  Say here where records go.
 *
 * Built from `make new-plugin KIND=metadata`; see docs/plugins.md.  As it
 * stands it logs each record as one line of JSON; replace put() with the
 * write to your store.
 */
#include <pixpipe/pixpipe.h>
#include <stdlib.h>

typedef struct @SYM@_config {
    char *label;
} @SYM@_config;

/* Read-only after create(): put() runs on several threads at once. */
typedef struct @SYM@_state {
    const pix_host *host;
    pix_instance *self;
    const char *label; /* borrowed from the config, valid until destroy */
} @SYM@_state;

static const pix_option @SYM@_options[] = {
    { .name = "label", .type = PIX_OPT_STRING, .offset = offsetof(@SYM@_config, label),
      .def = "record", .min = 1, .max = 64, .doc = "An example option: replace it with yours." },
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
    st->self = self;
    st->label = ((const @SYM@_config *)config)->label;
    *state = st;
    return 0;
}

static void @SYM@_destroy(void *state)
{
    free(state);
}

static int @SYM@_put(void *state, pix_job *job, const pix_record *record)
{
    const @SYM@_state *st = state;
    char *json = st->host->rec_to_json(record); /* ours to free */
    if (!json) {
        st->host->job_error(job, "@NAME@: out of memory");
        return -1;
    }
    st->host->log(st->self, PIX_LOG_INFO, "%s %s", st->label, json);
    free(json);
    return 0;
}

PIX_METADATA_PLUGIN("@NAME@", "0.1.0", "@NAME@: one line saying where records go",
                    .options = @SYM@_options, .config_size = sizeof(@SYM@_config),
                    .create = @SYM@_create, .destroy = @SYM@_destroy,
                    .ops.metadata.put = @SYM@_put);
