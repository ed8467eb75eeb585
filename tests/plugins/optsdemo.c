/* Test stage with one option of every type, a required one and a secret
 * one, for the loader's unit tests.  It does nothing to images. */
#include <stddef.h>
#include <pixpipe/pixpipe.h>

typedef struct demo_config {
    char *label;
    int64_t count;
    double ratio;
    bool flag;
    uint64_t limit;
    int fit;
    pix_strlist tags;
    pix_colour colour;
    char *token;
    char *note;
} demo_config;

static const char *const fits[] = {"inside", "cover", "contain", "fill", "outside", NULL};

static const pix_option demo_options[] = {
    {.name = "label", .type = PIX_OPT_STRING, .offset = offsetof(demo_config, label),
     .def = "demo", .min = 1, .max = 20, .doc = "A short label."},
    {.name = "count", .type = PIX_OPT_INT, .offset = offsetof(demo_config, count), .def = "10",
     .min = 1, .max = 100, .doc = "A bounded int."},
    {.name = "ratio", .type = PIX_OPT_NUMBER, .offset = offsetof(demo_config, ratio),
     .def = "0.5", .min = 0, .max = 1, .doc = "A bounded number."},
    {.name = "flag", .type = PIX_OPT_BOOL, .offset = offsetof(demo_config, flag), .def = "false",
     .doc = "A bool."},
    {.name = "limit", .type = PIX_OPT_SIZE, .offset = offsetof(demo_config, limit), .def = "1MB",
     .min = 0, .max = 1e9, .doc = "A bounded size."},
    {.name = "fit", .type = PIX_OPT_ENUM, .offset = offsetof(demo_config, fit), .def = "inside",
     .choices = fits, .doc = "An enum."},
    {.name = "tags", .type = PIX_OPT_STRLIST, .offset = offsetof(demo_config, tags),
     .def = "[a, b]", .doc = "A list."},
    {.name = "colour", .type = PIX_OPT_COLOUR, .offset = offsetof(demo_config, colour),
     .def = "#ffffff", .doc = "A colour."},
    {.name = "token", .type = PIX_OPT_STRING, .flags = PIX_OPT_REQUIRED | PIX_OPT_SECRET,
     .offset = offsetof(demo_config, token), .min = 4, .max = 64, .doc = "A secret."},
    {.name = "note", .type = PIX_OPT_STRING, .offset = offsetof(demo_config, note),
     .doc = "A string without default."},
    {NULL},
};

static int demo_process(const pix_ctx *ctx, pix_job *job)
{
    (void)ctx;
    (void)job;
    return 0;
}

PIX_STAGE_PLUGIN("optsdemo", "1.0.0", "Test stage with every option type.", demo_process,
                 .options = demo_options, .config_size = sizeof(demo_config));
