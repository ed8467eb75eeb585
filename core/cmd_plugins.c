/* pixpipe plugins [NAME] */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "registry.h"

static void list_all(pix_registry *reg)
{
    size_t n = pix_registry_load_all(reg);
    printf("%-18s %-9s %-8s %s\n", "NAME", "KIND", "VERSION", "SUMMARY");
    for (size_t i = 0; i < n; i++) {
        const char *name, *path, *refusal;
        const pix_plugin *pl;
        pix_registry_at(reg, i, &name, &path, &pl, &refusal);
        if (pl)
            printf("%-18s %-9s %-8s %s\n", name, pix_kind_name(pl->kind), pl->version, pl->summary);
        else
            printf("%-18s %-9s %-8s refused: %s: %s\n", name, "-", "-", path,
                   refusal ? refusal : "?");
    }
    if (n == 0)
        printf("(no plugins found; search path: %s)\n", pix_registry_path(reg));
}

static void show_one(const pix_registry *reg, const pix_plugin *pl)
{
    char desc[512];
    const char *file = pix_registry_file_of(reg, pl);
    char abs[PATH_MAX];
    if (file && realpath(file, abs))
        file = abs; /* PIXPIPE_PLUGIN_PATH may hold relative folders */
    /* With several folders on the search path, which file was loaded is the
     * first thing to know when a plugin does not behave as built. */
    printf("%s %s (%s plugin, ABI %u.%u)\n%s\nFile: %s\n", pl->name, pl->version,
           pix_kind_name(pl->kind), pl->abi_major, pl->abi_minor, pl->summary, file ? file : "?");
    const pix_stage_plugin *stage = pix_stage_of(pl);
    const pix_storage_plugin *storage = pix_storage_of(pl);
    if (stage && stage->finish)
        printf("Runs a finish step after the renditions are stored, for every job.\n");
    if (stage && (pl->flags & PIX_PLUGIN_WRITES_RECORDS))
        printf("Writes records: the pipeline needs a metadata: section.\n");
    if (storage)
        printf("Serves %s objects%s%s.\n", storage->scheme,
               storage->default_root ? "; destination root by default " : "",
               storage->default_root ? storage->default_root : "");
    if (!pl->options || !pl->options[0].name) {
        printf("\nNo options.\n");
        return;
    }
    printf("\nOptions:\n");
    for (const pix_option *o = pl->options; o->name; o++) {
        pix_option_describe(o, desc, sizeof desc);
        printf("  %-16s %s\n", o->name, desc);
        if (o->doc)
            printf("  %-16s %s\n", "", o->doc);
    }
}

/* The option table as a Markdown table: docs/stages.md embeds exactly this
 * text, and a test compares the two so the docs cannot drift. */
static void show_markdown(const pix_plugin *pl)
{
    char desc[512];
    printf("| Option | Type | Description |\n|---|---|---|\n");
    for (const pix_option *o = pl->options; o && o->name; o++) {
        pix_option_describe(o, desc, sizeof desc);
        printf("| `%s` | ", o->name);
        for (const char *c = desc; *c; c++) {
            if (*c == '|')
                fputs("\\|", stdout); /* a bar would end the cell */
            else
                putchar(*c);
        }
        printf(" | %s |\n", o->doc ? o->doc : "");
    }
}

int pix_cmd_plugins(int argc, char **argv)
{
    pix_registry *reg = pix_registry_new();
    pix_err err;
    int status = 0;

    if (!reg) {
        fputs("pixpipe: out of memory\n", stderr);
        return 2;
    }
    bool markdown = argc > 1 && strcmp(argv[1], "--markdown") == 0;
    if (markdown) {
        argv++;
        argc--;
    }
    if (markdown && argc < 2) {
        fputs("pixpipe: plugins --markdown needs a plugin NAME "
              "(usage: pixpipe plugins [[--markdown] NAME])\n", stderr);
        status = 2;
    } else if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        puts("usage: pixpipe plugins [[--markdown] NAME]");
    } else if (argc > 1) {
        /* short names as in a pipeline file: fs, sqlite, ... */
        const pix_plugin *pl = pix_registry_get(reg, argv[1], &err);
        static const pix_kind prefixed[] = { PIX_KIND_STORAGE, PIX_KIND_METADATA };
        for (size_t i = 0; !pl && i < sizeof prefixed / sizeof *prefixed; i++) {
            char full[256];
            pix_err ignored;
            snprintf(full, sizeof full, "%s-%s", pix_kind_name(prefixed[i]), argv[1]);
            pl = pix_registry_get(reg, full, &ignored);
        }
        if (pl) {
            if (markdown)
                show_markdown(pl);
            else
                show_one(reg, pl);
        } else {
            fprintf(stderr, "pixpipe: %s\n", err.msg);
            status = 2;
        }
    } else {
        list_all(reg);
    }
    pix_registry_free(reg);
    return status;
}
