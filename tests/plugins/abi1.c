/* Refused, with the way out: a plugin built for plugin ABI 1.0 (pixpipe
 * 0.1).  Its descriptor is laid out as the 1.0 headers had it, written here
 * with a local copy of that layout so that it owes nothing to the 2.0
 * types: one pix_plugin for every kind, callbacks given the state pointer,
 * the kinds' callbacks in a union in the middle. */
#include <stddef.h>
#include <stdint.h>

typedef struct abi1_stage_ops {
    int (*process)(void *state, void *job);
    double (*min_scale)(void *state, int width, int height);
    int (*finish)(void *state, void *job, int status);
} abi1_stage_ops;

typedef struct abi1_plugin {
    uint32_t abi_major;
    uint32_t abi_minor;
    size_t struct_size;
    int kind; /* 1: stage */
    const char *name;
    const char *version;
    const char *summary;
    const void *options;
    size_t config_size;
    int (*create)(const void *host, void *self, const void *config, void **state);
    void (*destroy)(void *state);
    union {
        abi1_stage_ops stage;
        void *largest[3]; /* storage's get, put, head */
    } ops;
    int (*check)(const void *host, void *self, const void *config);
    unsigned flags;
} abi1_plugin;

static int abi1_process(void *state, void *job)
{
    (void)state;
    (void)job;
    return 0;
}

static const abi1_plugin desc = {
    .abi_major = 1, .abi_minor = 0, .struct_size = sizeof(abi1_plugin), .kind = 1,
    .name = "abi1", .version = "1.0.0", .summary = "test: built for plugin ABI 1.0",
    .ops.stage.process = abi1_process,
};

/* The entry point as PIX_PLUGIN_EXPORT wrote it in 1.0. */
__attribute__((visibility("default"))) const abi1_plugin *pix_plugin_entry(void);
__attribute__((visibility("default"))) const abi1_plugin *pix_plugin_entry(void)
{
    return &desc;
}
