/* S3 event notifications: the objects they announce, as inputs. */
#ifndef PIX_CORE_EVENT_H
#define PIX_CORE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "inputs.h"

/* What an event held besides the objects to process. */
typedef struct pix_event_summary {
    size_t records;   /* S3 records seen                                   */
    size_t created;   /* ObjectCreated records added as inputs             */
    size_t ignored;   /* other records (ObjectRemoved, ...), not processed */
    bool test_event;  /* an s3:TestEvent: acknowledged, nothing to do      */
} pix_event_summary;

/* Parses an S3 notification (JSON text of len bytes, `where` names it in
 * errors) and adds one S3 input per ObjectCreated record.  Keys are
 * URL-decoded the S3 way ('+' is a space).  Returns 0, or -1 with err
 * naming the record and the reason; inputs added before the error stay. */
int pix_event_parse(const char *where, const char *json, size_t len, pix_inputs *in,
                    pix_event_summary *sum, pix_err *err);

/* Decodes %XX escapes (and '+' as a space when plus_is_space) of in into a
 * new string.  A bad escape or a NUL byte is refused.  Caller frees. */
char *pix_url_decode(const char *in, bool plus_is_space, pix_err *err);

#endif
