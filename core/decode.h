/* Decoding the source once: the scale the stages need, shrink-on-load,
 * orientation, colour space and animation decided in one place. */
#ifndef PIX_CORE_DECODE_H
#define PIX_CORE_DECODE_H

#include "job.h"

/* The scale to decode an upright source of width x height at: the largest
 * min_scale() hint up to and including the first hinted stage that reduces
 * the working image.  1.0 when a stage before it needs full size (no hint,
 * not scale-neutral) or when no stage reduces the image. */
double pix_decode_scale(const pix_pipeline *p, int width, int height);

/* Whether the job keeps every frame of an animated source: a GIF or WebP
 * source with more than one page whose main output can animate. */
bool pix_decode_keeps_animation(const pix_job *job);

/* Decodes job->bytes into job->image (header already read into
 * job->header).  Returns 0, or -1 after failing the job with the reason. */
int pix_job_decode(pix_job *job);

/* Called once the job's decode has been read through and freed (the working
 * image was copied to memory): for a source of PIX_HEAP_LARGE_PIXELS or
 * more (setup.h), hands the heap's free pages back to the kernel. */
void pix_decode_read_through(const pix_job *job);

#endif
