#ifndef PIX_CORE_PIPELINE_CHECK_H
#define PIX_CORE_PIPELINE_CHECK_H

#include "pipeline.h"

/* Checks what parsing cannot: the key template's placeholders, that this
 * libvips can write the output format (and its effort range), a
 * destination bucket, each plugin's own check() callback, and that a stage
 * writing records has a metadata backend.  Creates nothing.  Called by
 * `validate` and by pix_pipeline_start().  Returns 0 or -1 with err. */
int pix_pipeline_check(pix_pipeline *p, const pix_host *host, pix_err *err);

/* Starts only the source storage: what --dry-run needs, so that it creates
 * no folder, file or table.  Returns 0 or -1 with err. */
int pix_pipeline_start_source(pix_pipeline *p, const pix_host *host, pix_err *err);

#endif
