/* The source's focal point (host->job_focus), read from its metadata. */
#ifndef PIX_CORE_FOCUS_H
#define PIX_CORE_FOCUS_H

#include <pixpipe/pixpipe.h>

/* Reads the focal point of the job's source, once its header is read:
 * the object's focal-point user metadata, else the XMP face and subject
 * regions (MWG, then Microsoft); records it as "focus".  A malformed
 * focal-point becomes a note; unreadable XMP is passed over. */
void pix_job_read_focus(pix_job *job);

/* The focal point read, or NULL.  Borrowed from the job. */
const pix_focus *pix_job_focus(pix_job *job);

#endif
