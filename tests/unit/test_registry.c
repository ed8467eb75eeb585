/* The plugin loader: what it accepts and each refusal, with its message. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "testutil.h"

static pix_registry *test_registry(void)
{
    char *dir = tu_strf("%s/test-plugins", tu_build());
    const char *dirs[] = { dir };
    pix_registry *reg = pix_registry_new_dirs(dirs, 1);
    free(dir);
    cr_assert_not_null(reg);
    return reg;
}

static void expect_refusal(const char *name, const char *reason)
{
    pix_registry *reg = test_registry();
    pix_err err = { { 0 } };
    const pix_plugin *p = pix_registry_get(reg, name, &err);
    cr_expect_null(p, "%s should be refused", name);
    char *file = tu_strf("%s.so", name);
    cr_expect(strstr(err.msg, file) != NULL, "message names the file: %s", err.msg);
    cr_expect(strstr(err.msg, reason) != NULL, "message says '%s': %s", reason, err.msg);
    free(file);
    pix_registry_free(reg);
}

Test(registry, accepts_a_valid_plugin)
{
    pix_registry *reg = test_registry();
    pix_err err = { { 0 } };
    const pix_plugin *p = pix_registry_get(reg, "goodstage", &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_expect_str_eq(p->version, "1.2.3");
    cr_expect_eq(p->kind, PIX_KIND_STAGE);
    /* loaded once: the same descriptor comes back */
    cr_expect_eq(pix_registry_get(reg, "goodstage", &err), p);
    pix_registry_free(reg);
}

Test(registry, refuses_missing_entry_symbol)
{
    expect_refusal("noentry", "no entry symbol pix_plugin_entry()");
}

Test(registry, refuses_null_descriptor)
{
    expect_refusal("nullentry", "returned NULL");
}

Test(registry, refuses_other_abi_major)
{
    expect_refusal("abimajor", "built for plugin ABI 2.0, this pixpipe speaks 1.0");
}

Test(registry, refuses_newer_abi_minor)
{
    expect_refusal("abiminor", "built for plugin ABI 1.1, newer than this pixpipe's 1.0");
}

Test(registry, refuses_a_descriptor_shorter_than_its_minor)
{
    char *need = tu_strf("ABI 1.0 needs at least %zu", offsetof(pix_plugin, flags) + sizeof(unsigned));
    expect_refusal("shortdesc", need);
    free(need);
}

Test(registry, accepts_a_descriptor_that_ends_at_its_last_field)
{
    pix_registry *reg = test_registry();
    pix_err err = { { 0 } };
    const pix_plugin *p = pix_registry_get(reg, "exactdesc", &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_expect_eq(p->flags, PIX_PLUGIN_SCALE_NEUTRAL);
    cr_expect_str_eq(p->name, "exactdesc");
    pix_registry_free(reg);
}

Test(registry, refuses_name_that_differs_from_file)
{
    expect_refusal("misnamed", "declares the name 'somethingelse', which does not match its "
                               "file name 'misnamed.so'");
}

Test(registry, refuses_malformed_option_table)
{
    expect_refusal("badtable", "malformed option table");
    expect_refusal("badtable", "width");
}

Test(registry, unknown_plugin_lists_installed_ones)
{
    pix_registry *reg = test_registry();
    pix_err err = { { 0 } };
    cr_expect_null(pix_registry_get(reg, "nosuchplugin", &err));
    cr_expect(strstr(err.msg, "unknown plugin 'nosuchplugin'") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "goodstage") != NULL, "lists installed: %s", err.msg);
    pix_registry_free(reg);
}

/* The same name in two folders: the first folder on the path wins, the
 * other copy is refused as a duplicate naming both files. */
Test(registry, refuses_duplicate_name_and_first_folder_wins)
{
    char *a = tu_tmpdir(), *b = tu_tmpdir();
    cr_assert(a && b);
    cr_assert_eq(tu_runf(NULL, NULL, "cp %s/test-plugins/goodstage.so %s/ && "
                                     "cp %s/test-plugins/goodstage.so %s/",
                         tu_build(), a, tu_build(), b), 0);
    const char *dirs[] = { a, b };
    pix_registry *reg = pix_registry_new_dirs(dirs, 2);
    pix_err err;
    cr_assert_not_null(pix_registry_get(reg, "goodstage", &err), "%s", err.msg);
    size_t n = pix_registry_load_all(reg);
    cr_assert_eq(n, 2);
    const char *path0, *path1, *refusal0, *refusal1;
    const pix_plugin *p0, *p1;
    pix_registry_at(reg, 0, NULL, &path0, &p0, &refusal0);
    pix_registry_at(reg, 1, NULL, &path1, &p1, &refusal1);
    cr_expect_not_null(p0);
    cr_expect(strncmp(path0, a, strlen(a)) == 0, "first folder wins: %s", path0);
    cr_expect_null(p1);
    cr_assert_not_null(refusal1);
    cr_expect(strstr(refusal1, "duplicate plugin name 'goodstage'") != NULL, "%s", refusal1);
    cr_expect(strstr(refusal1, path0) != NULL, "names the winner: %s", refusal1);
    pix_registry_free(reg);
    tu_rmrf(a);
    tu_rmrf(b);
    free(a);
    free(b);
}

/* PIXPIPE_PLUGIN_PATH adds folders in front of the bundled ones, and
 * `pixpipe plugins` shows refused plugins with their reason. */
Test(registry, plugin_path_env_and_plugins_listing)
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

Test(registry, plugins_name_documents_every_option)
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

Test(registry, plugins_markdown_without_a_name_says_what_is_missing)
{
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "'%s' plugins --markdown", tu_pixpipe());
    cr_expect_eq(rc, 2);
    cr_expect(err && strstr(err, "plugins --markdown needs a plugin NAME"), "%s", err);
    free(out);
    free(err);
}
