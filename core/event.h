/* Lambda events announcing S3 objects, as inputs: S3 notifications, SQS
 * messages and SNS notifications carrying them, EventBridge "Object
 * Created" events and s3:TestEvents. */
#ifndef PIX_CORE_EVENT_H
#define PIX_CORE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "inputs.h"

/* Bounds on untrusted event text. */
#define PIX_EVENT_MAX_BYTES (8u << 20)   /* a whole event                      */
#define PIX_EVENT_MAX_BODY (1u << 20)    /* one SQS body or SNS Message        */
#define PIX_EVENT_MAX_RECORDS 10000u     /* Records of one list                */
#define PIX_EVENT_MAX_KEY 1024u          /* an S3 key, in bytes, once decoded  */
#define PIX_EVENT_MAX_SEQUENCER 64u      /* characters of a sequencer          */
#define PIX_EVENT_MAX_MESSAGE_ID 128u    /* an SQS messageId                   */

/* What the outermost envelope was: an SQS event is answered with
 * batchItemFailures, the others succeed or fail as a whole. */
typedef enum pix_event_kind {
    PIX_EVENT_S3,          /* {"Records":[{"eventSource":"aws:s3",...}]}       */
    PIX_EVENT_SQS,         /* {"Records":[{"eventSource":"aws:sqs",...}]}      */
    PIX_EVENT_SNS,         /* {"Records":[{"EventSource":"aws:sns",...}]}      */
    PIX_EVENT_EVENTBRIDGE, /* {"source":"aws.s3","detail-type":...}            */
    PIX_EVENT_TEST,        /* a bare s3:TestEvent                              */
    PIX_EVENT_BATCH        /* S3 Batch Operations: {"invocationSchemaVersion", "tasks"} */
} pix_event_kind;

/* An SQS message whose body could not be used: none of its objects were
 * added, and it is the one to name in batchItemFailures. */
typedef struct pix_event_bad {
    char *message_id;  /* the SQS messageId                              */
    char *reason;      /* path inside the event and what was wrong with it */
} pix_event_bad;

/* What an event held besides the objects to process.  Counts include what
 * SQS and SNS envelopes carried. */
typedef struct pix_event_summary {
    pix_event_kind kind;
    size_t messages;   /* SQS messages and SNS notifications seen           */
    size_t records;    /* S3 records and EventBridge events seen            */
    size_t created;    /* objects created, added as inputs                  */
    size_t ignored;    /* ObjectRemoved and other non-creation records      */
    size_t tests;      /* s3:TestEvents acknowledged                        */
    bool test_event;   /* the event held s3:TestEvents and nothing else     */
    pix_event_bad *bad; /* SQS messages (Batch tasks) refused, in event order
                           (owned); message_id is the Batch taskId         */
    size_t n_bad;
    size_t removed;     /* objects deleted, added as inputs (see take_removed) */
    /* S3 Batch Operations: what the answer echoes (owned), NULL otherwise */
    char *batch_schema;      /* invocationSchemaVersion: "1.0" or "2.0"    */
    char *batch_invocation;  /* invocationId                               */
} pix_event_summary;

/* Parses an event (JSON text of len bytes; `where` names it in errors)
 * and adds one S3 input per created object; inputs from an SQS message
 * carry its messageId, those of an S3 Batch Operations task its taskId (in
 * message_id).  With take_removed, each deleted object (ObjectRemoved,
 * EventBridge "Object Deleted") is added too, as an input marked removed;
 * without, deletions are counted as ignored.  sum is overwritten (free a previous one first).
 * An SQS message that cannot be used is listed in sum->bad and the rest go
 * on; anything else wrong fails the whole event.  Returns 0, or -1 with
 * err naming the path in the event and what was expected; on -1 no input
 * is added.  Call pix_event_summary_free(sum) after either. */
int pix_event_parse(const char *where, const char *json, size_t len, bool take_removed,
                    pix_inputs *in, pix_event_summary *sum, pix_err *err);

/* Frees the bad-message list; the summary is then empty.  Idempotent. */
void pix_event_summary_free(pix_event_summary *sum);

/* The kind's name: "s3", "sqs", "sns", "eventbridge", "test". */
const char *pix_event_kind_name(pix_event_kind kind);

/* Decodes %XX escapes (and '+' as a space when plus_is_space) of in into a
 * new string.  A bad escape or a NUL byte is refused.  Caller frees. */
char *pix_url_decode(const char *in, bool plus_is_space, pix_err *err);

#endif
