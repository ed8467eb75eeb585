#include "setup.h"

#include <malloc.h>
#include <stdlib.h>
#include <vips/vips.h>

#include "http.h"
#include "log.h"

/* libvips reports recoverable decoder trouble through GLib warnings.  The
 * job's own error already says what went wrong when it matters (fail_on),
 * so these go to the debug log instead of cluttering every run. */
static void vips_warning(const gchar *domain, GLogLevelFlags level, const gchar *message,
                         gpointer data)
{
    (void)level;
    (void)data;
    pix_log(PIX_LOG_DEBUG, domain, "%s", message);
}

/* glibc gives each thread that allocates its own heap arena, up to eight
 * per core, and libvips allocates from every worker thread.  Each arena
 * keeps its own free holes, so RSS grows with the number of arenas and
 * keeps creeping as pixel buffers of changing sizes move between them.
 * Two arenas measured as fast as the default and cut the peak at 12 MP by
 * a fifth (docs/performance.md).  A MALLOC_ARENA_MAX the user set wins. */
static void limit_heap_arenas(void)
{
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, 2);
}

/* Whether the user chose glibc's thresholds (MALLOC_MMAP_THRESHOLD_,
 * MALLOC_TRIM_THRESHOLD_): then pixpipe leaves them alone. */
static bool heap_thresholds_set(void)
{
    return getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_");
}

/* Every job allocates the same few large buffers: the source's bytes, the
 * working image held in memory, the JPEG encoder's coefficients (14 MB at
 * 6 MP).  With glibc's own thresholds, which move as chunks are freed,
 * those landed in fresh mmap()s, or on a heap top that free() handed back,
 * in most runs but not all, and each job then faulted them in again: 2-4
 * thousand page faults per 6 MP image, a fifth of its CPU time on one
 * vCPU.  Fixed thresholds keep them in the heap for the next job: chunks
 * up to 32 MiB come from it, and its top is given back only above 32 MiB
 * (all of it when the worker is idle, core/worker.c).  The price is a few
 * MiB of peak at 12 MP (free holes are reused rather than unmapped); a
 * large source (pix_heap_for_job) keeps a low threshold instead, so that
 * its large buffers go back as they are freed. */
static void keep_heap_for_next_job(void)
{
    if (heap_thresholds_set())
        return;
    mallopt(M_TRIM_THRESHOLD, PIX_HEAP_TRIM);
    mallopt(M_MMAP_THRESHOLD, PIX_HEAP_MMAP_SMALL);
}

void pix_heap_for_job(double pixels)
{
    if (!heap_thresholds_set())
        mallopt(M_MMAP_THRESHOLD, pixels >= PIX_HEAP_LARGE_PIXELS ? PIX_HEAP_MMAP_LARGE
                                                                 : PIX_HEAP_MMAP_SMALL);
}

void pix_heap_after_job(double pixels)
{
    if (pixels >= PIX_HEAP_LARGE_PIXELS)
        malloc_trim(0);
}

int pix_vips_start(const char *argv0, pix_err *err)
{
    limit_heap_arenas();
    keep_heap_for_next_job();
    if (VIPS_INIT(argv0)) {
        char why[1024];
        return pix_err_set(err, "cannot start libvips: %s", pix_vips_error(why, sizeof why));
    }
    /* Every job works on a different image: caching operations across jobs
     * only holds memory (RSS must stay flat over thousands of images). */
    vips_cache_set_max(0);
    /* Every upload is hostile until proved otherwise.  Loaders libvips
     * marks untrusted (ImageMagick, poppler, librsvg, FITS, OpenEXR, PPM,
     * .v, ...) are not hardened against hostile files: block them all, for
     * the whole process, before any pipeline is read.  libvips 8.14 marks
     * JPEG XL untrusted too, yet it is one of the formats pixpipe accepts
     * by default (limits.formats), so it is let back explicitly, saver
     * included.  A pipeline that opts in to SVG or PDF unblocks exactly
     * that loader when it is parsed (core/pipeline.c). */
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoadJxl", FALSE);
    vips_operation_block_set("VipsForeignSaveJxl", FALSE);
    if (pix_http_global_init() < 0)
        return pix_err_set(err, "cannot start libcurl");
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO,
                      vips_warning, NULL);
    return 0;
}

void pix_vips_stop(void)
{
    pix_http_global_cleanup();
    vips_shutdown();
}

pix_pipeline *pix_open_pipeline(const char *path, pix_registry *reg, pix_err *err)
{
    if (!path || !*path)
        path = getenv("PIXPIPE_PIPELINE");
    if (path && *path)
        return pix_pipeline_load(path, reg, err);
    return pix_pipeline_parse(PIX_EMBEDDED_DEFAULT, pix_default_pipeline,
                              pix_default_pipeline_len, reg, err);
}
