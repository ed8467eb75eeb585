/* Error text recorded once, where the error happens, and passed up. */
#ifndef PIX_CORE_ERR_H
#define PIX_CORE_ERR_H

#include <stdarg.h>
#include <stdbool.h>
#include <pixpipe/pixpipe.h>

typedef struct pix_err {
    char msg[2048];
} pix_err;

/* Sets err's message (err may be NULL).  Always returns -1, so callers can
 * write `return pix_err_set(err, ...);`. */
int pix_err_set(pix_err *err, const char *fmt, ...) PIX_PRINTF(2, 3);
int pix_err_vset(pix_err *err, const char *fmt, va_list ap) PIX_PRINTF(2, 0);
/* Prepends "prefix: " to the message already in err. */
int pix_err_prefix(pix_err *err, const char *fmt, ...) PIX_PRINTF(2, 3);

/* The body of a printf-style wrapper: runs CALL, an expression that uses
 * the va_list `ap` holding the arguments after LAST. */
#define PIX_WITH_VA(LAST, CALL)                                                \
    do {                                                                       \
        va_list ap;                                                            \
        va_start(ap, LAST);                                                    \
        CALL;                                                                  \
        va_end(ap);                                                            \
    } while (0)

/* src as one line, copied into buf (truncated to fit): line breaks inside
 * become "; ", trailing ones and trailing blanks are dropped.  Plugins'
 * messages go through it, so a libvips error buffer passed with "%s" (which
 * ends with a newline) does not break the log line.  Returns buf. */
char *pix_one_line(const char *src, char *buf, size_t size);

/* Opening a source with libvips (sniff, header, the decode's own open):
 * where jobs started together fail together, and libvips keeps one error
 * buffer for the process.  Opens run one at a time, each job taking its
 * message before the next opens, so each reports its own file's reason.
 * The wait is bounded: an open that hangs (a hostile file) holds the
 * others back for at most PIX_VIPS_OPEN_WAIT_MS, after which they open
 * anyway and only the attribution is best effort.  Returns whether the
 * turn was taken; hand that to pix_vips_open_end(). */
#define PIX_VIPS_OPEN_WAIT_MS 2000
bool pix_vips_open_begin(void);
void pix_vips_open_end(bool held);

/* libvips' error buffer as one line (newlines become "; ", the trailing one
 * dropped), copied into buf and cleared in one step; "no reason given by
 * libvips" when it was empty, for after the caller's own words on what
 * failed ("cannot read the png header: no reason given by libvips").
 * Returns buf. */
char *pix_vips_error(char *buf, size_t size);
#endif
