/* pixpipe watch DIR: files copied or moved into the folder are processed
 * once complete; temporary and hidden names are not; a removal follows
 * on_delete; a restart catches up with what changed meanwhile, and only
 * that; Ctrl-C (SIGINT) ends it cleanly. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char *wt_dir;

static void wt_setup(void)
{
    wt_dir = tu_tmpdir();
}

static void wt_teardown(void)
{
    tu_runf(NULL, NULL, "[ -f '%s/w.pid' ] && kill -9 $(cat '%s/w.pid') 2>/dev/null; true",
            wt_dir, wt_dir);
    tu_rmrf(wt_dir);
    free(wt_dir);
}

TestSuite(watch, .init = wt_setup, .fini = wt_teardown, .timeout = 90);

static char *wt_at(const char *rel)
{
    return tu_strf("%s/%s", wt_dir, rel);
}

static void wt_pipeline(const char *on_delete)
{
    char *yaml = tu_strf("source:      { storage: fs }\n"
                         "destination: { storage: fs, root: ./out }\n"
                         "metadata:    { backend: sqlite, path: ./out/md.db }\n"
                         "on_delete:   %s\n"
                         "output:      { rendition: main, format: jpeg }\n"
                         "stages:\n"
                         "  - resize: { width: 100, height: 100 }\n"
                         "  - metadata-sink: {}\n", on_delete);
    char *path = wt_at("pipe.yaml");
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(path), free(yaml);
}

static void wt_start(void)
{
    cr_assert_eq(tu_runf(NULL, NULL, "cd '%s' && mkdir -p in && (exec '%s' watch -p pipe.yaml -j 1 "
                         "in >>w.out 2>w.err & echo $! >w.pid)", wt_dir, tu_pixpipe()), 0);
    /* watching once it says so (w.err is new for each start) */
    for (int i = 0; i < 100; i++) {
        char *err = wt_at("w.err"), *text = tu_read_file(err, NULL);
        int ready = text && strstr(text, "watching") != NULL;
        free(text), free(err);
        if (ready)
            return;
        usleep(100 * 1000);
    }
    cr_assert_fail("pixpipe watch did not start");
}

/* Waits up to 10 s for rel to exist (want) or not. */
static int wt_wait_for(const char *rel, int want)
{
    char *path = wt_at(rel);
    int ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        ok = (access(path, F_OK) == 0) == want;
        if (!ok)
            usleep(100 * 1000);
    }
    free(path);
    return ok;
}

static int wt_exists(const char *rel)
{
    char *path = wt_at(rel);
    int yes = tu_exists(path);
    free(path);
    return yes;
}

/* Ends it with SIGINT; its exit status (the shell's). */
static int wt_stop(void)
{
    return tu_runf(NULL, NULL, "cd '%s' && p=$(cat w.pid) && kill -INT $p && "
                   "for i in $(seq 100); do kill -0 $p 2>/dev/null || exit 0; sleep 0.1; done; "
                   "exit 1", wt_dir);
}

Test(watch, copied_file_processed_temp_names_ignored_removal_follows)
{
    wt_pipeline("remove");
    wt_start();
    char *src = wt_at("pic.jpg");
    cr_assert_eq(tu_make_image(src, 400, 300), 0);
    /* a plain copy: processed once it is closed */
    cr_assert_eq(tu_runf(NULL, NULL, "cp '%s' '%s/in/copied.jpg'", src, wt_dir), 0);
    cr_assert(wt_wait_for("out/copied-main.jpg", 1), "the copied file was not processed");
    char *out = wt_at("out/copied-main.jpg");
    int w = 0, h = 0;
    cr_assert_eq(tu_image_size(out, &w, &h, NULL), 0);
    cr_expect(w == 100 && h == 75, "%dx%d", w, h);
    /* written under a temporary name, then moved: only the final name */
    cr_assert_eq(tu_runf(NULL, NULL, "cd '%s/in' && mkdir -p sub && cp '%s' sub/.x.jpg.tmp && "
                         "cp '%s' sub/edit.jpg~ && mv sub/.x.jpg.tmp sub/moved.jpg", wt_dir, src,
                         src), 0);
    cr_assert(wt_wait_for("out/sub/moved-main.jpg", 1), "the moved file was not processed");
    sleep(1);
    cr_expect(!wt_exists("out/sub/.x.jpg-main.jpg"), "a temporary name was processed");
    cr_expect(!wt_exists("out/sub/edit.jpg~-main.jpg"), "a backup name was processed");
    /* removed: its rendition goes (on_delete: remove) */
    cr_assert_eq(tu_runf(NULL, NULL, "rm '%s/in/copied.jpg'", wt_dir), 0);
    cr_expect(wt_wait_for("out/copied-main.jpg", 0), "the removal left the rendition");
    cr_expect(wt_exists("out/sub/moved-main.jpg"), "another rendition went too");
    cr_expect_eq(wt_stop(), 0, "pixpipe watch did not end on SIGINT");
    free(out), free(src);
}

/* Stopped, a file added and one changed while it was down; restarted: it
 * processes exactly those two, and says the third is up to date. */
Test(watch, restart_catches_up_with_changes_only)
{
    wt_pipeline("keep");
    char *src = wt_at("pic.jpg");
    cr_assert_eq(tu_make_image(src, 400, 300), 0);
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s/in' && cp '%s' '%s/in/a.jpg' && "
                         "cp '%s' '%s/in/b.jpg'", wt_dir, src, wt_dir, src, wt_dir), 0);
    wt_start();
    cr_assert(wt_wait_for("out/b-main.jpg", 1));
    cr_expect_eq(wt_stop(), 0);
    cr_assert_eq(tu_make_image(src, 300, 100), 0);
    cr_assert_eq(tu_runf(NULL, NULL, "sleep 0.05; cp '%s' '%s/in/b.jpg' && cp '%s' '%s/in/c.jpg'",
                         src, wt_dir, src, wt_dir), 0);
    wt_start();
    char *err = wt_at("w.err"), *text = tu_read_file(err, NULL);
    cr_expect(strstr(text, "caught up (2 processed, 1 up to date, 0 failed)") != NULL, "%s", text);
    cr_expect_eq(wt_stop(), 0);
    char *b = wt_at("out/b-main.jpg");
    int w = 0, h = 0;
    cr_assert_eq(tu_image_size(b, &w, &h, NULL), 0);
    cr_expect(w == 100 && h == 33, "b was not re-rendered from its new pixels: %dx%d", w, h);
    free(b), free(text), free(err), free(src);
}
