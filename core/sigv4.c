/* AWS Signature Version 4: canonical request, string to sign, signing key
 * (cached per secret, day, region and service) and the Authorization
 * header.  SHA-256 and HMAC-SHA256 come from OpenSSL; this file only
 * builds the strings AWS specifies.  See sigv4.h for the contract. */
#include "sigv4.h"
#include "hex.h"
#include "strbuf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* ------------------------------------------------------------ hashing */

static void hex32(const unsigned char in[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[64] = '\0';
}

int pix_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;

    if (!EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL) || n != 32)
        return -1;
    hex32(md, out);
    return 0;
}

static int hmac256(const void *key, size_t klen, const void *msg, size_t mlen,
                   unsigned char out[32])
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &n) || n != 32)
        return -1;
    return 0;
}

int pix_sigv4_signing_key(const char *secret, const char *date8, const char *region,
                          const char *service, unsigned char key[32])
{
    size_t slen = strlen(secret);
    unsigned char k[32];
    int rc = -1;
    char *ksecret = malloc(slen + 5);

    if (!ksecret)
        return -1;
    memcpy(ksecret, "AWS4", 4);
    memcpy(ksecret + 4, secret, slen + 1);
    if (hmac256(ksecret, slen + 4, date8, strlen(date8), k) < 0 ||
        hmac256(k, 32, region, strlen(region), k) < 0 ||
        hmac256(k, 32, service, strlen(service), k) < 0 ||
        hmac256(k, 32, "aws4_request", 12, key) < 0)
        goto out;
    rc = 0;
out:
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(ksecret, slen + 5);
    free(ksecret);
    return rc;
}

/* -------------------------------------------------------------- cache */

/* A handful of slots is plenty: a process signs with one or two secrets for
 * one or two services in one region, and the day changes once a day. */
#define CACHE_SLOTS 8
#define CACHE_NAME 64

typedef struct cache_slot {
    bool used;
    unsigned char fp[32];       /* SHA-256 fingerprint of the secret, never the secret */
    char date[9];
    char region[CACHE_NAME];
    char service[CACHE_NAME];
    unsigned char key[32];
    unsigned long last_use;
} cache_slot;

static struct {
    pthread_mutex_t lock;
    cache_slot slot[CACHE_SLOTS];
    unsigned long tick, hits, misses;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int secret_fingerprint(const char *secret, unsigned char fp[32])
{
    static const char domain[] = "pixpipe sigv4 key cache\n";
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(ctx, domain, sizeof domain - 1) &&
             EVP_DigestUpdate(ctx, secret, strlen(secret)) && EVP_DigestFinal_ex(ctx, fp, &n) &&
             n == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

static bool slot_matches(const cache_slot *s, const unsigned char fp[32], const char *date8,
                         const char *region, const char *service)
{
    return s->used && CRYPTO_memcmp(s->fp, fp, 32) == 0 && strcmp(s->date, date8) == 0 &&
           strcmp(s->region, region) == 0 && strcmp(s->service, service) == 0;
}

static bool cache_get(const unsigned char fp[32], const char *date8, const char *region,
                      const char *service, unsigned char key[32])
{
    bool hit = false;
    pthread_mutex_lock(&cache.lock);
    for (int i = 0; i < CACHE_SLOTS && !hit; i++) {
        cache_slot *s = &cache.slot[i];
        if (slot_matches(s, fp, date8, region, service)) {
            memcpy(key, s->key, 32);
            s->last_use = ++cache.tick;
            hit = true;
        }
    }
    if (hit)
        cache.hits++;
    else
        cache.misses++;
    pthread_mutex_unlock(&cache.lock);
    return hit;
}

/* Fills the least recently used slot (another thread may have stored the
 * same key meanwhile: storing it twice is harmless). */
static void cache_put(const unsigned char fp[32], const char *date8, const char *region,
                      const char *service, const unsigned char key[32])
{
    pthread_mutex_lock(&cache.lock);
    cache_slot *victim = &cache.slot[0];
    for (int i = 0; i < CACHE_SLOTS; i++) {
        cache_slot *s = &cache.slot[i];
        if (!s->used || s->last_use < victim->last_use || slot_matches(s, fp, date8, region, service)) {
            victim = s;
            if (!s->used || slot_matches(s, fp, date8, region, service))
                break;
        }
    }
    victim->used = true;
    memcpy(victim->fp, fp, 32);
    snprintf(victim->date, sizeof victim->date, "%s", date8);
    snprintf(victim->region, sizeof victim->region, "%s", region);
    snprintf(victim->service, sizeof victim->service, "%s", service);
    memcpy(victim->key, key, 32);
    victim->last_use = ++cache.tick;
    pthread_mutex_unlock(&cache.lock);
}

void pix_sigv4_cache_clear(void)
{
    pthread_mutex_lock(&cache.lock);
    OPENSSL_cleanse(cache.slot, sizeof cache.slot);
    pthread_mutex_unlock(&cache.lock);
}

void pix_sigv4_cache_stats(unsigned long *hits, unsigned long *misses)
{
    pthread_mutex_lock(&cache.lock);
    if (hits)
        *hits = cache.hits;
    if (misses)
        *misses = cache.misses;
    pthread_mutex_unlock(&cache.lock);
}

static int signing_key_cached(const char *secret, const char *date8, const char *region,
                              const char *service, unsigned char key[32])
{
    unsigned char fp[32];
    bool cacheable = strlen(region) < CACHE_NAME && strlen(service) < CACHE_NAME;

    if (secret_fingerprint(secret, fp) < 0)
        return -1;
    if (cacheable && cache_get(fp, date8, region, service, key))
        return 0;
    if (pix_sigv4_signing_key(secret, date8, region, service, key) < 0)
        return -1;
    if (cacheable)
        cache_put(fp, date8, region, service, key);
    return 0;
}

/* ---------------------------------------------------------- encoding */

static int add(pix_strbuf *b, const char *s)
{
    return pix_strbuf_add(b, s, strlen(s));
}

static int addc(pix_strbuf *b, char c)
{
    return pix_strbuf_add(b, &c, 1);
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

/* AWS's UriEncode: unreserved bytes kept, every other byte %XX. */
static int uri_encode(pix_strbuf *b, const char *s, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[3] = { '%', digits[c >> 4], digits[c & 15] };
        if (unreserved(c) ? addc(b, (char)c) : pix_strbuf_add(b, esc, 3))
            return -1;
    }
    return 0;
}

/* Appends UriEncode(percent-decode(s)): canonicalises text that arrives
 * encoded (or partly so) the way the server will see it after decoding.
 * A '%' not followed by two hex digits is a literal '%'. */
static int reencode(pix_strbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int hi = c == '%' && i + 2 < n ? pix_hex_digit(s[i + 1]) : -1;
        int lo = hi < 0 ? -1 : pix_hex_digit(s[i + 2]);
        if (lo >= 0) {
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (uri_encode(b, &c, 1) < 0)
            return -1;
    }
    return 0;
}

/* --------------------------------------------------------- canonical URI */

/* S3: every segment, empty ones included, kept in place. */
static int canonical_uri_s3(pix_strbuf *b, const char *path)
{
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (reencode(b, p, n) < 0)
            return -1;
        p += n;
        if (*p == '/') {
            if (addc(b, '/') < 0)
                return -1;
            p++;
        }
    }
    return 0;
}

/* Other services: RFC 3986 dot-segment removal, empty segments dropped
 * (AWS's suite signs "//" as "/"), a trailing slash kept, then each
 * segment encoded once more. */
static int canonical_uri_normalised(pix_strbuf *b, const char *path)
{
    size_t cap = 1, nseg = 0, len = strlen(path);
    for (const char *p = path; *p; p++)
        cap += *p == '/';
    const char **seg = malloc(cap * sizeof *seg);
    size_t *seglen = malloc(cap * sizeof *seglen);
    int rc = -1;

    if (!seg || !seglen)
        goto out;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (nseg > 0)
                nseg--;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            seg[nseg] = p;
            seglen[nseg++] = n;
        }
        p += n + (p[n] == '/');
    }
    if (nseg == 0) {
        rc = addc(b, '/');
        goto out;
    }
    for (size_t i = 0; i < nseg; i++)
        if (addc(b, '/') < 0 || uri_encode(b, seg[i], seglen[i]) < 0)
            goto out;
    rc = path[len - 1] == '/' ? addc(b, '/') : 0;
out:
    free(seg);
    free(seglen);
    return rc;
}

/* ---------------------------------------------------- name/value pairs */

/* A query parameter or a header, as it will be signed. */
typedef struct nvpair {
    char *name;    /* owned; a header's in lower case */
    char *value;   /* owned; a header's trimmed, blanks collapsed */
    size_t order;  /* headers: position given, so equal names keep their order */
} nvpair;

/* Frees p and the names and values of its first n pairs (all owned). */
static void nvpairs_free(nvpair *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

/* ------------------------------------------------------ canonical query */

static int qparam_cmp(const void *a, const void *b)
{
    const nvpair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *reencoded(const char *s, size_t n)
{
    pix_strbuf b = { 0 };
    if (reencode(&b, s, n) < 0 || (!b.s && pix_strbuf_add(&b, "", 0) < 0)) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static int canonical_query(pix_strbuf *b, const char *query)
{
    size_t cap = 1, n = 0;
    int rc = -1;
    nvpair *q;

    for (const char *p = query; *p; p++)
        cap += *p == '&';
    q = calloc(cap, sizeof *q);
    if (!q)
        return -1;
    for (const char *p = query; *p;) {
        size_t len = strcspn(p, "&");
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t nlen = eq ? (size_t)(eq - p) : len;
            q[n].name = reencoded(p, nlen);
            q[n].value = eq ? reencoded(eq + 1, len - nlen - 1) : reencoded("", 0);
            if (!q[n].name || !q[n++].value)
                goto out;
        }
        p += len + (p[len] == '&');
    }
    /* byte order of the encoded names, then values, as AWS specifies */
    qsort(q, n, sizeof *q, qparam_cmp);
    for (size_t i = 0; i < n; i++)
        if ((i && addc(b, '&') < 0) || add(b, q[i].name) < 0 || addc(b, '=') < 0 ||
            add(b, q[i].value) < 0)
            goto out;
    rc = 0;
out:
    nvpairs_free(q, n);
    return rc;
}

/* ---------------------------------------------------- canonical headers */

static int hdr_cmp(const void *a, const void *b)
{
    const nvpair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* RFC 9110 token characters: what a header name, method or scope part may hold. */
static bool is_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`|~", c)))
            return false;
    }
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char *header_value(const char *v)
{
    char *out = malloc(strlen(v) + 1), *o = out;
    if (!out)
        return NULL;
    while (is_blank(*v))
        v++;
    for (; *v; v++) {
        if (is_blank(*v)) {
            while (is_blank(v[1]))
                v++;
            if (v[1])
                *o++ = ' ';
        } else {
            *o++ = *v;
        }
    }
    *o = '\0';
    return out;
}

static bool value_ok(const char *v)
{
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static bool reserved_header(const char *lname, bool s3)
{
    return strcmp(lname, "host") == 0 || strcmp(lname, "x-amz-date") == 0 ||
           strcmp(lname, "authorization") == 0 || strcmp(lname, "x-amz-security-token") == 0 ||
           (s3 && strcmp(lname, "x-amz-content-sha256") == 0);
}

static int hdr_push(nvpair *h, size_t *n, const char *name, const char *value)
{
    size_t len = strlen(name);
    h[*n].name = malloc(len + 1);
    h[*n].value = header_value(value);
    h[*n].order = *n;
    (*n)++;
    if (!h[*n - 1].name || !h[*n - 1].value)
        return -1;
    for (size_t i = 0; i <= len; i++)
        h[*n - 1].name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    return 0;
}

/* Appends the canonical header block (each "name:value\n") to ch and the
 * signed header list to sh.  Headers were sorted by the caller. */
static int header_blocks(const nvpair *h, size_t n, pix_strbuf *ch, pix_strbuf *sh)
{
    for (size_t i = 0; i < n; i++) {
        bool same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
        if (same) {
            if (addc(ch, ',') < 0 || add(ch, h[i].value) < 0)
                return -1;
            continue;
        }
        if ((i > 0 && (addc(ch, '\n') < 0 || addc(sh, ';') < 0)) || add(ch, h[i].name) < 0 ||
            addc(ch, ':') < 0 || add(ch, h[i].value) < 0 || add(sh, h[i].name) < 0)
            return -1;
    }
    return n > 0 ? addc(ch, '\n') : 0;
}

/* ----------------------------------------------------------- checks */

static bool payload_hash_ok(const char *h)
{
    if (strcmp(h, UNSIGNED_PAYLOAD) == 0)
        return true;
    if (strlen(h) != 64)
        return false;
    for (; *h; h++)
        if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
            return false;
    return true;
}

static int check_request(const pix_sigv4_req *req, const pix_sigv4_creds *creds, pix_err *err)
{
    if (!creds || !creds->access_key || !is_token(creds->access_key))
        return pix_err_set(err, "sigv4: access key id is missing or holds characters not allowed");
    if (!creds->secret_key || !*creds->secret_key)
        return pix_err_set(err, "sigv4: secret access key is missing");
    if (creds->session_token && (!*creds->session_token || !value_ok(creds->session_token)))
        return pix_err_set(err, "sigv4: session token is empty or holds control characters");
    if (!is_token(req->method))
        return pix_err_set(err, "sigv4: HTTP method '%s' is not a token", req->method ? req->method : "");
    if (!req->host || !*req->host || strpbrk(req->host, " \t\r\n/"))
        return pix_err_set(err, "sigv4: host '%s' is empty or not a host[:port]", req->host ? req->host : "");
    if (!req->path || req->path[0] != '/' || !value_ok(req->path))
        return pix_err_set(err, "sigv4: path '%s' must start with '/' and hold no control character",
                           req->path ? req->path : "");
    if (req->query && !value_ok(req->query))
        return pix_err_set(err, "sigv4: query holds a control character");
    if (!is_token(req->service) || !is_token(req->region))
        return pix_err_set(err, "sigv4: service '%s' or region '%s' is empty or not a token",
                           req->service ? req->service : "", req->region ? req->region : "");
    if (req->payload_hash && !payload_hash_ok(req->payload_hash))
        return pix_err_set(err, "sigv4: payload hash '%s' is neither 64 lower-case hex digits nor %s",
                           req->payload_hash, UNSIGNED_PAYLOAD);
    for (size_t i = 0; i < req->n_headers; i++) {
        const pix_sigv4_header *h = &req->headers[i];
        if (!is_token(h->name) || !h->value || !value_ok(h->value))
            return pix_err_set(err, "sigv4: header '%s' has a bad name or a value with control characters",
                               h->name ? h->name : "");
    }
    return 0;
}

/* ------------------------------------------------------------- sign */

static int collect_headers(const pix_sigv4_req *req, const pix_sigv4_out *out, nvpair *h,
                           size_t *n, pix_err *err)
{
    if (hdr_push(h, n, "host", req->host) < 0 || hdr_push(h, n, "x-amz-date", out->amz_date) < 0 ||
        (out->security_token && hdr_push(h, n, "x-amz-security-token", out->security_token) < 0) ||
        (req->s3 && hdr_push(h, n, "x-amz-content-sha256", out->content_sha256) < 0))
        return pix_err_set(err, "sigv4: out of memory");
    for (size_t i = 0; i < req->n_headers; i++) {
        if (hdr_push(h, n, req->headers[i].name, req->headers[i].value) < 0)
            return pix_err_set(err, "sigv4: out of memory");
        if (reserved_header(h[*n - 1].name, req->s3))
            return pix_err_set(err, "sigv4: header '%s' is set by the signer, not the caller",
                               req->headers[i].name);
    }
    qsort(h, *n, sizeof *h, hdr_cmp);
    return 0;
}

/* Fills out->canonical_request; *signed_headers gets the list (caller frees). */
static int canonical_request(const pix_sigv4_req *req, pix_sigv4_out *out, char **signed_headers,
                             pix_err *err)
{
    size_t cap = req->n_headers + PIX_SIGV4_MAX_ADD, n = 0;
    nvpair *h = calloc(cap, sizeof *h);
    pix_strbuf cr = { 0 }, ch = { 0 }, sh = { 0 };
    int rc = -1;

    if (!h) {
        pix_err_set(err, "sigv4: out of memory");
        goto out;
    }
    if (collect_headers(req, out, h, &n, err) < 0)
        goto out;
    if (add(&cr, req->method) < 0 || addc(&cr, '\n') < 0 ||
        (req->s3 ? canonical_uri_s3(&cr, req->path) : canonical_uri_normalised(&cr, req->path)) < 0 ||
        addc(&cr, '\n') < 0 || canonical_query(&cr, req->query ? req->query : "") < 0 ||
        addc(&cr, '\n') < 0 || header_blocks(h, n, &ch, &sh) < 0 || add(&cr, ch.s) < 0 ||
        addc(&cr, '\n') < 0 || add(&cr, sh.s) < 0 || addc(&cr, '\n') < 0 ||
        add(&cr, out->content_sha256) < 0) {
        pix_err_set(err, "sigv4: out of memory");
        goto out;
    }
    out->canonical_request = cr.s;
    cr.s = NULL;
    *signed_headers = sh.s;
    sh.s = NULL;
    rc = 0;
out:
    nvpairs_free(h, n);
    free(cr.s);
    free(ch.s);
    free(sh.s);
    return rc;
}

static int string_to_sign(pix_sigv4_out *out, const char *scope, pix_err *err)
{
    char crhash[65];
    pix_strbuf b = { 0 };

    if (pix_sha256_hex(out->canonical_request, strlen(out->canonical_request), crhash) < 0)
        return pix_err_set(err, "sigv4: SHA-256 failed in OpenSSL");
    if (add(&b, "AWS4-HMAC-SHA256\n") < 0 || add(&b, out->amz_date) < 0 || addc(&b, '\n') < 0 ||
        add(&b, scope) < 0 || addc(&b, '\n') < 0 || add(&b, crhash) < 0) {
        free(b.s);
        return pix_err_set(err, "sigv4: out of memory");
    }
    out->string_to_sign = b.s;
    return 0;
}

static int signature(const pix_sigv4_req *req, const char *secret, pix_sigv4_out *out, pix_err *err)
{
    char date8[9];
    unsigned char key[32], mac[32];
    int rc = 0;

    memcpy(date8, out->amz_date, 8);
    date8[8] = '\0';
    if (signing_key_cached(secret, date8, req->region, req->service, key) < 0 ||
        hmac256(key, sizeof key, out->string_to_sign, strlen(out->string_to_sign), mac) < 0)
        rc = pix_err_set(err, "sigv4: HMAC-SHA256 failed in OpenSSL");
    else
        hex32(mac, out->signature);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

static int set_time(time_t now, pix_sigv4_out *out, pix_err *err)
{
    struct tm tm;
    if (!gmtime_r(&now, &tm) || tm.tm_year + 1900 < 1970 || tm.tm_year + 1900 > 9999 ||
        strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm) != 16)
        return pix_err_set(err, "sigv4: signing time %lld is out of range", (long long)now);
    return 0;
}

static void list_headers(const pix_sigv4_req *req, pix_sigv4_out *out)
{
    pix_sigv4_header *h = out->headers;
    size_t n = 0;

    h[n++] = (pix_sigv4_header){ "x-amz-date", out->amz_date };
    if (out->security_token)
        h[n++] = (pix_sigv4_header){ "x-amz-security-token", out->security_token };
    if (req->s3)
        h[n++] = (pix_sigv4_header){ "x-amz-content-sha256", out->content_sha256 };
    h[n++] = (pix_sigv4_header){ "authorization", out->authorization };
    out->n_headers = n;
}

int pix_sigv4_sign(const pix_sigv4_req *req, const pix_sigv4_creds *creds, pix_sigv4_out *out,
                   pix_err *err)
{
    char *signed_headers = NULL, *scope = NULL;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (check_request(req, creds, err) < 0 || set_time(req->now, out, err) < 0)
        goto out;
    snprintf(out->content_sha256, sizeof out->content_sha256, "%s",
             req->payload_hash ? req->payload_hash : EMPTY_SHA256);
    if (creds->session_token && !(out->security_token = strdup(creds->session_token))) {
        pix_err_set(err, "sigv4: out of memory");
        goto out;
    }
    if (canonical_request(req, out, &signed_headers, err) < 0)
        goto out;
    if (asprintf(&scope, "%.8s/%s/%s/aws4_request", out->amz_date, req->region, req->service) < 0) {
        scope = NULL;
        pix_err_set(err, "sigv4: out of memory");
        goto out;
    }
    if (string_to_sign(out, scope, err) < 0 || signature(req, creds->secret_key, out, err) < 0)
        goto out;
    if (asprintf(&out->authorization, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                 creds->access_key, scope, signed_headers, out->signature) < 0) {
        out->authorization = NULL;
        pix_err_set(err, "sigv4: out of memory");
        goto out;
    }
    list_headers(req, out);
    rc = 0;
out:
    free(signed_headers);
    free(scope);
    if (rc < 0)
        pix_sigv4_out_free(out);
    return rc;
}

void pix_sigv4_out_free(pix_sigv4_out *out)
{
    if (!out)
        return;
    free(out->authorization);
    free(out->security_token);
    free(out->canonical_request);
    free(out->string_to_sign);
    memset(out, 0, sizeof *out);
}
