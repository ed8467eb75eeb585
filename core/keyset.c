#include "keyset.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

struct pix_keyset {
    GMutex lock;
    GHashTable *owners; /* key -> owner, both g_strdup'ed */
};

pix_keyset *pix_keyset_new(void)
{
    pix_keyset *ks = calloc(1, sizeof *ks);
    if (!ks)
        return NULL;
    g_mutex_init(&ks->lock);
    ks->owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return ks;
}

void pix_keyset_free(pix_keyset *ks)
{
    if (!ks)
        return;
    g_hash_table_destroy(ks->owners);
    g_mutex_clear(&ks->lock);
    free(ks);
}

const char *pix_keyset_claim(pix_keyset *ks, const char *key, const char *owner)
{
    const char *prev;
    g_mutex_lock(&ks->lock);
    prev = g_hash_table_lookup(ks->owners, key);
    if (!prev)
        g_hash_table_insert(ks->owners, g_strdup(key), g_strdup(owner));
    else if (strcmp(prev, owner) == 0)
        prev = NULL;
    g_mutex_unlock(&ks->lock);
    return prev;
}
