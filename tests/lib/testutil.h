/* Helpers shared by the criterion tests: temp folders, running the pixpipe
 * binary, writing files and making test images with libvips. */
#ifndef PIX_TESTUTIL_H
#define PIX_TESTUTIL_H

#include <stddef.h>

/* The build folder (PIXPIPE_BUILD, set by `make test`, else "build") and
 * the source tree (PIXPIPE_SRC, else "."). Borrowed. */
const char *tu_build(void);
const char *tu_src(void);
/* "<build>/pixpipe". Borrowed. */
const char *tu_pixpipe(void);

/* A new empty folder under $TMPDIR or /tmp.  Caller frees the string and
 * may remove the folder with tu_rmrf(). */
char *tu_tmpdir(void);
void tu_rmrf(const char *path);

/* Runs `sh -c cmd`, capturing stdout and stderr (each may be NULL to
 * discard; caller frees).  Returns the exit status, or -1 on a signal. */
int tu_run(const char *cmd, char **out, char **err);
/* The same with printf formatting of cmd. */
int tu_runf(char **out, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Runs curl with args (shell words, URL included), giving up after
 * max_time seconds.  Returns the HTTP status, or -1 when curl failed (its
 * message then in *body).  *body (when body is not NULL) receives the
 * answer's body; caller frees. */
int tu_curl(char **body, int max_time, const char *args);
/* METHOD path (with an optional body) to the test servers' gate admin port
 * ($PIXPIPE_TEST_GATE_ADMIN).  Returns the HTTP status, or -1 when that
 * is unset or the request failed; *answer (when
 * answer is not NULL) receives the answer parsed as JSON, NULL if it is
 * not JSON; caller frees it with json_decref. */
struct json_t;
int tu_gate_admin(const char *method, const char *path, const char *body, struct json_t **answer);

/* The record metadata-sqlite stored at db for source key, parsed; NULL when
 * there is none or it is not JSON.  Caller frees with json_decref. */
struct json_t *tu_sqlite_record(const char *db, const char *key);
/* Writes / reads a whole file.  tu_read_file returns NULL when missing;
 * caller frees; *len may be NULL. */
int tu_write_file(const char *path, const char *data, size_t len);
char *tu_read_file(const char *path, size_t *len);
/* printf into a new string; caller frees. */
char *tu_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes a photo-like w x h sRGB image (gradients plus noise) in the format
 * the suffix of path selects (".jpg", ".png", ...).  Returns 0 or -1. */
int tu_make_image(const char *path, int w, int h);
/* Writes a w x h picture with a subject: a sky gradient, a sun, hills and
 * a small red house off-centre (what an attention crop should keep), plus
 * noise so it compresses like a photo.  orientation 1..8 stores it as a
 * camera would (pixels turned, EXIF tag set) so that a viewer honouring the
 * tag shows it upright; camera adds EXIF make, model, date and a GPS
 * position, private data a pipeline must remove.  Returns 0 or -1. */
int tu_make_scene(const char *path, int w, int h, int orientation, int camera);

/* Writes three 120x80 frames, red, green and blue, 100 ms each, as an
 * animated image (".gif", ".webp").  Returns 0 or -1. */
int tu_make_anim(const char *path);
/* Reads an image's width and height (and band count when bands != NULL). */
int tu_image_size(const char *path, int *w, int *h, int *bands);

/* True when the file exists. */
int tu_exists(const char *path);

/* Decodes every pixel of an image (not only its header), failing on a
 * truncated or corrupt file, and gives its width and height (either may
 * be NULL).  Returns 0, or -1 when it does not decode whole. */
int tu_image_decode(const char *path, int *w, int *h);
/* The MD5 of len bytes as 32 lower-case hex digits, into out. */
void tu_md5_hex(const void *data, size_t len, char out[33]);
/* The SHA-256 of len bytes as 64 lower-case hex digits, into out. */
void tu_sha256_hex(const void *data, size_t len, char out[65]);

#endif
