/*
 * libcurl transport.  Each thread keeps one easy handle, so its connection
 * (and TLS session) is reused from one request to the next, as Lambda
 * advises for a warm function.  Bodies over the caller's limit stop the
 * transfer at once instead of being read and thrown away.
 */
#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"

static pthread_key_t handle_key;
static pthread_once_t handle_once = PTHREAD_ONCE_INIT;

/* One connection cache (and DNS and TLS session cache) for every handle:
 * worker threads come and go with each run or Lambda invocation, and their
 * handles with them, but the connections they opened stay for the next. */
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg)
{
    (void)h, (void)access, (void)arg;
    pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
    (void)h, (void)arg;
    pthread_mutex_unlock(&share_locks[data]);
}

static void handle_free(void *h)
{
    curl_easy_cleanup(h);
}

static void handle_key_init(void)
{
    pthread_key_create(&handle_key, handle_free);
}

static CURLSH *new_share(void)
{
    CURLSH *sh = curl_share_init();
    if (sh) {
        curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    return sh;
}

int pix_http_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&share_locks[i], NULL);
    share = new_share();
    return 0;
}

void pix_http_global_cleanup(void)
{
    /* the main thread's handle: worker threads' go with their exit */
    pthread_once(&handle_once, handle_key_init);
    CURL *h = pthread_getspecific(handle_key);
    if (h) {
        curl_easy_cleanup(h);
        pthread_setspecific(handle_key, NULL);
    }
    if (share) {
        curl_share_cleanup(share);
        share = NULL;
    }
    curl_global_cleanup();
}

/* What a forked worker inherits of the supervisor's transport is left
 * alone, not cleaned up: cleaning would close (and for TLS, shut down) the
 * supervisor's own connections.  Kept here so that it is not a leak. */
static CURLSH *volatile inherited_share; /* volatile: stored, never read */
static CURL *volatile inherited_handle;

void pix_http_after_fork(void)
{
    pthread_once(&handle_once, handle_key_init);
    inherited_handle = pthread_getspecific(handle_key);
    pthread_setspecific(handle_key, NULL);
    inherited_share = share;
    share = new_share();
}

static CURL *thread_handle(void)
{
    pthread_once(&handle_once, handle_key_init);
    CURL *h = pthread_getspecific(handle_key);
    if (!h) {
        h = curl_easy_init();
        if (h)
            pthread_setspecific(handle_key, h);
    } else {
        curl_easy_reset(h); /* keeps the connection cache */
    }
    return h;
}

typedef struct sink {
    pix_strbuf body;
    pix_strbuf headers;
    uint64_t max;
    bool over;
} sink;

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    sink *s = arg;
    size_t len = size * n;
    if (s->max && s->body.len + len > s->max) {
        s->over = true;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    return pix_strbuf_add(&s->body, data, len) < 0 ? 0 : len;
}

/* Non-zero makes libcurl abandon the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    volatile sig_atomic_t *stop = arg;
    return *stop ? 1 : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    sink *s = arg;
    size_t len = size * n;
    /* a new status line (a retried or redirected answer) starts afresh */
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0)
        s->headers.len = 0;
    return pix_strbuf_add(&s->headers, data, len) < 0 ? 0 : len;
}

int pix_http_perform(const pix_http_req *req, pix_http_result *res)
{
    struct curl_slist *hdrs = NULL;
    sink s = { .max = req->max_bytes };
    int rc = -1;

    memset(res, 0, sizeof *res);
    CURL *h = thread_handle();
    if (!h) {
        snprintf(res->error, sizeof res->error, "cannot start libcurl");
        return -1;
    }
    for (size_t i = 0; i < req->n_headers; i++)
        hdrs = curl_slist_append(hdrs, req->headers[i]);
    /* libcurl adds these on its own; the signature does not cover them */
    hdrs = curl_slist_append(hdrs, "Expect:");
    hdrs = curl_slist_append(hdrs, "Accept:");

    curl_easy_setopt(h, CURLOPT_URL, req->url);
    if (share)
        curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (req->stop) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)req->stop);
    }
    /* the path was signed as given: "." and ".." in an S3 key are part of
     * the key, not segments for libcurl to squash */
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }

    CURLcode cc = curl_easy_perform(h);
    res->over_limit = s.over;
    res->stopped = cc == CURLE_ABORTED_BY_CALLBACK;
    if (cc != CURLE_OK && !s.over) {
        res->transport_error = (int)cc;
        snprintf(res->error, sizeof res->error, "%s", curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
    rc = 0;
out:
    pix_strbuf_add(&s.body, "", 0); /* NUL-terminated even when empty */
    res->body = (unsigned char *)s.body.s;
    res->body_len = s.body.len;
    res->headers = s.headers.s;
    curl_slist_free_all(hdrs);
    return rc;
}

void pix_http_result_free(pix_http_result *res)
{
    free(res->body);
    free(res->headers);
    memset(res, 0, sizeof *res);
}

const char *pix_http_header_get(const char *raw, const char *name, char *buf, size_t size)
{
    size_t nlen = strlen(name);
    for (const char *line = raw; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1;
            while (v < line + len && (*v == ' ' || *v == '\t'))
                v++;
            size_t vlen = (size_t)(line + len - v);
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            snprintf(buf, size, "%.*s", (int)vlen, v);
            return buf;
        }
        line = eol ? eol + 2 : NULL;
    }
    return NULL;
}
