/* AWS Signature Version 4 (header-based, AWS4-HMAC-SHA256), on OpenSSL.
 *
 * The caller describes a request as it will go on the wire; pix_sigv4_sign
 * returns the headers to add to it (x-amz-date, x-amz-security-token,
 * x-amz-content-sha256, Authorization) and, for tests and debugging, the
 * canonical request and the string to sign.
 *
 * Secrets: the secret key is read during the call and never copied, logged
 * or put in an error message.  The derived signing key (valid for one day,
 * region and service) is kept in a small process-wide cache, keyed by a
 * SHA-256 fingerprint of the secret, so a second request of the day skips
 * the four HMACs of the derivation.  The cache is guarded by a mutex: any
 * thread may sign at any time. */
#ifndef PIX_CORE_SIGV4_H
#define PIX_CORE_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

/* Borrowed for the call.  session_token is NULL for long-term keys; when
 * set it is signed and returned as x-amz-security-token. */
typedef struct pix_sigv4_creds {
    const char *access_key;
    const char *secret_key;
    const char *session_token;
} pix_sigv4_creds;

/* One header.  Borrowed. */
typedef struct pix_sigv4_header {
    const char *name;
    const char *value;
} pix_sigv4_header;

/* A request to sign.  Every pointer is borrowed for the call.
 *
 * path  The path exactly as sent, starting with '/', URI-encoded with AWS's
 *       unreserved set (A-Za-z0-9-_.~ kept, '/' between segments, all else
 *       %XX upper case), e.g. "/bucket/a%20b%2Bc.jpg".
 *       Non-S3 (s3 false): "." and ".." segments and empty segments are
 *       removed, then each segment is encoded once more, as AWS's spec and
 *       test suite require ("%20" is signed as "%2520").
 *       S3 (s3 true): no normalisation and no second encoding; each segment
 *       is decoded and re-encoded with AWS's set, which leaves a path
 *       encoded as above unchanged and turns "/test$file" into
 *       "/test%24file" as S3 does.  Send the path in that same form.
 * query The query without '?', as sent, or NULL/"" for none.  Each
 *       name=value pair is decoded and re-encoded with AWS's set ('+' is a
 *       literal plus, not a space; encode a space as %20), then sorted by
 *       name and value; "acl" signs as "acl=".
 * headers  Headers to sign besides Host and x-amz-date (and the token and
 *       S3 content hash), in the order they are sent: names are compared
 *       case-insensitively, repeated names join with ',' in that order;
 *       values are trimmed and inner runs of blanks become one space.
 *       Host, X-Amz-Date, Authorization and X-Amz-Security-Token are refused
 *       here, and X-Amz-Content-SHA256 too when s3 is set.
 * payload_hash  Lower-case hex SHA-256 of the body (pix_sha256_hex), or
 *       "UNSIGNED-PAYLOAD" (S3 only, over TLS); NULL means an empty body. */
typedef struct pix_sigv4_req {
    const char *method;      /* "GET", "PUT", "POST", ...                    */
    const char *host;        /* host[:port] exactly as in the Host header    */
    const char *path;
    const char *query;
    const pix_sigv4_header *headers;
    size_t n_headers;
    const char *payload_hash;
    const char *service;     /* signing name: "s3", "dynamodb"               */
    const char *region;      /* "us-east-1"                                  */
    time_t now;              /* signing time (UTC seconds)                   */
    bool s3;                 /* S3 path rules and x-amz-content-sha256       */
} pix_sigv4_req;

#define PIX_SIGV4_MAX_ADD 4

/* The result.  Owned by the caller; release with pix_sigv4_out_free (which
 * also accepts a zeroed or already-freed struct).  headers[] point into
 * this struct and are the headers to add to the request, in this order:
 * x-amz-date, x-amz-security-token (with a session token),
 * x-amz-content-sha256 (S3), authorization. */
typedef struct pix_sigv4_out {
    char amz_date[17];          /* "20150830T123600Z"                         */
    char content_sha256[65];    /* the payload hash as signed                 */
    char signature[65];         /* hex                                        */
    char *authorization;        /* "AWS4-HMAC-SHA256 Credential=..."          */
    char *security_token;       /* copy of the session token, or NULL         */
    char *canonical_request;    /* for tests and debugging                    */
    char *string_to_sign;       /* for tests and debugging                    */
    pix_sigv4_header headers[PIX_SIGV4_MAX_ADD];
    size_t n_headers;
} pix_sigv4_out;

/* Signs req with creds into *out (overwritten; free it afterwards even on
 * failure).  Returns 0, or -1 with err naming the faulty field (never a
 * secret). */
int pix_sigv4_sign(const pix_sigv4_req *req, const pix_sigv4_creds *creds, pix_sigv4_out *out,
                   pix_err *err);
void pix_sigv4_out_free(pix_sigv4_out *out);

/* Lower-case hex SHA-256 of len bytes into out (NUL-terminated).
 * Returns 0, or -1 if OpenSSL fails. */
int pix_sha256_hex(const void *data, size_t len, char out[65]);

/* The signing key for (secret, "YYYYMMDD", region, service), derived
 * without the cache: for tests that check the cache against it.  The
 * caller should OPENSSL_cleanse the key after use.  Returns 0 or -1. */
int pix_sigv4_signing_key(const char *secret, const char *date8, const char *region,
                          const char *service, unsigned char key[32]);

/* Empties the signing-key cache, wiping the keys (at shutdown, or when
 * credentials rotate), and reads its hit/miss counters (either may be
 * NULL) since the process started. */
void pix_sigv4_cache_clear(void);
void pix_sigv4_cache_stats(unsigned long *hits, unsigned long *misses);

#endif
