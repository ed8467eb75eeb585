/* The option tables in docs/ are the plugins' own: each block between
 * "<!-- options: NAME -->" and "<!-- /options -->" must equal
 * `pixpipe plugins --markdown NAME` (scripts/stage-docs.sh rewrites them). */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static size_t check_doc(const char *path)
{
    char *text = tu_read_file(path, NULL);
    size_t blocks = 0;
    cr_assert_not_null(text, "%s", path);
    for (char *p = text; (p = strstr(p, "<!-- options: ")); ) {
        char name[64] = "";
        cr_assert_eq(sscanf(p, "<!-- options: %63[a-z0-9-] -->", name), 1, "%s: bad marker", path);
        char *body = strchr(p, '\n');
        cr_assert_not_null(body);
        body++;
        char *end = strstr(body, "<!-- /options -->");
        cr_assert_not_null(end, "%s: block for %s is not closed", path, name);
        char *want = NULL;
        int rc = tu_runf(&want, NULL, "%s plugins --markdown %s", tu_pixpipe(), name);
        cr_assert_eq(rc, 0, "no plugin %s", name);
        cr_expect(strlen(want) == (size_t)(end - body) && memcmp(want, body, strlen(want)) == 0,
                  "%s: the options of %s differ from the plugin's table; run "
                  "scripts/stage-docs.sh\n--- in the doc:\n%.*s\n--- from the plugin:\n%s",
                  path, name, (int)(end - body), body, want);
        free(want);
        blocks++;
        p = end;
    }
    free(text);
    return blocks;
}

Test(docs, option_tables_match_the_plugins)
{
    char *pattern = tu_strf("%s/docs/*.md", tu_src());
    glob_t g;
    size_t blocks = 0;
    cr_assert_eq(glob(pattern, 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++)
        blocks += check_doc(g.gl_pathv[i]);
    globfree(&g);
    free(pattern);
    cr_expect_geq(blocks, 1, "no option table found in docs/");
}

/* The README's apt-get line for a user who is not root names exactly the
 * packages scripts/deps.sh installs for `make demo` and `make test`. */
Test(docs, readme_apt_line_is_deps_sh)
{
    char *readme = NULL, *deps = NULL;
    int rc = tu_runf(&readme, NULL,
                     "sed -n 's/^sudo apt-get install -y --no-install-recommends //p' '%s/README.md' "
                     "| tr ' ' '\\n' | sort", tu_src());
    cr_assert_eq(rc, 0);
    rc = tu_runf(&deps, NULL, "sh '%s/scripts/deps.sh' --list | tr ' ' '\\n' | sort", tu_src());
    cr_assert_eq(rc, 0);
    cr_assert_gt(strlen(deps), 20, "deps.sh --list printed: %s", deps);
    cr_expect_str_eq(readme, deps, "README.md's apt-get line differs from scripts/deps.sh --list");
    free(readme);
    free(deps);
}
