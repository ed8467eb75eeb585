/* Encoding renditions with libvips' savers. */
#include "encode.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

typedef struct fmt {
    const char *name, *ext, *mime, *suffix; /* suffix: what libvips keys savers on */
    bool writable_as_source;                /* used for format: source */
} fmt;

/* The only formats pixpipe writes.  libvips has savers for more (magick,
 * fits, ppm, rad, vips, csv, matrix, dz, jp2k): none is offered, so a
 * rendition can only be one of these, whatever a plugin asks for. */
static const fmt formats[] = {
    { "jpeg", "jpg", "image/jpeg", ".jpg", true },
    { "png", "png", "image/png", ".png", true },
    { "webp", "webp", "image/webp", ".webp", true },
    /* libvips 8.14 lists AVIF under its HEIF buffer saver as ".heif"; that
     * an AV1 encoder is there is found by trying it (see avif_works). */
    { "avif", "avif", "image/avif", ".heif", true },
    { "gif", "gif", "image/gif", ".gif", true },
    { "tiff", "tif", "image/tiff", ".tif", true },
    { "jxl", "jxl", "image/jxl", ".jxl", true },
    /* HEVC encoders are patent-encumbered and absent from Debian's libheif:
     * HEIC sources are written as jpeg when "source" is asked. */
    { "heif", "heic", "image/heic", ".heic", false },
};

static const fmt *lookup(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}

/* Every format pixpipe can name.  Only the first seven are accepted by
 * default (limits.formats); SVG and PDF run librsvg and poppler, which
 * libvips marks untrusted, so a pipeline must opt in; the rest can never
 * be accepted, so a typo or a copied list cannot open them. */
#define UNTRUSTED(lib) "libvips marks its loader (" lib ") untrusted: not hardened against " \
                       "hostile files"
static const pix_format_info infos[] = {
    { "jpeg", "a JPEG image", PIX_FORMAT_DEFAULT, NULL, NULL },
    { "png", "a PNG image", PIX_FORMAT_DEFAULT, NULL, NULL },
    { "webp", "a WebP image", PIX_FORMAT_DEFAULT, NULL, NULL },
    { "gif", "a GIF image", PIX_FORMAT_DEFAULT, NULL, NULL },
    /* one libheif loader reads HEIC and AVIF: the limit is on the loader */
    { "heif", "a HEIF image", PIX_FORMAT_DEFAULT, NULL, NULL },
    { "tiff", "a TIFF image", PIX_FORMAT_DEFAULT, NULL, NULL },
    { "jxl", "a JPEG XL image", PIX_FORMAT_DEFAULT, NULL, NULL },
    { "svg", "an SVG drawing", PIX_FORMAT_OPT_IN, "VipsForeignLoadSvg", NULL },
    { "pdf", "a PDF document", PIX_FORMAT_OPT_IN, "VipsForeignLoadPdf", NULL },
    { "magick", "a file only ImageMagick reads", PIX_FORMAT_NEVER, NULL,
      "it would run ImageMagick, one loader for hundreds of formats (PostScript through "
      "Ghostscript among them) that libvips marks untrusted" },
    { "ps", "a PostScript document", PIX_FORMAT_NEVER, NULL,
      "only ImageMagick reads it, by running Ghostscript, an interpreter of the PostScript "
      "language" },
    { "vips", "a libvips .v image", PIX_FORMAT_NEVER, NULL, UNTRUSTED("vipsload") },
    { "ppm", "a Netpbm image", PIX_FORMAT_NEVER, NULL,
      UNTRUSTED("ppmload") },
    { "fits", "a FITS image", PIX_FORMAT_NEVER, NULL, UNTRUSTED("fitsload") },
    { "exr", "an OpenEXR image", PIX_FORMAT_NEVER, NULL, UNTRUSTED("openexrload") },
    { "analyze", "an Analyze 7.5 image", PIX_FORMAT_NEVER, NULL, UNTRUSTED("analyzeload") },
    { "raw", "raw pixel data", PIX_FORMAT_NEVER, NULL,
      "it has no header: any bytes would pass for raw pixels" },
    { "matrix", "a libvips matrix file", PIX_FORMAT_NEVER, NULL,
      "a text format without a signature: any text file could pass for one" },
    { "csv", "a CSV file", PIX_FORMAT_NEVER, NULL,
      "a text format without a signature: any text file could pass for one" },
    { "rad", "a Radiance HDR image", PIX_FORMAT_NEVER, NULL, UNTRUSTED("radload") },
    { "jp2k", "a JPEG 2000 image", PIX_FORMAT_NEVER, NULL, UNTRUSTED("jp2kload") },
    { "mat", "a MATLAB file", PIX_FORMAT_NEVER, NULL, UNTRUSTED("matload") },
    { "openslide", "a whole-slide image", PIX_FORMAT_NEVER, NULL, UNTRUSTED("openslideload") },
    { "other", "a file libvips reads with a loader pixpipe does not know", PIX_FORMAT_NEVER,
      NULL, "pixpipe does not know its loader" },
};
#undef UNTRUSTED

const pix_format_info *pix_format_info_at(size_t i)
{
    return i < sizeof infos / sizeof *infos ? &infos[i] : NULL;
}

const pix_format_info *pix_format_info_find(const char *name)
{
    static const struct { const char *alias, *name; } aliases[] = {
        { "jpg", "jpeg" }, { "jpe", "jpeg" }, { "jfif", "jpeg" }, { "tif", "tiff" },
        { "heic", "heif" }, { "heics", "heif" }, { "avif", "heif" }, { "hif", "heif" },
        { "jpegxl", "jxl" }, { "jpeg-xl", "jxl" }, { "svgz", "svg" },
        { "imagemagick", "magick" }, { "postscript", "ps" }, { "eps", "ps" },
        { "v", "vips" }, { "pbm", "ppm" }, { "pgm", "ppm" }, { "pnm", "ppm" }, { "pfm", "ppm" },
        { "pam", "ppm" }, { "netpbm", "ppm" }, { "fit", "fits" }, { "fts", "fits" },
        { "openexr", "exr" }, { "radiance", "rad" }, { "jp2", "jp2k" }, { "j2k", "jp2k" },
        { "jpeg2000", "jp2k" }, { "matlab", "mat" },
    };
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcasecmp(name, aliases[i].alias) == 0) {
            name = aliases[i].name;
            break;
        }
    for (size_t i = 0; i < sizeof infos / sizeof *infos; i++)
        if (strcasecmp(name, infos[i].name) == 0)
            return &infos[i];
    return NULL;
}

/* "<svg" near the start of what reads as markup (an XML prolog, a comment
 * or a doctype may come first). */
static bool looks_svg(const unsigned char *b, size_t len)
{
    size_t i = 0, n = len < 1024 ? len : 1024;
    if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
        i = 3; /* UTF-8 byte order mark */
    while (i < n && isspace(b[i]))
        i++;
    if (i >= n || b[i] != '<')
        return false;
    for (; i + 4 <= n; i++)
        if (memcmp(b + i, "<svg", 4) == 0)
            return true;
    return false;
}

/* Signatures of the formats whose libvips sniffers are not run: their
 * loaders are blocked, or read only from files, or left to ImageMagick.
 * what, when not NULL, gets a description finer than the format's own. */
static const char *sniff(const unsigned char *b, size_t len, const char **what)
{
    if (len >= 4 && (memcmp(b, "%!PS", 4) == 0 || memcmp(b, "\xc5\xd0\xd3\xc6", 4) == 0))
        return "ps"; /* the second: a DOS EPS binary header */
    if (len >= 5 && memcmp(b, "%PDF-", 5) == 0)
        return "pdf";
    if (looks_svg(b, len))
        return "svg";
    if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        /* libvips reads gzip only as SVGZ, by inflating it in its SVG
         * sniffer: never opened here unless SVG is opted in */
        *what = "gzip-compressed data, read by libvips only as SVGZ";
        return "svg";
    }
    if (len >= 4 && (memcmp(b, "\x08\xf2\xa6\xb6", 4) == 0 || memcmp(b, "\xb6\xa6\xf2\x08", 4) == 0))
        return "vips";
    if (len >= 3 && b[0] == 'P' && b[1] && strchr("1234567fF", b[1]) && isspace(b[2]))
        return "ppm";
    if (len >= 9 && memcmp(b, "SIMPLE  =", 9) == 0)
        return "fits";
    if (len >= 4 && memcmp(b, "\x76\x2f\x31\x01", 4) == 0)
        return "exr";
    if ((len >= 12 && memcmp(b, "\0\0\0\x0cjP  \r\n\x87\n", 12) == 0) ||
        (len >= 4 && memcmp(b, "\xff\x4f\xff\x51", 4) == 0))
        return "jp2k"; /* a JP2 box, a bare J2K codestream */
    if (len >= 6 && (memcmp(b, "#?RADI", 6) == 0 || memcmp(b, "#?RGBE", 6) == 0))
        return "rad";
    if (len >= 10 && memcmp(b, "MATLAB 5.0", 10) == 0)
        return "mat";
    return NULL;
}

typedef struct sniffed {
    const void *data;
    size_t len;
} sniffed;

/* The buffer loader that claims the bytes, skipping blocked loaders: a
 * sniffer is the loader's own code too (libvips 8.14's SVG sniffer inflates
 * gzip without end on some files), and libvips runs blocked ones' (the
 * block is checked when a loader is built, not when it is found). */
static void *claim(void *cls, void *a, void *b)
{
    (void)b;
    VipsForeignLoadClass *load = cls;
    const sniffed *s = a;
    if ((VIPS_OPERATION_CLASS(load)->flags & VIPS_OPERATION_BLOCKED) ||
        !vips_ispostfix(VIPS_OBJECT_CLASS(load)->nickname, "_buffer") || !load->is_a_buffer)
        return NULL;
    return load->is_a_buffer(s->data, s->len) ? load : NULL;
}

const char *pix_format_detect(const void *data, size_t len, const char **what)
{
    /* libvips names its loaders' classes VipsForeignLoad<Family><Source>,
     * e.g. VipsForeignLoadJpegBuffer, VipsForeignLoadNsgifBuffer.  Matrix
     * comes before Mat, which is a prefix of it. */
    static const struct { const char *prefix, *family; } map[] = {
        { "Jpeg", "jpeg" }, { "Png", "png" }, { "Spng", "png" }, { "Webp", "webp" },
        { "Nsgif", "gif" }, { "Gif", "gif" }, { "Tiff", "tiff" }, { "Heif", "heif" },
        { "Jxl", "jxl" }, { "Svg", "svg" }, { "Pdf", "pdf" }, { "Rad", "rad" },
        { "Jp2k", "jp2k" }, { "Fits", "fits" }, { "Openexr", "exr" }, { "Ppm", "ppm" },
        { "Vips", "vips" }, { "Analyze", "analyze" }, { "Matrix", "matrix" }, { "Mat", "mat" },
        { "Csv", "csv" }, { "Raw", "raw" }, { "Openslide", "openslide" },
        { "Magick", "magick" },
    };
    static const char base[] = "VipsForeignLoad";
    const char *family = NULL, *finer = NULL;
    sniffed s = { data, len };
    /* in libvips' order: by priority, as vips_foreign_find_load_buffer */
    VipsForeignLoadClass *load = vips_foreign_map("VipsForeignLoad", claim, &s, NULL);
    const char *loader = load ? G_OBJECT_CLASS_NAME(load) : NULL;
    if (loader && strncmp(loader, base, sizeof base - 1) == 0)
        loader += sizeof base - 1;
    for (size_t i = 0; loader && !family && i < sizeof map / sizeof *map; i++)
        if (strncmp(loader, map[i].prefix, strlen(map[i].prefix)) == 0)
            family = map[i].family;
    if (loader && !family)
        family = "other";
    if (!family)
        family = sniff(data, len, &finer);
    if (what) {
        const pix_format_info *f = family ? pix_format_info_find(family) : NULL;
        *what = finer ? finer : f ? f->what : NULL;
    }
    return family;
}

/* Whether libheif has an AV1 encoder: asked once by encoding a tiny image,
 * since the saver exists whichever encoders libheif was built with. */
static bool probe_avif_here(void)
{
    VipsImage *im = NULL;
    void *buf = NULL;
    size_t len = 0;
    bool ok = vips_black(&im, 16, 16, "bands", 3, NULL) == 0 &&
              vips_heifsave_buffer(im, &buf, &len, "compression",
                                   VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "effort", 0, NULL) == 0;
    vips_error_clear();
    g_free(buf);
    if (im)
        g_object_unref(im);
    return ok;
}

/* The threads of any libvips operation stay parked in its thread set, and
 * a worker forked later inherits that set without the threads: its first
 * encode waits for ever. A process that has no thread yet (the supervisor,
 * before it forks its workers) therefore asks in a throw-away child. */
static bool only_thread(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return false;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n == 1;
}

static gpointer probe_avif(gpointer unused)
{
    (void)unused;
    if (!only_thread())
        return GINT_TO_POINTER(probe_avif_here() ? 1 : 2);
    pid_t pid = fork();
    if (pid < 0)
        return GINT_TO_POINTER(probe_avif_here() ? 1 : 2);
    if (pid == 0)
        _exit(probe_avif_here() ? 0 : 1);
    int status = 0;
    /* bounded: a broken encoder must not stop the pipeline from loading */
    for (int waited_ms = 0;; waited_ms += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            break;
        if (waited_ms >= 20000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            status = 1 << 8;
            break;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return GINT_TO_POINTER(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : 2);
}

static bool avif_works(void)
{
    static GOnce once = G_ONCE_INIT;
    return GPOINTER_TO_INT(g_once(&once, probe_avif, NULL)) == 1;
}

static bool can_save(const fmt *f)
{
    /* The saver table exists once libvips is started; starting it again is
     * a no-op, and this makes the check safe from the pipeline parser too. */
    if (VIPS_INIT("pixpipe"))
        return false;
    bool ok = vips_foreign_find_save_buffer(f->suffix) != NULL;
    vips_error_clear();
    if (ok && strcmp(f->name, "avif") == 0)
        ok = avif_works();
    return ok;
}

const char *pix_format_resolve(const char *requested, const char *source_format, bool has_alpha)
{
    if (requested && strcmp(requested, "source") != 0)
        return requested;
    const fmt *f = source_format ? lookup(source_format) : NULL;
    if (f && f->writable_as_source && can_save(f))
        return f->name;
    return has_alpha ? "png" : "jpeg";
}

const char *pix_format_ext(const char *format)
{
    const fmt *f = lookup(format);
    return f ? f->ext : "bin";
}

const char *pix_format_from_mime(const char *mime)
{
    for (size_t i = 0; mime && i < sizeof formats / sizeof *formats; i++)
        if (strcasecmp(mime, formats[i].mime) == 0)
            return formats[i].name;
    return NULL;
}

const char *pix_format_from_name(const char *key)
{
    static const struct { const char *ext, *format; } exts[] = {
        { "jpg", "jpeg" }, { "jpeg", "jpeg" }, { "jpe", "jpeg" }, { "png", "png" },
        { "webp", "webp" }, { "gif", "gif" }, { "tif", "tiff" }, { "tiff", "tiff" },
        { "avif", "avif" }, { "heic", "heif" }, { "heif", "heif" }, { "jxl", "jxl" },
    };
    const char *dot = key ? strrchr(key, '.') : NULL;
    for (size_t i = 0; dot && !strchr(dot, '/') && i < sizeof exts / sizeof *exts; i++)
        if (strcasecmp(dot + 1, exts[i].ext) == 0)
            return exts[i].format;
    return NULL;
}

const char *pix_format_mime(const char *format)
{
    const fmt *f = lookup(format);
    return f ? f->mime : "application/octet-stream";
}

bool pix_format_can_save(const char *format)
{
    const fmt *f = format ? lookup(format) : NULL;
    /* heif is here for its extension and MIME type only: libvips finds a
     * .heic saver, but pix_encode_image has no HEVC encoder to give it */
    return f && f->writable_as_source && can_save(f);
}

/* JPEG has no alpha: flatten on white, which is what a viewer shows for a
 * transparent PNG, rather than libvips' default black.  Deep images (16-bit
 * PNG/TIFF) are brought to 8 bits per band for the 8-bit codecs. */
static int prepare(VipsImage *in, const char *format, VipsImage **out)
{
    VipsImage *cur = in, *tmp = NULL;
    g_object_ref(cur);

    /* An animation ("page-height" frames stacked) written to a format that
     * cannot animate keeps its first frame. */
    int page_h = vips_image_get_page_height(cur);
    bool animates = strcmp(format, "gif") == 0 || strcmp(format, "webp") == 0;
    if (!animates && page_h < vips_image_get_height(cur)) {
        if (vips_crop(cur, &tmp, 0, 0, vips_image_get_width(cur), page_h, NULL))
            goto fail;
        g_object_unref(cur);
        cur = tmp;
        if (vips_copy(cur, &tmp, NULL))
            goto fail;
        g_object_unref(cur);
        cur = tmp;
        vips_image_remove(cur, VIPS_META_PAGE_HEIGHT);
        vips_image_remove(cur, "n-pages");
    }

    /* JPEG XL keeps 16 bits, but libvips 8.14's saver takes its depth from
     * the interpretation alone: RGB16 and GREY16 are written with 16 bits,
     * anything else is cast to 8 bits without scaling (65535 would clip to
     * 255).  A 16-bit image is therefore tagged as such, and any other deep
     * format (float, int) goes to 8 bits as for the 8-bit codecs. */
    bool jxl = strcmp(format, "jxl") == 0;
    bool eight_bit_only = strcmp(format, "jpeg") == 0 || strcmp(format, "webp") == 0 ||
                          strcmp(format, "gif") == 0;
    if (jxl && vips_image_get_format(cur) == VIPS_FORMAT_USHORT) {
        VipsInterpretation want = vips_image_get_bands(cur) >= 3 ? VIPS_INTERPRETATION_RGB16
                                                                 : VIPS_INTERPRETATION_GREY16;
        if (vips_image_get_interpretation(cur) != want) {
            if (vips_colourspace(cur, &tmp, want, NULL))
                goto fail;
            g_object_unref(cur);
            cur = tmp;
        }
    } else if ((eight_bit_only || jxl) && vips_image_get_format(cur) != VIPS_FORMAT_UCHAR) {
        VipsInterpretation want = vips_image_get_bands(cur) >= 3 ? VIPS_INTERPRETATION_sRGB
                                                                 : VIPS_INTERPRETATION_B_W;
        if (vips_colourspace(cur, &tmp, want, NULL))
            goto fail;
        g_object_unref(cur);
        cur = tmp;
        if (vips_image_get_format(cur) != VIPS_FORMAT_UCHAR) {
            if (vips_cast_uchar(cur, &tmp, NULL))
                goto fail;
            g_object_unref(cur);
            cur = tmp;
        }
    }
    if (strcmp(format, "jpeg") == 0 && vips_image_hasalpha(cur)) {
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        int rc = vips_flatten(cur, &tmp, "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (rc)
            goto fail;
        g_object_unref(cur);
        cur = tmp;
    }
    *out = cur;
    return 0;
fail:
    g_object_unref(cur);
    return -1;
}

/* JPEG XL through libvips 8.14's saver, whose quirks are handled here:
 *  - it writes no EXIF or XMP at all, but ignores strip for the ICC
 *    profile, which it always embeds: the profile is taken off first, so
 *    that strip leaves no metadata, as with the other savers;
 *  - Q becomes a butteraugli distance (cjxl's formula) over libjxl's
 *    limit of 25 below Q 5: libjxl refuses it and silently encodes at
 *    distance 1, a larger file than Q 90 gives; Q 1..4 are written as 5;
 *  - effort is a GObject property of range 3..9: a value outside it is
 *    dropped with a GLib warning and 7 used.  Configs are checked against
 *    3..9 (pix_encode_problem); a plugin's own pix_encode may hold any
 *    effort, 0 (fastest) from a zeroed one, so it is brought into 3..9.
 * Q 0 or less is libvips' default, 75 (distance 2.35): on a 1600 px photo
 * its mean CIEDE2000 error is close to JPEG at 82's for half the bytes. */
static int jxl_save(VipsImage *im, const pix_encode *enc, gboolean strip, void **buf, size_t *len)
{
    VipsImage *bare = NULL;
    int q = enc->quality > 0 ? enc->quality : 75;
    int effort = enc->effort < 0 ? 7 : enc->effort < 3 ? 3 : enc->effort > 9 ? 9 : enc->effort;
    int rc = -1;

    if (strip && vips_image_get_typeof(im, VIPS_META_ICC_NAME)) {
        if (vips_copy(im, &bare, NULL))
            goto out;
        vips_image_remove(bare, VIPS_META_ICC_NAME);
        im = bare;
    }
    rc = vips_jxlsave_buffer(im, buf, len, "Q", q < 5 ? 5 : q, "lossless", enc->lossless,
                             "effort", effort, "strip", strip, NULL);
out:
    if (bare)
        g_object_unref(bare);
    return rc;
}

int pix_encode_prepare(VipsImage *img, const char *format, VipsImage **out, pix_err *err)
{
    char why[1024];
    if (prepare(img, format, out) == 0)
        return 0;
    return pix_err_set(err, "cannot produce it as %s: %s", format, pix_vips_error(why, sizeof why));
}

int pix_encode_image(VipsImage *img, const char *format, const pix_encode *enc, void **buf,
                     size_t *len, pix_err *err)
{
    VipsImage *im = NULL;
    gboolean strip = !enc->keep_metadata;
    int q = enc->quality;
    int rc = -1;

    *buf = NULL;
    *len = 0;
    if (prepare(img, format, &im) < 0)
        goto vips_fail;
    if (strcmp(format, "jpeg") == 0)
        rc = vips_jpegsave_buffer(im, buf, len, "Q", q ? q : 82, "interlace", enc->progressive,
                                  "optimize_coding", TRUE, "strip", strip, NULL);
    else if (strcmp(format, "png") == 0)
        rc = vips_pngsave_buffer(im, buf, len, "compression", enc->effort >= 0 ? enc->effort : 6,
                                 "interlace", enc->progressive, "strip", strip, NULL);
    else if (strcmp(format, "webp") == 0)
        rc = vips_webpsave_buffer(im, buf, len, "Q", q ? q : 80, "lossless", enc->lossless,
                                  "effort", enc->effort >= 0 ? enc->effort : 4, "strip", strip,
                                  NULL);
    else if (strcmp(format, "avif") == 0)
        rc = vips_heifsave_buffer(im, buf, len, "Q", q ? q : 50, "lossless", enc->lossless,
                                  "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "effort",
                                  enc->effort >= 0 ? enc->effort : 4, "strip", strip, NULL);
    else if (strcmp(format, "gif") == 0)
        rc = vips_gifsave_buffer(im, buf, len, "strip", strip, NULL);
    else if (strcmp(format, "tiff") == 0)
        rc = vips_tiffsave_buffer(im, buf, len, "compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE,
                                  "strip", strip, NULL);
    else if (strcmp(format, "jxl") == 0)
        rc = jxl_save(im, enc, strip, buf, len);
    else {
        pix_err_set(err, "unknown output format '%s'", format);
        goto out;
    }
    if (rc == 0)
        goto out;
vips_fail:
    {
        char why[1024];
        pix_err_set(err, "cannot produce it as %s: %s", format, pix_vips_error(why, sizeof why));
    }
    rc = -1;
out:
    if (im)
        g_object_unref(im);
    return rc;
}

