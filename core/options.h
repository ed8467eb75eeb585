/* Option tables: checking a plugin's table, parsing values, filling and
 * freeing config structs, describing options for `pixpipe plugins NAME`. */
#ifndef PIX_CORE_OPTIONS_H
#define PIX_CORE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <pixpipe/pixpipe.h>
#include "err.h"

/* Checks a table is well formed (names unique, known types, offsets and
 * field sizes inside config_size, enum choices present, defaults parse and
 * lie within bounds).  Returns 0, or -1 with err naming the option. */
int pix_options_check_table(const pix_option *table, size_t config_size, pix_err *err);

/* Parses "50MB", "1.5GiB", "100K", "4096" to bytes (KB/MB/GB and K/M/G are
 * powers of 1000, KiB/MiB/GiB of 1024).  Also used for pixel counts. */
int pix_parse_size(const char *text, uint64_t *out);
/* Parses "#rgb", "#rrggbb", "#rrggbbaa", or a CSS colour name. */
int pix_parse_colour(const char *text, pix_colour *out);

/* Frees the strings and lists that the host wrote into config per table
 * (not config itself).  NULL config ok. */
void pix_config_free(const pix_option *table, void *config);

/* Writes a human description of the type, default, bounds and choices of
 * opt into buf, e.g. "enum (inside|cover|contain|fill|outside), default inside". */
void pix_option_describe(const pix_option *opt, char *buf, size_t size);
/* Name of an option type: "string", "int", ... */
const char *pix_opt_type_name(pix_opt_type type);

#endif
