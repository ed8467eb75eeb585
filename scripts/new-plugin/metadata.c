/* @NAME@: a pixpipe metadata backend.  Say here where records go.
 *
 * Built from `make new-plugin KIND=metadata`; see docs/plugins.md.  As it
 * stands it logs each record as one line of JSON; replace put() with the
 * write to your store.
 */
#include <pixpipe/pixpipe.h>
#include <stdlib.h>

/* Filled by the host from the option table; every callback reads it as
 * ctx->config.  Read-only: put() runs on several threads at once. */
typedef struct @SYM@_config {
    char *label;
} @SYM@_config;

static const pix_option @SYM@_options[] = {
    { .name = "label", .type = PIX_OPT_STRING, .offset = offsetof(@SYM@_config, label),
      .def = "record", .min = 1, .max = 64, .doc = "An example option: replace it with yours." },
    { .name = NULL },
};

/* Stores record (borrowed), replacing any earlier record of the same
 * source bucket and key. */
static int @SYM@_put(const pix_ctx *ctx, pix_job *job, const pix_record *record)
{
    const @SYM@_config *cfg = ctx->config;
    char *json = ctx->host->rec_to_json(record); /* ours to free */
    if (!json)
        return ctx->host->job_error(job, "out of memory");
    ctx->host->log(ctx, PIX_LOG_INFO, "%s %s", cfg->label, json);
    free(json);
    return 0;
}

/* Optional: reading records back.  A store that can look a record up by
 * source bucket and key adds two callbacks (ABI 2.1, see <pixpipe/pixpipe.h>
 * and docs/plugins.md, section 5):
 *
 *   get(ctx, job, bucket, key, &json)
 *       the stored record as JSON text in *json (malloc()ed, the host frees
 *       it), NULL when there is none; returns 0 either way, -1 when the
 *       store cannot tell.  --only-stale needs it.
 *   remove(ctx, job, bucket, key, sequencer, &old_json)
 *       replaces the record with a tombstone ({"source_bucket",
 *       "source_key", "deleted": true, "sequencer", "deleted_at"}) unless
 *       the record has a newer sequencer, and hands back the record it
 *       replaced; returns 0 when replaced, 1 when a newer record is kept,
 *       -1 on error.  on_delete: remove needs it and get().
 *
 * and declares them with .get = @SYM@_get, .remove = @SYM@_remove.  This
 * scaffold only logs, so it has nothing to read back and declares neither.
 * examples/plugins/metadata-jsonl in pixpipe's source tree implements both
 * over a file.
 *
 * A connection to your store is state: open it in a .create callback
 * (ctx->host->error() says why it failed), keep it in *state, read it as
 * ctx->state and close it in .destroy. */
PIX_METADATA_PLUGIN("@NAME@", "0.1.0", "@NAME@: one line saying where records go", @SYM@_put,
                    .options = @SYM@_options, .config_size = sizeof(@SYM@_config));
