/* Filling a config struct from a YAML mapping with an option table: the one
 * validator behind plugin options and the pipeline's own limits/output
 * sections, so every option error reads the same. */
#ifndef PIX_CORE_OPTFILL_H
#define PIX_CORE_OPTFILL_H

#include <pixpipe/pixpipe.h>
#include "err.h"
#include "yaml_tree.h"

typedef struct pix_optsection {
    const char *path;           /* file name for messages                     */
    const char *context;        /* "stages[0] resize", "limits", ...          */
    int line, col;              /* where the section is, for "missing" errors */
    const char *const *extra;   /* NULL-terminated keys the caller handles
                                   itself (e.g. storage, bucket): skipped here
                                   but listed among the valid keys; or NULL  */
} pix_optsection;

/* Checks every key of map against table (and fc->extra), parses each value
 * and writes it into config, applies defaults of absent options and refuses
 * missing required ones.  map may be NULL or a null scalar (no options).
 * config must be zeroed; on error it may be partly filled: release it with
 * pix_config_free() either way.  Errors read
 * "path:line:col: context: option: what is wrong; what was expected".
 * Returns 0 or -1 with err. */
int pix_optfill(const pix_optsection *fc, const pix_option *table, const pix_ynode *map,
                void *config, pix_err *err);

#endif
