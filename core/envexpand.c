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

/* Expands one "${...}" starting at s (pointing at '$'); sets *end past '}'. */
static int expand_ref(const char *s, const char **end, pix_strbuf *b, char *why, size_t why_size)
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
    if (p != close && !(val && *val)) { /* ":-default": unset or empty, as in sh */
        text = p + 2;
        len = (size_t)(close - text);
    } else if (val) {
        text = val;
        len = strlen(val);
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

int pix_env_expand(const char *in, char **out, char *why, size_t why_size)
{
    pix_strbuf b = {0};
    const char *s = in;

    *out = NULL;
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
            if (expand_ref(s, &end, &b, why, why_size) < 0)
                goto fail;
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
