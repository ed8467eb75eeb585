/* Where the running executable lives, for finding plugins beside it. */
#ifndef PIX_CORE_PATHS_H
#define PIX_CORE_PATHS_H

#include <stddef.h>

/* Writes the folder of the running executable into buf.  Returns 0 or -1. */
int pix_exe_dir(char *buf, size_t size);
/* Joins a and b with one '/'.  Caller frees.  NULL on allocation failure. */
char *pix_path_join(const char *a, const char *b);
/* Creates dir and its missing parents (mode 0755).  Returns 0, or -1 with
 * errno set. */
int pix_mkdirs(const char *dir);

#endif
