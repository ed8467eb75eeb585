/* The pipeline loader through validation, as `pixpipe validate` runs it:
 * YAML text -> tree (core/yaml_tree.c) with ${VAR} expansion
 * (core/envexpand.c) -> sections, plugin options and key template
 * (core/pipeline.c, optfill.c, optvalue.c, keys.c) -> pix_pipeline_check()
 * with each plugin's own check().  The plugins are the bundled ones, built
 * with the same sanitizers into build-fuzz/plugins beside this binary and
 * found there by pix_registry_new() (PIXPIPE_PLUGIN_PATH is searched first).
 * The environment is set once so that expansion meets set, empty and unset
 * variables. */
#include <vips/vips.h>

#include "envexpand.h"
#include "fuzz.h"
#include "host.h"
#include "log.h"
#include "pipeline.h"
#include "pipeline_check.h"
#include "registry.h"
#include "yaml_tree.h"

static pix_registry *reg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    if (VIPS_INIT((*argv)[0]))
        abort();
    pix_log_set_level(PIX_LOG_ERROR); /* "metadata but no writer" warnings */
    setenv("PIXPIPE_FUZZ_SET", "value", 1);
    setenv("PIXPIPE_FUZZ_EMPTY", "", 1);
    setenv("PIXPIPE_FUZZ_BRACES", "${x}{y}$$", 1);
    unsetenv("PIXPIPE_FUZZ_UNSET");
    reg = pix_registry_new();
    if (!reg)
        abort();
    /* Loading every plugin now keeps dlopen out of the measured runs and
     * fails early when the build put none beside the binary. */
    size_t n = pix_registry_load_all(reg);
    if (n == 0) {
        fprintf(stderr, "fuzz_pipeline: no plugins on %s\n", pix_registry_path(reg));
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        const char *name, *path, *refusal;
        const pix_plugin *pl;
        pix_registry_at(reg, i, &name, &path, &pl, &refusal);
        if (!pl) {
            fprintf(stderr, "fuzz_pipeline: %s refused: %s\n", path, refusal ? refusal : "?");
            abort();
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pix_err err = { { 0 } };
    pix_pipeline *p = pix_pipeline_parse("fuzz.yaml", (const char *)data, size, reg, &err);

    if (p) {
        FZ_CHECK(p->source && p->dest && p->key_template && p->output_rendition && p->name,
                 "a parsed pipeline lacks a default");
        if (pix_pipeline_check(p, &pix_host_api, &err) < 0)
            FZ_CHECK(err.msg[0], "check failed without a message");
        pix_pipeline_free(p);
    } else {
        FZ_CHECK(err.msg[0], "parse failed without a message");
    }

    /* The expansion alone, on the input as one value. */
    char *s = fz_strndup(data, size), *out = NULL, why[256] = "";
    if (pix_env_expand(s, &out, why, sizeof why) == 0) {
        FZ_CHECK(out, "expansion succeeded without a result");
        if (!strchr(s, '$'))
            FZ_CHECK(strcmp(out, s) == 0, "text without '$' changed");
        free(out);
    } else {
        FZ_CHECK(!out && why[0], "expansion failed without a message");
    }
    free(s);
    vips_error_clear();
    return 0;
}
