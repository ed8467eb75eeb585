#include "yaml_tree.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "envexpand.h"

/* An alias may point at an enclosing node (`&a [*a]`) or fan out
 * exponentially ("billion laughs"); copying the document into a tree would
 * then never end.  Pipeline files are small and shallow, so cap both (the
 * depth, PIX_YMAX_DEPTH, is in the header).  libyaml's loader compares each
 * anchor with every one before it and looks each alias up the same way,
 * so anchors and aliases are capped too, before it runs. */
#define PIX_YMAX_NODES 100000
#define PIX_YMAX_ANCHORS 1000
#define PIX_YMAX_ALIASES 10000

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
    free(node->from_env);
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
    char why[512], from[256];

    /* "\0" in a double-quoted scalar is a NUL byte: C strings would cut the
     * value there without a word. */
    if (strlen(raw) != yn->data.scalar.length)
        return pix_err_set(b->err, "%s:%d:%d: the %s holds a NUL byte (\\0); pipeline values "
                           "are text", b->path, node->line, node->col, is_key ? "key" : "value");
    node->null = is_null_scalar(yn);
    if (is_key || node->null) {
        node->text = strdup(raw);
        if (!node->text)
            return pix_err_set(b->err, "out of memory");
        return 0;
    }
    if (pix_env_expand_from(raw, &node->text, from, sizeof from, why, sizeof why) < 0)
        return pix_err_set(b->err, "%s:%d:%d: %s", b->path, node->line, node->col, why);
    if (from[0] && !(node->from_env = strdup(from)))
        return pix_err_set(b->err, "out of memory");
    return 0;
}

static int by_key_then_place(const void *a, const void *b)
{
    const pix_ypair *x = *(const pix_ypair *const *)a, *y = *(const pix_ypair *const *)b;
    int c = strcmp(x->key->text, y->key->text);
    if (c)
        return c;
    return x < y ? -1 : x > y; /* pairs lie in document order */
}

/* Refuses a key given twice, naming the earliest repeat in the document
 * and where that key was first given.  Sorting keeps it n log n: a mapping
 * may hold tens of thousands of keys, and comparing each with every one
 * before it took seconds. */
static int check_duplicates(build *b, const pix_ynode *node)
{
    const pix_ypair **sorted;
    const pix_ypair *first = NULL, *repeat = NULL;

    if (node->n < 2)
        return 0;
    if (!(sorted = malloc(node->n * sizeof *sorted)))
        return pix_err_set(b->err, "out of memory");
    for (size_t i = 0; i < node->n; i++)
        sorted[i] = &node->pairs[i];
    qsort(sorted, node->n, sizeof *sorted, by_key_then_place);
    for (size_t i = 1, head = 0; i < node->n; i++) {
        if (strcmp(sorted[i]->key->text, sorted[head]->key->text) != 0) {
            head = i;
            continue;
        }
        if (!repeat || sorted[i] < repeat) {
            repeat = sorted[i];
            first = sorted[head];
        }
    }
    free(sorted);
    if (!repeat)
        return 0;
    return pix_err_set(b->err, "%s:%d:%d: duplicate key '%s' (first given at %d:%d)", b->path,
                       repeat->key->line, repeat->key->col, repeat->key->text, first->key->line,
                       first->key->col);
}

static int convert_map(build *b, yaml_node_t *yn, pix_ynode *node, int depth)
{
    size_t n = (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start);

    if (!(node->pairs = new_zeroed(b, n, sizeof *node->pairs)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &yn->data.mapping.pairs.start[i];
        yaml_node_t *k = yaml_document_get_node(b->doc, p->key);
        if (k->type != YAML_SCALAR_NODE)
            return pix_err_set(b->err, "%s:%zu:%zu: expected a plain key, got %s", b->path,
                               k->start_mark.line + 1, k->start_mark.column + 1,
                               k->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
        node->pairs[i].key = convert(b, k, true, depth + 1);
        if (!node->pairs[i].key)
            return -1;
        node->n = i + 1; /* pairs[0..i] are freed by pix_ynode_free from here */
    }
    /* All keys first, so a repeated one is refused before any value. */
    if (check_duplicates(b, node) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *v = yaml_document_get_node(b->doc, yn->data.mapping.pairs.start[i].value);
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

    /* The text itself nests at most PIX_YMAX_DEPTH (prescan): deeper here
     * is an alias inside the node it names, or chains of them. */
    if (depth > PIX_YMAX_DEPTH) {
        pix_err_set(b->err, "%s:%zu:%zu: the document nests or repeats aliases too deeply: "
                    "an alias nests it deeper than %d levels", b->path,
                    yn->start_mark.line + 1, yn->start_mark.column + 1, PIX_YMAX_DEPTH);
        return NULL;
    }
    if (++b->count > PIX_YMAX_NODES) {
        pix_err_set(b->err, "%s:%zu:%zu: the document nests or repeats aliases too deeply: "
                    "it holds more than %d values once its aliases are expanded", b->path,
                    yn->start_mark.line + 1, yn->start_mark.column + 1, PIX_YMAX_NODES);
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

/* One pass over libyaml's events before the document is loaded, which
 * stops at the first list or mapping nested deeper than PIX_YMAX_DEPTH or
 * the first anchor or alias over the caps.  libyaml's scanner walks every
 * open flow collection for each token it reads, and reads a line (or 1024
 * characters) ahead: without the cap 10^5 nested '[' took over a minute.
 * Syntax errors are left to the load, which reports them the same way. */
static int prescan(const char *path, const char *text, size_t len, pix_err *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    int depth = 0, rc = 0;
    size_t anchors = 0, aliases = 0;
    bool end = false;

    if (!yaml_parser_initialize(&parser))
        return pix_err_set(err, "%s: out of memory", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!end && rc == 0 && yaml_parser_parse(&parser, &ev)) {
        const char *anchor = NULL;
        size_t line = ev.start_mark.line + 1, col = ev.start_mark.column + 1;
        switch (ev.type) {
        case YAML_SEQUENCE_START_EVENT:
            anchor = (const char *)ev.data.sequence_start.anchor;
            depth++;
            break;
        case YAML_MAPPING_START_EVENT:
            anchor = (const char *)ev.data.mapping_start.anchor;
            depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_SCALAR_EVENT:
            anchor = (const char *)ev.data.scalar.anchor;
            break;
        case YAML_ALIAS_EVENT:
            if (++aliases > PIX_YMAX_ALIASES)
                rc = pix_err_set(err, "%s:%zu:%zu: more than %d aliases; a pipeline file "
                                 "needs few", path, line, col, PIX_YMAX_ALIASES);
            break;
        case YAML_STREAM_END_EVENT:
            end = true;
            break;
        default:
            break;
        }
        if (rc == 0 && depth > PIX_YMAX_DEPTH)
            rc = pix_err_set(err, "%s:%zu:%zu: lists and mappings nest deeper than %d levels",
                             path, line, col, PIX_YMAX_DEPTH);
        if (rc == 0 && anchor && ++anchors > PIX_YMAX_ANCHORS)
            rc = pix_err_set(err, "%s:%zu:%zu: more than %d anchors ('&name'); a pipeline file "
                             "needs few", path, line, col, PIX_YMAX_ANCHORS);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return rc;
}

int pix_ytree_parse(const char *path, const char *text, size_t len, pix_ynode **root,
                    pix_err *err)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    bool have_doc = false, have_extra = false;
    int rc = -1;

    *root = NULL;
    if (len > PIX_YMAX_BYTES)
        return pix_err_set(err, "%s: %zu bytes, over the %d bytes (1 MiB) a pipeline file may "
                           "have", path, len, PIX_YMAX_BYTES);
    if (prescan(path, text, len, err) < 0)
        return -1;
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
