/* The pipeline loader: every error cites path:line:col, context, what is
 * wrong and what was expected.  Uses the test plugins of tests/plugins. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "pipeline.h"
#include "registry.h"
#include "testutil.h"

static pix_registry *reg;
static char *dirs[2];

static void setup(void)
{
    dirs[0] = tu_strf("%s/test-plugins", tu_build());
    dirs[1] = tu_strf("%s/plugins", tu_build());
    reg = pix_registry_new_dirs((const char *const *)dirs, 2);
    cr_assert_not_null(reg);
}

static void teardown(void)
{
    pix_registry_free(reg);
    free(dirs[0]);
    free(dirs[1]);
}

TestSuite(pipeline, .init = setup, .fini = teardown);

/* Explicit storages, so only test plugins are involved. */
#define HDR "source: { storage: memtest }\ndestination: { storage: memtest, bucket: out }\n"

static pix_err err;

static pix_pipeline *parse(const char *yaml)
{
    memset(&err, 0, sizeof err);
    return pix_pipeline_parse("pipes/x.yaml", yaml, strlen(yaml), reg, &err);
}

/* Parses yaml expecting failure; returns the message (static). */
static const char *fails(const char *yaml)
{
    pix_pipeline *p = parse(yaml);
    if (p) {
        pix_pipeline_free(p);
        cr_assert_fail("parsed but should fail:\n%s", yaml);
    }
    return err.msg;
}

#define assert_has(msg, frag) cr_assert(strstr((msg), (frag)), "got:  %s\nwant: %s", (msg), (frag))

typedef struct demo_config { /* tests/plugins/optsdemo.c */
    char *label;
    int64_t count;
    double ratio;
    bool flag;
    uint64_t limit;
    int fit;
    pix_strlist tags;
    pix_colour colour;
    char *token;
    char *note;
} demo_config;

Test(pipeline, defaults_of_everything)
{
    pix_pipeline *p = parse(HDR "stages:\n  - optsdemo: { token: abcd }\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_str_eq(p->name, "x");
    cr_assert_str_eq(p->path, "pipes/x.yaml");
    cr_assert_str_eq(p->source->plugin->name, "storage-memtest");
    cr_assert_str_eq(p->source->label, "source storage-memtest");
    cr_assert_str_eq(p->source->where, "pipes/x.yaml:1:20");
    cr_assert_null(p->source_bucket);
    cr_assert_str_eq(p->dest_bucket, "out");
    cr_assert_str_eq(p->key_template, "{dir}/{name}-{rendition}.{ext}");
    cr_assert_null(p->metadata);
    cr_assert_eq(p->max_input_bytes, 50000000);
    cr_assert_eq(p->max_pixels, 100000000);
    cr_assert_eq(p->fail_on, PIX_FAIL_ON_ERROR);
    cr_assert_str_eq(p->output_rendition, "main");
    cr_assert_str_eq(p->output.format, "source");
    cr_assert_eq(p->output.quality, 0);
    cr_assert_eq(p->output.effort, -1);
    cr_assert(!p->output.lossless && !p->output.progressive && p->output.keep_metadata);
    cr_assert_eq(p->n_stages, 1);
    pix_instance *st = p->stages[0];
    cr_assert_str_eq(st->label, "stages[0] optsdemo");
    cr_assert_str_eq(st->where, "pipes/x.yaml:4:5");
    cr_assert(!st->created);
    demo_config *c = st->config;
    cr_assert_str_eq(c->label, "demo");
    cr_assert_eq(c->count, 10);
    cr_assert_eq(c->ratio, 0.5);
    cr_assert(!c->flag);
    cr_assert_eq(c->limit, 1000000);
    cr_assert_eq(c->fit, 0);
    cr_assert_eq(c->tags.count, 2);
    cr_assert_str_eq(c->tags.items[1], "b");
    cr_assert(c->colour.r == 255 && c->colour.a == 1.0);
    cr_assert_str_eq(c->token, "abcd");
    cr_assert_null(c->note);
    const char *mem = "source: { storage: memtest, region: eu, path_style: yes }\n";
    pix_pipeline_free(p);
    p = parse(mem);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_str_eq(*(char **)p->source->config, "eu");
    pix_pipeline_free(p);
}

Test(pipeline, every_value_type)
{
    pix_pipeline *p = parse(HDR "name: demo\n"
                                "limits: { max_input_bytes: 0, max_pixels: 1.5GiB, fail_on: warning }\n"
                                "output: { rendition: large, format: webp, quality: 82, lossless: on,\n"
                                "          effort: 4, progressive: true, keep_metadata: no }\n"
                                "stages:\n"
                                "  - optsdemo:\n"
                                "      label: hello\n"
                                "      count: 100\n"
                                "      ratio: 0.25\n"
                                "      flag: yes\n"
                                "      limit: 1.5KiB\n"
                                "      fit: cover\n"
                                "      tags: [x, \"y z\", '3']\n"
                                "      colour: '#ff000080'\n"
                                "      token: \"s3cr3t\"\n"
                                "      note: ''\n"
                                "  - optsdemo: { token: abcd, tags: single }\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_str_eq(p->name, "demo");
    cr_assert_eq(p->max_input_bytes, 0);
    cr_assert_eq(p->max_pixels, 1610612736ULL);
    cr_assert_eq(p->fail_on, PIX_FAIL_ON_WARNING);
    cr_assert_str_eq(p->output_rendition, "large");
    cr_assert_str_eq(p->output.format, "webp");
    cr_assert_eq(p->output.quality, 82);
    cr_assert_eq(p->output.effort, 4);
    cr_assert(p->output.lossless && p->output.progressive && !p->output.keep_metadata);
    cr_assert_eq(p->n_stages, 2);
    demo_config *c = p->stages[0]->config;
    cr_assert_str_eq(c->label, "hello");
    cr_assert_eq(c->count, 100);
    cr_assert_eq(c->ratio, 0.25);
    cr_assert(c->flag);
    cr_assert_eq(c->limit, 1536);
    cr_assert_eq(c->fit, 1);
    cr_assert_eq(c->tags.count, 3);
    cr_assert_str_eq(c->tags.items[1], "y z");
    cr_assert_str_eq(c->tags.items[2], "3");
    cr_assert(c->colour.r == 255 && c->colour.g == 0 && c->colour.a > 0.5 && c->colour.a < 0.51);
    cr_assert_str_eq(c->token, "s3cr3t");
    cr_assert_str_eq(c->note, "");
    c = p->stages[1]->config;
    cr_assert_str_eq(p->stages[1]->label, "stages[1] optsdemo");
    cr_assert_eq(c->tags.count, 1);
    cr_assert_str_eq(c->tags.items[0], "single");
    pix_pipeline_free(p);
}

Test(pipeline, stage_forms)
{
    pix_pipeline *p = parse(HDR "stages:\n  - nopts\n  - nopts:\n  - nopts: {}\n  - nopts: ~\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->n_stages, 4);
    cr_assert_str_eq(p->stages[3]->label, "stages[3] nopts");
    cr_assert_str_eq(p->stages[0]->where, "pipes/x.yaml:4:5");
    pix_pipeline_free(p);
    p = parse(HDR "stages:\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->n_stages, 0);
    pix_pipeline_free(p);
}

Test(pipeline, unknown_top_level_key_suggests)
{
    cr_assert_str_eq(fails(HDR "stage:\n  - nopts\n"),
                     "pipes/x.yaml:3:1: unknown top-level key 'stage' (did you mean 'stages'?); "
                     "valid keys: name, source, destination, metadata, limits, output, stages, "
                     "trigger, on_delete");
    cr_assert_str_eq(fails("colour: red\n"),
                     "pipes/x.yaml:1:1: unknown top-level key 'colour'; valid keys: name, "
                     "source, destination, metadata, limits, output, stages, trigger, "
                     "on_delete");
}

Test(pipeline, unknown_option_suggests)
{
    cr_assert_str_eq(fails(HDR "stages:\n  - optsdemo: { token: abcd, cuont: 3 }\n"),
                     "pipes/x.yaml:4:30: stages[0] optsdemo: unknown option 'cuont' (did you "
                     "mean 'count'?); valid options: label, count, ratio, flag, limit, fit, "
                     "tags, colour, token, note");
    cr_assert_str_eq(fails(HDR "stages:\n  - nopts: { width: 3 }\n"),
                     "pipes/x.yaml:4:14: stages[0] nopts: unknown option 'width'; it takes no "
                     "options");
    assert_has(fails("source: { storage: memtest, regoin: x }\n"),
               "pipes/x.yaml:1:29: source storage-memtest: unknown option 'regoin' (did you "
               "mean 'region'?); valid options: storage, bucket, root, region, path_style");
    assert_has(fails("output: { formt: png }\n"), "pipes/x.yaml:1:11: output: unknown option "
                                                  "'formt' (did you mean 'format'?)");
}

Test(pipeline, wrong_node_type)
{
    cr_assert_str_eq(fails(HDR "stages:\n  - optsdemo: { token: abcd, count: { a: 1 } }\n"),
                     "pipes/x.yaml:4:37: stages[0] optsdemo: count: expected an int, got a "
                     "mapping");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, label: [a] }\n"),
               "label: expected a string, got a list");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, ratio: }\n"),
               "ratio: expected a number, got nothing (null)");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, tags: [a, {b: c}] }\n"),
               "pipes/x.yaml:4:40: stages[0] optsdemo: tags[1]: expected a string, got a mapping");
    assert_has(fails(HDR "stages:\n  - optsdemo: [1, 2]\n"),
               "pipes/x.yaml:4:15: stages[0] optsdemo: expected a mapping of options or "
               "nothing, got a list");
    assert_has(fails(HDR "limits: 5\n"),
               "pipes/x.yaml:3:9: limits: expected a mapping of options, got a string");
    assert_has(fails(HDR "stages: { a: 1 }\n"),
               "pipes/x.yaml:3:9: stages: expected a list of stages");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, fit: [a] }\n"),
               "fit: expected one of inside, cover, contain, fill, outside, got a list");
}

Test(pipeline, bad_scalar_values)
{
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, count: many }\n"),
               "pipes/x.yaml:4:37: stages[0] optsdemo: count: 'many' is not an int; expected a "
               "whole number");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, flag: maybe }\n"),
               "flag: 'maybe' is not a bool; expected true or false");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, limit: 5XB }\n"),
               "limit: '5XB' is not a size; expected a count such as 4096, 100K, 50MB or 1.5GiB");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, colour: '#ggg' }\n"),
               "colour: '#ggg' is not a colour; expected #rgb, #rrggbb, #rrggbbaa or a name");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, ratio: half }\n"),
               "ratio: 'half' is not a number");
}

Test(pipeline, out_of_bounds)
{
    cr_assert_str_eq(fails(HDR "stages:\n  - optsdemo: { token: abcd, count: 500 }\n"),
                     "pipes/x.yaml:4:37: stages[0] optsdemo: count: '500' is out of range; "
                     "expected an int from 1 to 100");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, ratio: 1.5 }\n"),
               "ratio: '1.5' is out of range; expected a number from 0 to 1");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, limit: 2GB }\n"),
               "limit: '2GB' is out of range; expected a size from 0 to 1000000000");
    assert_has(fails(HDR "stages:\n  - optsdemo: { token: abcd, label: '' }\n"),
               "label: '' is too short; expected a string of 1 to 20 characters");
    cr_assert_str_eq(fails(HDR "output: { quality: 101 }\n"),
                     "pipes/x.yaml:3:20: output: quality: '101' is out of range; expected an "
                     "int from 0 to 100");
    assert_has(fails(HDR "output: { effort: -2 }\n"),
               "output: effort: '-2' is out of range; expected an int from -1 to 9");
}

Test(pipeline, bad_enum_lists_allowed_values)
{
    cr_assert_str_eq(fails(HDR "stages:\n  - optsdemo:\n      token: abcd\n      fit: insde\n"),
                     "pipes/x.yaml:6:12: stages[0] optsdemo: fit: 'insde' is not one of inside, "
                     "cover, contain, fill, outside (did you mean 'inside'?)");
    cr_assert_str_eq(fails(HDR "output: { format: jpg }\n"),
                     "pipes/x.yaml:3:19: output: format: 'jpg' is not one of jpeg, png, webp, "
                     "avif, gif, tiff, jxl, source (did you mean 'jpeg'?)");
    cr_assert_str_eq(fails(HDR "limits: { fail_on: sometimes }\n"),
                     "pipes/x.yaml:3:20: limits: fail_on: 'sometimes' is not one of none, "
                     "truncated, error, warning");
}

Test(pipeline, unknown_plugin_lists_installed)
{
    const char *msg = fails(HDR "stages:\n  - nopts\n  - optsdemoo: {}\n");
    assert_has(msg, "pipes/x.yaml:5:5: stages[1]: unknown plugin 'optsdemoo' (did you mean "
                    "'optsdemo'?); installed: ");
    assert_has(msg, "optsdemo");
    assert_has(msg, "storage-memtest");
    msg = fails("source: { storage: nosuch }\n");
    assert_has(msg, "pipes/x.yaml:1:20: source: unknown plugin 'storage-nosuch'; installed: ");
    msg = fails(HDR "metadata: { backend: nosuch }\n");
    assert_has(msg, "pipes/x.yaml:3:22: metadata: unknown plugin 'metadata-nosuch'");
}

Test(pipeline, wrong_kind)
{
    cr_assert_str_eq(fails(HDR "stages:\n  - storage-memtest\n"),
                     "pipes/x.yaml:4:5: stages[0]: 'storage-memtest' is a storage plugin, not a "
                     "stage");
    cr_assert_str_eq(fails("source: { storage: nopts }\n"),
                     "pipes/x.yaml:1:20: source: 'nopts' is a stage, not a storage plugin");
    cr_assert_str_eq(fails(HDR "metadata: { backend: storage-memtest }\n"),
                     "pipes/x.yaml:3:22: metadata: 'storage-memtest' is a storage plugin, not a "
                     "metadata backend");
}

Test(pipeline, missing_required)
{
    cr_assert_str_eq(fails(HDR "stages:\n  - optsdemo: { count: 3 }\n"),
                     "pipes/x.yaml:4:15: stages[0] optsdemo: missing required option 'token' "
                     "(a string)");
    cr_assert_str_eq(fails(HDR "stages:\n  - optsdemo\n"),
                     "pipes/x.yaml:4:5: stages[0] optsdemo: missing required option 'token' "
                     "(a string)");
    cr_assert_str_eq(fails(HDR "metadata: { backend: memtest }\n"),
                     "pipes/x.yaml:3:11: metadata metadata-memtest: missing required option "
                     "'table' (a string)");
    assert_has(fails(HDR "metadata: { table: t }\n"),
               "pipes/x.yaml:3:11: metadata: missing 'backend'; expected a metadata backend");
}

/* Checks made at parse time beyond the option tables still cite the
 * position of the value at fault. */
Test(pipeline, key_template_and_output_errors_cite_position)
{
    assert_has(fails("destination: { storage: memtest, root: ./o, key: \"{name}.{ext}\" }\n"),
               "pipes/x.yaml:1:50: destination: key: key template '{name}.{ext}' lacks "
               "{rendition}");
    assert_has(fails("destination: { storage: memtest, root: ./o, key: \"{dir}/{nmae}-{rendition}\" }\n"),
               "unknown placeholder '{nmae}'");
    assert_has(fails("output: { format: webp, effort: 9 }\n"),
               "pipes/x.yaml:1:9: output: effort: 9 is out of range for webp; expected 0..6");
    assert_has(fails("output: { rendition: a/b }\n"),
               "pipes/x.yaml:1:9: output: rendition: 'a/b' must be a non-empty name without '/'");
}

Test(pipeline, metadata_section)
{
    pix_pipeline *p = parse(HDR "metadata: { backend: metadata-memtest, table: images }\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_str_eq(p->metadata->label, "metadata metadata-memtest");
    cr_assert_str_eq(*(char **)p->metadata->config, "images");
    pix_pipeline_free(p);
}

Test(pipeline, secret_never_echoed)
{
    const char *msg = fails(HDR "stages:\n  - optsdemo: { token: zq }\n");
    cr_assert_str_eq(msg, "pipes/x.yaml:4:24: stages[0] optsdemo: token: the value (secret, not "
                          "shown) is too short; expected a string of 4 to 64 characters");
    msg = fails(HDR "stages:\n  - optsdemo: { token: { zq: 1 } }\n");
    cr_assert_null(strstr(msg, "zq"), "%s", msg);
}

Test(pipeline, bucket_and_root_both)
{
    cr_assert_str_eq(fails("destination: { storage: memtest, bucket: a, root: b }\n"),
                     "pipes/x.yaml:1:45: destination: give 'bucket' or 'root', not both; they "
                     "are synonyms");
    pix_pipeline *p = parse("source: { storage: memtest, root: ./in }\n"
                            "destination: { storage: storage-memtest, root: ./o, key: \"{name}/{rendition}\" }\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_str_eq(p->source_bucket, "./in");
    cr_assert_str_eq(p->dest_bucket, "./o");
    cr_assert_str_eq(p->key_template, "{name}/{rendition}");
    cr_assert_str_eq(p->dest->label, "destination storage-memtest");
    pix_pipeline_free(p);
    assert_has(fails("source: { storage: memtest, key: x }\n"),
               "pipes/x.yaml:1:29: source storage-memtest: unknown option 'key'");
    assert_has(fails("destination: { storage: memtest, bucket: '' }\n"),
               "pipes/x.yaml:1:42: destination: bucket: expected a bucket name or folder, got "
               "an empty string");
}

Test(pipeline, yaml_syntax_errors)
{
    const char *msg = fails(HDR "stages: [nopts, optsdemo\n");
    assert_has(msg, "pipes/x.yaml:4:1: YAML syntax error: ");
    msg = fails("name: a\n  bad: indentation\n");
    assert_has(msg, "pipes/x.yaml:2:6: YAML syntax error: mapping values are not allowed");
    msg = fails("name: \"unterminated\n");
    assert_has(msg, "YAML syntax error: found unexpected end of stream");
    assert_has(fails("name: a\nname: b\n"),
               "pipes/x.yaml:2:1: duplicate key 'name' (first given at 1:1)");
    assert_has(fails("name: a\n---\nname: b\n"), "pipes/x.yaml:2:1: a second YAML document");
}

Test(pipeline, empty_or_not_a_mapping)
{
    cr_assert_str_eq(fails(""), "pipes/x.yaml:1:1: the pipeline file is empty; expected a "
                                "mapping with keys name, source, destination, metadata, limits, "
                                "output, stages, trigger, on_delete");
    assert_has(fails("# only a comment\n"), "pipes/x.yaml:1:1: the pipeline file is empty");
    cr_assert_str_eq(fails("- a\n- b\n"),
                     "pipes/x.yaml:1:1: expected a mapping with keys name, source, destination, "
                     "metadata, limits, output, stages, trigger, on_delete, got a list");
    assert_has(fails("just a string\n"), "got a string");
}

Test(pipeline, stage_entry_shapes)
{
    cr_assert_str_eq(fails(HDR "stages:\n  - optsdemo:\n    token: abcd\n"),
                     "pipes/x.yaml:4:5: stages[0]: expected one key, the plugin name, got 2 "
                     "keys (optsdemo, token); indent the options under the plugin name");
    assert_has(fails(HDR "stages:\n  - \n"), "pipes/x.yaml:4:4: stages[0]: expected a plugin "
                                            "name");
    assert_has(fails(HDR "stages:\n  - [a]\n"), "stages[0]: expected a plugin name, "
                                               "optionally with a mapping of options");
    assert_has(fails(HDR "stages:\n  - nopts: 3\n"),
               "stages[0] nopts: expected a mapping of options or nothing, got a string");
    assert_has(fails(HDR "name: [x]\n"), "pipes/x.yaml:3:7: pipeline: name: expected a "
                                         "pipeline name, got a list");
}

Test(pipeline, env_expansion_in_values)
{
    setenv("PIX_T_COUNT", "42", 1);
    unsetenv("PIX_T_MISSING");
    pix_pipeline *p = parse(HDR "stages:\n  - optsdemo: { token: \"${PIX_T_MISSING:-dflt}\", "
                                "count: \"${PIX_T_COUNT}\", label: $$x }\n");
    cr_assert_not_null(p, "%s", err.msg);
    demo_config *c = p->stages[0]->config;
    cr_assert_eq(c->count, 42);
    cr_assert_str_eq(c->token, "dflt");
    cr_assert_str_eq(c->label, "$x");
    pix_pipeline_free(p);
    cr_assert_str_eq(fails(HDR "stages:\n  - optsdemo: { token: \"${PIX_T_MISSING}\" }\n"),
                     "pipes/x.yaml:4:24: environment variable PIX_T_MISSING is not set; set it "
                     "or write ${PIX_T_MISSING:-default}");
    assert_has(fails(HDR "name: \"a ${oops\"\n"), "pipes/x.yaml:3:7: unterminated '${'");
    /* Expansion happens before typing: a bad value is reported as typed,
     * naming the variable, never echoing what the environment held. */
    setenv("PIX_T_BAD", "lots", 1);
    const char *msg = fails(HDR "stages:\n  - optsdemo: { token: abcd, count: \"${PIX_T_BAD}\" }\n");
    assert_has(msg, "count: the value from ${PIX_T_BAD} is not an int");
    cr_expect(!strstr(msg, "lots"), "the value is not echoed: %s", msg);
}

Test(pipeline, load_from_file)
{
    char *dir = tu_tmpdir();
    char *path = tu_strf("%s/thumbs.yml", dir);
    const char *yaml = HDR "stages: [nopts]\n";
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    pix_pipeline *p = pix_pipeline_load(path, reg, &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_str_eq(p->name, "thumbs");
    cr_assert_str_eq(p->path, path);
    pix_pipeline_free(p);
    char *missing = tu_strf("%s/nope.yaml", dir);
    cr_assert_null(pix_pipeline_load(missing, reg, &err));
    assert_has(err.msg, "nope.yaml: cannot open: No such file or directory");
    pix_pipeline_free(NULL);
    tu_rmrf(dir);
    free(missing);
    free(path);
    free(dir);
}

Test(pipeline, default_storages_are_storage_fs)
{
    char *so = tu_strf("%s/plugins/storage-fs.so", tu_build());
    int have = tu_exists(so);
    free(so);
    if (!have)
        cr_skip_test("storage-fs plugin not built");
    pix_pipeline *p = parse("name: n\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_str_eq(p->source->plugin->name, "storage-fs");
    cr_assert_str_eq(p->dest->label, "destination storage-fs");
    cr_assert_str_eq(p->dest_bucket, "./out");
    cr_assert_null(p->source_bucket);
    cr_assert_str_eq(p->source->where, "pipes/x.yaml:1:1");
    pix_pipeline_free(p);
    p = parse("source: { storage: fs }\ndestination: { storage: storage-fs }\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_str_eq(p->dest_bucket, "./out");
    pix_pipeline_free(p);
}

Test(pipeline, embedded_default_pipeline_parses)
{
    char *so = tu_strf("%s/plugins/resize.so", tu_build());
    char *yaml_path = tu_strf("%s/pipelines/default.yaml", tu_src());
    int have = tu_exists(so);
    free(so);
    if (!have) {
        free(yaml_path);
        cr_skip_test("plugins not built");
    }
    pix_pipeline *p = pix_pipeline_load(yaml_path, reg, &err);
    free(yaml_path);
    if (!p && strstr(err.msg, "unknown plugin"))
        cr_skip_test("%s", err.msg);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_str_eq(p->name, "default");
    cr_assert_str_eq(p->output.format, "jpeg");
    cr_assert_eq(p->output.quality, 82);
    cr_assert_eq(p->max_pixels, 100000000);
    pix_pipeline_free(p);
}

Test(pipeline, aliases_are_bounded)
{
    /* An alias inside its own anchor, and exponential alias fan-out, end
     * with an error instead of an endless or huge copy. */
    assert_has(fails("name: &x [*x]\n"), "pipes/x.yaml:1:");
    assert_has(fails("name: &x [*x]\n"), "nests or repeats aliases too deeply");
    assert_has(fails("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                     "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                     "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"),
               "nests or repeats aliases too deeply");
    /* Plain aliases work. */
    pix_pipeline *p = parse(HDR "stages:\n  - optsdemo: &o { token: abcd, count: 7 }\n"
                                "  - optsdemo: *o\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(((demo_config *)p->stages[1]->config)->count, 7);
    pix_pipeline_free(p);
    assert_has(fails("name: *nope\n"), "pipes/x.yaml:1:7: YAML syntax error: found undefined alias");
}

/* ------------------------------------------------ limits: formats, pages,
 * memory, job_timeout (issue 13: a hostile upload fails alone) */

#include <vips/vips.h>
#include "setup.h"

Test(pipeline, limits_defaults_for_hostile_uploads)
{
    static const char *const want[] = { "jpeg", "png", "webp", "gif", "heif", "tiff", "jxl" };
    pix_pipeline *p = parse(HDR);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->n_formats, 7);
    for (size_t i = 0; i < 7; i++)
        cr_expect_str_eq(p->formats[i], want[i]);
    cr_expect_null(p->formats[7]);
    cr_expect_eq(p->max_pages, 500);
    cr_expect_eq(p->max_memory, 1073741824ULL);
    cr_expect_eq(p->job_timeout_ms, 30000);
    pix_pipeline_free(p);
}

/* A pipeline's list replaces the default; aliases name the canonical
 * format, each kept once, in the pipeline's order. */
Test(pipeline, limits_formats_aliases_and_order)
{
    pix_pipeline *p = parse(HDR "limits:\n  formats: [JPG, tif, avif, heic, png, jpeg, pdf]\n"
                                "  max_pages: 0\n  max_memory: 0\n");
    cr_assert_not_null(p, "%s", err.msg);
    static const char *const want[] = { "jpeg", "tiff", "heif", "png", "pdf" };
    cr_assert_eq(p->n_formats, 5);
    for (size_t i = 0; i < 5; i++)
        cr_expect_str_eq(p->formats[i], want[i]);
    cr_expect_eq(p->max_pages, 0);
    cr_expect_eq(p->max_memory, 0);
    pix_pipeline_free(p);
    p = parse(HDR "limits: { formats: webp }\n"); /* one string is a list of one */
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->n_formats, 1);
    cr_expect_str_eq(p->formats[0], "webp");
    pix_pipeline_free(p);
}

Test(pipeline, limits_formats_refused_with_position_and_reason)
{
    assert_has(fails(HDR "limits:\n  formats: [jpeg, magick]\n"),
               "pipes/x.yaml:4:19: limits: formats[1]: magick (a file only ImageMagick reads) "
               "can never be accepted: it would run ImageMagick");
    assert_has(fails(HDR "limits:\n  formats:\n    - png\n    - pfm\n"),
               "pipes/x.yaml:6:7: limits: formats[1]: pfm (format ppm, a Netpbm image) can "
               "never be accepted");
    assert_has(fails(HDR "limits: { formats: [raw] }\n"),
               "limits: formats[0]: raw (raw pixel data) can never be accepted: it has no "
               "header");
    assert_has(fails(HDR "limits: { formats: [analyze] }\n"), "analyze (an Analyze 7.5 image) "
               "can never be accepted: libvips marks its loader (analyzeload) untrusted");
    assert_has(fails(HDR "limits: { formats: [matrix] }\n"), "matrix (a libvips matrix file) "
               "can never be accepted");
    assert_has(fails(HDR "limits: { formats: [jpeg, webpp] }\n"),
               "limits: formats[1]: unknown format 'webpp' (did you mean 'webp'?); known: jpeg, "
               "png, webp, gif, heif, tiff, jxl, svg, pdf");
    assert_has(fails(HDR "limits: { formats: [] }\n"),
               "limits: formats: the list is empty, so no source could be accepted");
    assert_has(fails(HDR "limits: { formats: [jpeg, [png]] }\n"),
               "limits: formats[1]: expected a string, got a list");
}

Test(pipeline, limits_job_timeout_parse)
{
    static const struct { const char *text; int64_t ms; } good[] = {
        { "500ms", 500 }, { "30s", 30000 }, { "2m", 120000 }, { "1.5s", 1500 },
        { "100ms", 100 }, { "15m", 900000 }, { "2 min", 120000 }, { "0", 0 },
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char *yaml = tu_strf(HDR "limits: { job_timeout: %s }\n", good[i].text);
        pix_pipeline *p = parse(yaml);
        cr_assert_not_null(p, "%s: %s", good[i].text, err.msg);
        cr_expect_eq(p->job_timeout_ms, good[i].ms, "%s gave %lld ms", good[i].text,
                     (long long)p->job_timeout_ms);
        pix_pipeline_free(p);
        free(yaml);
    }
    static const char *const bad[] = { "30 parsecs", "30", "s", "1..5s", ".s", "0x10s", "inf",
                                       "-1s", "5h", "5 seconds" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *yaml = tu_strf(HDR "limits: { job_timeout: \"%s\" }\n", bad[i]);
        char *want = tu_strf("pipes/x.yaml:3:24: limits: job_timeout: '%s' is not a duration; "
                             "expected a number and a unit, ms, s or m (500ms, 30s, 2m), or 0 "
                             "for no limit", bad[i]);
        assert_has(fails(yaml), want);
        free(yaml);
        free(want);
    }
    assert_has(fails(HDR "limits: { job_timeout: 99ms }\n"),
               "limits: job_timeout: 99ms is under the minimum of 100ms (0 for no limit)");
    assert_has(fails(HDR "limits: { job_timeout: 901s }\n"),
               "limits: job_timeout: 901s is over the maximum of 15m (0 for no limit)");
}

/* Whether libvips refuses to run the operation class name (false when this
 * libvips has no such class). */
static bool blocked(const char *name)
{
    GType t = g_type_from_name(name);
    if (!t)
        return false;
    VipsOperationClass *c = g_type_class_ref(t);
    bool b = (c->flags & VIPS_OPERATION_BLOCKED) != 0;
    g_type_class_unref(c);
    return b;
}

/* libvips' blocks are process-wide: criterion runs each test in a process
 * of its own, so this one sees pix_vips_start's blocks fresh. */
Test(pipeline, untrusted_loaders_blocked_and_opt_in_unblocks_exactly_one)
{
    pix_err verr;
    cr_assert_eq(pix_vips_start("unit-tests", &verr), 0, "%s", verr.msg);
    static const char *const closed[] = {
        "VipsForeignLoadMagickBuffer", "VipsForeignLoadPdfBuffer", "VipsForeignLoadSvgBuffer",
        "VipsForeignLoadFitsFile", "VipsForeignLoadVipsFile", "VipsForeignLoadPpmSource",
        "VipsForeignLoadOpenexr", "VipsForeignLoadCsvFile", "VipsForeignLoadRaw",
        "VipsForeignLoadAnalyze", "VipsForeignLoadJp2kBuffer", "VipsForeignLoadRadBuffer",
    };
    for (size_t i = 0; i < sizeof closed / sizeof *closed; i++)
        if (g_type_from_name(closed[i])) /* absent from this libvips: nothing to block */
            cr_expect(blocked(closed[i]), "%s is not blocked", closed[i]);
    /* JPEG XL is untrusted in libvips 8.14, yet accepted by default */
    cr_expect(!blocked("VipsForeignLoadJxlBuffer"));
    cr_expect(!blocked("VipsForeignSaveJxlBuffer"));
    cr_expect(!blocked("VipsForeignLoadJpegBuffer"));

    pix_pipeline *p = parse(HDR "limits: { formats: [jpeg, svg] }\n");
    cr_assert_not_null(p, "%s", err.msg);
    if (g_type_from_name("VipsForeignLoadSvgBuffer")) {
        cr_expect(!blocked("VipsForeignLoadSvgBuffer"), "opting in to svg left it blocked");
        cr_expect(!blocked("VipsForeignLoadSvgFile"));
        cr_expect(!blocked("VipsForeignLoadSvgSource"));
        static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" "
                                  "height=\"3\"/>";
        VipsImage *im = vips_image_new_from_buffer(svg, sizeof svg - 1, "", NULL);
        cr_expect_not_null(im, "svg still refused: %s", vips_error_buffer());
        if (im)
            g_object_unref(im);
    }
    cr_expect(blocked("VipsForeignLoadPdfBuffer") || !g_type_from_name("VipsForeignLoadPdfBuffer"),
              "pdf was unblocked by a pipeline that did not ask for it");
    cr_expect(blocked("VipsForeignLoadMagickBuffer") ||
              !g_type_from_name("VipsForeignLoadMagickBuffer"));
    pix_pipeline_free(p);
}

/* The fingerprint of a pipeline's YAML (the test fails if it is refused). */
static char *fingerprint_of(const char *yaml)
{
    pix_pipeline *p = parse(yaml);
    cr_assert_not_null(p, "%s", err.msg);
    char *fp = strdup(p->fingerprint);
    pix_pipeline_free(p);
    return fp;
}

/* What renditions depend on changes the fingerprint; what they do not
 * (comments, order, a default spelled out, the name, a secret) does not. */
Test(pipeline, fingerprint_follows_what_renditions_depend_on)
{
    char *base = fingerprint_of(HDR "stages:\n  - optsdemo: { token: abcd, count: 3 }\n");
    char *same[] = {
        fingerprint_of("# a comment\n" HDR "name: other\n"
                       "stages:\n  - optsdemo: { count: 3, token: abcd, fit: inside }\n"),
        fingerprint_of(HDR "stages:\n  - optsdemo: { token: changed-secret, count: 3 }\n"),
    };
    char *differ[] = {
        fingerprint_of(HDR "stages:\n  - optsdemo: { token: abcd, count: 4 }\n"),
        fingerprint_of(HDR "output: { quality: 70 }\n"
                       "stages:\n  - optsdemo: { token: abcd, count: 3 }\n"),
        fingerprint_of("source: { storage: memtest }\n"
                       "destination: { storage: memtest, bucket: out2 }\n"
                       "stages:\n  - optsdemo: { token: abcd, count: 3 }\n"),
        fingerprint_of(HDR "stages:\n  - optsdemo: { token: abcd, count: 3 }\n  - nopts\n"),
    };
    cr_expect_eq(strlen(base), PIX_FINGERPRINT_HEX);
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        cr_expect_str_eq(same[i], base, "variant %zu", i);
        free(same[i]);
    }
    for (size_t i = 0; i < sizeof differ / sizeof *differ; i++) {
        cr_expect_str_neq(differ[i], base, "variant %zu", i);
        free(differ[i]);
    }
    free(base);
}

Test(pipeline, on_delete_keep_or_remove)
{
    pix_pipeline *p = parse(HDR "on_delete: remove\n");
    cr_assert_not_null(p, "%s", err.msg);
    cr_expect_eq(p->on_delete, PIX_ON_DELETE_REMOVE);
    pix_pipeline_free(p);
    p = parse(HDR);
    cr_assert_not_null(p, "%s", err.msg);
    cr_expect_eq(p->on_delete, PIX_ON_DELETE_KEEP);
    pix_pipeline_free(p);
    cr_expect_str_eq(fails(HDR "on_delete: remvoe\n"),
                     "pipes/x.yaml:3:12: on_delete: expected keep (renditions and record stay "
                     "when the source is deleted) or remove (they are deleted with it), got "
                     "'remvoe' (did you mean 'remove'?)");
}
