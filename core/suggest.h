/* "Did you mean ...?" for mistyped keys, option names and enum values. */
#ifndef PIX_CORE_SUGGEST_H
#define PIX_CORE_SUGGEST_H

#include <stddef.h>

/* Edit distance (insertions, deletions, substitutions, and transpositions
 * of neighbours) between a and b, compared case-insensitively. */
size_t pix_levenshtein(const char *a, const char *b);

/* The candidate nearest to word when it is close enough to be a plausible
 * typo (distance <= 2, and less than the word's length), else NULL.
 * candidates is a NULL-terminated array; the result is borrowed from it. */
const char *pix_suggest(const char *word, const char *const *candidates);

/* Writes " (did you mean 'X'?)" into buf when pix_suggest() finds a
 * candidate, else "".  Returns buf. */
const char *pix_suggest_clause(const char *word, const char *const *candidates, char *buf,
                               size_t size);

/* Writes the candidates joined by sep into buf (truncated with "..." when
 * they do not fit).  Returns buf. */
const char *pix_join(const char *const *names, const char *sep, char *buf, size_t size);

#endif
