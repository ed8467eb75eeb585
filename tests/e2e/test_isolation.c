/* A job that crashes, aborts, is killed or hangs takes only itself down:
 * in `pixpipe run -j 2` every other job is stored, each poison one is
 * named with what happened to it, and the run ends (tests/plugins/crashy.c
 * misbehaves on marked keys). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "testutil.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static char *tmp;

static void setup(void)
{
    tmp = tu_tmpdir();
    cr_assert_not_null(tmp);
    char *in = tu_strf("%s/in", tmp);
    cr_assert_eq(mkdir(in, 0755), 0);
    free(in);
}

static void teardown(void)
{
    tu_rmrf(tmp);
    free(tmp);
}

TestSuite(isolation, .init = setup, .fini = teardown);

static void make(const char *name)
{
    char *p = tu_strf("%s/in/%s.jpg", tmp, name);
    cr_assert_eq(tu_make_image(p, 300, 200), 0, "cannot make %s", p);
    free(p);
}

static void write_pipeline(const char *limits)
{
    char *yaml = tu_strf("name: crashy\n"
                         "limits: { %s }\n"
                         "output: { format: jpeg }\n"
                         "stages:\n"
                         "  - crashy: {}\n"
                         "  - resize: { width: 100 }\n",
                         limits);
    char *path = tu_strf("%s/p.yaml", tmp);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(path), free(yaml);
}

/* pixpipe run in tmp, with the test plugins found; *out, *err owned.
 * Under AddressSanitizer (make test SAN=1) a segfault is still a signal:
 * ASan would otherwise catch it and exit with status 1. */
static int run(const char *args, char **out, char **err)
{
    return tu_runf(out, err, "cd %s && ASAN_OPTIONS=handle_segv=0 PIXPIPE_PLUGIN_PATH=%s/test-plugins "
                   "%s run -p p.yaml %s", tmp, tu_build(), tu_pixpipe(), args);
}

static void expect_stored(const char *name)
{
    char *p = tu_strf("%s/out/%s-main.jpg", tmp, name);
    int w = 0, h = 0;
    cr_expect(tu_image_decode(p, &w, &h) == 0 && w == 100 && h == 67,
              "%s: stored whole at 100x67 (got %dx%d)", p, w, h);
    free(p);
}

static void expect_absent(const char *name)
{
    char *p = tu_strf("%s/out/%s-main.jpg", tmp, name);
    cr_expect(!tu_exists(p), "%s was written", p);
    free(p);
}

static void expect_line(const char *err, const char *name, const char *reason)
{
    char *want = tu_strf("pixpipe: failed: in/%s.jpg: %s", name, reason);
    cr_expect(strstr(err, want), "expected '%s' in:\n%s", want, err);
    free(want);
}

Test(isolation, crash_abort_kill_exit_fail_alone)
{
    const char *good[] = { "good1", "good2", "good3", "good4", "good5" };
    const char *bad[] = { "segv", "abort", "oom", "exit" };
    for (size_t i = 0; i < 5; i++) {
        make(good[i]);
        if (i < 4)
            make(bad[i]);
    }
    write_pipeline("job_timeout: 20s");
    char *out = NULL, *err = NULL;
    int rc = run("-j 2 in", &out, &err);
    cr_expect_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(out, "5 processed, 4 failed, 0 skipped"), "%s", out);
    for (size_t i = 0; i < 5; i++)
        expect_stored(good[i]);
    for (size_t i = 0; i < 4; i++)
        expect_absent(bad[i]);
    expect_line(err, "segv", "crashed (signal 11, Segmentation fault)");
    expect_line(err, "abort", "crashed (signal 6, Aborted)");
    expect_line(err, "oom", "crashed (signal 9, Killed): killed from outside, most often by "
                            "the kernel when memory ran out");
    expect_line(err, "exit", "its worker process exited (status 3) in the middle of the job");
    free(out), free(err);
}

/* The hanging job is stopped at its limit; the others, before and after
 * it on both workers, are done; the run ends within seconds. */
Test(isolation, hang_stopped_at_job_timeout)
{
    make("good1"), make("hang"), make("good2"), make("good3");
    write_pipeline("job_timeout: 1500ms");
    char *out = NULL, *err = NULL;
    double t0 = now_ms();
    int rc = run("-j 2 in", &out, &err);
    double ms = now_ms() - t0;
    cr_expect_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(out, "3 processed, 1 failed, 0 skipped"), "%s", out);
    expect_stored("good1"), expect_stored("good2"), expect_stored("good3");
    expect_absent("hang");
    expect_line(err, "hang", "exceeded its time limit (limits.job_timeout: 1500 ms) and was "
                             "stopped");
    /* not a timing assertion: a hang that was never stopped never ends */
    cr_expect(ms < 60000, "the run took %.0f ms", ms);
    free(out), free(err);
}

/* With one worker, a crash in the middle leaves the jobs after it to the
 * worker started in its place. */
Test(isolation, a_new_worker_takes_over)
{
    make("a1"), make("segv"), make("a2"), make("abort"), make("a3");
    write_pipeline("job_timeout: 20s");
    char *out = NULL, *err = NULL;
    int rc = run("-j 1 in", &out, &err);
    cr_expect_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(out, "3 processed, 2 failed, 0 skipped"), "%s", out);
    expect_stored("a1"), expect_stored("a2"), expect_stored("a3");
    free(out), free(err);
}

/* Two sources that map to the same key are caught across worker
 * processes: the run's claims live in the supervisor. */
Test(isolation, key_claims_shared_across_workers)
{
    char *a = tu_strf("%s/in/same.jpg", tmp), *b = tu_strf("%s/in/same.png", tmp);
    cr_assert_eq(tu_make_image(a, 300, 200), 0);
    cr_assert_eq(tu_make_image(b, 300, 200), 0);
    write_pipeline("job_timeout: 20s");
    char *out = NULL, *err = NULL;
    int rc = run("-j 2 in", &out, &err);
    cr_expect_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(out, "1 processed, 1 failed, 0 skipped"), "%s", out);
    cr_expect(strstr(err, "would overwrite") && strstr(err, "written in this run from"), "%s",
              err);
    free(out), free(err), free(a), free(b);
}

/* Without isolation (PIXPIPE_ISOLATION=off) the same pipeline works for
 * good inputs: the in-process runner is still there for debugging. */
Test(isolation, off_runs_in_process)
{
    make("good1"), make("good2");
    write_pipeline("job_timeout: 20s");
    char *out = NULL, *err = NULL;
    int rc = run("-j 2 in", &out, &err);
    cr_expect_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    free(out), free(err);
    rc = tu_runf(&out, &err, "cd %s && rm -rf out && PIXPIPE_ISOLATION=off "
                 "PIXPIPE_PLUGIN_PATH=%s/test-plugins %s run -p p.yaml -j 2 in", tmp,
                 tu_build(), tu_pixpipe());
    cr_expect_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    expect_stored("good1"), expect_stored("good2");
    free(out), free(err);
}

/* A hostile SVGZ: a whole gzip stream with bytes after its end sends
 * libvips 8.14's SVG sniffer round a loop that never ends (fixed upstream
 * in 8.17.3, libvips #4693).  Made here, 115 bytes. */
static void make_hanging_svgz(const char *rel)
{
    char *p = tu_strf("%s/%s", tmp, rel);
    int rc = tu_runf(NULL, NULL, "printf '<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
                     "height=\"10\"/>' | /bin/gzip -9 > %s && printf 'bytes after the end' >> %s",
                     p, p);
    cr_assert_eq(rc, 0, "cannot make %s", p);
    free(p);
}

/* Without the opt-in the hanging file is refused from its bytes, at once,
 * with the format named, and no SVG code runs; with SVG opted in it is
 * stopped at job_timeout.  Either way the others are done. */
Test(isolation, hanging_svgz_fails_alone)
{
    make("good1"), make("good2"), make("good3");
    make_hanging_svgz("in/poison.svgz");
    char *out = NULL, *err = NULL;

    write_pipeline("job_timeout: 20s");
    int rc = run("-j 2 in", &out, &err);
    cr_expect_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(out, "3 processed, 1 failed, 0 skipped"), "%s", out);
    expect_stored("good1"), expect_stored("good2"), expect_stored("good3");
    cr_expect(strstr(err, "pixpipe: failed: in/poison.svgz: is gzip-compressed data, read by "
                          "libvips only as SVGZ (format svg), which this pipeline does not "
                          "accept (limits.formats: jpeg, png, webp, gif, heif, tiff, jxl)"),
              "%s", err);
    cr_expect(!strstr(err, "time limit"), "refused without waiting for the limit:\n%s", err);
    free(out), free(err);

    cr_assert_eq(tu_runf(NULL, NULL, "rm -rf %s/out", tmp), 0);
    write_pipeline("job_timeout: 2s, formats: [jpeg, svg]");
    rc = run("-j 2 in", &out, &err);
    cr_expect_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(out, "3 processed, 1 failed, 0 skipped"), "%s", out);
    expect_stored("good1"), expect_stored("good2"), expect_stored("good3");
    cr_expect(strstr(err, "pixpipe: failed: in/poison.svgz: exceeded its time limit "
                          "(limits.job_timeout: 2 s) and was stopped"), "%s", err);
    free(out), free(err);
}
