/* What a deleted source does to its renditions and record (`on_delete`). */
#ifndef PIX_CORE_REMOVE_H
#define PIX_CORE_REMOVE_H

#include "job.h"

/* Compares two S3 sequencers as the hex numbers they are (lengths vary;
 * leading zeros and case do not count): <0, 0, >0. */
int pix_sequencer_cmp(const char *a, const char *b);

/* host->sequencer_pad(): seq as width upper-case hex digits, zero-padded
 * on the left, into out (width + 1 bytes).  0, or -1 when seq is not hex
 * or longer than width without its leading zeros. */
int pix_sequencer_pad(const char *seq, char *out, size_t width);

/* Runs a removal job (job->removed): with on_delete: remove, deletes every
 * rendition the stored record lists, then replaces the record with a
 * tombstone, unless the record is newer than the delete (its sequencer);
 * with keep, skips.  Idempotent: a second delivery finds the tombstone
 * and removes nothing more. */
void pix_job_remove(pix_job *job);

/* After a create's record was stored: when a delete newer than this
 * create is recorded (a tombstone with a later sequencer, the delete having
 * been handled first), removes the renditions this job just stored, so a
 * late create never brings a deleted image back. */
void pix_job_undo_if_deleted(pix_job *job);

#endif
