#include "yaml_tree.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "envexpand.h"

/* An alias may point at an enclosing node (`&a [*a]`) or fan out
 * exponentially ("billion laughs"); copying the document into a tree would
 * then never end.  Pipeline files are small and shallow, so cap both. */
#define PIX_YMAX_DEPTH 64
#define PIX_YMAX_NODES 100000

typedef struct build {
    const char *path;
    yaml_document_t *doc;
    size_t count;
    pix_err *err;
} build;

void pix_ynode_free(pix_ynode *node)
{
    if (!node)
        return;
    free(node->text);
    for (size_t i = 0; node->pairs && i < node->n; i++) {
        pix_ynode_free(node->pairs[i].key);
        pix_ynode_free(node->pairs[i].val);
    }
    for (size_t i = 0; node->items && i < node->n; i++)
        pix_ynode_free(node->items[i]);
    free(node->pairs);
    free(node->items);
    free(node);
}

static bool is_null_scalar(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

static pix_ynode *convert(build *b, yaml_node_t *yn, bool is_key, int depth);

/* Zeroed room for n items of size bytes (at least one, so that an empty
 * mapping or list still has its array); the caller owns it.  NULL, with
 * b->err set, when out of memory. */
static void *new_zeroed(build *b, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        pix_err_set(b->err, "out of memory");
    return p;
}

static int convert_scalar(build *b, yaml_node_t *yn, bool is_key, pix_ynode *node)
{
    const char *raw = (const char *)yn->data.scalar.value;
    char why[512];

    node->null = is_null_scalar(yn);
    if (is_key || node->null) {
        node->text = strdup(raw);
        if (!node->text)
            return pix_err_set(b->err, "out of memory");
        return 0;
    }
    if (pix_env_expand(raw, &node->text, why, sizeof why) < 0)
        return pix_err_set(b->err, "%s:%d:%d: %s", b->path, node->line, node->col, why);
    return 0;
}

static int convert_map(build *b, yaml_node_t *yn, pix_ynode *node, int depth)
{
    size_t n = (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start);

    if (!(node->pairs = new_zeroed(b, n, sizeof *node->pairs)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &yn->data.mapping.pairs.start[i];
        yaml_node_t *k = yaml_document_get_node(b->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(b->doc, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return pix_err_set(b->err, "%s:%zu:%zu: expected a plain key, got %s", b->path,
                               k->start_mark.line + 1, k->start_mark.column + 1,
                               k->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
        node->pairs[i].key = convert(b, k, true, depth + 1);
        if (!node->pairs[i].key)
            return -1;
        node->n = i + 1; /* pairs[0..i] are freed by pix_ynode_free from here */
        const pix_ynode *key = node->pairs[i].key;
        for (size_t j = 0; j < i; j++) {
            const pix_ynode *prev = node->pairs[j].key;
            if (!strcmp(prev->text, key->text))
                return pix_err_set(b->err, "%s:%d:%d: duplicate key '%s' (first given at %d:%d)",
                                   b->path, key->line, key->col, key->text, prev->line,
                                   prev->col);
        }
        node->pairs[i].val = convert(b, v, false, depth + 1);
        if (!node->pairs[i].val)
            return -1;
    }
    return 0;
}

static int convert_seq(build *b, yaml_node_t *yn, pix_ynode *node, int depth)
{
    size_t n = (size_t)(yn->data.sequence.items.top - yn->data.sequence.items.start);

    if (!(node->items = new_zeroed(b, n, sizeof *node->items)))
        return -1;
    node->n = n; /* NULL items are skipped when freeing */
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(b->doc, yn->data.sequence.items.start[i]);
        node->items[i] = convert(b, item, false, depth + 1);
        if (!node->items[i])
            return -1;
    }
    return 0;
}

static pix_ynode *convert(build *b, yaml_node_t *yn, bool is_key, int depth)
{
    pix_ynode *node;
    int rc;

    if (depth > PIX_YMAX_DEPTH || ++b->count > PIX_YMAX_NODES) {
        pix_err_set(b->err, "%s:%zu:%zu: the document nests or repeats aliases too deeply",
                    b->path, yn->start_mark.line + 1, yn->start_mark.column + 1);
        return NULL;
    }
    if (!(node = new_zeroed(b, 1, sizeof *node)))
        return NULL;
    node->line = (int)yn->start_mark.line + 1;
    node->col = (int)yn->start_mark.column + 1;
    switch (yn->type) {
    case YAML_SCALAR_NODE:
        node->type = PIX_YSCALAR;
        rc = convert_scalar(b, yn, is_key, node);
        break;
    case YAML_MAPPING_NODE:
        node->type = PIX_YMAP;
        rc = convert_map(b, yn, node, depth);
        break;
    case YAML_SEQUENCE_NODE:
        node->type = PIX_YSEQ;
        rc = convert_seq(b, yn, node, depth);
        break;
    default:
        rc = pix_err_set(b->err, "%s:%d:%d: unexpected YAML node", b->path, node->line,
                         node->col);
        break;
    }
    if (rc < 0) {
        pix_ynode_free(node);
        return NULL;
    }
    return node;
}

static int syntax_error(const char *path, const yaml_parser_t *parser, pix_err *err)
{
    const yaml_mark_t *m = &parser->problem_mark;
    const char *problem = parser->problem ? parser->problem : "unknown problem";

    /* libyaml reports the problem where it noticed it; the context (e.g.
     * "while parsing a block mapping") says where the construct began. */
    if (parser->error == YAML_MEMORY_ERROR)
        return pix_err_set(err, "%s: out of memory while reading YAML", path);
    if (parser->context)
        return pix_err_set(err, "%s:%zu:%zu: YAML syntax error: %s (%s at line %zu, column %zu)",
                           path, m->line + 1, m->column + 1, problem, parser->context,
                           parser->context_mark.line + 1, parser->context_mark.column + 1);
    return pix_err_set(err, "%s:%zu:%zu: YAML syntax error: %s", path, m->line + 1,
                       m->column + 1, problem);
}

int pix_ytree_parse(const char *path, const char *text, size_t len, pix_ynode **root,
                    pix_err *err)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    bool have_doc = false, have_extra = false;
    int rc = -1;

    *root = NULL;
    if (!yaml_parser_initialize(&parser))
        return pix_err_set(err, "%s: out of memory", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(path, &parser, err);
        goto out;
    }
    have_doc = true;
    yaml_node_t *top = yaml_document_get_root_node(&doc);
    if (!top) {
        rc = 0; /* empty stream: the caller says what it expected */
        goto out;
    }
    /* A second document would be silently ignored: refuse it instead. */
    if (!yaml_parser_load(&parser, &extra)) {
        syntax_error(path, &parser, err);
        goto out;
    }
    have_extra = true;
    yaml_node_t *second = yaml_document_get_root_node(&extra);
    if (second) {
        pix_err_set(err, "%s:%zu:%zu: a second YAML document ('---'); a pipeline file holds one",
                    path, extra.start_mark.line + 1, extra.start_mark.column + 1);
        goto out;
    }
    build b = {.path = path, .doc = &doc, .err = err};
    *root = convert(&b, top, false, 0);
    rc = *root ? 0 : -1;
out:
    if (have_extra)
        yaml_document_delete(&extra);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

const pix_ypair *pix_ymap_pair(const pix_ynode *map, const char *key)
{
    if (!map || map->type != PIX_YMAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (!strcmp(map->pairs[i].key->text, key))
            return &map->pairs[i];
    return NULL;
}

const pix_ynode *pix_ymap_get(const pix_ynode *map, const char *key)
{
    const pix_ypair *p = pix_ymap_pair(map, key);
    return p ? p->val : NULL;
}

const char *pix_ynode_kind(const pix_ynode *node)
{
    if (!node)
        return "nothing";
    switch (node->type) {
    case PIX_YMAP:
        return "a mapping";
    case PIX_YSEQ:
        return "a list";
    case PIX_YSCALAR:
        return node->null ? "nothing (null)" : "a string";
    }
    return "something else";
}
