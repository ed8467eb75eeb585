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

/* The heap's thresholds (core/setup.c): glibc's mmap threshold for jobs
 * whose source has fewer than PIX_HEAP_LARGE_PIXELS pixels, and for the
 * others, whose large buffers then go back to the kernel as they are
 * freed; the heap top kept up to PIX_HEAP_TRIM bytes. */
#define PIX_HEAP_LARGE_PIXELS 64e6
#define PIX_HEAP_MMAP_SMALL (32 << 20)
#define PIX_HEAP_MMAP_LARGE (512 << 10)
#define PIX_HEAP_TRIM (32 << 20)

/* Sets the heap's mmap threshold for a job whose source has `pixels`
 * pixels, unless the user set glibc's thresholds in the environment. */
void pix_heap_for_job(double pixels);

/* After a job whose source had `pixels` pixels: for a large one (at least
 * PIX_HEAP_LARGE_PIXELS), hands the heap's free pages back to the kernel,
 * so that the next job does not start above its buffers. */
void pix_heap_after_job(double pixels);

/* Starts libvips.  Returns 0, or -1 with err. */
int pix_vips_start(const char *argv0, pix_err *err);
void pix_vips_stop(void);

/* Loads the pipeline `path`, else $PIXPIPE_PIPELINE, else the embedded
 * default.  Caller frees with pix_pipeline_free(). */
pix_pipeline *pix_open_pipeline(const char *path, pix_registry *reg, pix_err *err);

#endif
