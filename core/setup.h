/* What every command does first: start libvips, find plugins, load the
 * pipeline. */
#ifndef PIX_CORE_SETUP_H
#define PIX_CORE_SETUP_H

#include "err.h"
#include "pipeline.h"
#include "registry.h"

/* The embedded pipelines/default.yaml (generated at build time). */
extern const char pix_default_pipeline[];
extern const size_t pix_default_pipeline_len;
#define PIX_EMBEDDED_DEFAULT "<embedded>/pipelines/default.yaml"

/* Starts libvips.  Returns 0, or -1 with err. */
int pix_vips_start(const char *argv0, pix_err *err);
void pix_vips_stop(void);

/* Loads the pipeline `path`, else $PIXPIPE_PIPELINE, else the embedded
 * default.  Caller frees with pix_pipeline_free(). */
pix_pipeline *pix_open_pipeline(const char *path, pix_registry *reg, pix_err *err);

#endif
