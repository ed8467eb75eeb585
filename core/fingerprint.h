/* The pipeline fingerprint: a hash of everything a source's renditions
 * depend on, stored in its record so that a backfill can tell which
 * records are stale (pixpipe run --only-stale). */
#ifndef PIX_CORE_FINGERPRINT_H
#define PIX_CORE_FINGERPRINT_H

#include <jansson.h>
#include "pipeline.h"

/* The normalised pipeline the fingerprint hashes, as JSON (new reference;
 * NULL out of memory): each stage's plugin, version and every option's
 * value after defaults were applied (secrets left out), the output
 * settings, and the destination's plugin, version, bucket and key
 * template.  What does not change a rendition is left out: the pipeline's
 * name, its source, metadata backend, limits and trigger. */
json_t *pix_fingerprint_json(const pix_pipeline *p);

/* Writes the first PIX_FINGERPRINT_HEX hex digits of the SHA-256 of
 * pix_fingerprint_json(p) (keys sorted, compact) into out.  Returns 0, or
 * -1 out of memory. */
int pix_fingerprint(const pix_pipeline *p, char out[PIX_FINGERPRINT_HEX + 1]);

#endif
