#include "keys.h"
#include "strbuf.h"

#include <stdbool.h>
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

int pix_template_check(const char *tmpl, pix_err *err)
{
    if (!tmpl || !*tmpl)
        return pix_err_set(err, "key template is empty");
    if (tmpl[0] == '/')
        return pix_err_set(err, "key template '%s' starts with '/': keys are relative to the "
                           "destination bucket or root", tmpl);
    bool seen = false;
    if (walk(tmpl, "", "", "", NULL, &seen, err) < 0)
        return -1;
    if (!seen)
        return pix_err_set(err, "key template '%s' lacks {rendition}: every rendition "
                           "would be written to the same key", tmpl);
    return 0;
}

char *pix_template_expand(const char *tmpl, const char *src_key, const char *rendition,
                          const char *ext, pix_err *err)
{
    pix_strbuf b = { 0 };
    if (walk(tmpl, src_key, rendition, ext, &b, NULL, err) < 0)
        goto fail;
    if (!b.s || !*b.s) {
        pix_err_set(err, "key template '%s' gives an empty key for '%s'", tmpl, src_key);
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
