/* A YAML document as a small owned tree that keeps every node's position,
 * with ${VAR} expansion already applied to scalar values. */
#ifndef PIX_CORE_YAML_TREE_H
#define PIX_CORE_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

typedef enum pix_ytype { PIX_YSCALAR = 1, PIX_YMAP, PIX_YSEQ } pix_ytype;

typedef struct pix_ynode pix_ynode;

typedef struct pix_ypair {
    pix_ynode *key; /* always a scalar; its text is not env-expanded */
    pix_ynode *val;
} pix_ypair;

struct pix_ynode {
    pix_ytype type;
    int line, col;     /* 1-based position of the node's first character */
    char *text;        /* SCALAR: the value (env-expanded unless a key)   */
    char *from_env;    /* SCALAR: "${VAR}" (or "${A}, ${B}") when a variable's
                          value went into text, else NULL: messages then
                          name it instead of quoting text, which may hold a
                          secret                                          */
    bool null;         /* SCALAR: a plain empty, "~" or "null" scalar     */
    size_t n;          /* MAP: pairs; SEQ: items                          */
    pix_ypair *pairs;  /* MAP, in document order; keys are unique          */
    pix_ynode **items; /* SEQ                                             */
};

/* The largest pipeline text read, and the deepest nesting of lists and
 * mappings: pipeline files are small and shallow, and libyaml's scanner
 * works harder with every open flow collection ("[[[[..."). */
#define PIX_YMAX_BYTES (1024 * 1024)
#define PIX_YMAX_DEPTH 64

/* Parses the first document of text.  *root is NULL for an empty document
 * (only comments or nothing), else a tree the caller frees with
 * pix_ynode_free().  Errors (YAML syntax, duplicate keys, non-scalar keys,
 * more than one document, ${VAR} errors, a NUL byte in a scalar, text over
 * PIX_YMAX_BYTES, nesting deeper than PIX_YMAX_DEPTH, too many anchors or
 * aliases) read "path:line:col: ...".  Time and memory are linear in len.
 * Returns 0 or -1 with err. */
int pix_ytree_parse(const char *path, const char *text, size_t len, pix_ynode **root,
                    pix_err *err);
void pix_ynode_free(pix_ynode *node);

/* The value stored under key in a mapping, or NULL.  Borrowed. */
const pix_ynode *pix_ymap_get(const pix_ynode *map, const char *key);
/* The pair for key, or NULL.  Borrowed. */
const pix_ypair *pix_ymap_pair(const pix_ynode *map, const char *key);

/* "a mapping", "a list", "a string", "nothing (null)": for "got ..." text. */
const char *pix_ynode_kind(const pix_ynode *node);

#endif
