#include "keys.h"
#include "strbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends s, collapsing '//' and dropping a leading '/' as it goes, so
 * "{dir}/{name}" of a top-level key is "name". */
static int put(pix_strbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/' && (b->len == 0 || b->s[b->len - 1] == '/'))
            continue;
        if (pix_strbuf_add(b, s + i, 1) < 0)
            return -1;
    }
    return 0;
}

static int placeholder(const char *name, size_t n, const char *src_key, const char *rendition,
                       const char *ext, pix_strbuf *b)
{
    const char *slash = strrchr(src_key, '/');
    const char *base = slash ? slash + 1 : src_key;
    const char *dot = strrchr(base, '.');
    size_t base_len = dot && dot != base ? (size_t)(dot - base) : strlen(base);

#define IS(lit) (n == sizeof lit - 1 && memcmp(name, lit, n) == 0)
    if (IS("key"))
        return b ? put(b, src_key, strlen(src_key)) : 0;
    if (IS("dir"))
        return b ? put(b, src_key, slash ? (size_t)(slash - src_key) : 0) : 0;
    if (IS("name"))
        return b ? put(b, base, base_len) : 0;
    if (IS("ext"))
        return b ? put(b, ext, strlen(ext)) : 0;
    if (IS("rendition"))
        return b ? put(b, rendition, strlen(rendition)) : 0;
#undef IS
    return -1;
}

/* One walk serves both checking (b == NULL) and expanding.  *seen_rendition
 * (may be NULL) tells whether a real {rendition} placeholder was met. */
static int walk(const char *tmpl, const char *src_key, const char *rendition, const char *ext,
                pix_strbuf *b, bool *seen_rendition, pix_err *err)
{
    for (const char *p = tmpl; *p;) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            if (b && put(b, p, 1) < 0)
                return pix_err_set(err, "out of memory");
            p += 2;
        } else if (*p == '{') {
            const char *end = strchr(p, '}');
            if (!end)
                return pix_err_set(err, "key template '%s': unclosed '{'", tmpl);
            if (seen_rendition && end - p - 1 == 9 && memcmp(p + 1, "rendition", 9) == 0)
                *seen_rendition = true;
            if (placeholder(p + 1, (size_t)(end - p - 1), src_key, rendition, ext, b) < 0)
                return pix_err_set(err, "key template '%s': unknown placeholder '%.*s'; "
                                   "expected {key}, {dir}, {name}, {ext} or {rendition}",
                                   tmpl, (int)(end - p + 1), p);
            p = end + 1;
        } else if (*p == '}') {
            return pix_err_set(err, "key template '%s': lone '}' (write '}}' for a brace)", tmpl);
        } else {
            if (b && put(b, p, 1) < 0)
                return pix_err_set(err, "out of memory");
            p++;
        }
    }
    return 0;
}

/* The problem of a segment of the template made of literal text only
 * (n bytes, lit holding the first ones; has_placeholder false), or NULL: such a segment is in
 * every key, so "..", "." and "" ("a//b", a trailing '/') would be in
 * every key too.  A segment with a placeholder is checked once expanded. */
static const char *literal_segment_problem(const char *lit, size_t n, bool has_placeholder,
                                           bool last)
{
    if (has_placeholder)
        return NULL;
    if (n == 2 && lit[0] == '.' && lit[1] == '.')
        return "has a '..' segment, which would climb out of the destination";
    if (n == 1 && lit[0] == '.')
        return "has a '.' segment";
    if (n == 0)
        return last ? "ends with '/': a key names a file, not a folder"
                    : "has an empty segment ('//')";
    return NULL;
}

/* Splits tmpl at its literal '/' and checks each segment as above. */
static const char *template_segments_problem(const char *tmpl)
{
    char lit[8];
    size_t n = 0;
    bool ph = false;

    for (const char *p = tmpl;; p++) {
        if (*p == '\0' || *p == '/') {
            const char *why = literal_segment_problem(lit, n, ph, *p == '\0');
            if (why || !*p)
                return why;
            n = 0;
            ph = false;
        } else if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            lit[n < sizeof lit ? n : sizeof lit - 1] = *p;
            n++;
            p++;
        } else if (*p == '{') {
            const char *end = strchr(p, '}');
            if (!end)
                return NULL; /* walk() says so */
            ph = true;
            p = end;
        } else {
            /* Only the first bytes matter to tell ".." or "." apart; a
             * control character anywhere is refused by the key check. */
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return "holds a control character";
            lit[n < sizeof lit ? n : sizeof lit - 1] = *p;
            n++;
        }
    }
}

int pix_template_check(const char *tmpl, pix_err *err)
{
    return pix_template_check_as(tmpl, NULL, err);
}

int pix_template_check_as(const char *tmpl, const char *as, pix_err *err)
{
    char q[300];
    const char *shown = q, *why;

    if (!tmpl || !*tmpl)
        return pix_err_set(err, "key template is empty");
    if (as)
        snprintf(q, sizeof q, "(%s)", as);
    else
        snprintf(q, sizeof q, "'%.250s%s'", tmpl, strlen(tmpl) > 250 ? "..." : "");
    if (tmpl[0] == '/')
        return pix_err_set(err, "key template %s starts with '/': keys are relative to the "
                           "destination bucket or root", shown);
    pix_err werr;
    bool seen = false;
    if (walk(tmpl, "", "", "", NULL, &seen, &werr) < 0)
        return as ? pix_err_set(err, "key template %s is not a valid template", shown)
                  : pix_err_set(err, "%s", werr.msg);
    if ((why = template_segments_problem(tmpl)))
        return pix_err_set(err, "key template %s %s; keys stay inside the destination bucket "
                           "or root", shown, why);
    if (!seen)
        return pix_err_set(err, "key template %s lacks {rendition}: every rendition "
                           "would be written to the same key", shown);
    return 0;
}

char *pix_template_expand(const char *tmpl, const char *src_key, const char *rendition,
                          const char *ext, pix_err *err)
{
    pix_strbuf b = { 0 };
    if (walk(tmpl, src_key, rendition, ext, &b, NULL, err) < 0)
        goto fail;
    if (!b.s || !*b.s) {
        pix_err_set(err, "the key template gives an empty key for '%s'", src_key);
        goto fail;
    }
    /* The source key comes from outside (an S3 event, a folder walk): one
     * holding ".." through {key}, {dir} or {name} must not move the output
     * out of the destination, whichever storage writes it.  The template
     * itself is not quoted: it may come from the environment. */
    const char *why = NULL;
    if (pix_key_check(b.s, &why) < 0) {
        pix_err_set(err, "refusing destination key '%s' made from source key '%s': %s", b.s,
                    src_key, why);
        goto fail;
    }
    return b.s;
fail:
    free(b.s);
    return NULL;
}

int pix_key_check_len(const char *key, size_t len, const char **why)
{
    static const char *w;
    if (!why)
        why = &w;
    if (!key || len == 0)
        return *why = "the key is empty", -1;
    if (key[0] == '/')
        return *why = "the key is an absolute path", -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
            return *why = key[i] ? "the key holds a control character"
                                 : "the key holds a NUL byte", -1;
    for (size_t start = 0; start <= len;) {
        size_t end = start;
        while (end < len && key[end] != '/')
            end++;
        size_t seg = end - start;
        if (seg == 2 && key[start] == '.' && key[start + 1] == '.')
            return *why = "the key has a '..' segment", -1;
        if (seg == 1 && key[start] == '.')
            return *why = "the key has a '.' segment", -1;
        if (seg == 0 && end < len)
            return *why = "the key has an empty segment ('//')", -1;
        start = end + 1;
    }
    if (key[len - 1] == '/')
        return *why = "the key ends with '/'", -1;
    return 0;
}

int pix_key_check(const char *key, const char **why)
{
    return pix_key_check_len(key, key ? strlen(key) : 0, why);
}

int pix_rendition_check(const char *name, const char **why)
{
    static const char *w;
    if (!why)
        why = &w;
    if (!name || !*name)
        return *why = "a rendition name cannot be empty", -1;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return *why = "a rendition name cannot be '.' or '..': as {rendition} it would make a "
                      "'.' or '..' segment of the key", -1;
    for (const char *p = name; *p; p++) {
        if (*p == '/')
            return *why = "a rendition name is one key segment, without '/'", -1;
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return *why = "a rendition name cannot hold a control character", -1;
    }
    return 0;
}
