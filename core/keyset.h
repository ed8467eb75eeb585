/* The destination keys written during one run, so that two sources that
 * map to the same key (a.jpg and a.png under "{name}-{rendition}") are
 * caught instead of one silently replacing the other.  Thread-safe. */
#ifndef PIX_CORE_KEYSET_H
#define PIX_CORE_KEYSET_H

typedef struct pix_keyset pix_keyset;

/* Caller frees with pix_keyset_free().  NULL when out of memory. */
pix_keyset *pix_keyset_new(void);
void pix_keyset_free(pix_keyset *ks);

/* Claims key for owner (both copied).  Returns NULL when the key was free
 * or is already the owner's, else the earlier owner (borrowed from ks). */
const char *pix_keyset_claim(pix_keyset *ks, const char *key, const char *owner);

#endif
