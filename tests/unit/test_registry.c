/* The plugin loader: what it accepts and each refusal, with its message. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <pixpipe/aws.h>

#include "host.h"
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
    char *want = tu_strf("built for plugin ABI 3.0, this pixpipe speaks 2.%d (another major)",
                         PIX_ABI_MINOR);
    expect_refusal("abimajor", want);
    free(want);
}

/* A plugin of pixpipe 0.1 is told how to come back. */
Test(registry, refuses_abi_1_saying_to_rebuild)
{
    char *want = tu_strf("built for plugin ABI 1.0, which this pixpipe no longer loads: "
                         "rebuild it against the ABI 2.%d headers (docs/plugins.md, "
                         "\"Moving from ABI 1\")", PIX_ABI_MINOR);
    expect_refusal("abi1", want);
    free(want);
}

Test(registry, refuses_newer_abi_minor)
{
    char *want = tu_strf("built for plugin ABI 2.%d, newer than this pixpipe's 2.%d",
                         PIX_ABI_MINOR + 1, PIX_ABI_MINOR);
    expect_refusal("abiminor", want);
    free(want);
}

Test(registry, refuses_a_descriptor_shorter_than_its_minor)
{
    char *need = tu_strf("descriptor is %zu bytes, a stage plugin of ABI 2.0 needs at least %zu",
                         offsetof(pix_stage_plugin, finish),
                         offsetof(pix_stage_plugin, rendition_name));
    expect_refusal("shortdesc", need);
    free(need);
}

/* A stage's descriptor that calls itself a storage: too short for one. */
Test(registry, refuses_a_descriptor_of_another_kind)
{
    char *need = tu_strf("descriptor is %zu bytes, a storage plugin of ABI 2.%d needs at "
                         "least %zu", sizeof(pix_stage_plugin), PIX_ABI_MINOR,
                         sizeof(pix_storage_plugin));
    expect_refusal("wrongkind", need);
    free(need);
}

Test(registry, refuses_missing_required_callback_and_scheme)
{
    expect_refusal("noprocess", "stage has no process callback");
    expect_refusal("storage-noscheme", "storage plugin declares no scheme");
}

/* A stage with process() only: accepted, nothing to create. */
Test(registry, accepts_a_stage_without_create)
{
    pix_registry *reg = test_registry();
    pix_err err = { { 0 } };
    const pix_plugin *p = pix_registry_get(reg, "nocreate", &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_expect_null(p->create);
    cr_expect_null(p->destroy);
    cr_expect_not_null(pix_stage_of(p));
    cr_expect_not_null(pix_stage_of(p)->process);
    cr_expect_null(pix_storage_of(p));
    pix_registry_free(reg);
}

/* The default storage is found by the scheme it serves, not its name. */
Test(registry, storage_found_by_scheme)
{
    const char *dirs[] = { NULL, NULL };
    char *bundled = tu_strf("%s/plugins", tu_build());
    dirs[0] = bundled;
    pix_registry *reg = pix_registry_new_dirs(dirs, 1);
    pix_err err = { { 0 } };
    const pix_plugin *fs = pix_registry_storage_for(reg, "file", &err);
    cr_assert_not_null(fs, "%s", err.msg);
    cr_expect_str_eq(pix_storage_of(fs)->default_root, "./out");
    const pix_plugin *s3 = pix_registry_storage_for(reg, "s3", &err);
    cr_assert_not_null(s3, "%s", err.msg);
    cr_expect_null(pix_storage_of(s3)->default_root);
    cr_expect_null(pix_registry_storage_for(reg, "ftp", &err));
    cr_expect(strstr(err.msg, "no storage plugin serves 'ftp' objects") != NULL, "%s", err.msg);
    pix_registry_free(reg);
    free(bundled);
}

/* Services are fetched by name and version: a plugin asking for what this
 * host lacks gets NULL, which it reports, and never a table it misreads. */
Test(registry, host_services_by_name_and_version)
{
    const pix_aws *aws = pix_host_api.service(PIX_AWS_SERVICE, PIX_AWS_VERSION);
    cr_assert_not_null(aws);
    cr_expect_eq(aws->version, PIX_AWS_VERSION);
    cr_expect_eq(aws->struct_size, sizeof(pix_aws));
    cr_expect_not_null(aws->request);
    cr_expect_null(pix_host_api.service(PIX_AWS_SERVICE, PIX_AWS_VERSION + 1));
    cr_expect_null(pix_host_api.service("nosuch", 1));
    cr_expect_null(pix_host_api.service(NULL, 1));
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
