/* One HTTP exchange over libcurl, on a connection kept per thread: the
 * transport under the AWS client. */
#ifndef PIX_CORE_HTTP_H
#define PIX_CORE_HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pix_http_result {
    long status;            /* 0 when no answer came                       */
    unsigned char *body;    /* malloc'd, NUL-terminated; caller frees      */
    size_t body_len;
    char *headers;          /* raw "Name: value\r\n" lines, malloc'd       */
    int transport_error;    /* CURLcode, 0 when an answer came             */
    bool over_limit;        /* the body passed max_bytes: reading stopped  */
    bool stopped;           /* abandoned because *req->stop became set     */
    char error[256];        /* libcurl's explanation when transport failed */
} pix_http_result;

typedef struct pix_http_req {
    const char *method;
    const char *url;
    const char *const *headers; /* "Name: value" lines, n_headers of them */
    size_t n_headers;
    const void *body;
    size_t body_len;
    uint64_t max_bytes;         /* 0: no limit */
    long connect_timeout_ms;
    long timeout_ms;
    /* Set (by a signal handler) to abandon the exchange: libcurl's progress
     * callback looks at it at least about once a second, even while no
     * byte moves (an SQS long poll), so the call returns -1 with
     * res->stopped within about a second.  NULL: never. */
    volatile sig_atomic_t *stop;
} pix_http_req;

/* Performs req on this thread's connection (kept alive across calls, so
 * across jobs and Lambda invocations).  Always fills res; returns 0 when an
 * HTTP answer came (any status), -1 otherwise (res->error says why).
 * Release res with pix_http_result_free(). */
int pix_http_perform(const pix_http_req *req, pix_http_result *res);
void pix_http_result_free(pix_http_result *res);

/* The value of header name (case-insensitive) in raw header lines, copied
 * into buf; NULL when absent. */
const char *pix_http_header_get(const char *raw, const char *name, char *buf, size_t size);

/* Process-wide libcurl set-up; call once from main before any thread. */
int pix_http_global_init(void);
void pix_http_global_cleanup(void);
/* In a forked child: leaves the parent's connections to the parent and
 * starts a connection cache of its own. */
void pix_http_after_fork(void);

#endif
