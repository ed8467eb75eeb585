/* AWS credentials and endpoints, the standard way: environment variables,
 * else the container credentials endpoint.  Secrets stay in here and in the
 * signer; nothing prints them. */
#ifndef PIX_CORE_AWS_CREDS_H
#define PIX_CORE_AWS_CREDS_H

#include <stddef.h>
#include "err.h"

typedef struct pix_aws_creds {
    char access_key[128];
    char secret_key[256];
    char session_token[4096]; /* "" when none */
} pix_aws_creds;

/* Fills creds from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, else from AWS_CONTAINER_CREDENTIALS_FULL_URI (with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE), cached until five
 * minutes before they expire.  Thread-safe.  Returns 0, or -1 with err
 * (which never holds a secret). */
int pix_aws_get_creds(pix_aws_creds *creds, pix_err *err);

/* See pix_host.aws_endpoint. */
int pix_aws_endpoint(const char *service, const char *option_endpoint, const char *option_region,
                     char *endpoint, size_t endpoint_size, char *region, size_t region_size,
                     const char **why);

/* Wipes a credentials copy from memory. */
void pix_aws_creds_wipe(pix_aws_creds *creds);

#endif
