/* Decoding the source once: the scale the stages need, shrink-on-load,
 * orientation, colour space and animation decided in one place. */
#ifndef PIX_CORE_DECODE_H
#define PIX_CORE_DECODE_H

#include "job.h"

/* The largest of the stages' min_scale() hints for an upright source of
 * width x height, walking the stages in order and stopping at the first
 * stage that neither gives a hint nor is scale-neutral.  1.0 when no stage
 * allows shrinking. */
double pix_decode_scale(const pix_pipeline *p, int width, int height);

/* Whether the job keeps every frame of an animated source: a GIF or WebP
 * source with more than one page whose main output can animate. */
bool pix_decode_keeps_animation(const pix_job *job);

/* Decodes job->bytes into job->image (header already read into
 * job->header).  Returns 0, or -1 after failing the job with the reason. */
int pix_job_decode(pix_job *job);

#endif
