#include "aws_creds.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pix_aws_creds cache;
static time_t cache_expires; /* 0: nothing cached */

void pix_aws_creds_wipe(pix_aws_creds *creds)
{
    volatile unsigned char *p = (volatile unsigned char *)creds;
    for (size_t i = 0; i < sizeof *creds; i++)
        p[i] = 0;
}

static int copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* "2026-11-26T18:00:00Z" to a time_t (UTC); 0 when it does not parse. */
static time_t parse_iso8601(const char *s)
{
    struct tm tm = { 0 };
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

static char *read_token_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[4096];
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    return strdup(buf);
}

/* The container credentials endpoint (ECS, Lambda SnapStart, EKS Pod
 * Identity): a GET answered with JSON. */
static int from_container(const char *uri, pix_aws_creds *out, time_t *expires, pix_err *err)
{
    char *token = NULL, auth[4200] = "";
    const char *hdrs[1];
    pix_http_result res;
    json_error_t jerr;
    json_t *doc = NULL;
    int rc = -1;

    const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *tok_file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (tok_file && *tok_file && !(token = read_token_file(tok_file)))
        return pix_err_set(err, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s", tok_file);
    if (token || (tok && *tok))
        snprintf(auth, sizeof auth, "Authorization: %s", token ? token : tok);
    hdrs[0] = auth;
    pix_http_req req = { .method = "GET", .url = uri, .headers = hdrs, .n_headers = auth[0] ? 1 : 0,
                         .max_bytes = 65536, .connect_timeout_ms = 2000, .timeout_ms = 5000 };
    if (pix_http_perform(&req, &res) < 0) {
        pix_err_set(err, "container credentials endpoint %s: %s", uri, res.error);
        goto out;
    }
    if (res.status != 200) {
        pix_err_set(err, "container credentials endpoint %s answered HTTP %ld", uri, res.status);
        goto out;
    }
    doc = json_loadb((const char *)res.body, res.body_len, 0, &jerr);
    const char *ak = json_string_value(json_object_get(doc, "AccessKeyId"));
    const char *sk = json_string_value(json_object_get(doc, "SecretAccessKey"));
    const char *st = json_string_value(json_object_get(doc, "Token"));
    if (!ak || !sk || copy(out->access_key, sizeof out->access_key, ak) < 0 ||
        copy(out->secret_key, sizeof out->secret_key, sk) < 0 ||
        copy(out->session_token, sizeof out->session_token, st ? st : "") < 0) {
        pix_err_set(err, "container credentials endpoint %s: no AccessKeyId/SecretAccessKey in "
                    "its answer", uri);
        goto out;
    }
    *expires = parse_iso8601(json_string_value(json_object_get(doc, "Expiration")));
    if (!*expires)
        *expires = time(NULL) + 3600;
    rc = 0;
out:
    json_decref(doc);
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    memset(auth, 0, sizeof auth);
    /* the body held the secret too */
    if (res.body)
        memset(res.body, 0, res.body_len);
    pix_http_result_free(&res);
    return rc;
}

int pix_aws_get_creds(pix_aws_creds *creds, pix_err *err)
{
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    const char *st = getenv("AWS_SESSION_TOKEN");
    int rc = -1;

    memset(creds, 0, sizeof *creds);
    if (ak && *ak && sk && *sk) {
        if (copy(creds->access_key, sizeof creds->access_key, ak) < 0 ||
            copy(creds->secret_key, sizeof creds->secret_key, sk) < 0 ||
            copy(creds->session_token, sizeof creds->session_token, st ? st : "") < 0)
            return pix_err_set(err, "AWS credentials in the environment are too long");
        return 0;
    }
    const char *uri = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!uri || !*uri)
        return pix_err_set(err, "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), "
                           "or AWS_CONTAINER_CREDENTIALS_FULL_URI");
    pthread_mutex_lock(&cache_lock);
    if (!cache_expires || time(NULL) > cache_expires - 300) {
        time_t expires = 0;
        pix_aws_creds fresh;
        memset(&fresh, 0, sizeof fresh);
        if (from_container(uri, &fresh, &expires, err) < 0)
            goto out;
        cache = fresh;
        cache_expires = expires;
        pix_aws_creds_wipe(&fresh);
    }
    *creds = cache;
    rc = 0;
out:
    pthread_mutex_unlock(&cache_lock);
    return rc;
}

int pix_aws_endpoint(const char *service, const char *option_endpoint, const char *option_region,
                     char *endpoint, size_t endpoint_size, char *region, size_t region_size,
                     const char **why)
{
    char var[64], svc[32];
    const char *r = option_region && *option_region ? option_region : NULL;
    const char *e = option_endpoint && *option_endpoint ? option_endpoint : NULL;

    if (!r)
        r = getenv("AWS_REGION");
    if (!r || !*r)
        r = getenv("AWS_DEFAULT_REGION");
    if (!r || !*r)
        r = "us-east-1";
    snprintf(region, region_size, "%s", r);

    size_t i = 0;
    for (; service[i] && i < sizeof svc - 1; i++)
        svc[i] = (char)toupper((unsigned char)(service[i] == '-' ? '_' : service[i]));
    svc[i] = '\0';
    snprintf(var, sizeof var, "AWS_ENDPOINT_URL_%s", svc);
    if (!e)
        e = getenv(var);
    if (!e || !*e)
        e = getenv("AWS_ENDPOINT_URL");
    if (e && *e) {
        if (strncmp(e, "http://", 7) != 0 && strncmp(e, "https://", 8) != 0) {
            if (why)
                *why = "the endpoint must start with http:// or https://";
            return -1;
        }
        snprintf(endpoint, endpoint_size, "%s", e);
    } else {
        snprintf(endpoint, endpoint_size, "https://%s.%s.amazonaws.com", service, region);
    }
    size_t n = strlen(endpoint);
    while (n > 8 && endpoint[n - 1] == '/')
        endpoint[--n] = '\0';
    return 0;
}
