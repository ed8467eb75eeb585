/* Object keys: the destination key template and the safety check shared
 * with storage plugins. */
#ifndef PIX_CORE_KEYS_H
#define PIX_CORE_KEYS_H

#include <stddef.h>
#include "err.h"

/* Checks a template's placeholders: {key} {dir} {name} {ext} {rendition}
 * and literal text; "{{" and "}}" stand for braces.  Refuses a template
 * that starts with '/', lacks {rendition}, or has a literal segment that
 * is "..", "." or empty ("a//{name}", a trailing '/').  Returns 0 or -1. */
int pix_template_check(const char *tmpl, pix_err *err);
/* The same; as (when not NULL) stands for the template in messages, e.g.
 * "the value from ${KEY}" when the environment gave it. */
int pix_template_check_as(const char *tmpl, const char *as, pix_err *err);

/* Expands tmpl for source key src_key, rendition name and extension ext.
 * Repeated '/' collapse and a leading '/' is dropped, so "{dir}/{name}" of a
 * top-level key is "name".  Caller frees.  NULL with err on a bad template,
 * an empty result, or one pix_key_check() refuses (a source key with a
 * ".." segment given through {key}, {dir} or {name}). */
char *pix_template_expand(const char *tmpl, const char *src_key, const char *rendition,
                          const char *ext, pix_err *err);

/* Refuses keys unsafe on a file system: empty, absolute, with a "." or ".."
 * segment, or holding a control character (NUL included, hence the length).
 * Returns 0, or -1 with *why set to a static explanation. */
int pix_key_check_len(const char *key, size_t len, const char **why);
/* pix_key_check_len(key, strlen(key), why): the host API's key_check. */
int pix_key_check(const char *key, const char **why);

/* Refuses a rendition name that would make an unsafe key as {rendition}:
 * empty, "." or "..", with '/' or a control character.  Returns 0, or -1
 * with *why (may be NULL) set to a static explanation. */
int pix_rendition_check(const char *name, const char **why);

#endif
