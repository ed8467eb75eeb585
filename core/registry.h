/* Finds plugins on the search path and loads them on demand with dlopen. */
#ifndef PIX_CORE_REGISTRY_H
#define PIX_CORE_REGISTRY_H

#include <stddef.h>
#include <pixpipe/pixpipe.h>
#include "err.h"

typedef struct pix_registry pix_registry;

/* The host's copy of a loaded descriptor: the plugin's bytes, zeros after,
 * readable through its kind's type. */
typedef union pix_descriptor {
    pix_plugin common;
    pix_stage_plugin stage;
    pix_storage_plugin storage;
    pix_metadata_plugin metadata;
} pix_descriptor;

/* The kind's view of a descriptor the registry returned, or NULL when it
 * is of another kind.  Borrowed, like pl. */
static inline const pix_stage_plugin *pix_stage_of(const pix_plugin *pl)
{
    return pl && pl->kind == PIX_KIND_STAGE ? &((const pix_descriptor *)(const void *)pl)->stage
                                            : NULL;
}
static inline const pix_storage_plugin *pix_storage_of(const pix_plugin *pl)
{
    return pl && pl->kind == PIX_KIND_STORAGE
               ? &((const pix_descriptor *)(const void *)pl)->storage : NULL;
}
static inline const pix_metadata_plugin *pix_metadata_of(const pix_plugin *pl)
{
    return pl && pl->kind == PIX_KIND_METADATA
               ? &((const pix_descriptor *)(const void *)pl)->metadata : NULL;
}

/* "stage", "storage", "metadata": also how the file of a storage or
 * metadata plugin begins (storage-NAME.so), so a pipeline can name it
 * by NAME alone.  Static. */
const char *pix_kind_name(pix_kind kind);

/* Builds the search path: the folders of PIXPIPE_PLUGIN_PATH (colon-
 * separated) first, then `plugins/` beside the executable (build tree), then
 * `../lib/pixpipe/plugins` from the executable (install prefix).  Scans the
 * folders for <name>.so files but loads nothing yet.  Caller frees with
 * pix_registry_free(). */
pix_registry *pix_registry_new(void);
/* Same with an explicit list of folders (tests). dirs is borrowed. */
pix_registry *pix_registry_new_dirs(const char *const *dirs, size_t n_dirs);
void pix_registry_free(pix_registry *reg);

/* Loads (once) and returns the plugin called name (a file <name>.so).
 * Returns a descriptor borrowed from the registry, or NULL with err saying
 * why: unknown (listing the installed plugins) or refused (file and reason). */
const pix_plugin *pix_registry_get(pix_registry *reg, const char *name, pix_err *err);

/* Loads (once) the storage plugins found and returns the first, in search
 * order, that serves scheme ("file", "s3"); NULL with err when none does.
 * Borrowed from the registry. */
const pix_plugin *pix_registry_storage_for(pix_registry *reg, const char *scheme, pix_err *err);

/* Loads every plugin found.  Returns how many plugins were found (loaded or
 * refused); for each index, pix_registry_at() tells which. */
size_t pix_registry_load_all(pix_registry *reg);
/* The i-th plugin found, in search order: name, file path, and the loaded
 * descriptor or NULL with *refusal set.  Everything is borrowed. */
void pix_registry_at(const pix_registry *reg, size_t i, const char **name, const char **path,
                     const pix_plugin **plugin, const char **refusal);
/* The file a loaded descriptor came from, or NULL when pl is not one of
 * this registry's.  Borrowed. */
const char *pix_registry_file_of(const pix_registry *reg, const pix_plugin *pl);
/* Names of all plugins found, comma-separated ("none" when empty).  Borrowed
 * until the next call. */
const char *pix_registry_names(pix_registry *reg);
/* The search path, colon-separated.  Borrowed. */
const char *pix_registry_path(const pix_registry *reg);

#endif
