/* ${VAR} and ${VAR:-default} expansion of pipeline values. */
#ifndef PIX_CORE_ENVEXPAND_H
#define PIX_CORE_ENVEXPAND_H

#include <stddef.h>

/* Expands in from the environment: "${VAR}" is VAR's value (an error when
 * VAR is unset), "${VAR:-text}" is VAR's value or text when VAR is unset or
 * empty, "$$" is a literal "$", and any other "$" is kept as is.  VAR is
 * [A-Za-z_][A-Za-z0-9_]*.  On success *out is a new string the caller frees
 * and 0 is returned; on error -1 with why (which never quotes a variable's
 * value, only its name). */
int pix_env_expand(const char *in, char **out, char *why, size_t why_size);

/* The same; from (when not NULL) receives the variables whose values went
 * into *out, as "${A}" or "${A}, ${B}" ("" when none: a default taken
 * because the variable was unset or empty is the file's own text), so that
 * messages can name where a value came from instead of quoting it. */
int pix_env_expand_from(const char *in, char **out, char *from, size_t from_size, char *why,
                        size_t why_size);

#endif
