/* The source objects named on the command line. */
#ifndef PIX_CORE_INPUTS_H
#define PIX_CORE_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

typedef struct pix_input {
    char *bucket;      /* storage-fs: the absolute folder                   */
    char *key;         /* path inside it                                    */
    char *display;     /* how to name it to the user                        */
    bool from_folder;  /* found by recursion: non-images are skipped        */
    bool s3;           /* an S3 object (s3:// argument or event record)      */
    char *sequencer;   /* the S3 event's sequencer, NULL when none           */
    char *message_id;  /* the SQS message that announced it, NULL when none  */
    char *etag;        /* the ETag a listing gave, NULL when none            */
    bool removed;      /* an ObjectRemoved: the source was deleted           */
} pix_input;

typedef struct pix_inputs pix_inputs;

/* Called when a folder walk has filled a page (see pix_inputs.on_page):
 * runs the page's inputs and empties it (pix_inputs_truncate(in, 0)). */
typedef void (*pix_page_fn)(pix_inputs *in, void *user);

struct pix_inputs {
    pix_input *items;
    size_t n, cap;
    /* Optional.  With on_page set, an input added that makes n reach
     * page_size hands the page to on_page at once, so that a folder of a
     * million files is walked and run a page at a time, never held whole. */
    pix_page_fn on_page;
    void *page_user;
    size_t page_size;
};

/* Adds one command-line argument: a folder is recursed (hidden entries and
 * the folder `exclude` are passed over), anything else is one input, even
 * when missing, so that the job reports it.  exclude may be NULL. */
int pix_inputs_add(pix_inputs *in, const char *arg, const char *exclude, pix_err *err);
void pix_inputs_free(pix_inputs *in);

/* Adds an S3 object (bucket and key as stored, not URL-encoded; sequencer
 * may be NULL); display names it to the user. */
int pix_inputs_add_s3(pix_inputs *in, const char *bucket, const char *key, const char *sequencer,
                      const char *display, pix_err *err);

/* The same, from an SQS message (message_id may be NULL). */
int pix_inputs_add_s3_msg(pix_inputs *in, const char *bucket, const char *key,
                          const char *sequencer, const char *message_id, const char *display,
                          pix_err *err);

/* Drops the inputs from index n on (n <= in->n), as if never added. */
void pix_inputs_truncate(pix_inputs *in, size_t n);

/* Adds an object a storage listing gave (bucket and key as stored; etag
 * may be NULL): an S3 object when s3, else a file of the folder bucket,
 * skipped rather than failed when it is no image. */
int pix_inputs_add_listed(pix_inputs *in, const char *bucket, const char *key, const char *etag,
                          bool s3, pix_err *err);

/* Adds "s3://BUCKET/KEY": the key is taken as written, not URL-decoded. */
int pix_inputs_add_s3_uri(pix_inputs *in, const char *uri, pix_err *err);

#endif
