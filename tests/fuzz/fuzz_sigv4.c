/* SigV4 canonicalisation and signing (core/sigv4.c).  Input: a request in
 * the AWS test suite's .req form,
 *     METHOD PATH[?QUERY] HTTP/1.1\n
 *     Name:value\n ...          (Host: gives the host)
 *     \n
 *     body
 * signed twice, with the S3 rules and with the others'.  Checks what
 * sigv4.h promises of the canonical request: the canonical URI and query
 * hold only AWS's unreserved set, '/' (URI), '=' and '&' (query) and %XX in
 * upper case; other services' URIs hold no empty, "." or ".." segment; S3's
 * canonical URI and query sign to themselves (encoding them is
 * idempotent); no error message quotes the secret key. */
#include <strings.h>
#include <time.h>

#include "fuzz.h"
#include "sigv4.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define MAX_HEADERS 64

static bool upper_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* s[0..n) is made of AWS's unreserved set, the bytes of also and %XX. */
static bool encoded_ok(const char *s, size_t n, const char *also)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            (c && strchr("-_.~", c)) || (c && strchr(also, c)))
            continue;
        if (c != '%' || i + 2 >= n || !upper_hex(s[i + 1]) || !upper_hex(s[i + 2]))
            return false;
        i += 2;
    }
    return true;
}

/* The canonical request's line i (0: method, 1: URI, 2: query), copied. */
static char *line_of(const char *cr, int i)
{
    for (; i > 0 && cr; i--)
        if ((cr = strchr(cr, '\n')))
            cr++;
    FZ_CHECK(cr, "canonical request has too few lines");
    return strndup(cr, strcspn(cr, "\n"));
}

/* Signs; the_input is the request text, which may itself quote the secret. */
static int sign(const pix_sigv4_req *req, const pix_sigv4_creds *creds, pix_sigv4_out *out,
                const char *the_input)
{
    pix_err err = { { 0 } };
    int rc = pix_sigv4_sign(req, creds, out, &err);
    if (rc < 0) {
        FZ_CHECK(err.msg[0], "failed without a message");
        FZ_CHECK(!strstr(err.msg, SECRET) || strstr(the_input, SECRET),
                 "the secret key is in '%s'", err.msg);
        return -1;
    }
    FZ_CHECK(out->canonical_request && out->string_to_sign && out->authorization,
             "signed without its texts");
    FZ_CHECK(strlen(out->signature) == 64, "signature '%s'", out->signature);
    FZ_CHECK(out->n_headers >= 2 && out->n_headers <= PIX_SIGV4_MAX_ADD, "%zu headers",
             out->n_headers);
    return 0;
}

static void check_uri(const char *uri, bool s3)
{
    size_t n = strlen(uri);
    FZ_CHECK(uri[0] == '/', "canonical URI '%s'", uri);
    FZ_CHECK(encoded_ok(uri, n, "/"), "canonical URI '%s' is not encoded", uri);
    if (s3)
        return;
    FZ_CHECK(n == 1 || !strstr(uri, "//"), "empty segment in '%s'", uri);
    FZ_CHECK(!strstr(uri, "/./") && !strstr(uri, "/../") &&
                 !(n >= 2 && strcmp(uri + n - 2, "/.") == 0) &&
                 !(n >= 3 && strcmp(uri + n - 3, "/..") == 0),
             "dot segment in '%s'", uri);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_strndup(data, size), *input = fz_strndup(data, size);
    pix_sigv4_header headers[MAX_HEADERS];
    size_t nh = 0;
    pix_sigv4_req req = { .host = "example.amazonaws.com", .service = "service",
                          .region = "us-east-1", .now = 1440938160 /* 20150830T123600Z */ };
    pix_sigv4_creds creds = { "AKIDEXAMPLE", SECRET, NULL };
    char hash[65];

    /* Request line: METHOD SP TARGET [SP HTTP/x] */
    char *line = text, *next = strchr(text, '\n');
    if (next)
        *next++ = '\0';
    char *sp = strchr(line, ' ');
    if (!sp)
        goto out;
    *sp = '\0';
    req.method = line;
    char *target = sp + 1, *ver = strstr(target, " HTTP/");
    if (ver)
        *ver = '\0';
    char *q = strchr(target, '?');
    if (q)
        *q = '\0', req.query = q + 1;
    req.path = target;

    /* Headers up to a blank line; the rest is the body. */
    const char *body = "";
    while (next) {
        line = next;
        if ((next = strchr(line, '\n')))
            *next++ = '\0';
        if (!*line) {
            body = next ? next : "";
            break;
        }
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        if (strcasecmp(line, "host") == 0)
            req.host = colon + 1;
        else if (strcasecmp(line, "x-amz-security-token") == 0)
            creds.session_token = colon + 1;
        else if (strcasecmp(line, "x-amz-date") != 0 && nh < MAX_HEADERS)
            headers[nh++] = (pix_sigv4_header){ line, colon + 1 };
    }
    req.headers = headers;
    req.n_headers = nh;
    if (pix_sha256_hex(body, strlen(body), hash) < 0)
        abort();
    req.payload_hash = hash;

    for (int s3 = 0; s3 <= 1; s3++) {
        pix_sigv4_out out;
        req.s3 = s3;
        req.service = s3 ? "s3" : "service";
        if (sign(&req, &creds, &out, input) == 0) {
            char *uri = line_of(out.canonical_request, 1);
            char *query = line_of(out.canonical_request, 2);
            check_uri(uri, s3);
            FZ_CHECK(encoded_ok(query, strlen(query), "=&"), "canonical query '%s'", query);
            if (s3) {
                /* S3 signs the path as sent: the canonical form again gives
                 * itself. */
                pix_sigv4_req again = req;
                pix_sigv4_out out2;
                again.path = uri;
                again.query = query;
                FZ_CHECK(sign(&again, &creds, &out2, input) == 0, "the canonical form is refused");
                char *uri2 = line_of(out2.canonical_request, 1);
                char *query2 = line_of(out2.canonical_request, 2);
                FZ_CHECK(strcmp(uri, uri2) == 0, "URI '%s' then '%s'", uri, uri2);
                FZ_CHECK(strcmp(query, query2) == 0, "query '%s' then '%s'", query, query2);
                free(uri2);
                free(query2);
                pix_sigv4_out_free(&out2);
            }
            free(uri);
            free(query);
        }
        pix_sigv4_out_free(&out);
    }
out:
    free(text);
    free(input);
    return 0;
}
