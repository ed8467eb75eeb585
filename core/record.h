/* The job's metadata record: a typed key/value tree (jansson underneath),
 * handed to plugins as the opaque pix_record. */
#ifndef PIX_CORE_RECORD_H
#define PIX_CORE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <pixpipe/pixpipe.h>

/* A new empty record (an object).  Caller frees with pix_record_free(). */
pix_record *pix_record_new(void);
void pix_record_free(pix_record *rec);

/* Setting a key replaces what it held.  Text that is not UTF-8 is stored
 * with U+FFFD for each bad byte, NaN and the infinities as null (JSON has
 * neither); a key that is not UTF-8 is not stored. */
void pix_rec_set_str(pix_record *rec, const char *key, const char *value);
void pix_rec_set_int(pix_record *rec, const char *key, int64_t value);
void pix_rec_set_num(pix_record *rec, const char *key, double value);
void pix_rec_set_bool(pix_record *rec, const char *key, bool value);
pix_record *pix_rec_object(pix_record *rec, const char *key);
pix_record *pix_rec_append(pix_record *rec, const char *list_key);
/* Appends a string to the list list_key (made when absent). */
void pix_rec_append_str(pix_record *rec, const char *list_key, const char *value);
int pix_rec_get_str(const pix_record *rec, const char *key, const char **out);
int pix_rec_get_int(const pix_record *rec, const char *key, int64_t *out);
int pix_rec_get_num(const pix_record *rec, const char *key, double *out);
int pix_rec_get_bool(const pix_record *rec, const char *key, bool *out);
/* Compact JSON in insertion order.  Caller frees with free(). */
char *pix_rec_to_json(const pix_record *rec);

#endif
