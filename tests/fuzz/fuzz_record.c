/* The job record and its JSON (core/record.c), as plugins drive it through
 * the host API.  Input: a list of operations, each an opcode byte followed
 * by NUL-terminated operands (keys and values are raw bytes: plugins pass
 * text from image files):
 *   s KEY VALUE   rec_set_str          S KEY        rec_set_str(NULL)
 *   i KEY NUMBER  rec_set_int          n KEY NUMBER rec_set_num
 *   b KEY 0|1     rec_set_bool         l KEY VALUE  rec_append_str
 *   o KEY         enter rec_object     a KEY        enter rec_append
 *   u             leave (back to the enclosing object)
 *   g KEY         the four getters
 * Any other byte is skipped.  Checks that every record dumps to JSON that
 * parses back, and what record.h promises: setting a key replaces what it
 * held, text that is not UTF-8 included (its bad bytes become U+FFFD) and
 * numbers JSON cannot write (stored as null). */
#include <jansson.h>
#include <math.h>

#include "fuzz.h"
#include "record.h"

#define MAX_DEPTH 32
#define MAX_OPS 4096

/* The next NUL-terminated operand at *p, or "" at the end. */
static const char *operand(const uint8_t **p, const uint8_t *end)
{
    static const char empty[] = "";
    if (*p >= end)
        return empty;
    const uint8_t *nul = memchr(*p, 0, (size_t)(end - *p));
    if (!nul)
        return NULL; /* the last operand runs to the end: not terminated */
    const char *s = (const char *)*p;
    *p = nul + 1;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy with a NUL after the end, so that the last operand is a string. */
    uint8_t *buf = malloc(size + 1);
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    buf[size] = 0;
    const uint8_t *p = buf, *end = buf + size + 1;

    pix_record *root = pix_record_new(), *stack[MAX_DEPTH];
    size_t depth = 0, ops = 0;
    pix_record *cur = root;
    FZ_CHECK(root, "no record");

    while (p < end - 1 && ops++ < MAX_OPS) {
        uint8_t op = *p++;
        const char *key, *val;
        const char *s;
        int64_t i64;
        double d, d2;
        bool b;
        switch (op) {
        case 's':
            key = operand(&p, end), val = operand(&p, end);
            if (!key || !val)
                goto done;
            pix_rec_set_str(cur, key, val);
            if (fz_utf8_ok(key)) {
                FZ_CHECK(pix_rec_get_str(cur, key, &s) == 0, "'%s' not stored", key);
                FZ_CHECK(fz_utf8_ok(val) ? strcmp(s, val) == 0 : fz_utf8_ok(s),
                         "set '%s', read '%s'", val, s);
            }
            break;
        case 'S':
            if (!(key = operand(&p, end)))
                goto done;
            pix_rec_set_str(cur, key, NULL);
            break;
        case 'i':
            key = operand(&p, end), val = operand(&p, end);
            if (!key || !val)
                goto done;
            pix_rec_set_int(cur, key, strtoll(val, NULL, 0));
            if (fz_utf8_ok(key))
                FZ_CHECK(pix_rec_get_int(cur, key, &i64) == 0 && i64 == strtoll(val, NULL, 0),
                         "int '%s' not stored as set", key);
            break;
        case 'n':
            key = operand(&p, end), val = operand(&p, end);
            if (!key || !val)
                goto done;
            pix_rec_set_num(cur, key, d = strtod(val, NULL));
            if (fz_utf8_ok(key) && isfinite(d))
                FZ_CHECK(pix_rec_get_num(cur, key, &d2) == 0 && d2 == d, "number '%s' not stored",
                         key);
            else if (fz_utf8_ok(key))
                FZ_CHECK(pix_rec_get_num(cur, key, &d2) < 0 && pix_rec_get_str(cur, key, &s) < 0,
                         "'%s' kept a value after a non-finite number", key);
            break;
        case 'b':
            key = operand(&p, end), val = operand(&p, end);
            if (!key || !val)
                goto done;
            pix_rec_set_bool(cur, key, val[0] == '1');
            if (fz_utf8_ok(key))
                FZ_CHECK(pix_rec_get_bool(cur, key, &b) == 0 && b == (val[0] == '1'),
                         "bool '%s' not stored as set", key);
            break;
        case 'l':
            key = operand(&p, end), val = operand(&p, end);
            if (!key || !val)
                goto done;
            pix_rec_append_str(cur, key, val);
            break;
        case 'o':
        case 'a':
            if (!(key = operand(&p, end)))
                goto done;
            pix_record *child = op == 'o' ? pix_rec_object(cur, key) : pix_rec_append(cur, key);
            if (child && depth < MAX_DEPTH) {
                stack[depth++] = cur;
                cur = child;
            }
            break;
        case 'u':
            if (depth > 0)
                cur = stack[--depth];
            break;
        case 'g':
            if (!(key = operand(&p, end)))
                goto done;
            (void)pix_rec_get_str(cur, key, &s);
            (void)pix_rec_get_int(cur, key, &i64);
            (void)pix_rec_get_num(cur, key, &d);
            (void)pix_rec_get_bool(cur, key, &b);
            break;
        default:
            break;
        }
    }
done:;
    char *json = pix_rec_to_json(root);
    FZ_CHECK(json, "the record does not dump");
    json_error_t jerr;
    json_t *back = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    FZ_CHECK(json_is_object(back), "the dump does not parse back: %s: %s", jerr.text, json);
    json_decref(back);
    free(json);
    pix_record_free(root);
    free(buf);
    return 0;
}
