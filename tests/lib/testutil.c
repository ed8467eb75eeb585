#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <sqlite3.h>
#include <openssl/evp.h>
#include <vips/vips.h>

const char *tu_build(void)
{
    const char *b = getenv("PIXPIPE_BUILD");
    return b && *b ? b : "build";
}

const char *tu_src(void)
{
    const char *s = getenv("PIXPIPE_SRC");
    return s && *s ? s : ".";
}

const char *tu_pixpipe(void)
{
    static char path[4096];
    if (!path[0])
        snprintf(path, sizeof path, "%s/pixpipe", tu_build());
    return path;
}

char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = tu_strf("%s/pixpipe-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpl)) {
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

void tu_rmrf(const char *path)
{
    if (!path || !*path || strcmp(path, "/") == 0)
        return;
    char *cmd = tu_strf("rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
    free(cmd);
}

char *tu_strf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f)
        return NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int tu_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

int tu_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static char *slurp_fd(int fd)
{
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return buf;
}

int tu_run(const char *cmd, char **out, char **err)
{
    /* Output goes through temp files so a chatty child can never block on
     * a full pipe while we wait for it. */
    char outp[] = "/tmp/pixpipe-out-XXXXXX", errp[] = "/tmp/pixpipe-err-XXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp);
    int status = -1;

    if (ofd < 0 || efd < 0)
        goto out;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(ofd, 1);
        dup2(efd, 2);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        /* criterion's own sockets must not leak into the command */
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    if (out)
        *out = slurp_fd(ofd);
    if (err)
        *err = slurp_fd(efd);
out:
    if (ofd >= 0) { close(ofd); unlink(outp); }
    if (efd >= 0) { close(efd); unlink(errp); }
    return status;
}

int tu_runf(char **out, char **err, const char *fmt, ...)
{
    va_list ap;
    char *cmd = NULL;
    va_start(ap, fmt);
    if (vasprintf(&cmd, fmt, ap) < 0)
        cmd = NULL;
    va_end(ap);
    if (!cmd)
        return -1;
    int rc = tu_run(cmd, out, err);
    free(cmd);
    return rc;
}

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
    (void)domain, (void)level, (void)msg, (void)data;
}

static void tu_vips_init(void)
{
    static int done;
    if (!done) {
        VIPS_INIT("pixpipe-tests");
        /* files are rewritten between runs: never answer from a cache */
        vips_cache_set_max(0);
        /* reading outputs back must not litter the test log */
        g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, quiet, NULL);
        done = 1;
    }
}

int tu_make_image(const char *path, int w, int h)
{
    VipsImage *x = NULL, *y = NULL, *noise = NULL, *r = NULL, *g = NULL, *b = NULL;
    VipsImage *rgb = NULL, *u8 = NULL, *srgb = NULL;
    int rc = -1;

    tu_vips_init();
    /* Smooth gradients plus gaussian noise compress like a photograph, so
     * sizes and timings are realistic. */
    if (vips_xyz(&x, w, h, NULL) || vips_extract_band(x, &y, 1, NULL))
        goto out;
    VipsImage *xb = NULL;
    if (vips_extract_band(x, &xb, 0, NULL))
        goto out;
    g_object_unref(x);
    x = xb;
    if (vips_gaussnoise(&noise, w, h, "sigma", 12.0, "mean", 0.0, NULL))
        goto out;
    double sx = 255.0 / (w > 1 ? w - 1 : 1), sy = 255.0 / (h > 1 ? h - 1 : 1);
    if (vips_linear1(x, &r, sx, 0.0, NULL) || vips_linear1(y, &g, sy, 0.0, NULL))
        goto out;
    VipsImage *sum = NULL, *half = NULL;
    if (vips_add(x, y, &sum, NULL))
        goto out;
    if (vips_linear1(sum, &half, 255.0 / (double)(w + h), 0.0, NULL)) {
        g_object_unref(sum);
        goto out;
    }
    g_object_unref(sum);
    b = half;
    VipsImage *bands[3] = { r, g, b }, *joined = NULL, *noisy = NULL;
    if (vips_bandjoin(bands, &joined, 3, NULL))
        goto out;
    if (vips_add(joined, noise, &noisy, NULL)) {
        g_object_unref(joined);
        goto out;
    }
    g_object_unref(joined);
    rgb = noisy;
    if (vips_cast(rgb, &u8, VIPS_FORMAT_UCHAR, NULL))
        goto out;
    if (vips_copy(u8, &srgb, "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
        goto out;
    rc = vips_image_write_to_file(srgb, path, NULL) ? -1 : 0;
out:
    if (rc)
        fprintf(stderr, "tu_make_image %s: %s\n", path, vips_error_buffer());
    vips_error_clear();
    VipsImage *all[] = { x, y, noise, r, g, b, rgb, u8, srgb };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i])
            g_object_unref(all[i]);
    return rc;
}

int tu_image_size(const char *path, int *w, int *h, int *bands)
{
    tu_vips_init();
    VipsImage *im = vips_image_new_from_file(path, NULL);
    if (!im) {
        vips_error_clear();
        return -1;
    }
    if (w) *w = vips_image_get_width(im);
    if (h) *h = vips_image_get_height(im);
    if (bands) *bands = vips_image_get_bands(im);
    g_object_unref(im);
    return 0;
}

/* Paints the scene into a w x h sRGB uchar image in memory.  *out is new. */
static int scene_pixels(int w, int h, VipsImage **out)
{
    VipsImage *x = NULL, *y = NULL, *sky = NULL, *noise = NULL, *sum = NULL, *u8 = NULL;
    VipsImage *mem = NULL;
    int rc = -1;

    /* sky: blue at the top fading to pale near the horizon */
    if (vips_xyz(&x, w, h, NULL) || vips_extract_band(x, &y, 1, NULL))
        goto out;
    double a[3] = { 140.0 / h, 90.0 / h, 30.0 / h }, b[3] = { 60, 120, 220 };
    if (vips_linear(y, &sky, a, b, 3, NULL) ||
        vips_gaussnoise(&noise, w, h, "sigma", 6.0, NULL) || vips_add(sky, noise, &sum, NULL) ||
        vips_cast_uchar(sum, &u8, NULL))
        goto out;
    if (!(mem = vips_image_copy_memory(u8)))
        goto out;
    vips_image_set_int(mem, "interpretation", VIPS_INTERPRETATION_sRGB);
    mem->Type = VIPS_INTERPRETATION_sRGB;
    int s = w < h ? w : h;
    double sun[3] = { 255, 220, 90 }, hill[3] = { 60, 140, 60 }, far[3] = { 90, 160, 110 };
    double wall[3] = { 200, 40, 40 }, roof[3] = { 90, 30, 20 }, door[3] = { 250, 240, 220 };
    if (vips_draw_circle(mem, sun, 3, w * 4 / 5, h / 5, s / 10, "fill", TRUE, NULL) ||
        vips_draw_circle(mem, far, 3, w / 4, h + s / 3, s * 3 / 4, "fill", TRUE, NULL) ||
        vips_draw_circle(mem, hill, 3, w * 3 / 4, h + s / 2, s * 4 / 5, "fill", TRUE, NULL) ||
        vips_draw_rect(mem, wall, 3, w / 5, h * 3 / 5, s / 6, s / 8, "fill", TRUE, NULL) ||
        vips_draw_rect(mem, roof, 3, w / 5 - s / 40, h * 3 / 5 - s / 16, s / 6 + s / 20, s / 16,
                       "fill", TRUE, NULL) ||
        vips_draw_rect(mem, door, 3, w / 5 + s / 14, h * 3 / 5 + s / 20, s / 30, s / 13,
                       "fill", TRUE, NULL))
        goto out;
    *out = mem;
    mem = NULL;
    rc = 0;
out:;
    VipsImage *all[] = { x, y, sky, noise, sum, u8, mem };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i])
            g_object_unref(all[i]);
    return rc;
}

/* The pixels a camera stores for an upright picture it tags `orientation`:
 * the inverse of what a viewer applies.  *out is new. */
static int camera_store(VipsImage *up, int orientation, VipsImage **out)
{
    VipsImage *t = NULL;
    int rc;
    switch (orientation) {
    case 2: return vips_flip(up, out, VIPS_DIRECTION_HORIZONTAL, NULL);
    case 3: return vips_rot(up, out, VIPS_ANGLE_D180, NULL);
    case 4: return vips_flip(up, out, VIPS_DIRECTION_VERTICAL, NULL);
    case 5:
        if (vips_rot(up, &t, VIPS_ANGLE_D90, NULL))
            return -1;
        rc = vips_flip(t, out, VIPS_DIRECTION_HORIZONTAL, NULL);
        g_object_unref(t);
        return rc;
    case 6: return vips_rot(up, out, VIPS_ANGLE_D270, NULL);
    case 7:
        if (vips_rot(up, &t, VIPS_ANGLE_D270, NULL))
            return -1;
        rc = vips_flip(t, out, VIPS_DIRECTION_HORIZONTAL, NULL);
        g_object_unref(t);
        return rc;
    case 8: return vips_rot(up, out, VIPS_ANGLE_D90, NULL);
    default: return vips_copy(up, out, NULL);
    }
}

int tu_make_scene(const char *path, int w, int h, int orientation, int camera)
{
    VipsImage *up = NULL, *stored = NULL, *tagged = NULL;
    int rc = -1;

    tu_vips_init();
    if (scene_pixels(w, h, &up) || camera_store(up, orientation, &stored) ||
        vips_copy(stored, &tagged, NULL))
        goto out;
    if (orientation > 1)
        vips_image_set_int(tagged, VIPS_META_ORIENTATION, orientation);
    if (camera) {
        vips_image_set_string(tagged, "exif-ifd0-Make", "Pixpipe Optics");
        vips_image_set_string(tagged, "exif-ifd0-Model", "Demo Camera 1");
        vips_image_set_string(tagged, "exif-ifd2-DateTimeOriginal", "2026:06:21 12:00:00");
        vips_image_set_string(tagged, "exif-ifd3-GPSLatitudeRef", "N");
        vips_image_set_string(tagged, "exif-ifd3-GPSLatitude", "48/1 51/1 30/1");
        vips_image_set_string(tagged, "exif-ifd3-GPSLongitudeRef", "E");
        vips_image_set_string(tagged, "exif-ifd3-GPSLongitude", "2/1 17/1 40/1");
    }
    rc = vips_image_write_to_file(tagged, path, NULL) ? -1 : 0;
out:
    if (rc)
        fprintf(stderr, "tu_make_scene %s: %s\n", path, vips_error_buffer());
    vips_error_clear();
    VipsImage *all[] = { up, stored, tagged };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i])
            g_object_unref(all[i]);
    return rc;
}

int tu_make_anim(const char *path)
{
    static const double colours[3][3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 } };
    double zero[3] = { 0, 0, 0 };
    int delays[3] = { 100, 100, 100 };
    VipsImage *frames[3] = { NULL }, *black = NULL, *strip = NULL, *u = NULL, *tagged = NULL;
    int rc = -1;

    if (vips_black(&black, 120, 80, "bands", 3, NULL))
        goto out;
    for (int i = 0; i < 3; i++)
        if (vips_linear(black, &frames[i], zero, (double *)colours[i], 3, NULL))
            goto out;
    if (vips_arrayjoin(frames, &strip, 3, "across", 1, NULL) ||
        vips_cast_uchar(strip, &u, NULL) ||
        vips_copy(u, &tagged, "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
        goto out;
    vips_image_set_int(tagged, VIPS_META_PAGE_HEIGHT, 80);
    vips_image_set_array_int(tagged, "delay", delays, 3);
    rc = vips_image_write_to_file(tagged, path, NULL);
out:
    for (int i = 0; i < 3; i++)
        if (frames[i])
            g_object_unref(frames[i]);
    VipsImage *rest[] = { black, strip, u, tagged };
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++)
        if (rest[i])
            g_object_unref(rest[i]);
    return rc == 0 ? 0 : -1;
}

int tu_curl(char **body, int max_time, const char *args)
{
    char *out = NULL, *err = NULL;
    int status = -1;
    int rc = tu_runf(&out, &err, "curl -sS --max-time %d -w '\\n%%{http_code}' %s", max_time, args);
    char *nl = out ? strrchr(out, '\n') : NULL;
    if (rc == 0 && nl) {
        status = atoi(nl + 1);
        *nl = '\0';
    }
    if (body) {
        *body = status < 0 ? tu_strf("curl %s: %s%s", args, out ? out : "", err ? err : "") : out;
        if (status < 0)
            free(out);
    } else {
        free(out);
    }
    free(err);
    return status;
}

int tu_gate_admin(const char *method, const char *path, const char *body, json_t **answer)
{
    const char *admin = getenv("PIXPIPE_TEST_GATE_ADMIN");
    if (answer)
        *answer = NULL;
    if (!admin || !*admin)
        return -1;
    /* The bodies are the tests' own JSON: no single quotes in them. */
    char *args = tu_strf("-X %s %s%s%s '%s%s'", method, body ? "--data-binary '" : "", body ? body : "",
                         body ? "'" : "", admin, path);
    char *out = NULL;
    int status = tu_curl(&out, 10, args);
    if (answer && status > 0)
        *answer = json_loads(out, 0, NULL);
    free(args);
    free(out);
    return status;
}

int tu_image_decode(const char *path, int *w, int *h)
{
    tu_vips_init();
    VipsImage *im = vips_image_new_from_file(path, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    double avg = 0;
    int rc = -1;
    /* vips_avg reads every pixel, so a cut or damaged file fails here */
    if (im && vips_avg(im, &avg, NULL) == 0) {
        if (w) *w = vips_image_get_width(im);
        if (h) *h = vips_image_get_height(im);
        rc = 0;
    }
    if (im)
        g_object_unref(im);
    vips_error_clear();
    return rc;
}

static void tu_digest_hex(const EVP_MD *type, unsigned size, const void *data, size_t len,
                          char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (EVP_Digest(data, len, md, &n, type, NULL) != 1 || n != size)
        return;
    for (unsigned i = 0; i < size; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void tu_md5_hex(const void *data, size_t len, char out[33])
{
    tu_digest_hex(EVP_md5(), 16, data, len, out);
}

void tu_sha256_hex(const void *data, size_t len, char out[65])
{
    tu_digest_hex(EVP_sha256(), 32, data, len, out);
}

json_t *tu_sqlite_record(const char *db_path, const char *key)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    json_t *rec = NULL;

    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT record FROM images WHERE source_key = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        rec = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rec;
}
