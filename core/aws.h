/* The AWS client handed to plugins as the "aws" service (pixpipe/aws.h):
 * SigV4-signed requests with retries, and AWS error answers turned into
 * one line. */
#ifndef PIX_CORE_AWS_H
#define PIX_CORE_AWS_H

#include <signal.h>
#include <pixpipe/aws.h>

#include "err.h"

/* The longest one attempt may take, connecting included (libcurl's
 * CURLOPT_TIMEOUT_MS): above SQS's 20 s long poll with room to spare. */
#define PIX_AWS_TIMEOUT_MS 120000L

/* The service table of these (see pix_aws).  Static. */
extern const pix_aws pix_aws_api;

/* See pix_aws: request, response_free, response_header, response_meta,
 * fail.  job may be NULL (errors are then logged). */
int pix_aws_call(pix_job *job, const pix_aws_request *req, pix_aws_response *resp);
void pix_aws_release(pix_aws_response *resp);

/* pix_aws_call for the core's own clients (core/sqs.c): the error goes into
 * err (never a secret) instead of onto a job or into the log.  stop (NULL:
 * never) abandons the request when it becomes non-zero, within about a
 * second even while the server holds the answer back (a long poll), and
 * cuts a retry's backoff short; the call then fails with "OPERATION
 * RESOURCE: stopped".  Release resp with pix_aws_release() either way. */
int pix_aws_call_err(const pix_aws_request *req, volatile sig_atomic_t *stop,
                     pix_aws_response *resp, pix_err *err);
const char *pix_aws_header(const pix_aws_response *resp, const char *name);
void pix_aws_meta(const pix_aws_response *resp, char *buf, size_t size);
int pix_aws_fail(pix_job *job, const pix_aws_request *req, const pix_aws_response *resp,
                 char *code, size_t code_size);

/* Parses an AWS error answer (S3 XML or JSON) into code, message and
 * request id (each buffer may be NULL).  Exposed for tests. */
void pix_aws_parse_error(const pix_aws_response *resp, char *code, size_t code_size,
                         char *message, size_t message_size, char *request_id,
                         size_t request_id_size);

/* Whether an answer is worth another attempt: 5xx, 429, throttling codes. */
bool pix_aws_retryable(long status, const char *code);

#endif
