#include "envexpand.h"
#include "strbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

/* Expands one "${...}" starting at s (pointing at '$'); sets *end past '}',
 * and *used to whether the variable's value (not the default) went in. */
static int expand_ref(const char *s, const char **end, pix_strbuf *b, bool *used, char *why,
                      size_t why_size)
{
    const char *name = s + 2, *p = name;
    const char *close = strchr(name, '}');
    char var[256];

    if (!close) {
        snprintf(why, why_size, "unterminated '${'; expected ${NAME} or ${NAME:-default}");
        return -1;
    }
    while (name_char(*p))
        p++;
    if (p == name || !name_start(*name) || (size_t)(p - name) >= sizeof var ||
        (p != close && strncmp(p, ":-", 2) != 0)) {
        snprintf(why, why_size,
                 "invalid variable reference '%.*s'; expected ${NAME} or ${NAME:-default} "
                 "with NAME made of letters, digits and '_'",
                 (int)(close - s + 1), s);
        return -1;
    }
    memcpy(var, name, (size_t)(p - name));
    var[p - name] = '\0';
    *end = close + 1;

    const char *val = getenv(var), *text;
    size_t len;
    *used = false;
    if (p != close && !(val && *val)) { /* ":-default": unset or empty, as in sh */
        text = p + 2;
        len = (size_t)(close - text);
    } else if (val) {
        text = val;
        len = strlen(val);
        *used = true;
    } else {
        snprintf(why, why_size,
                 "environment variable %s is not set; set it or write ${%s:-default}", var, var);
        return -1;
    }
    if (pix_strbuf_add(b, text, len) < 0) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    return 0;
}

/* Adds "${var}" (var is the name at s, n bytes) to from, ", " between two;
 * a list that does not fit ends with "...". */
static void note_from(char *from, size_t from_size, const char *s, size_t n)
{
    size_t len = strlen(from);
    if (len + 3 >= from_size || (len >= 3 && !strcmp(from + len - 3, "...")))
        return;
    int w = snprintf(from + len, from_size - len, "%s${%.*s}", len ? ", " : "", (int)n, s);
    if (w < 0 || (size_t)w >= from_size - len)
        snprintf(from + len, from_size - len, "%s...", len ? ", " : "");
}

int pix_env_expand(const char *in, char **out, char *why, size_t why_size)
{
    return pix_env_expand_from(in, out, NULL, 0, why, why_size);
}

int pix_env_expand_from(const char *in, char **out, char *from, size_t from_size, char *why,
                        size_t why_size)
{
    pix_strbuf b = {0};
    const char *s = in;

    *out = NULL;
    if (from && from_size)
        from[0] = '\0';
    else
        from = NULL;
    if (pix_strbuf_add(&b, "", 0) < 0)
        goto nomem;
    while (*s) {
        const char *dollar = strchr(s, '$');
        if (!dollar)
            dollar = s + strlen(s);
        if (pix_strbuf_add(&b, s, (size_t)(dollar - s)) < 0)
            goto nomem;
        s = dollar;
        if (!*s)
            break;
        if (s[1] == '$') {
            if (pix_strbuf_add(&b, "$", 1) < 0)
                goto nomem;
            s += 2;
        } else if (s[1] == '{') {
            const char *end = NULL;
            bool used = false;
            if (expand_ref(s, &end, &b, &used, why, why_size) < 0)
                goto fail;
            if (used && from)
                note_from(from, from_size, s + 2, strspn(s + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "abcdefghijklmnopqrstuvwxyz0123456789_"));
            s = end;
        } else {
            if (pix_strbuf_add(&b, "$", 1) < 0)
                goto nomem;
            s++;
        }
    }
    *out = b.s;
    return 0;
nomem:
    snprintf(why, why_size, "out of memory");
fail:
    free(b.s);
    return -1;
}
