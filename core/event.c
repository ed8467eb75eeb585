/*
 * S3 event notifications, as S3 sends them to Lambda or `pixpipe run
 * --event FILE` reads them: {"Records":[{"eventName":"ObjectCreated:Put",
 * "s3":{"bucket":{"name":...},"object":{"key":...,"sequencer":...}}}]}.
 * S3 URL-encodes keys in notifications, with '+' for a space.
 */
#include "event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *pix_url_decode(const char *in, bool plus_is_space, pix_err *err)
{
    size_t n = strlen(in);
    char *out = malloc(n + 1), *o = out;
    if (!out) {
        pix_err_set(err, "out of memory");
        return NULL;
    }
    for (const char *p = in; *p; p++) {
        if (*p == '+' && plus_is_space) {
            *o++ = ' ';
        } else if (*p == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (hi < 0 || lo < 0) {
                pix_err_set(err, "'%s': bad escape at '%.3s'", in, p);
                goto fail;
            }
            if (hi == 0 && lo == 0) {
                pix_err_set(err, "'%s': a key cannot hold a NUL byte (%%00)", in);
                goto fail;
            }
            *o++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

static const char *str_at(json_t *obj, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(obj, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    return json_string_value(v);
}

int pix_event_parse(const char *where, const char *json, size_t len, pix_inputs *in,
                    pix_event_summary *sum, pix_err *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, 0, &jerr);
    int rc = -1;

    memset(sum, 0, sizeof *sum);
    if (!doc)
        return pix_err_set(err, "%s:%d:%d: not JSON: %s", where, jerr.line, jerr.column,
                           jerr.text);
    if (!json_is_object(doc)) {
        pix_err_set(err, "%s: expected a JSON object with \"Records\"", where);
        goto out;
    }
    const char *ev = json_string_value(json_object_get(doc, "Event"));
    if (ev && strcmp(ev, "s3:TestEvent") == 0) {
        sum->test_event = true;
        rc = 0;
        goto out;
    }
    json_t *records = json_object_get(doc, "Records");
    if (!json_is_array(records)) {
        pix_err_set(err, "%s: not an S3 event notification (no \"Records\" list)", where);
        goto out;
    }
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec) {
        const char *source = str_at(rec, "eventSource", NULL, NULL);
        const char *name = str_at(rec, "eventName", NULL, NULL);
        const char *bucket = str_at(rec, "s3", "bucket", "name");
        const char *key = str_at(rec, "s3", "object", "key");
        const char *seq = str_at(rec, "s3", "object", "sequencer");
        sum->records++;
        if (!source || strcmp(source, "aws:s3") != 0 || !name || !bucket || !key) {
            pix_err_set(err, "%s: Records[%zu]: not an S3 record (needs eventSource \"aws:s3\", "
                        "eventName, s3.bucket.name and s3.object.key)", where, i);
            goto out;
        }
        if (strncmp(name, "ObjectCreated:", 14) != 0) {
            sum->ignored++;
            continue;
        }
        char *decoded = pix_url_decode(key, true, err);
        if (!decoded) {
            pix_err_prefix(err, "%s: Records[%zu]: s3.object.key", where, i);
            goto out;
        }
        char *display = NULL;
        if (asprintf(&display, "s3://%s/%s", bucket, decoded) < 0)
            display = NULL;
        int r = display ? pix_inputs_add_s3(in, bucket, decoded, seq, display, err)
                        : pix_err_set(err, "out of memory");
        free(display);
        free(decoded);
        if (r < 0)
            goto out;
        sum->created++;
    }
    rc = 0;
out:
    json_decref(doc);
    return rc;
}
