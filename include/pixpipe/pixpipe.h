/*
 * pixpipe plugin ABI, version 2.
 *
 * A plugin is a shared object named <name>.so that exports one symbol,
 * pix_plugin_entry(), returning its static descriptor: one of the three
 * kind descriptors below (pix_stage_plugin, pix_storage_plugin,
 * pix_metadata_plugin), declared with PIX_STAGE_PLUGIN,
 * PIX_STORAGE_PLUGIN or PIX_METADATA_PLUGIN.  The host (the pixpipe
 * binary) checks the descriptor's ABI version and kind, validates the
 * options written in the pipeline file against the descriptor's option
 * table, fills a config struct of config_size bytes and only then calls
 * create(), when the plugin has one.  Plugins never parse YAML and never
 * link against the host.
 *
 * Every callback receives a pix_ctx: the host table, the instance's
 * validated config and the state create() made.  A plugin that holds no
 * state of its own needs no create() and reads its config from the context.
 *
 * Compatibility policy:
 *   - PIX_ABI_MAJOR changes when an existing field or callback changes
 *     meaning or position.  The host refuses a plugin of another major and
 *     says to rebuild it against these headers.
 *   - PIX_ABI_MINOR grows when a field is appended at the end of a kind's
 *     descriptor, of pix_host, of pix_ctx or of a service table, or an enum
 *     or flag gains a value.  Each kind's descriptor is a struct of its
 *     own that starts with the fields every kind shares (PIX_PLUGIN_COMMON,
 *     frozen within a major) and ends with its kind's callbacks, where new
 *     ones are appended; its struct_size tells the host which are there.
 *   - The host refuses a plugin built for a newer minor (it could rely on
 *     host functions this host lacks).  It accepts one built for an older
 *     minor, whose shorter descriptor it reads with the fields added since
 *     as zero, so plugins keep working across host upgrades within a major.
 *   - host->abi_minor lets a plugin that declares an older minor than its
 *     headers (to load on older hosts) use newer host functions when they
 *     are there: read a host field added after the declared minor only
 *     after checking host->abi_minor.
 *   - What only some plugins need (the AWS client) is a service table the
 *     plugin asks for by name and version (host->service, pixpipe/aws.h).
 *
 * History: 2.1 appended storage list() and remove(), metadata get() and
 * remove(), pix_object_entry, and host->sequencer_pad().
 * 2.3 appended pix_encode's quality_target, quality_min and quality_max
 * (PIX_QUALITY_AUTO), read only from plugins built for 2.3 or later,
 * pix_rendition's quality and search (pix_quality_search), and made an
 * INT option's choices the words it also takes.
 *
 * Ownership rules, everywhere in this file:
 *   - "borrowed": the callee may read it only for the duration of the call
 *     (or, for host getters, until the job ends); never free it.
 *   - "owned by the caller"/"caller frees": release it with the function
 *     named (free() for plain memory, g_object_unref() for a VipsImage).
 *   - "steals": the callee takes over the reference or allocation, also when
 *     the call fails.
 *
 * Threading: create() and destroy() run on the main thread.  A stage's
 * min_scale(), process() and finish(), a storage's get()/put()/head()/
 * list()/remove() and a metadata backend's put()/get()/remove() may run
 * concurrently on several jobs (pixpipe
 * run -j N, Lambda records) with the same context: treat the config and the
 * state as read-only after create(), or guard the state with a lock.  A
 * given job is only ever touched by one thread at a time.
 */
#ifndef PIXPIPE_PIXPIPE_H
#define PIXPIPE_PIXPIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PIX_ABI_MAJOR 2
#define PIX_ABI_MINOR 3

/* The symbol every plugin exports. */
#define PIX_PLUGIN_ENTRY_SYMBOL "pix_plugin_entry"

#if defined(__GNUC__)
#define PIX_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define PIX_EXPORT __attribute__((visibility("default")))
#else
#define PIX_PRINTF(fmt, args)
#define PIX_EXPORT
#endif

/* libvips' image type, kept opaque here so storage and metadata plugins do
 * not need the libvips headers.  Stages include <pixpipe/stage.h>. */
struct _VipsImage;

typedef struct pix_host pix_host;     /* host API table, see below        */
typedef struct pix_ctx pix_ctx;       /* what every callback receives     */
typedef struct pix_job pix_job;       /* one source object; opaque        */
typedef struct pix_record pix_record; /* typed key/value tree; opaque     */

typedef enum pix_kind {
    PIX_KIND_STAGE = 1,    /* transforms the job's working image          */
    PIX_KIND_STORAGE = 2,  /* reads sources and writes renditions        */
    PIX_KIND_METADATA = 3, /* stores one record per source object        */
} pix_kind;

/* ---------------------------------------------------------------- options */

typedef enum pix_opt_type {
    PIX_OPT_STRING = 1, /* char *        (NULL when unset, no default)      */
    PIX_OPT_INT,        /* int64_t                                          */
    PIX_OPT_NUMBER,     /* double                                           */
    PIX_OPT_BOOL,       /* bool                                             */
    PIX_OPT_SIZE,       /* uint64_t bytes; "50MB", "1.5GiB", "100K", "100M" */
    PIX_OPT_ENUM,       /* int: index into choices                          */
    PIX_OPT_STRLIST,    /* pix_strlist   (a YAML sequence or one string)    */
    PIX_OPT_COLOUR,     /* pix_colour    ("#rrggbb[aa]", "#rgb", names)     */
} pix_opt_type;

enum {
    PIX_OPT_REQUIRED = 1u << 0, /* must be given in the pipeline file        */
    PIX_OPT_SECRET = 1u << 1,   /* never printed: logs, errors, --dry-run   */
};

/* A list of strings.  In a config struct the host owns it. */
typedef struct pix_strlist {
    size_t count;
    char **items;
} pix_strlist;

/* An RGBA colour: r, g, b in 0..255, a in 0..1. */
typedef struct pix_colour {
    double r, g, b, a;
} pix_colour;

/*
 * One option a plugin accepts.  A table is an array ending with an entry
 * whose name is NULL.  The host parses the pipeline's value (or def when the
 * option is absent), checks type, bounds and choices, and writes the result
 * at `offset` in the plugin's config struct.  Strings and lists written into
 * the config are owned by the host and stay valid until after destroy().
 */
typedef struct pix_option {
    const char *name;            /* lower-case, words joined by '_'         */
    pix_opt_type type;
    unsigned flags;              /* PIX_OPT_REQUIRED | PIX_OPT_SECRET       */
    size_t offset;               /* offsetof(config struct, field)          */
    const char *def;             /* default, written as in YAML; NULL: none */
    double min, max;             /* inclusive bounds when min < max (INT,
                                    NUMBER, SIZE; STRING/STRLIST: length)   */
    const char *const *choices;  /* ENUM: NULL-terminated list; INT (2.3):
                                    words it takes besides numbers, stored
                                    as -1 - index ("auto" first: -1)        */
    const char *doc;             /* one sentence for `pixpipe plugins NAME` */
} pix_option;

/* ------------------------------------------------------------ job values */

typedef enum pix_status {
    PIX_JOB_OK = 0,
    PIX_JOB_SKIPPED = 1,
    PIX_JOB_FAILED = 2,
} pix_status;

typedef enum pix_log_level {
    PIX_LOG_DEBUG = 0,
    PIX_LOG_INFO = 1,
    PIX_LOG_WARN = 2,
    PIX_LOG_ERROR = 3,
} pix_log_level;

/* What is known of the source object.  Borrowed from the job. */
typedef struct pix_source {
    const char *bucket;       /* S3 bucket, or the folder for storage-fs   */
    const char *key;          /* object key, '/'-separated                 */
    uint64_t size;            /* bytes                                     */
    const char *etag;         /* "" when the storage has none              */
    const char *content_type; /* "" when unknown                           */
    const char *format;       /* libvips loader family: "jpeg", "png", ... */
    int width, height;        /* from the header, before any stage         */
    int pages;                /* frames / pages in the file                */
    const char *sequencer;    /* S3 event sequencer, "" when none          */
    int orientation;          /* EXIF orientation of the source, 1..8      */
    bool animated;            /* the working image holds every frame
                                 (libvips "page-height" set)                */
} pix_source;

/* How a rendition is encoded.  Strings are borrowed. */
typedef struct pix_encode {
    const char *format; /* "jpeg", "png", "webp", "avif", "jxl", "source" */
    int quality;        /* 1..100; 0 = the format's default              */
    bool lossless;      /* webp / avif / jxl                             */
    int effort;         /* png compression / webp, avif, jxl effort; -1 = default */
    bool progressive;   /* jpeg interlace, png adam7                     */
    bool keep_metadata; /* false: the encoder strips every metadata block */
    /* --- 2.3: read only from plugins built for 2.3 or later --- */
    double quality_target;  /* PIX_QUALITY_AUTO: the SSIM on luma to reach;
                               0 = PIX_QUALITY_TARGET_DEFAULT             */
    int quality_min;        /* PIX_QUALITY_AUTO: bounds of the search;     */
    int quality_max;        /* 0 = PIX_QUALITY_MIN/MAX_DEFAULT             */
} pix_encode;

/* pix_encode.quality: the encoder searches the quality (lossy formats
 * only) for the smallest file whose SSIM on luma against the unencoded
 * rendition reaches quality_target. */
#define PIX_QUALITY_AUTO (-1)
#define PIX_QUALITY_TARGET_DEFAULT 0.97
#define PIX_QUALITY_MIN_DEFAULT 40
#define PIX_QUALITY_MAX_DEFAULT 95

/* A rendition produced by a job.  Borrowed from the job. */
typedef struct pix_rendition {
    const char *name;   /* e.g. "large", "thumb"                          */
    const char *key;    /* destination key, "" until computed             */
    const char *format; /* the encoded format: "jpeg", "png", ...         */
    int width, height;
    uint64_t bytes;     /* encoded size                                   */
    bool stored;        /* written to the destination storage             */
    /* --- 2.3 --- */
    int quality;        /* the quality it was encoded at; 0: the format's
                           default, or a format without one                */
    const struct pix_quality_search *search; /* quality auto; else NULL     */
} pix_rendition;

/* What quality auto found for a rendition (ABI 2.3).  Borrowed from the
 * job. */
typedef struct pix_quality_search {
    const char *metric; /* "ssim": SSIM on luma, 8x8 windows at a stride of 4 */
    int quality;        /* the quality chosen (pix_rendition.quality)      */
    double target;      /* the score asked for                             */
    double score;       /* measured at the quality chosen; NaN if unknown  */
    double sample;      /* share of the rendition's pixels compared (0..1] */
    int encodes;        /* encodes made: trials on the sample, then one    */
    bool reached;       /* score >= target within quality_min..max         */
} pix_quality_search;

/* A part of the upright source to keep in frame when cropping (ABI 2.2),
 * in fractions 0..1 of the upright image's width and height, so that it
 * holds at any decode scale.  Borrowed from the job. */
typedef struct pix_focus {
    double x, y;                     /* the point to centre on              */
    double left, top, width, height; /* the box to keep whole (the union of
                                        the regions named); width and height
                                        0 when only a point was given       */
    const char *origin;              /* where it was read: "metadata" (the
                                        object's focal-point), "xmp-mwg"
                                        (mwg-rs:Regions), "xmp-mpri"
                                        (Microsoft Photo regions)           */
} pix_focus;

/* Time spent by one step of a job.  Borrowed from the job. */
typedef struct pix_timing {
    const char *step; /* "fetch", "decode", a stage's name, "encode", "store" */
    double ms;
} pix_timing;

/* Bytes handed from a storage plugin to the host.  data is malloc()ed by the
 * plugin; the host takes it over and releases it with free(). */
typedef struct pix_bytes {
    unsigned char *data;
    size_t len;
} pix_bytes;

/* One user-metadata pair stored with an object.  Borrowed. */
typedef struct pix_kv {
    const char *key;
    const char *value;
} pix_kv;

/* Object facts filled by storage get().  Fixed-size so nothing is owned. */
typedef struct pix_object_info {
    uint64_t size;
    char etag[128];
    char content_type[128];
    bool written_by_pixpipe; /* carries pixpipe's own output marker        */
    char user_meta[2048];    /* the object's user metadata as "name: value"
                                lines (names without x-amz-meta-), "" when
                                none; kept in the record as source_metadata */
} pix_object_info;

/* What the host asks storage put() to record with an object.  Borrowed. */
typedef struct pix_put_info {
    const char *content_type;
    const pix_kv *meta; /* user metadata; keys without any prefix */
    size_t n_meta;
} pix_put_info;

/* One object of a storage listing.  Borrowed for the call it is handed to. */
typedef struct pix_object_entry {
    const char *key;  /* the whole key, '/'-separated, as stored            */
    uint64_t size;    /* bytes                                              */
    const char *etag; /* what get() would put in pix_object_info.etag for
                         this object (S3: the quoted ETag), "" when none    */
    int64_t mtime_ms; /* last modified, ms since the epoch; 0 when unknown  */
} pix_object_entry;

/* Called by storage list() once per object of a page, in key order.
 * Returns 0 to go on, or -1 to stop the listing: list() then returns -1
 * (the callback recorded why on the job). */
typedef int (*pix_list_fn)(void *user, const pix_object_entry *entry);

/* The most bytes of a listing's continuation token, its NUL included. */
#define PIX_LIST_TOKEN_MAX 1024

/* ------------------------------------------------------------ context */

/* What every callback of a plugin instance receives.  Owned by the host;
 * valid from before check() or create() until after destroy().  Fields are
 * appended at the end behind a PIX_ABI_MINOR bump. */
struct pix_ctx {
    const pix_host *host; /* the host table                                 */
    const void *config;   /* the validated config (config_size bytes, filled
                             from the option table); NULL when config_size
                             is 0.  Strings and lists in it are the host's. */
    void *state;          /* what create() set; NULL before it, and always
                             for a plugin without create()                  */
    const char *name;     /* the plugin's name                              */
    const char *label;    /* the instance in the pipeline: "stages[2]
                             resize", "destination storage-s3"              */
};

/* ---------------------------------------------------------- descriptors */

/* The fields every kind's descriptor starts with, in this order; frozen
 * within a major.  Set through the PIX_*_PLUGIN macros, which fill the
 * first four. */
#define PIX_PLUGIN_COMMON                                                      \
    uint32_t abi_major;  /* PIX_ABI_MAJOR the plugin was built with      */  \
    uint32_t abi_minor;  /* PIX_ABI_MINOR the plugin was built with      */  \
    size_t struct_size;  /* sizeof its kind's descriptor, as built       */  \
    pix_kind kind;                                                            \
    const char *name;    /* must equal the file name without ".so"       */  \
    const char *version; /* the plugin's own version, e.g. "1.0.0"       */  \
    const char *summary; /* one line for `pixpipe plugins`               */  \
    const pix_option *options; /* NULL or a table ending with {NULL}    */  \
    size_t config_size;  /* bytes of the config struct options fill in   */  \
    unsigned flags;      /* PIX_PLUGIN_* below                           */  \
    /* Optional.  Checks ctx->config for what the option table cannot   */  \
    /* say ("width or height"), with no side effect: `pixpipe validate` */  \
    /* runs it, and create() runs only after it passed.  Returns 0, or  */  \
    /* the -1 of host->error().                                          */  \
    int (*check)(const pix_ctx *ctx);                                         \
    /* Optional: only for a plugin that holds state.  Sets *state (seen */  \
    /* as ctx->state afterwards).  Returns 0, or the -1 of host->error(). */\
    int (*create)(const pix_ctx *ctx, void **state);                          \
    /* Optional.  Releases ctx->state. */                                     \
    void (*destroy)(const pix_ctx *ctx);

/* What the host reads of any descriptor before it knows the kind. */
typedef struct pix_plugin {
    PIX_PLUGIN_COMMON
} pix_plugin;

typedef struct pix_stage_plugin {
    PIX_PLUGIN_COMMON
    /* Required.  Works on the job's image (host->job_image / job_set_image,
     * host->job_add_rendition).  Returns 0, or the -1 of host->job_error(). */
    int (*process)(const pix_ctx *ctx, pix_job *job);
    /* Optional.  The smallest scale (0 < s <= 1) of the upright source,
     * width x height pixels, from which this stage still gives exact output
     * (resize to 800 wide from 4000 wide: 0.2).  The host decodes the source
     * once, at the scale the stages need: the largest hint up to the first
     * hinted stage that changes the working image (later stages work from
     * its output).  A stage without a hint (and not scale-neutral) gets the
     * full size; so does the main output when no stage reduces the image. */
    double (*min_scale)(const pix_ctx *ctx, int width, int height);
    /* Optional.  Runs for every job after its renditions are stored, also
     * when the job failed or was skipped, in the order of the stage list.
     * Returns 0, or the -1 of host->job_error() (the job then fails). */
    int (*finish)(const pix_ctx *ctx, pix_job *job, pix_status status);
    /* --- 2.2 --- */
    /* Optional; required of a stage that adds renditions.  The name of the
     * i-th rendition (0, 1, ...) this instance adds to every job, NULL
     * after the last: `validate` refuses two renditions of one name in a
     * pipeline, naming both stages.  The string is borrowed from the
     * instance (its config) and lives as long as it. */
    const char *(*rendition_name)(const pix_ctx *ctx, size_t i);
    /* Appended callbacks go here, behind a PIX_ABI_MINOR bump. */
} pix_stage_plugin;

typedef struct pix_storage_plugin {
    PIX_PLUGIN_COMMON
    /* Required.  Reads bucket/key into out (see pix_bytes), refusing objects
     * larger than max_bytes (0: no limit) before reading them whole.  Fills
     * info.  Returns 0, or the -1 of host->job_error() naming the object.
     * The host frees out->data whether get() succeeds or fails. */
    int (*get)(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
               uint64_t max_bytes, pix_bytes *out, pix_object_info *info);
    /* Required.  Writes len bytes at bucket/key, all or nothing: a reader
     * never sees a partly written object.  data is borrowed. */
    int (*put)(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
               const void *data, size_t len, const pix_put_info *put);
    /* Optional.  Fills info for bucket/key without reading the object (S3
     * HeadObject): `pixpipe run --dry-run` plans with it instead of
     * downloading.  Returns 0, or the -1 of host->job_error(). */
    int (*head)(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                pix_object_info *info);
    /* Required.  The URI scheme of the objects it serves: "file" for local
     * folders (the host's default storage, and the one `pixpipe run DIR`
     * walks), "s3" for s3://BUCKET/KEY.  Static. */
    const char *scheme;
    /* Optional.  The destination's bucket (or root) when the pipeline
     * gives none ("./out"); NULL: the pipeline must give one.  Static. */
    const char *default_root;

    /* --- 2.1 --- */

    /* Optional (needed to backfill a prefix).  Lists one page of the
     * objects of bucket whose keys start with prefix ("" for all), in key
     * order, calling each(user, entry) for every object of the page.
     * token is NULL (or "") for the first page, else the next[] of the
     * page before.  Writes the token of the next page into next
     * (PIX_LIST_TOKEN_MAX bytes), or "" when this page was the last.  A
     * page holds at most 1000 objects, so memory stays flat whatever the
     * bucket holds.  job names the listing in errors (host->job_error()).
     * Returns 0, or -1 (recorded on job). */
    int (*list)(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *prefix,
                const char *token, pix_list_fn each, void *user, char *next);
    /* Optional (needed for on_delete: remove).  Removes bucket/key.  A
     * missing object is success: a remove is idempotent.  Returns 0, or -1
     * of host->job_error() naming the object. */
    int (*remove)(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key);
    /* Appended callbacks go here, behind a PIX_ABI_MINOR bump. */
} pix_storage_plugin;

typedef struct pix_metadata_plugin {
    PIX_PLUGIN_COMMON
    /* Required.  Stores the job's record (borrowed), replacing any earlier
     * record of the same source bucket and key. */
    int (*put)(const pix_ctx *ctx, pix_job *job, const pix_record *record);

    /* --- 2.1 --- */

    /* Optional (needed for --only-stale and on_delete: remove).  The
     * record stored for the source bucket/key, as the JSON object put()
     * was given (the backend's own bookkeeping, such as a padded
     * sequencer, may be in it too), in *json: malloc()ed, the host frees
     * it with free().  *json is NULL when there is no record.  Returns 0
     * either way, or -1 of host->job_error() when the backend cannot tell. */
    int (*get)(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
               char **json);
    /* Optional (needed for on_delete: remove).  Replaces the record of
     * bucket/key with a tombstone, {"source_bucket", "source_key",
     * "deleted": true, "sequencer", "deleted_at"}, so that the delete is
     * remembered: an older create arriving later fails put()'s sequencer
     * guard.  With a sequencer ("" or NULL: none), only a record with no
     * sequencer or one not newer than it is replaced, atomically.  Writes
     * the record that was replaced into *old_json (malloc()ed, the host
     * frees it; NULL when there was none or it was kept).  Returns 0 when
     * replaced (or there was nothing), 1 when a newer record is kept and
     * nothing changed, -1 of host->job_error(). */
    int (*remove)(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                  const char *sequencer, char **old_json);
    /* Appended callbacks go here, behind a PIX_ABI_MINOR bump. */
} pix_metadata_plugin;

enum {
    /* A stage that hands records to the metadata backend
     * (host->job_write_record): the pipeline must have a metadata section. */
    PIX_PLUGIN_WRITES_RECORDS = 1u << 0,
    /* A stage whose output does not depend on the scale it works at
     * (metadata edits, colour conversion): it does not stop the host from
     * decoding at the scale later stages ask for. */
    PIX_PLUGIN_SCALE_NEUTRAL = 1u << 1,
    /* A stage that leaves the working image as it is and only derives
     * renditions from it (thumbnail).  Its min_scale covers its own
     * renditions; the working image must still reach later stages and the
     * main output at the scale they need. */
    PIX_PLUGIN_KEEPS_IMAGE = 1u << 2,
};

/* The entry point every plugin exports.  Returns its static descriptor,
 * seen through its common fields. */
typedef const pix_plugin *(*pix_plugin_entry_fn)(void);

/* --------------------------------------------------------- host API table */

struct pix_host {
    uint32_t abi_major, abi_minor;
    size_t struct_size;

    /* Logs a line prefixed with the plugin's name. */
    void (*log)(const pix_ctx *ctx, pix_log_level level, const char *fmt, ...) PIX_PRINTF(3, 4);
    /* Records why check() or create() failed; the host adds the plugin and
     * pipeline context.  Call once.  Returns -1, for `return host->error(...)`. */
    int (*error)(const pix_ctx *ctx, const char *fmt, ...) PIX_PRINTF(2, 3);
    /* A service table by name and version ("aws", PIX_AWS_VERSION), or
     * NULL when this host has none of that version.  Borrowed; valid for
     * the life of the process.  See pixpipe/aws.h. */
    const void *(*service)(const char *name, uint32_t version);

    /* Records why the job fails; the host adds the running plugin's name.
     * The first error recorded on a job is the one reported.  Returns -1,
     * for `return host->job_error(...)`. */
    int (*job_error)(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
    /* The same for a libvips call that failed: records fmt, then ": " and
     * libvips' reason, and clears libvips' error buffer, so that the next
     * failure of this or another job never reports this one's reason.
     * Returns -1. */
    int (*job_vips_error)(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
    /* Ends the job as skipped (not failed) with a reason; return 0 after. */
    void (*job_skip)(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
    /* Adds a note to the job's record ("notes": a list of strings), for
     * what a user should know though nothing failed: a mark left out on a
     * tiny image, an animation reduced to its first frame. */
    void (*job_note)(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);

    /* The source object.  Borrowed; valid until the job ends. */
    const pix_source *(*job_source)(const pix_job *job);
    /* The source's bytes.  Borrowed; valid until the job ends. */
    const unsigned char *(*job_source_bytes)(const pix_job *job, size_t *len);
    /* The source as read from its header: every metadata field the file
     * carries (EXIF, XMP, IPTC, ICC, orientation), no pixels decoded.  Read
     * metadata from it, never pixels.  Borrowed; valid until the job ends;
     * NULL before the header is read or when it could not be. */
    struct _VipsImage *(*job_source_image)(const pix_job *job);
    /* Wall-clock deadline in ms since the epoch, 0 when there is none. */
    int64_t (*job_deadline_ms)(const pix_job *job);
    /* The pipeline's name.  Borrowed. */
    const char *(*job_pipeline_name)(const pix_job *job);

    /* The working image: the source decoded once, upright (EXIF orientation
     * applied, tag reset), 8 bits per band, in sRGB or B_W (CMYK converted
     * through its profile), at the scale the stages need; lazy until read.
     * Borrowed: the job keeps its reference; g_object_ref() it to keep it
     * past the next set.  NULL after the job failed (the source cannot be
     * decoded): return -1. */
    struct _VipsImage *(*job_image)(pix_job *job);
    /* Replaces the working image.  Steals the reference to img. */
    void (*job_set_image)(pix_job *job, struct _VipsImage *img);
    /* The working image, made safe to read more than once: materialised in
     * memory (once per job, at its current size) unless it already is.  Use
     * it to derive a rendition while the working image stays in use, so the
     * source is decoded once.  Borrowed, like job_image(). */
    struct _VipsImage *(*job_image_shared)(pix_job *job);
    /* Adds a named rendition.  Steals the reference to img; enc is copied.
     * Returns 0, or -1 after recording the error (duplicate name). */
    int (*job_add_rendition)(pix_job *job, const char *name, struct _VipsImage *img,
                             const pix_encode *enc);
    /* Renditions so far (after storing, their keys and sizes).  Borrowed. */
    size_t (*job_rendition_count)(const pix_job *job);
    const pix_rendition *(*job_rendition)(const pix_job *job, size_t i);
    /* Timings recorded so far.  Borrowed. */
    size_t (*job_timing_count)(const pix_job *job);
    const pix_timing *(*job_timing)(const pix_job *job, size_t i);
    /* The job's status and reason ("" when ok).  reason is borrowed. */
    pix_status (*job_status)(const pix_job *job, const char **reason);

    /* The job's metadata record (an object).  Borrowed from the job. */
    pix_record *(*job_record)(pix_job *job);
    /* Hands the job's record to the pipeline's metadata backend. */
    int (*job_write_record)(pix_job *job);

    /* Record editing.  Keys and values are copied. Setting an existing key
     * replaces it.  rec_object and rec_append return a child record borrowed
     * from its parent (an object, or a new object appended to a list). */
    void (*rec_set_str)(pix_record *rec, const char *key, const char *value);
    void (*rec_set_int)(pix_record *rec, const char *key, int64_t value);
    void (*rec_set_num)(pix_record *rec, const char *key, double value);
    void (*rec_set_bool)(pix_record *rec, const char *key, bool value);
    pix_record *(*rec_object)(pix_record *rec, const char *key);
    pix_record *(*rec_append)(pix_record *rec, const char *list_key);
    /* Record reading.  A getter returns 0 and sets *out, or -1 when the key
     * is absent or of another type.  Strings are borrowed from the record. */
    int (*rec_get_str)(const pix_record *rec, const char *key, const char **out);
    int (*rec_get_int)(const pix_record *rec, const char *key, int64_t *out);
    int (*rec_get_num)(const pix_record *rec, const char *key, double *out);
    int (*rec_get_bool)(const pix_record *rec, const char *key, bool *out);
    /* The record as compact JSON, keys in insertion order.  Caller frees
     * with free(). */
    char *(*rec_to_json)(const pix_record *rec);

    /* Checks an object key for storage on a file system: refuses "", an
     * absolute path, control characters, a "." or ".." segment, an empty
     * segment ("a//b") and a trailing '/'.  Returns 0, or -1 with *why set
     * to a static explanation. */
    int (*key_check)(const char *key, const char **why);

    /* Whether this libvips writes format ("jpeg", "png", "webp", "avif",
     * "gif", "tiff", "jxl"): asked once per format and process (an AVIF
     * saver may exist without an AV1 encoder behind it). */
    bool (*format_can_save)(const char *format);

    /* --- 2.1 --- */

    /* Writes an S3 event sequencer (hex digits, of varying length) into
     * out as exactly width upper-case hex digits, left-padded with zeros,
     * and a NUL (out holds width + 1 bytes), so that stored sequencers
     * compare in event order as plain strings, which is what a store's
     * condition can test.  Returns 0, or -1 when seq is not hex or has more
     * than width significant digits. */
    int (*sequencer_pad)(const char *seq, char *out, size_t width);

    /* --- 2.2 --- */

    /* Adds ms to the job's timing of step ("describe.blurhash"), shown in
     * the record's timings_ms beside the host's own steps: what a stage
     * made of parts costs, part by part.  step is copied. */
    void (*job_time)(pix_job *job, const char *step, double ms);
    /* The focal point of the source (pix_focus), read once by the host
     * from the object's user metadata (focal-point: x,y) or its XMP face
     * and subject regions; NULL when it has none.  Borrowed from the job. */
    const pix_focus *(*job_focus)(pix_job *job);
    /* From finish() of a job whose renditions are stored: stores data (len
     * bytes, borrowed) through the destination under the key the template
     * gives for rendition name and extension ext ("json"), with
     * content_type, and lists it among the job's renditions (format ext,
     * width and height 0), so that the record names it and a delete
     * removes it.  For manifests made from the stored renditions.  Returns
     * 0, or -1 after recording the error on the job. */
    int (*job_put_object)(pix_job *job, const char *name, const char *ext,
                          const char *content_type, const void *data, size_t len);

    /* Appended fields go here, behind a PIX_ABI_MINOR bump. */
};

/* ------------------------------------------------ declaring a plugin */

/* One macro per kind declares the plugin's static descriptor, with the ABI
 * version filled in, and exports its entry point.  NAME must equal the file
 * name without ".so".  Then come the kind's required callbacks, in this
 * order, and designated initialisers for the rest of the kind's descriptor
 * (.options, .config_size, .check, .create, .destroy, .flags and the kind's
 * optional callbacks).  A missing required callback, a wrong kind's
 * callback or one of the wrong type does not compile.  Use one per shared
 * object, at file scope:
 *
 *     PIX_STAGE_PLUGIN("grayscale", "1.0.0", "Converts the image to grey",
 *                      gray_process);
 *     PIX_STORAGE_PLUGIN("storage-x", "1.0.0", "Objects in X", x_get, x_put,
 *                        .scheme = "x", .head = x_head);
 *     PIX_METADATA_PLUGIN("metadata-x", "1.0.0", "Records in X", x_put);
 */
#define PIX_STAGE_PLUGIN(NAME, VERSION, SUMMARY, ...)                          \
    PIX_DEFINE_PLUGIN_(pix_stage_plugin, PIX_KIND_STAGE, NAME, VERSION, SUMMARY, \
                       .process = __VA_ARGS__)
#define PIX_STORAGE_PLUGIN(NAME, VERSION, SUMMARY, GET, ...)                   \
    PIX_DEFINE_PLUGIN_(pix_storage_plugin, PIX_KIND_STORAGE, NAME, VERSION,    \
                       SUMMARY, .get = (GET), .put = __VA_ARGS__)
#define PIX_METADATA_PLUGIN(NAME, VERSION, SUMMARY, ...)                       \
    PIX_DEFINE_PLUGIN_(pix_metadata_plugin, PIX_KIND_METADATA, NAME, VERSION,  \
                       SUMMARY, .put = __VA_ARGS__)

#define PIX_DEFINE_PLUGIN_(TYPE, KIND, NAME, VERSION, SUMMARY, ...)            \
    static const TYPE pix_plugin_descriptor_ = {                               \
        PIX_PLUGIN_HEADER(TYPE, KIND), .name = (NAME), .version = (VERSION),   \
        .summary = (SUMMARY), __VA_ARGS__                                      \
    };                                                                         \
    PIX_PLUGIN_EXPORT(pix_plugin_descriptor_)

/* The long way, for descriptors the macros above cannot express (tests of
 * malformed plugins): declares the entry point returning `descriptor`, a
 * static kind descriptor starting with PIX_PLUGIN_HEADER. */
#define PIX_PLUGIN_EXPORT(descriptor)                                          \
    PIX_EXPORT const pix_plugin *pix_plugin_entry(void);                      \
    PIX_EXPORT const pix_plugin *pix_plugin_entry(void)                       \
    {                                                                          \
        return (const pix_plugin *)(const void *)&(descriptor);               \
    }                                                                          \
    struct pix_plugin_entry_end_ /* takes the caller's ';' */

/* Fills the version fields of a descriptor of type TYPE and kind KIND. */
#define PIX_PLUGIN_HEADER(TYPE, KIND)                                          \
    .abi_major = PIX_ABI_MAJOR, .abi_minor = PIX_ABI_MINOR,                    \
    .struct_size = sizeof(TYPE), .kind = (KIND)

#ifdef __cplusplus
}
#endif

#endif /* PIXPIPE_PIXPIPE_H */
