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
} pix_input;

typedef struct pix_inputs {
    pix_input *items;
    size_t n, cap;
} pix_inputs;

/* Adds one command-line argument: a folder is recursed (hidden entries and
 * the folder `exclude` are passed over), anything else is one input, even
 * when missing, so that the job reports it.  exclude may be NULL. */
int pix_inputs_add(pix_inputs *in, const char *arg, const char *exclude, pix_err *err);
void pix_inputs_free(pix_inputs *in);

#endif
