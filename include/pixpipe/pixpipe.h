/*
 * pixpipe plugin ABI.
 *
 * A plugin is a shared object named <name>.so that exports one symbol,
 * pix_plugin_entry(), returning a pointer to a static pix_plugin descriptor.
 * The host (the pixpipe binary) checks the descriptor's ABI version, validates
 * the options written in the pipeline file against the descriptor's option
 * table, fills a config struct of config_size bytes and only then calls
 * create().  Plugins never parse YAML and never link against the host: every
 * service they need comes through the pix_host function table handed to
 * create().
 *
 * Compatibility policy:
 *   - PIX_ABI_MAJOR changes when an existing field or callback changes
 *     meaning or position.  The host refuses a plugin of another major.
 *   - PIX_ABI_MINOR grows when fields are appended at the end of pix_plugin
 *     or pix_host, or an enum or flag gains a value.  The ops structs sit
 *     inside a union in the middle of pix_plugin and never grow within a
 *     major: a new callback for a kind is appended to pix_plugin itself.
 *   - The host refuses a plugin built for a newer minor (it could rely on
 *     host functions this host lacks).  It accepts one built for an older
 *     minor, whose shorter descriptor (struct_size) it reads with the fields
 *     added since as zero, so plugins keep working across host upgrades
 *     within a major.
 *   - host->abi_minor lets a plugin that declares an older minor than its
 *     headers (to load on older hosts) use newer host functions when they
 *     are there: read a host field added after the declared minor only
 *     after checking host->abi_minor.
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
 * min_scale(), process() and finish(), a storage's get()/put()/head() and a
 * metadata backend's put() may run concurrently on several jobs (pixpipe run -j N, Lambda
 * records) with the same state pointer: treat the state as read-only after
 * create(), or guard it with a lock.  A given job is only ever touched by one
 * thread at a time.
 */
#ifndef PIXPIPE_PIXPIPE_H
#define PIXPIPE_PIXPIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PIX_ABI_MAJOR 1
#define PIX_ABI_MINOR 0

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
 * not need the libvips headers.  Stages include <vips/vips.h>. */
struct _VipsImage;

typedef struct pix_host pix_host;         /* host API table, see below */
typedef struct pix_instance pix_instance; /* one configured plugin; opaque */
typedef struct pix_job pix_job;           /* one source object; opaque */
typedef struct pix_record pix_record;     /* typed key/value tree; opaque */

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
    const char *const *choices;  /* ENUM: NULL-terminated list              */
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
    const char *format; /* "jpeg", "png", "webp", "avif", "source"       */
    int quality;        /* 1..100; 0 = the format's default              */
    bool lossless;      /* webp / avif                                   */
    int effort;         /* png compression / webp, avif effort; -1 = default */
    bool progressive;   /* jpeg interlace, png adam7                     */
    bool keep_metadata; /* false: the encoder strips every metadata block */
} pix_encode;

/* A rendition produced by a job.  Borrowed from the job. */
typedef struct pix_rendition {
    const char *name;   /* e.g. "large", "thumb"                          */
    const char *key;    /* destination key, "" until computed             */
    const char *format; /* the encoded format: "jpeg", "png", ...         */
    int width, height;
    uint64_t bytes;     /* encoded size                                   */
    bool stored;        /* written to the destination storage             */
} pix_rendition;

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

/* ------------------------------------------------------------------- AWS */

/* One HTTP header.  Borrowed. */
typedef struct pix_http_header {
    const char *name;
    const char *value;
} pix_http_header;

/* A request for host->aws_request.  Every pointer is borrowed for the call. */
typedef struct pix_aws_request {
    const char *service;   /* signing name: "s3", "dynamodb"                  */
    const char *region;    /* signing region                                  */
    const char *endpoint;  /* "https://host[:port]", no path                  */
    const char *method;    /* "GET", "PUT", "POST", "HEAD", "DELETE"           */
    const char *path;      /* URI-encoded path, e.g. "/bucket/a%20b.jpg"      */
    const char *query;     /* URI-encoded query without '?', or NULL          */
    const pix_http_header *headers; /* extra headers (Content-Type, x-amz-*) */
    size_t n_headers;
    const void *body;      /* NULL for none                                   */
    size_t body_len;
    bool unsigned_payload; /* S3: sign "UNSIGNED-PAYLOAD" instead of SHA-256  */
    uint64_t max_response_bytes; /* stop reading past this (0: no limit); the
                                    answer then fails as over the limit       */
    const char *operation; /* for errors: "GetObject", "PutItem"              */
    const char *resource;  /* for errors: "s3://bucket/key", "table images"   */
} pix_aws_request;

/* An answer.  Owned by the host; release with host->aws_response_free. */
typedef struct pix_aws_response {
    long status;           /* HTTP status                                     */
    unsigned char *body;   /* NUL-terminated for convenience; body_len bytes  */
    size_t body_len;
    void *priv;            /* the host's: headers                             */
} pix_aws_response;

/* ------------------------------------------------------------------- ops */

typedef struct pix_stage_ops {
    /* Required.  Works on the job's image (host->job_image / job_set_image,
     * host->job_add_rendition).  Returns 0, or -1 after host->job_error(). */
    int (*process)(void *state, pix_job *job);
    /* Optional.  The smallest scale (0 < s <= 1) of the upright source,
     * width x height pixels, from which this stage still gives exact output
     * (resize to 800 wide from 4000 wide: 0.2).  The host decodes the source
     * once, at the scale the stages need: the largest hint up to the first
     * hinted stage that changes the working image (later stages work from
     * its output).  A stage without a hint (and not scale-neutral) gets the
     * full size; so does the main output when no stage reduces the image. */
    double (*min_scale)(void *state, int width, int height);
    /* Optional.  Runs for every job after its renditions are stored, also
     * when the job failed or was skipped, in the order of the stage list.
     * Returns 0, or -1 after host->job_error() (the job then fails). */
    int (*finish)(void *state, pix_job *job, pix_status status);
} pix_stage_ops;

typedef struct pix_storage_ops {
    /* Required.  Reads bucket/key into out (see pix_bytes), refusing objects
     * larger than max_bytes (0: no limit) before reading them whole.  Fills
     * info.  Returns 0, or -1 after host->job_error() naming the object.
     * The host frees out->data whether get() succeeds or fails. */
    int (*get)(void *state, pix_job *job, const char *bucket, const char *key,
               uint64_t max_bytes, pix_bytes *out, pix_object_info *info);
    /* Required.  Writes len bytes at bucket/key, all or nothing: a reader
     * never sees a partly written object.  data is borrowed. */
    int (*put)(void *state, pix_job *job, const char *bucket, const char *key,
               const void *data, size_t len, const pix_put_info *put);
    /* Optional.  Fills info for bucket/key without reading the object (S3
     * HeadObject): `pixpipe run --dry-run` plans with it instead of
     * downloading.  Returns 0, or -1 after host->job_error(). */
    int (*head)(void *state, pix_job *job, const char *bucket, const char *key,
                pix_object_info *info);
} pix_storage_ops;

typedef struct pix_metadata_ops {
    /* Required.  Stores the job's record (borrowed), replacing any earlier
     * record of the same source bucket and key. */
    int (*put)(void *state, pix_job *job, const pix_record *record);
} pix_metadata_ops;

/* ------------------------------------------------------------ descriptor */

typedef struct pix_plugin {
    uint32_t abi_major;   /* PIX_ABI_MAJOR the plugin was built with      */
    uint32_t abi_minor;   /* PIX_ABI_MINOR the plugin was built with      */
    size_t struct_size;   /* sizeof(pix_plugin) the plugin was built with */
    pix_kind kind;
    const char *name;     /* must equal the file name without ".so"      */
    const char *version;  /* the plugin's own version, e.g. "1.0.0"      */
    const char *summary;  /* one line for `pixpipe plugins`              */
    const pix_option *options; /* NULL or a table ending with {NULL}     */
    size_t config_size;   /* bytes of the config struct options fill in  */
    /* Optional.  config is borrowed and stays valid until after destroy().
     * self identifies this instance to host->log and host->error.
     * Sets *state (may be NULL).  Returns 0, or -1 after host->error(). */
    int (*create)(const pix_host *host, pix_instance *self, const void *config,
                  void **state);
    /* Optional.  Releases what create() made. */
    void (*destroy)(void *state);
    union {
        pix_stage_ops stage;
        pix_storage_ops storage;
        pix_metadata_ops metadata;
    } ops;
    /* Optional.  Checks config (borrowed) for what the option table cannot
     * say (e.g. "width or height"), with no side effect: `pixpipe validate`
     * runs it, and create() runs only after it passed.  Returns 0, or -1
     * after host->error(). */
    int (*check)(const pix_host *host, pix_instance *self, const void *config);
    unsigned flags; /* PIX_PLUGIN_* below */
} pix_plugin;

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

/* The entry point every plugin exports.  Returns a static descriptor. */
typedef const pix_plugin *(*pix_plugin_entry_fn)(void);

/* --------------------------------------------------------- host API table */

struct pix_host {
    uint32_t abi_major, abi_minor;
    size_t struct_size;

    /* Logs a line prefixed with the instance's plugin name. */
    void (*log)(const pix_instance *self, pix_log_level level, const char *fmt,
                ...) PIX_PRINTF(3, 4);
    /* Records why create() failed; the host adds the plugin and pipeline
     * context.  Call once, then return -1. */
    void (*error)(pix_instance *self, const char *fmt, ...) PIX_PRINTF(2, 3);

    /* Records why the job fails; the host adds the running plugin's name.
     * The first error recorded on a job is the one reported. */
    void (*job_error)(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
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
     * past the next set.  NULL after host->job_error() when the source
     * cannot be decoded. */
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
    int (*job_add_rendition)(pix_job *job, const char *name,
                             struct _VipsImage *img, const pix_encode *enc);
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

    /* ---- AWS: one signed, retrying HTTP client shared by every plugin.
     * Credentials come from the environment (AWS_ACCESS_KEY_ID,
     * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or the container
     * credentials endpoint; they never appear in logs or errors. */

    /* Sends req, SigV4-signed, on this thread's kept-alive connection,
     * retrying with exponential backoff and full jitter on connection
     * errors, timeouts, 5xx, 429 and AWS throttling codes.  Returns 0 once
     * an HTTP answer is final (any status: check resp->status), or -1 after
     * recording on the job why no answer came (with job NULL: logged).
     * Release resp with aws_response_free() either way. */
    int (*aws_request)(pix_job *job, const struct pix_aws_request *req,
                       struct pix_aws_response *resp);
    void (*aws_response_free)(struct pix_aws_response *resp);
    /* The value of a response header (case-insensitive name), or NULL.
     * Borrowed from resp. */
    const char *(*aws_response_header)(const struct pix_aws_response *resp, const char *name);
    /* Records on the job the error an AWS answer carries, as one line:
     * "OPERATION RESOURCE: HTTP STATUS CODE: MESSAGE (request id ID)",
     * parsed from S3's XML or DynamoDB's JSON body.  Writes the AWS error
     * code (e.g. "NoSuchKey", "ConditionalCheckFailedException") into code
     * when code is not NULL.  Returns -1, for `return host->aws_fail(...)`. */
    int (*aws_fail)(pix_job *job, const struct pix_aws_request *req,
                    const struct pix_aws_response *resp, char *code, size_t code_size);
    /* Writes resp's user metadata (x-amz-meta-* headers) into buf as
     * "name: value" lines, names without the prefix, for
     * pix_object_info.user_meta. */
    void (*aws_response_meta)(const struct pix_aws_response *resp, char *buf, size_t size);
    /* Resolves the endpoint and region an AWS plugin uses: its own option
     * when set, else AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL, else
     * https://SERVICE.REGION.amazonaws.com; region from the option, else
     * AWS_REGION / AWS_DEFAULT_REGION, else us-east-1.  Writes into the
     * buffers.  Returns 0, or -1 with *why set when the endpoint is not an
     * http(s) URL. */
    int (*aws_endpoint)(const char *service, const char *option_endpoint,
                        const char *option_region, char *endpoint, size_t endpoint_size,
                        char *region, size_t region_size, const char **why);

    /* Appended fields go here, behind a PIX_ABI_MINOR bump. */
};

/* ------------------------------------------------ declaring a plugin */

/* The short way, one macro per kind: declares the plugin's static
 * descriptor with the ABI version filled in and exports its entry point.
 * NAME must equal the file name without ".so".  The rest are designated
 * initialisers of pix_plugin: the ops of the kind (at least the required
 * ones), and .options, .config_size, .create, .destroy, .check, .flags as
 * needed.  Use one per shared object, at file scope:
 *
 *     PIX_STAGE_PLUGIN("grayscale", "1.0.0", "Converts the image to grey",
 *                      .ops.stage.process = gray_process);
 */
#define PIX_STAGE_PLUGIN(NAME, VERSION, SUMMARY, ...)                          \
    PIX_DEFINE_PLUGIN(PIX_KIND_STAGE, NAME, VERSION, SUMMARY, __VA_ARGS__)
#define PIX_STORAGE_PLUGIN(NAME, VERSION, SUMMARY, ...)                        \
    PIX_DEFINE_PLUGIN(PIX_KIND_STORAGE, NAME, VERSION, SUMMARY, __VA_ARGS__)
#define PIX_METADATA_PLUGIN(NAME, VERSION, SUMMARY, ...)                       \
    PIX_DEFINE_PLUGIN(PIX_KIND_METADATA, NAME, VERSION, SUMMARY, __VA_ARGS__)

/* What the three above expand to; KIND is a pix_kind. */
#define PIX_DEFINE_PLUGIN(KIND, NAME, VERSION, SUMMARY, ...)                   \
    static const pix_plugin pix_plugin_descriptor_ = {                         \
        PIX_PLUGIN_HEADER, .kind = (KIND), .name = (NAME),                     \
        .version = (VERSION), .summary = (SUMMARY), __VA_ARGS__                \
    };                                                                         \
    PIX_PLUGIN_EXPORT(pix_plugin_descriptor_)

/* The long way: declares the entry point returning `descriptor`, a static
 * pix_plugin the plugin wrote itself (starting with PIX_PLUGIN_HEADER). */
#define PIX_PLUGIN_EXPORT(descriptor)                                          \
    PIX_EXPORT const pix_plugin *pix_plugin_entry(void);                      \
    PIX_EXPORT const pix_plugin *pix_plugin_entry(void) { return &(descriptor); }

/* Fills the version fields of a descriptor. */
#define PIX_PLUGIN_HEADER                                                      \
    .abi_major = PIX_ABI_MAJOR, .abi_minor = PIX_ABI_MINOR,                    \
    .struct_size = sizeof(pix_plugin)

#ifdef __cplusplus
}
#endif

#endif /* PIXPIPE_PIXPIPE_H */
