/* `pixpipe plugins`: the listing, one plugin's options, the Markdown table. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* PIXPIPE_PLUGIN_PATH adds folders in front of the bundled ones, and
 * `pixpipe plugins` shows refused plugins with their reason. */
Test(plugins_cmd, plugin_path_env_and_plugins_listing)
{
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "PIXPIPE_PLUGIN_PATH=%s/test-plugins %s plugins", tu_build(),
                     tu_pixpipe());
    cr_assert_eq(rc, 0);
    cr_expect(strstr(out, "goodstage") != NULL, "%s", out);
    cr_expect(strstr(out, "does nothing, correctly") != NULL, "%s", out);
    cr_expect(strstr(out, "refused") != NULL && strstr(out, "abimajor.so") != NULL, "%s", out);
    /* the bundled plugins are still there, behind the env folders */
    cr_expect(strstr(out, "storage-fs") != NULL, "%s", out);
    free(out);
}

Test(plugins_cmd, plugins_name_documents_every_option)
{
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "%s plugins resize", tu_pixpipe());
    cr_assert_eq(rc, 0);
    const char *expect[] = { "width", "height", "fit", "inside|cover|contain|fill|outside",
                             "enlarge", "default false" };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        cr_expect(strstr(out, expect[i]) != NULL, "'%s' missing from:\n%s", expect[i], out);
    free(out);
    char *err = NULL;
    rc = tu_runf(NULL, &err, "%s plugins nosuch", tu_pixpipe());
    cr_expect_eq(rc, 2);
    cr_expect(strstr(err, "unknown plugin 'nosuch'") != NULL, "%s", err);
    free(err);
}

Test(plugins_cmd, plugins_markdown_without_a_name_says_what_is_missing)
{
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "'%s' plugins --markdown", tu_pixpipe());
    cr_expect_eq(rc, 2);
    cr_expect(err && strstr(err, "plugins --markdown needs a plugin NAME"), "%s", err);
    free(out);
    free(err);
}
