/* A small SQS client, for a worker that long-polls a queue (`pixpipe worker
 * --queue URL`): the AWS client of core/aws.c (SigV4, retries) speaking
 * SQS's JSON protocol (POST / with X-Amz-Target: AmazonSQS.ACTION and
 * Content-Type: application/x-amz-json-1.0).
 *
 * Every function returns 0, or -1 with err set to one line that names the
 * operation and the queue: "ReceiveMessage https://sqs.eu-west-1.amazonaws.com/
 * 123456789012/images: HTTP 400 AWS.SimpleQueueService.NonExistentQueue
 * (QueueDoesNotExist): The specified queue does not exist. (request id ...)".
 * No key or session token is ever part of an error.
 *
 * A pix_sqs is read-only once opened, so several threads may use one at
 * once (each sends on its own connection); set the stop flag before they
 * start. */
#ifndef PIX_CORE_SQS_H
#define PIX_CORE_SQS_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define PIX_SQS_MAX_BATCH 10      /* messages per receive, entries per batch */
#define PIX_SQS_MAX_WAIT_S 20     /* longest long poll SQS allows            */
#define PIX_SQS_MAX_VISIBILITY_S 43200

typedef struct pix_sqs pix_sqs;

/* One received message.  Every string is owned by the array it is in;
 * release the array with pix_sqs_messages_free(). */
typedef struct pix_sqs_message {
    char *message_id;
    char *receipt_handle; /* what delete and change_visibility take       */
    char *body;           /* NUL-terminated; body_len bytes               */
    size_t body_len;
    int receive_count;    /* ApproximateReceiveCount: 1 the first time, 0
                             when the answer did not carry it             */
} pix_sqs_message;

/* The outcome of one entry of a batch. */
typedef struct pix_sqs_entry_result {
    bool ok;
    bool sender_fault;  /* SQS's SenderFault: the request, not SQS, is wrong */
    char code[128];     /* "ReceiptHandleIsInvalid"; "" when ok            */
    char message[512];
} pix_sqs_entry_result;

/* Opens the client of the queue at queue_url (copied; "https://sqs.REGION.
 * amazonaws.com/ACCOUNT/NAME", or a local server's).  Requests go to
 * AWS_ENDPOINT_URL_SQS, else AWS_ENDPOINT_URL, else the queue URL's own
 * scheme://host[:port]; the URL itself is sent as QueueUrl, unchanged.  The
 * signing region is the one in the URL's host (sqs.REGION.amazonaws.com,
 * or a VPC endpoint's ...sqs.REGION.vpce.amazonaws.com), else AWS_REGION /
 * AWS_DEFAULT_REGION, else us-east-1.  Refuses a URL that is not http(s),
 * has no host or no path, carries user:password@ or blanks.  Nothing is
 * sent: a queue that does not exist fails at the first request.  *out is
 * the caller's; release it with pix_sqs_close(). */
int pix_sqs_open(const char *queue_url, pix_sqs **out, pix_err *err);
void pix_sqs_close(pix_sqs *q);

/* What open resolved.  Borrowed from q. */
const char *pix_sqs_url(const pix_sqs *q);
const char *pix_sqs_endpoint(const pix_sqs *q);
const char *pix_sqs_region(const pix_sqs *q);

/* A flag that a signal handler sets to stop (NULL: never), borrowed for q's
 * life.  It abandons a ReceiveMessage in progress within about a second,
 * even in the middle of a 20 s long poll, and a receive started while it is
 * set sends nothing; both then return 0 with no messages, since stopping is
 * not an error.  Deletes and visibility changes are not cut short: a
 * stopping worker still deletes what it finished and hands back what it
 * did not.  (A long poll abandoned this way may still have taken messages
 * on the server's side; they come back after their visibility timeout.) */
void pix_sqs_set_stop(pix_sqs *q, volatile sig_atomic_t *stop);

/* ReceiveMessage: up to max_messages (1..10) messages, waiting up to
 * wait_s (0..20) seconds for the first one to arrive (the call returns as
 * soon as one does, with what is there then).  visibility_s (0..43200)
 * hides them that long from other receivers, -1 keeps the queue's own
 * VisibilityTimeout.  Sets *msgs (the caller's, NULL when *n is 0; release
 * with pix_sqs_messages_free) and *n. */
int pix_sqs_receive(pix_sqs *q, int max_messages, int wait_s, int visibility_s,
                    pix_sqs_message **msgs, size_t *n, pix_err *err);
void pix_sqs_messages_free(pix_sqs_message *msgs, size_t n);

/* DeleteMessageBatch / ChangeMessageVisibilityBatch (visibility_s
 * 0..43200; 0 hands the messages back at once) of n (1..10) receipt
 * handles (borrowed).  Returns 0 once SQS answered the batch: results
 * (n of them, the caller's; may be NULL) then say how each entry went and
 * *n_failed how many failed.  With n_failed NULL, an entry that failed
 * makes the call return -1, its reason in err.  -1 also when the batch as
 * a whole failed (the queue does not exist, no answer). */
int pix_sqs_delete_batch(pix_sqs *q, const char *const *receipts, size_t n,
                         pix_sqs_entry_result *results, size_t *n_failed, pix_err *err);
int pix_sqs_change_visibility_batch(pix_sqs *q, const char *const *receipts, size_t n,
                                    int visibility_s, pix_sqs_entry_result *results,
                                    size_t *n_failed, pix_err *err);

/* SendMessage of body (NUL-terminated, borrowed).  *message_id (may be
 * NULL) receives SQS's id for it, the caller's to free. */
int pix_sqs_send(pix_sqs *q, const char *body, char **message_id, pix_err *err);

/* Any other action (CreateQueue, GetQueueAttributes, PurgeQueue, ...) to
 * q's endpoint: request (borrowed) is sent as the body as it is (QueueUrl
 * is not added), *answer (the caller's, json_decref) is the parsed answer
 * of a 2xx. */
int pix_sqs_call(pix_sqs *q, const char *action, json_t *request, json_t **answer,
                 pix_err *err);

#endif
