/* pix_record is a jansson object behind an opaque type, so the ABI does not
 * tie plugins to jansson while backends still get native types. */
#include "record.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define J(rec) ((json_t *)(rec))
#define R(json) ((pix_record *)(json))

pix_record *pix_record_new(void)
{
    return R(json_object());
}

void pix_record_free(pix_record *rec)
{
    if (rec)
        json_decref(J(rec));
}

/* Ignores failures on purpose: a record field that cannot be allocated is
 * not worth failing a job for, and the setters have no error channel.
 * json_object_set_new() takes value even when it fails (a key that is not
 * UTF-8, a NULL value), so value is never released here after the call.
 * Returns whether value is now stored under key. */
static bool set(pix_record *rec, const char *key, json_t *value)
{
    if (!rec || !key) {
        json_decref(value);
        return false;
    }
    return json_object_set_new(J(rec), key, value) == 0;
}

/* The length of the well-formed UTF-8 character at s, or 0 (an overlong
 * form, a surrogate, past U+10FFFF, cut short). */
static size_t utf8_char(const unsigned char *s)
{
    unsigned lo = 0x80, hi = 0xbf;
    size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
             : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    if (n < 2)
        return n;
    if (s[0] == 0xe0)
        lo = 0xa0;
    else if (s[0] == 0xed)
        hi = 0x9f;
    else if (s[0] == 0xf0)
        lo = 0x90;
    else if (s[0] == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

/* value as a JSON string.  JSON holds only UTF-8, and a plugin may pass
 * bytes from an image file: each byte that is not part of a well-formed
 * character becomes U+FFFD, so that setting a key always replaces it.
 * NULL only when out of memory. */
static json_t *text(const char *value)
{
    json_t *j = json_string(value);
    if (j)
        return j;
    char *fixed = malloc(3 * strlen(value) + 1), *o = fixed;
    if (!fixed)
        return NULL;
    for (const unsigned char *s = (const unsigned char *)value; *s;) {
        size_t n = utf8_char(s);
        if (n) {
            memcpy(o, s, n);
            o += n, s += n;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD */
            o += 3, s++;
        }
    }
    *o = '\0';
    j = json_string(fixed);
    free(fixed);
    return j;
}

void pix_rec_set_str(pix_record *rec, const char *key, const char *value)
{
    set(rec, key, value ? text(value) : json_null());
}

void pix_rec_set_int(pix_record *rec, const char *key, int64_t value)
{
    set(rec, key, json_integer((json_int_t)value));
}

/* NaN and the infinities, which JSON cannot write, are stored as null. */
void pix_rec_set_num(pix_record *rec, const char *key, double value)
{
    json_t *num = json_real(value);
    set(rec, key, num ? num : json_null());
}

void pix_rec_set_bool(pix_record *rec, const char *key, bool value)
{
    set(rec, key, json_boolean(value));
}

/* The child of rec under key when it is of type; else a new one from make()
 * stored there, replacing whatever was.  Borrowed from rec; NULL when out of
 * memory or when key is not UTF-8 (JSON cannot hold it). */
static json_t *child_of(pix_record *rec, const char *key, json_type type, json_t *(*make)(void))
{
    json_t *child = json_object_get(J(rec), key);
    if (child && json_typeof(child) == type)
        return child;
    child = make();
    return set(rec, key, child) ? child : NULL;
}

pix_record *pix_rec_object(pix_record *rec, const char *key)
{
    return R(child_of(rec, key, JSON_OBJECT, json_object));
}

/* The list under list_key, made when absent; NULL when out of memory. */
static json_t *list_of(pix_record *rec, const char *list_key)
{
    return child_of(rec, list_key, JSON_ARRAY, json_array);
}

pix_record *pix_rec_append(pix_record *rec, const char *list_key)
{
    json_t *list = list_of(rec, list_key);
    json_t *item = list ? json_object() : NULL;
    if (!item || json_array_append_new(list, item) < 0)
        return NULL;
    return R(item);
}

void pix_rec_append_str(pix_record *rec, const char *list_key, const char *value)
{
    json_t *list = list_of(rec, list_key);
    if (list)
        json_array_append_new(list, text(value ? value : ""));
}

int pix_rec_get_str(const pix_record *rec, const char *key, const char **out)
{
    json_t *v = json_object_get(J(rec), key);
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

int pix_rec_get_int(const pix_record *rec, const char *key, int64_t *out)
{
    json_t *v = json_object_get(J(rec), key);
    if (!json_is_integer(v))
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int pix_rec_get_num(const pix_record *rec, const char *key, double *out)
{
    json_t *v = json_object_get(J(rec), key);
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

int pix_rec_get_bool(const pix_record *rec, const char *key, bool *out)
{
    json_t *v = json_object_get(J(rec), key);
    if (!json_is_boolean(v))
        return -1;
    *out = json_is_true(v);
    return 0;
}

char *pix_rec_to_json(const pix_record *rec)
{
    /* 10 significant digits: timings read 12.345, not 12.345000000000001 */
    return json_dumps(J(rec), JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
                                  JSON_REAL_PRECISION(10));
}
