/* Helpers shared by the libFuzzer targets of tests/fuzz (docs/testing.md).
 * Each target is one fuzz_NAME.c defining LLVMFuzzerTestOneInput; these
 * turn the fuzzer's bytes into the C strings the entry points take and
 * check the promises their headers make. */
#ifndef PIX_FUZZ_H
#define PIX_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken promise is a crash, so that libFuzzer keeps the input. */
#define FZ_CHECK(cond, ...)                                                    \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__,      \
                    __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* data[0..size) as a NUL-terminated copy (a NUL inside ends the string
 * early, as it would for any C caller).  Caller frees. */
static inline char *fz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Splits data at NUL bytes into at most max strings, each a new copy, the
 * rest NULL.  The last one takes the remainder (NUL bytes and all, cut at
 * the first by C).  Returns how many were found. */
static inline size_t fz_split(const uint8_t *data, size_t size, char **out, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i < max; i++)
        out[i] = NULL;
    while (n < max && start <= size) {
        const uint8_t *nul = n + 1 < max ? memchr(data + start, 0, size - start) : NULL;
        size_t end = nul ? (size_t)(nul - data) : size;
        out[n++] = fz_strndup(data + start, end - start);
        if (!nul)
            break;
        start = end + 1;
    }
    return n;
}

static inline void fz_free_all(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

/* Well-formed UTF-8: no overlong form, surrogate or code point past
 * U+10FFFF (what JSON and the record require). */
static inline bool fz_utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n;
        uint32_t cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xc2 && c < 0xe0) {
            n = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c < 0xf0) {
            n = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c < 0xf5) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        p += n + 1;
    }
    return true;
}

#endif
