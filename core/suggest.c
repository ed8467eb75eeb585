#include "suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keys and option names are short: a fixed bound keeps this allocation-free.
 * Longer words are compared on their first PIX_LEV_MAX bytes only, which is
 * plenty to decide "close enough to suggest". */
#define PIX_LEV_MAX 64

size_t pix_levenshtein(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t d[PIX_LEV_MAX + 1][PIX_LEV_MAX + 1];

    if (n > PIX_LEV_MAX)
        n = PIX_LEV_MAX;
    if (m > PIX_LEV_MAX)
        m = PIX_LEV_MAX;
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca != cb;
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            /* "witdh" for "width" is one typo, not two. */
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

const char *pix_suggest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(word);

    if (!candidates)
        return NULL;
    for (size_t i = 0; candidates[i]; i++) {
        size_t d = pix_levenshtein(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    /* A 2-letter word is within distance 2 of every 2-letter name. */
    if (!best || best_d > 2 || best_d >= len)
        return NULL;
    return best;
}

const char *pix_suggest_clause(const char *word, const char *const *candidates, char *buf,
                               size_t size)
{
    const char *s = pix_suggest(word, candidates);
    if (s)
        snprintf(buf, size, " (did you mean '%s'?)", s);
    else if (size)
        buf[0] = '\0';
    return buf;
}

const char *pix_join(const char *const *names, const char *sep, char *buf, size_t size)
{
    size_t used = 0;

    if (!size)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; names && names[i]; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? sep : "", names[i]);
        if (n < 0 || (size_t)n >= size - used) {
            if (size > 4)
                strcpy(buf + size - 4, "...");
            break;
        }
        used += (size_t)n;
    }
    return buf;
}
