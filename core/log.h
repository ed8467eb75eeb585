/* Logging to stderr, one whole line at a time under a lock, so lines of
 * concurrent jobs never interleave. */
#ifndef PIX_CORE_LOG_H
#define PIX_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <pixpipe/pixpipe.h>

/* Lines below this level are dropped (default PIX_LOG_INFO). */
void pix_log_set_level(pix_log_level level);
pix_log_level pix_log_get_level(void);

/* Writes "pixpipe: WHO: message" (WHO may be NULL) when level passes.  The
 * message and WHO go through pix_log_escape(), so a line is one event. */
void pix_log(pix_log_level level, const char *who, const char *fmt, ...) PIX_PRINTF(3, 4);
void pix_logv(pix_log_level level, const char *who, const char *fmt, va_list ap) PIX_PRINTF(3, 0);

/* Copies in into out for a log line or a terminal: a line feed, carriage
 * return and tab become \n, \r and \t; other control bytes, DEL, the C1
 * controls and bytes that are not well-formed UTF-8 become \xNN (ESC is
 * \x1b); printable ASCII (a backslash too, unescaped) and well-formed UTF-8
 * are kept.  A piece that does not fit is dropped whole; out is always
 * NUL-terminated when out_size > 0, and 4 * strlen(in) + 1 bytes always
 * suffice.  in NULL reads as "".  Returns the length written, without the
 * NUL.  Thread-safe. */
size_t pix_log_escape(const char *in, char *out, size_t out_size);

/* Serialises whole-line writes to the terminal by callers that print
 * themselves (progress line, per-job lines). */
void pix_term_lock(void);
void pix_term_unlock(void);
/* Clears a progress line left on stderr, if any; call under the lock. */
void pix_progress_clear_locked(void);
/* Tells the logger a progress line is showing on stderr. */
void pix_progress_set_showing(int showing);

#endif
