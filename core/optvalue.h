/* One option value: parsing text into a config field, with the type,
 * bounds and choices of its pix_option.  Shared by the pipeline loader
 * (values from YAML) and the table checker (defaults). */
#ifndef PIX_CORE_OPTVALUE_H
#define PIX_CORE_OPTVALUE_H

#include <stddef.h>
#include <pixpipe/pixpipe.h>

/* Size and alignment of the config field that a type writes; 0 when the
 * type is unknown. */
size_t pix_optvalue_size(pix_opt_type type);
size_t pix_optvalue_align(pix_opt_type type);

/* Parses text as opt's type, checks bounds and choices and writes the value
 * at opt->offset in config.  A STRING is copied, a STRLIST becomes a list of
 * one item; the config owns them (pix_config_free) and any string or list
 * already in the field is freed first.  Returns 0, or -1 with why: what is
 * wrong and what was expected, without the option's name or position, and
 * never quoting text when opt is PIX_OPT_SECRET. */
int pix_optvalue_set(const pix_option *opt, const char *text, void *config, char *why,
                     size_t why_size);

/* The same, with as (when not NULL) standing for the value in every
 * message instead of the text itself, e.g. "the value from ${VAR}" for a
 * value the environment gave, which may be a secret. */
int pix_optvalue_set_as(const pix_option *opt, const char *text, const char *as, void *config,
                        char *why, size_t why_size);

/* Same for a STRLIST given as a list: items are copied. */
int pix_optvalue_set_list(const pix_option *opt, const char *const *items, size_t n,
                          void *config, char *why, size_t why_size);

/* Applies opt->def (which must be non-NULL).  A STRLIST default is either
 * one item or a flow list "[a, b]" (empty: "[]"). */
int pix_optvalue_set_default(const pix_option *opt, void *config, char *why, size_t why_size);

/* "an int", "a size", ...: the type with its article, for messages. */
const char *pix_optvalue_expected(pix_opt_type type);

#endif
