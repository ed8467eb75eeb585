/*
 * Plugin registry.  Folders are scanned for <name>.so at start (cheap: no
 * dlopen), and a plugin is loaded the first time a pipeline names it, so a
 * Lambda cold start pays only for the plugins its pipeline uses.  A plugin is
 * refused, with the file and the reason, when it does not speak our ABI.
 */
#include "registry.h"

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "options.h"
#include "paths.h"
#include "suggest.h"

typedef struct entry {
    char *name;
    char *path;
    void *dl;
    pix_plugin *plugin; /* our copy of its descriptor (copy_descriptor) */
    char *refusal;   /* why it was refused; NULL when fine or not tried */
    int tried;
} entry;

struct pix_registry {
    entry *items;
    size_t n, cap;
    char *search_path;
    char *names;
};

static int add_entry(pix_registry *reg, const char *name, const char *path)
{
    entry *items = pix_grow(reg->items, reg->n, &reg->cap, sizeof *items, 16);
    if (!items)
        return -1;
    reg->items = items;
    entry *e = &reg->items[reg->n];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    e->path = strdup(path);
    if (!e->name || !e->path) {
        free(e->name);
        free(e->path);
        return -1;
    }
    reg->n++;
    return 0;
}

static entry *find(pix_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->items[i].name, name) == 0)
            return &reg->items[i];
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the .so files of one folder, sorted so the order is stable.  A name
 * already found in an earlier folder is kept as a refused duplicate: the
 * earlier folder wins, which is what lets PIXPIPE_PLUGIN_PATH override. */
static void scan_dir(pix_registry *reg, const char *dir)
{
    DIR *d = opendir(dir);
    char **files = NULL;
    size_t n = 0, cap = 0;

    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len <= 3 || de->d_name[0] == '.' || strcmp(de->d_name + len - 3, ".so") != 0)
            continue;
        char **nf = pix_grow(files, n, &cap, sizeof *nf, 16);
        if (!nf)
            break;
        files = nf;
        files[n] = strdup(de->d_name);
        if (files[n])
            n++;
    }
    closedir(d);
    qsort(files, n, sizeof *files, by_name);
    for (size_t i = 0; i < n; i++) {
        char *path = pix_path_join(dir, files[i]);
        files[i][strlen(files[i]) - 3] = '\0';
        entry *prev = find(reg, files[i]);
        if (path && add_entry(reg, files[i], path) == 0 && prev) {
            entry *dup = &reg->items[reg->n - 1];
            dup->tried = 1;
            if (asprintf(&dup->refusal, "duplicate plugin name '%s': already provided by %s",
                         files[i], find(reg, files[i])->path) < 0)
                dup->refusal = NULL;
        }
        free(path);
        free(files[i]);
    }
    free(files);
}

static pix_registry *registry_from(char **dirs, size_t n_dirs)
{
    pix_registry *reg = calloc(1, sizeof *reg);
    size_t len = 1;

    if (!reg)
        return NULL;
    for (size_t i = 0; i < n_dirs; i++)
        len += strlen(dirs[i]) + 1;
    reg->search_path = calloc(1, len);
    for (size_t i = 0; i < n_dirs && reg->search_path; i++) {
        if (i)
            strcat(reg->search_path, ":");
        strcat(reg->search_path, dirs[i]);
        scan_dir(reg, dirs[i]);
    }
    return reg;
}

pix_registry *pix_registry_new_dirs(const char *const *dirs, size_t n_dirs)
{
    return registry_from((char **)dirs, n_dirs);
}

pix_registry *pix_registry_new(void)
{
    char exe[4096];
    char *dirs[64];
    size_t n = 0;
    char *env = NULL;
    pix_registry *reg = NULL;

    const char *pp = getenv("PIXPIPE_PLUGIN_PATH");
    if (pp && *pp) {
        env = strdup(pp);
        for (char *save = NULL, *tok = strtok_r(env, ":", &save); tok && n < 60;
             tok = strtok_r(NULL, ":", &save))
            dirs[n++] = strdup(tok);
    }
    if (pix_exe_dir(exe, sizeof exe) == 0) {
        dirs[n++] = pix_path_join(exe, "plugins");
        dirs[n++] = pix_path_join(exe, "../lib/pixpipe/plugins");
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (dirs[i])
            dirs[kept++] = dirs[i];
    reg = registry_from(dirs, kept);
    for (size_t i = 0; i < kept; i++)
        free(dirs[i]);
    free(env);
    return reg;
}

void pix_registry_free(pix_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n; i++) {
        entry *e = &reg->items[i];
        /* Plugins stay mapped until exit when built with sanitizers or run
         * under valgrind, so leak reports can name their frames. */
        if (e->dl && !getenv("PIXPIPE_KEEP_PLUGINS"))
            dlclose(e->dl);
        void *owned[] = { e->plugin, e->name, e->path, e->refusal };
        for (size_t k = 0; k < sizeof owned / sizeof *owned; k++)
            free(owned[k]);
    }
    void *owned[] = { reg->items, reg->search_path, reg->names, reg };
    for (size_t k = 0; k < sizeof owned / sizeof *owned; k++)
        free(owned[k]);
}

static int refuse(entry *e, const char *fmt, ...) PIX_PRINTF(2, 3);
static int refuse(entry *e, const char *fmt, ...)
{
    int n;
    PIX_WITH_VA(fmt, n = vasprintf(&e->refusal, fmt, ap));
    if (n < 0)
        e->refusal = NULL;
    return -1;
}

/* The smallest descriptor of each kind each minor of this major accepts:
 * the end of the last field that minor defines.  A descriptor built for an
 * older minor is shorter than this host's, and the fields it lacks read as
 * zero (see copy_descriptor).  A minor bump that appends to a kind's
 * descriptor appends a row here. */
static const size_t min_size_by_minor[][3] = {
    /* 2.0: stage, storage, metadata */
    { offsetof(pix_stage_plugin, rendition_name), offsetof(pix_storage_plugin, list),
      offsetof(pix_metadata_plugin, get) },
    /* 2.1: storage list() and remove(), metadata get() and remove() */
    { offsetof(pix_stage_plugin, rendition_name), sizeof(pix_storage_plugin),
      sizeof(pix_metadata_plugin) },
    /* 2.2: stage rendition_name() */
    { sizeof(pix_stage_plugin), sizeof(pix_storage_plugin), sizeof(pix_metadata_plugin) },
    /* 2.3: no descriptor grew (pix_encode did: see host_job_add_rendition) */
    { sizeof(pix_stage_plugin), sizeof(pix_storage_plugin), sizeof(pix_metadata_plugin) },
};
_Static_assert(sizeof min_size_by_minor / sizeof *min_size_by_minor == PIX_ABI_MINOR + 1,
               "min_size_by_minor needs one row per minor");

static const char *const kind_names[] = { [PIX_KIND_STAGE] = "stage",
                                          [PIX_KIND_STORAGE] = "storage",
                                          [PIX_KIND_METADATA] = "metadata" };

const char *pix_kind_name(pix_kind kind)
{
    return kind >= PIX_KIND_STAGE && kind <= PIX_KIND_METADATA ? kind_names[kind] : "unknown";
}

/* Checks the fields every descriptor of every major starts with (ABI 1
 * had the same three), before anything else of it is read. */
static int check_version(entry *e, const pix_plugin *p)
{
    if (p->abi_major == 1)
        return refuse(e, "built for plugin ABI 1.%u, which this pixpipe no longer loads: "
                      "rebuild it against the ABI %d.%d headers (docs/plugins.md, \"Moving "
                      "from ABI 1\")", p->abi_minor, PIX_ABI_MAJOR, PIX_ABI_MINOR);
    if (p->abi_major != PIX_ABI_MAJOR)
        return refuse(e, "built for plugin ABI %u.%u, this pixpipe speaks %d.%d (another major)",
                      p->abi_major, p->abi_minor, PIX_ABI_MAJOR, PIX_ABI_MINOR);
    if (p->abi_minor > PIX_ABI_MINOR)
        return refuse(e, "built for plugin ABI %u.%u, newer than this pixpipe's %d.%d; "
                      "upgrade pixpipe or rebuild the plugin", p->abi_major, p->abi_minor,
                      PIX_ABI_MAJOR, PIX_ABI_MINOR);
    if (p->struct_size < sizeof(pix_plugin))
        return refuse(e, "descriptor is %zu bytes, ABI %u.%u needs at least %zu", p->struct_size,
                      p->abi_major, p->abi_minor, sizeof(pix_plugin));
    if (p->kind < PIX_KIND_STAGE || p->kind > PIX_KIND_METADATA)
        return refuse(e, "unknown plugin kind %d", (int)p->kind);
    size_t need = min_size_by_minor[p->abi_minor][p->kind - 1];
    if (p->struct_size < need)
        return refuse(e, "descriptor is %zu bytes, a %s plugin of ABI %u.%u needs at least %zu",
                      p->struct_size, kind_names[p->kind], p->abi_major, p->abi_minor, need);
    return 0;
}

/* This host's view of a descriptor of any accepted size: the plugin's bytes
 * up to its struct_size, zeros after, in a union of every kind so the
 * kind's view of it is well defined.  Caller frees; NULL when out of
 * memory. */
static pix_plugin *copy_descriptor(const pix_plugin *p)
{
    pix_descriptor *copy = calloc(1, sizeof *copy);
    if (copy)
        memcpy(copy, p, p->struct_size < sizeof *copy ? p->struct_size : sizeof *copy);
    return copy ? &copy->common : NULL;
}

/* Checks what the descriptor promises before anything of it is used. */
static int check_descriptor(entry *e, const pix_plugin *p)
{
    const pix_descriptor *d = (const pix_descriptor *)(const void *)p;
    pix_err err;

    if (!p->name || !*p->name)
        return refuse(e, "descriptor has no name");
    if (strcmp(p->name, e->name) != 0)
        return refuse(e, "declares the name '%s', which does not match its file name '%s.so'",
                      p->name, e->name);
    if (!p->version || !p->summary)
        return refuse(e, "descriptor lacks a version or a summary");
    switch (p->kind) {
    case PIX_KIND_STAGE:
        if (!d->stage.process)
            return refuse(e, "stage has no process callback");
        break;
    case PIX_KIND_STORAGE:
        if (!d->storage.get || !d->storage.put)
            return refuse(e, "storage plugin lacks get or put");
        if (!d->storage.scheme || !*d->storage.scheme)
            return refuse(e, "storage plugin declares no scheme");
        break;
    default:
        if (!d->metadata.put)
            return refuse(e, "metadata plugin has no put callback");
        break;
    }
    if (p->options && pix_options_check_table(p->options, p->config_size, &err) < 0)
        return refuse(e, "malformed option table: %s", err.msg);
    return 0;
}

static void load(entry *e)
{
    if (e->tried)
        return;
    e->tried = 1;
    dlerror();
    e->dl = dlopen(e->path, RTLD_NOW | RTLD_LOCAL);
    if (!e->dl) {
        const char *why = dlerror();
        refuse(e, "cannot be loaded: %s", why ? why : "unknown dlopen error");
        return;
    }
    void *sym = dlsym(e->dl, PIX_PLUGIN_ENTRY_SYMBOL);
    if (!sym) {
        refuse(e, "has no entry symbol %s() (declare it with PIX_STAGE_PLUGIN, PIX_STORAGE_PLUGIN or PIX_METADATA_PLUGIN)",
               PIX_PLUGIN_ENTRY_SYMBOL);
        goto fail;
    }
    pix_plugin_entry_fn fn;
    memcpy(&fn, &sym, sizeof fn); /* object to function pointer, portably */
    const pix_plugin *p = fn();
    if (!p) {
        refuse(e, "%s() returned NULL", PIX_PLUGIN_ENTRY_SYMBOL);
        goto fail;
    }
    /* The fields every major shares are read by copy: the plugin's
     * descriptor is of its kind's type, not ours. */
    pix_plugin head = { 0 };
    memcpy(&head, p, offsetof(pix_plugin, kind) + sizeof head.kind);
    if (check_version(e, &head) < 0)
        goto fail;
    pix_plugin *copy = copy_descriptor(p);
    if (!copy) {
        refuse(e, "out of memory");
        goto fail;
    }
    if (check_descriptor(e, copy) < 0) {
        free(copy);
        goto fail;
    }
    e->plugin = copy;
    return;
fail:
    dlclose(e->dl);
    e->dl = NULL;
}

const pix_plugin *pix_registry_get(pix_registry *reg, const char *name, pix_err *err)
{
    entry *e = find(reg, name);
    if (!e) {
        const char **names = calloc(reg->n + 1, sizeof *names);
        char hint[160] = "";
        for (size_t i = 0; names && i < reg->n; i++)
            names[i] = reg->items[i].name;
        if (names)
            pix_suggest_clause(name, names, hint, sizeof hint);
        free(names);
        pix_err_set(err, "unknown plugin '%s'%s; installed: %s (search path: %s)", name, hint,
                    pix_registry_names(reg), reg->search_path ? reg->search_path : "");
        return NULL;
    }
    load(e);
    if (!e->plugin) {
        pix_err_set(err, "plugin '%s' (%s) refused: %s", name, e->path,
                    e->refusal ? e->refusal : "out of memory");
        return NULL;
    }
    return e->plugin;
}

const pix_plugin *pix_registry_storage_for(pix_registry *reg, const char *scheme, pix_err *err)
{
    const char *kind = pix_kind_name(PIX_KIND_STORAGE);
    size_t klen = strlen(kind);

    for (size_t i = 0; i < reg->n; i++) {
        entry *e = &reg->items[i];
        /* only files named as storage plugins, and each name once */
        if (strncmp(e->name, kind, klen) != 0 || e->name[klen] != '-' || find(reg, e->name) != e)
            continue;
        load(e);
        const pix_storage_plugin *st = pix_storage_of(e->plugin);
        if (st && strcmp(st->scheme, scheme) == 0)
            return e->plugin;
    }
    pix_err_set(err, "no storage plugin serves '%s' objects (installed: %s; search path: %s)",
                scheme, pix_registry_names(reg), reg->search_path ? reg->search_path : "");
    return NULL;
}

size_t pix_registry_load_all(pix_registry *reg)
{
    for (size_t i = 0; i < reg->n; i++)
        load(&reg->items[i]);
    return reg->n;
}

void pix_registry_at(const pix_registry *reg, size_t i, const char **name, const char **path,
                     const pix_plugin **plugin, const char **refusal)
{
    const entry *e = &reg->items[i];
    if (name) *name = e->name;
    if (path) *path = e->path;
    if (plugin) *plugin = e->plugin;
    if (refusal) *refusal = e->refusal;
}

const char *pix_registry_file_of(const pix_registry *reg, const pix_plugin *pl)
{
    for (size_t i = 0; pl && i < reg->n; i++)
        if (reg->items[i].plugin == pl)
            return reg->items[i].path;
    return NULL;
}

const char *pix_registry_names(pix_registry *reg)
{
    size_t len = 8;
    for (size_t i = 0; i < reg->n; i++)
        len += strlen(reg->items[i].name) + 2;
    free(reg->names);
    reg->names = calloc(1, len);
    if (!reg->names)
        return "?";
    int first = 1;
    for (size_t i = 0; i < reg->n; i++) {
        /* a shadowed duplicate shares its name with an earlier entry */
        if (find(reg, reg->items[i].name) != &reg->items[i])
            continue;
        if (!first)
            strcat(reg->names, ", ");
        strcat(reg->names, reg->items[i].name);
        first = 0;
    }
    if (first)
        strcpy(reg->names, "none");
    return reg->names;
}

const char *pix_registry_path(const pix_registry *reg)
{
    return reg->search_path ? reg->search_path : "";
}
